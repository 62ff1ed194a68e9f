/**
 * ARMv7-A NEON kernels for the `optimized` variant (Cortex-A9): CHW q7/q15, vectorized along output pixels.
 *
 * - 8 consecutive output pixels of one row are one int16x8 vector of inputs per tap (stride 1: vld1; stride 2: vld2,
 *   its even lanes; q7 widened with vmovl_s8). Each weight is a scalar broadcast: vmlal_lane_s16 from a vector of
 *   the block's weights, or vmlal_n_s16 where a row's weights do not fill a whole vector load.
 * - int32 bound: vmlal_s16 into int32x4 (exact: the bound is proved). int64 bound: each int16 x int16 product is exact
 *   in int32 (vmull_s16) and is widened into int64x2 lanes (vaddw_s32): exact, no rounding.
 * - Output rows are grouped by their valid kernel rows (top/bottom padding: those rows are skipped, not multiplied by
 *   zero). For each output row, the group's valid input rows are copied once into zero-padded lines on the stack
 *   (left/right padding: exact zeros, so products vanish exactly), shared by every block of output channels; then
 *   every column runs vector blocks, the last block overlapping the previous one when the width is not a multiple
 *   of 8 (outputs are recomputed, not accumulated twice). The output stage is the common scalar finish.
 * Everything is decided here; templates/neon/kernel.c.hbs holds the C text.
 */
import type { KernelModel } from '../spec/index.ts';
import type { IsaFeatures } from '../targets/index.ts';
import type { AccumulatorPlan } from './accumulator.ts';
import type { TemplateFamily } from '../families/family.ts';
import { cArrayRows } from './clit.ts';
import { blockedWeights, channelBlockSizes, lineLength, rowBandsView, slabBytes, SLAB_BUDGET } from './lines.ts';

export { lineLength, slabBytes, SLAB_BUDGET };

/** Output pixels per vector block (an int16x8 of inputs). */
export const LANES = 8;
/** Estimated .text the family stays under (the 4 KiB promise, with a margin for the estimate's error). */
export const NEON_CODE_BUDGET = 3600;
const MAX_KW = 7;

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
  // Whole vector loads inside the row's weights; a last one that would run past the row ends at it instead
  // (overlapping the previous one), so no load reads outside the table. Rows shorter than a load go scalar.
  for (let c = 0; c * size < n && n >= size; c++) chunks.push({ id: `c${c}`, offset: Math.min(c * size, n - size) });
  // A q7 chunk is widened to int16x8: its low and high d registers serve lanes 0-3 and 4-7.
  const source = (i: number): { lane: boolean; vec: string; index: number } => {
    if (chunks.length === 0) return { lane: false, vec: '', index: 0 };
    const c = Math.min(Math.floor(i / size), chunks.length - 1);
    const k = i - chunks[c].offset;
    return size === 8 ? { lane: true, vec: `c${c}${k < 4 ? 'l' : 'h'}`, index: k % 4 } : { lane: true, vec: `c${c}`, index: k };
  };
  // q7: declare only the halves some MAC reads (-Werror=unused-variable).
  const used = new Set<string>();
  for (let i = 0; i < n; i++) {
    const src = source(i);
    if (src.lane) used.add(src.vec);
  }
  const chunkViews = chunks.map((c) => ({ ...c, low: used.has(`${c.id}l`), high: used.has(`${c.id}h`) }));
  const taps: TapView[] = [];
  for (let kx = 0; kx < m.kW; kx++)
    taps.push({
      offset: kx * m.dilW,
      macs: Array.from({ length: cb }, (_, j) => ({ j, ...source(kx * cb + j), scalar: kx * cb + j })),
    });
  return {
    fn: `block_o${cb}`,
    cb,
    chunks: chunkViews,
    taps,
    accs: Array.from({ length: cb }, (_, j) => ({ j })),
  };
}

/** Rough A32 code bytes of the kernel: MACs dominate (1 instruction each for int32, 3 per 4 pixels for int64). */
function codeEstimate(m: KernelModel, plan: AccumulatorPlan, sizes: number[]): number {
  const wide = plan.accType === 'int64_t';
  let instr = 120; // run, row copies, finish
  for (const cb of sizes) {
    const macs = m.kW * cb * 2 * (wide ? 3 : 1);
    instr += 60 + m.kW * 2 + macs + Math.ceil((m.kW * cb) / chunkSize(m)) * 2 + cb * (wide ? 14 : 10);
  }
  return 4 * instr;
}

function shapeSizes(m: KernelModel, plan: AccumulatorPlan): number[] {
  return channelBlockSizes(m, blockChannels(m, plan));
}

export function neonApplies(m: KernelModel, plan: AccumulatorPlan, isa: IsaFeatures): boolean {
  if (!isa.neon || m.layout !== 'chw' || m.numeric.kind !== 'q') return false;
  const bits = m.numeric.storage.bits;
  if (bits !== 8 && bits !== 16) return false;
  if (m.strideW !== 1 && m.strideW !== 2) return false;
  if (m.kW > MAX_KW) return false;
  if (m.outW < LANES || slabBytes(m) > SLAB_BUDGET) return false;
  return codeEstimate(m, plan, shapeSizes(m, plan)) <= NEON_CODE_BUDGET;
}

export function neonView(m: KernelModel, plan: AccumulatorPlan) {
  const ob = blockChannels(m, plan);
  const sizes = shapeSizes(m, plan);
  const per = m.inPerGroup * m.kH * m.kW;
  const weights = blockedWeights(m, ob);
  const blocks = Math.ceil(m.outW / LANES);
  const yBands = rowBandsView(m);
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
      line: lineLength(m),
      slabBytes: slabBytes(m),
      slabBudget: SLAB_BUDGET,
      padRight: lineLength(m) - m.pad.left - m.inW,
      vecBlocks: blocks,
      vecLast: m.outW - LANES,
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

export const neonFamily: TemplateFamily = {
  kind: 'template',
  name: 'neon',
  summary: 'ARMv7-A NEON: CHW q7/q15 vectorized along 8 output pixels, weights broadcast (vmlal_s16), exact int32/int64 lanes',
  template: 'neon/kernel.c.hbs',
  applies: neonApplies,
  view: (m, plan) => neonView(m, plan),
};
