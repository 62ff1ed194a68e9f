/**
 * ARMv7-A NEON kernels for the `optimized` variant (Cortex-A9): CHW q7/q15, vectorized along output pixels.
 *
 * - 8 consecutive output pixels of one row are one int16x8 vector of inputs per tap (stride 1: vld1; stride 2: vld2,
 *   its even lanes; q7 widened with vmovl_s8). Each weight is a scalar broadcast: vmlal_lane_s16 from a vector of
 *   the block's weights, or vmlal_n_s16 where a row's weights do not fill a whole vector load.
 * - int32 bound: vmlal_s16 into int32x4 (exact: the bound is proved). int64 bound: each int16 x int16 product is exact
 *   in int32 (vmull_s16) and is widened into int64x2 lanes (vaddw_s32): exact, no rounding.
 * - Output rows are grouped by their valid kernel rows (top/bottom padding: those rows are skipped, not multiplied by
 *   zero); columns whose every tap is inside the input (and whose loads stay in the row) run vector blocks, the last
 *   block overlapping the previous one when the width is not a multiple of 8; the few border columns run a scalar
 *   loop that checks columns only. The output stage is the common scalar finish.
 * Everything is decided here; templates/neon/kernel.c.hbs holds the C text.
 */
import type { KernelModel } from '../spec/index.ts';
import type { IsaFeatures } from '../targets/index.ts';
import type { AccumulatorPlan } from './accumulator.ts';
import type { KernelFamily } from './families.ts';
import { cArrayRows } from './clit.ts';
import { axisBands } from './optimized.ts';

/** Output pixels per vector block (an int16x8 of inputs). */
export const LANES = 8;
/** Estimated .text the family stays under (the 4 KiB promise, with a margin for the estimate's error). */
export const NEON_CODE_BUDGET = 3600;
const MAX_KW = 7;

/** Output columns [lo, hi] that vector blocks may cover: every tap inside the input and every load inside the row. */
export function vectorColumns(m: KernelModel): { lo: number; hi: number } {
  // Stride 2 loads 2·8 elements (vld2) of which the last is not used: it must still lie inside the row.
  const extra = m.strideW === 2 ? 1 : 0;
  const lo = Math.max(0, Math.ceil(m.pad.left / m.strideW));
  const hi = Math.min(m.outW - 1, Math.floor((m.inW - 1 - extra - (m.kW - 1) * m.dilW + m.pad.left) / m.strideW));
  return { lo, hi };
}

/** Output channels per block: the accumulators (2 int32x4 or 4 int64x2 per channel) must fit 8 of the 16 q registers. */
function blockChannels(m: KernelModel, plan: AccumulatorPlan): number {
  return Math.min(plan.accType === 'int64_t' ? 2 : 4, m.outPerGroup);
}

/** Weights per vector load: 4 int16 (a d register) or 8 int8 (widened to a q register). */
function chunkSize(m: KernelModel): number {
  return m.numeric.storage.bits === 8 ? 8 : 4;
}

interface Mac {
  j: number;
  /** vmlal_lane_s16 from a d register of weights, or vmlal_n_s16 from one weight of the row. */
  lane: boolean;
  vec: string;
  index: number;
  scalar: number;
}

interface TapView {
  offset: number;
  macs: Mac[];
}

function blockFunction(m: KernelModel, cb: number) {
  const n = m.kW * cb;
  const size = chunkSize(m);
  const chunks: { id: string; offset: number }[] = [];
  for (let c = 0; (c + 1) * size <= n; c++) chunks.push({ id: `c${c}`, offset: c * size });
  // A q7 chunk is widened to int16x8: its low and high d registers serve lanes 0-3 and 4-7.
  const source = (i: number): { lane: boolean; vec: string; index: number } => {
    const c = Math.floor(i / size);
    if (c >= chunks.length) return { lane: false, vec: '', index: 0 };
    const k = i % size;
    return size === 8 ? { lane: true, vec: `c${c}${k < 4 ? 'l' : 'h'}`, index: k % 4 } : { lane: true, vec: `c${c}`, index: k };
  };
  const taps: TapView[] = [];
  for (let kx = 0; kx < m.kW; kx++)
    taps.push({
      offset: kx * m.dilW,
      macs: Array.from({ length: cb }, (_, j) => ({ j, ...source(kx * cb + j), scalar: kx * cb + j })),
    });
  return {
    fn: `block_o${cb}`,
    cb,
    chunks,
    taps,
    accs: Array.from({ length: cb }, (_, j) => ({ j })),
  };
}

/** Rough A32 code bytes of the kernel: MACs dominate (1 instruction each for int32, 3 per 4 pixels for int64). */
function codeEstimate(m: KernelModel, plan: AccumulatorPlan, sizes: number[]): number {
  const wide = plan.accType === 'int64_t';
  let instr = 160; // run, border-column scalar loop, finish
  for (const cb of sizes) {
    const macs = m.kW * cb * 2 * (wide ? 3 : 1);
    instr += 60 + m.kW * 2 + macs + Math.ceil((m.kW * cb) / chunkSize(m)) * 2 + cb * (wide ? 14 : 10);
  }
  return 4 * instr;
}

function shapeSizes(m: KernelModel, plan: AccumulatorPlan): number[] {
  const ob = blockChannels(m, plan);
  return m.outPerGroup % ob > 0 ? [ob, m.outPerGroup % ob] : [ob];
}

export function neonApplies(m: KernelModel, plan: AccumulatorPlan, isa: IsaFeatures): boolean {
  if (!isa.neon || m.layout !== 'chw' || m.numeric.kind !== 'q') return false;
  const bits = m.numeric.storage.bits;
  if (bits !== 8 && bits !== 16) return false;
  if (m.strideW !== 1 && m.strideW !== 2) return false;
  if (m.kW > MAX_KW) return false;
  const cols = vectorColumns(m);
  if (cols.hi - cols.lo + 1 < LANES) return false;
  return codeEstimate(m, plan, shapeSizes(m, plan)) <= NEON_CODE_BUDGET;
}

export function neonView(m: KernelModel, plan: AccumulatorPlan) {
  const ob = blockChannels(m, plan);
  const sizes = shapeSizes(m, plan);
  const taps = m.kH * m.kW;
  const per = m.inPerGroup * taps;
  // Per group, per block of output channels: [in/groups][ky][kx][channel in block] (the model's bytes, reordered).
  const weights: number[] = [];
  for (let g = 0; g < m.groups; g++)
    for (let start = 0; start < m.outPerGroup; start += ob) {
      const size = Math.min(ob, m.outPerGroup - start);
      const o0 = g * m.outPerGroup + start;
      for (let ci = 0; ci < m.inPerGroup; ci++)
        for (let t = 0; t < taps; t++)
          for (let j = 0; j < size; j++) weights.push(m.weights[(o0 + j) * per + ci * taps + t]);
    }
  const cols = vectorColumns(m);
  const width = cols.hi - cols.lo + 1;
  const blocks = Math.ceil(width / LANES);
  const yBands = axisBands(m.outH, m.inH, m.kH, m.strideH, m.dilH, m.pad.top).map((b) => ({
    fields: [b.lo, b.hi, b.valid.length ? b.valid[0] : 0, b.valid.length].join(', '),
    doc: `output rows ${b.lo}..${b.hi}: kernel rows ${b.valid.join(',') || 'none'}`,
  }));
  const fns = sizes.map((cb) => blockFunction(m, cb));
  const q7 = m.numeric.storage.bits === 8;
  return {
    neon: {
      ob,
      tailSize: sizes.length > 1 ? sizes[1] : 0,
      hasTailBlock: sizes.length > 1,
      fullBlocks: Math.floor(m.outPerGroup / ob),
      fullFn: fns[0].fn,
      tailFn: fns.length > 1 ? fns[1].fn : fns[0].fn,
      fns,
      wide: plan.accType === 'int64_t',
      q7,
      stride2: m.strideW === 2,
      lanes: LANES,
      weightCount: weights.length,
      weightLines: cArrayRows(weights, 16),
      blockWeights: ob * per,
      groupWeights: m.outPerGroup * per,
      groupInput: m.inPerGroup * m.inH * m.inW,
      ciStride: m.inH * m.inW,
      rowStride: m.dilH * m.inW,
      vecLo: cols.lo,
      vecHi: cols.hi,
      vecBlocks: blocks,
      vecLast: cols.hi - LANES + 1,
      yBands,
      yBandCount: yBands.length,
      codeBytes: codeEstimate(m, plan, sizes),
      codeBudget: NEON_CODE_BUDGET,
      accDoc: plan.accType === 'int64_t'
        ? 'int64x2 lanes: each int16 x int16 product is exact in int32 (vmull_s16) and is widened into them (vaddw_s32)'
        : 'int32x4 lanes (vmlal_s16): the proved bound fits int32',
      loadDoc: `${m.strideW === 2 ? 'vld2 (even lanes of 16 elements)' : 'vld1'}${q7 ? ', widened with vmovl_s8' : ''}`,
    },
  };
}

export const neonFamily: KernelFamily = {
  name: 'neon',
  summary: 'ARMv7-A NEON: CHW q7/q15 vectorized along 8 output pixels, weights broadcast (vmlal_s16), exact int32/int64 lanes',
  template: 'neon/kernel.c.hbs',
  applies: neonApplies,
  view: (m, plan) => neonView(m, plan),
};
