/**
 * The NEON family's decisions (ARMv7-A, Cortex-A9): CHW q7/q15 vectorized along output pixels.
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
 */
import type { KernelModel } from '../../ops/conv_2d/spec/index.ts';
import type { IsaFeatures } from '../../targets/index.ts';
import type { AccumulatorPlan } from '../../codegen/accumulator.ts';
import { blockedWeights, channelBlockSizes, slabBytes, SLAB_BUDGET } from '../../codegen/lines.ts';

/** Output pixels per vector block (an int16x8 of inputs). */
export const LANES = 8;
/** Estimated .text the family stays under (the 4 KiB promise, with a margin for the estimate's error). */
export const NEON_CODE_BUDGET = 3600;
const MAX_KW = 7;

/** Where one MAC's weight comes from: a lane of a vector of weights (vmlal_lane_s16), or the row's scalar (vmlal_n_s16). */
export type WeightSource = { k: 'lane'; vec: string; index: number } | { k: 'scalar'; at: number };

/** A vector load of weights: int16x4 (q15) or int8x8 widened to int16x8 (q7), whose halves are declared if read. */
export interface Chunk {
  id: string;
  /** Elements from the start of the kernel row's weights. */
  offset: number;
  low: boolean;
  high: boolean;
}

/** The function for a block of `cb` output channels: its weight loads and, per kernel column, one source per channel. */
export interface BlockFn {
  name: string;
  cb: number;
  chunks: Chunk[];
  /** Per kernel column: the input's offset in the padded line, and each channel's weight source. */
  taps: { offset: number; sources: WeightSource[] }[];
}

export interface NeonPlan {
  /** Output channels per block; the tail block (if any) has fewer. */
  ob: number;
  fullBlocks: number;
  tailSize: number;
  fns: BlockFn[];
  weights: number[];
  wide: boolean;
  q7: boolean;
  stride2: boolean;
  codeBytes: number;
}

/** Output channels per block: the accumulators (2 int32x4 or 4 int64x2 per channel) must fit 8 of the 16 q registers. */
function blockChannels(m: KernelModel, acc: AccumulatorPlan): number {
  return Math.min(acc.accType === 'int64_t' ? 2 : 4, m.outPerGroup);
}

/** Weights per vector load: 4 int16 (a d register) or 8 int8 (widened to a q register). */
function chunkSize(m: KernelModel): number {
  return m.numeric.storage.bits === 8 ? 8 : 4;
}

function blockFn(m: KernelModel, name: string, cb: number): BlockFn {
  const n = m.kW * cb;
  const size = chunkSize(m);
  const starts: number[] = [];
  // Whole vector loads inside the row's weights; a last one that would run past the row ends at it instead
  // (overlapping the previous one), so no load reads outside the table. Rows shorter than a load go scalar.
  for (let c = 0; c * size < n && n >= size; c++) starts.push(Math.min(c * size, n - size));
  // A q7 chunk is widened to int16x8: its low and high d registers serve lanes 0-3 and 4-7.
  const source = (i: number): WeightSource => {
    if (starts.length === 0) return { k: 'scalar', at: i };
    const c = Math.min(Math.floor(i / size), starts.length - 1);
    const k = i - starts[c];
    return size === 8 ? { k: 'lane', vec: `c${c}${k < 4 ? 'l' : 'h'}`, index: k % 4 } : { k: 'lane', vec: `c${c}`, index: k };
  };
  const taps = Array.from({ length: m.kW }, (_, kx) => ({
    offset: kx * m.dilW, sources: Array.from({ length: cb }, (_, j) => source(kx * cb + j)),
  }));
  // q7: declare only the halves some MAC reads (-Werror=unused-variable).
  const used = new Set(taps.flatMap((t) => t.sources.flatMap((s) => (s.k === 'lane' ? [s.vec] : []))));
  const chunks = starts.map((offset, c) => ({ id: `c${c}`, offset, low: used.has(`c${c}l`), high: used.has(`c${c}h`) }));
  return { name, cb, chunks, taps };
}

/** Rough A32 code bytes of the kernel: MACs dominate (1 instruction each for int32, 3 per 4 pixels for int64). */
function codeEstimate(m: KernelModel, acc: AccumulatorPlan, sizes: number[]): number {
  const wide = acc.accType === 'int64_t';
  let instr = 120; // run, row copies, finish
  for (const cb of sizes) {
    const macs = m.kW * cb * 2 * (wide ? 3 : 1);
    instr += 60 + m.kW * 2 + macs + Math.ceil((m.kW * cb) / chunkSize(m)) * 2 + cb * (wide ? 14 : 10);
  }
  return 4 * instr;
}

const shapeSizes = (m: KernelModel, acc: AccumulatorPlan) => channelBlockSizes(m, blockChannels(m, acc));

export function neonApplies(m: KernelModel, acc: AccumulatorPlan, isa: IsaFeatures): boolean {
  if (!isa.neon || m.layout !== 'chw' || m.numeric.kind !== 'q') return false;
  const bits = m.numeric.storage.bits;
  if (bits !== 8 && bits !== 16) return false;
  if (m.strideW !== 1 && m.strideW !== 2) return false;
  if (m.kW > MAX_KW) return false;
  if (m.outW < LANES || slabBytes(m) > SLAB_BUDGET) return false;
  return codeEstimate(m, acc, shapeSizes(m, acc)) <= NEON_CODE_BUDGET;
}

export function planNeon(m: KernelModel, acc: AccumulatorPlan): NeonPlan {
  const ob = blockChannels(m, acc);
  const sizes = shapeSizes(m, acc);
  return {
    ob,
    fullBlocks: Math.floor(m.outPerGroup / ob),
    tailSize: sizes.length > 1 ? sizes[1] : 0,
    fns: sizes.map((cb) => blockFn(m, `${m.name}_block_o${cb}`, cb)),
    weights: blockedWeights(m, ob),
    wide: acc.accType === 'int64_t',
    q7: m.numeric.storage.bits === 8,
    stride2: m.strideW === 2,
    codeBytes: codeEstimate(m, acc, sizes),
  };
}
