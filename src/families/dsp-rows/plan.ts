/**
 * The dsp-rows family's decisions: int8 HWC layers whose groups have at most 3 input channels (depthwise, and first
 * layers of 1-3 channels) on ARMv7E-M / ARMv8-M Mainline with the DSP extension (Cortex-M4, M7, M33).
 *
 * Such a layer cannot pair input channels for SMLAD (there are not two of them, or they belong to different outputs),
 * so it pairs taps along the kernel row instead: each group's input rows are widened once into an int16 plane on the
 * stack (HWC within the group, the padding columns and rows holding the input zero point), where one kernel row of one
 * output is KERNEL_W x IN_PER_GROUP consecutive int16, read as words of two taps. The weights of the channels being
 * computed are packed into int16 pairs at run time (a few words per channel, so flash keeps the raw bytes); the input
 * offset is folded into the seeds (padding holds the zero point, so every tap multiplies x - zp = 0 there).
 */
import type { KernelModel } from '../../ops/conv_2d/spec/index.ts';
import type { IsaFeatures } from '../../targets/index.ts';
import type { AccumulatorPlan } from '../../codegen/accumulator.ts';
import { foldedSeeds } from '../seeds.ts';

/** Bytes of stack the plane may take (the M images' stack is 8 KiB; the network's deepest path stays well under). */
export const PLANE_BUDGET = 2048;
/** Input channels per group this family takes: more pair along channels in the blocked and pointwise families. */
export const MAX_IN_PER_GROUP = 3;
/** Unrolled MAC statements per block function (pairs x kernel rows x pixels x channels), for the code size. */
export const MAX_BLOCK_MACS = 96;
/** Input elements of a row the conversion copies with constant offsets, unrolled (else a loop). */
export const UNROLL_ROW = 32;
/** Pixels per block at most: accumulators plus the row's words stay in the 13 usable registers with 1 channel. */
export const MAX_PIXELS = 4;

export interface DspRowsPlan {
  /** Input channels per group: the plane's channels. */
  c: number;
  /** Taps of one kernel row (KERNEL_W x c) and the int16 pairs that hold them (the last pair's high tap 0 when odd). */
  rowTaps: number;
  pairs: number;
  /** Output channels per block (1 or 2) and pixels per block; the row's last `rem` pixels are one smaller block. */
  q: number;
  p: number;
  rem: number;
  /** Plane geometry: columns (pixels), output rows per band, plane rows a band reads, int16 elements of the buffer. */
  planeW: number;
  bandRows: number;
  bandInRows: number;
  bufElems: number;
  /** Accumulator seeds: bias + input offset x the channel's weight sum. */
  seeds: bigint[];
  /** Weights reordered [o][ky][kx][ci] (a kernel row's taps in plane order); the raw bytes, in the raw count. */
  weights: number[];
}

/** Plane columns: PAD_LEFT zero-point columns, the input, zero-point columns to the last column a window reads. */
export function planeWidth(m: KernelModel): number {
  const lastRead = (m.outW - 1) * m.strideW + m.kW - 1;
  return Math.max(m.pad.left + m.inW, lastRead + 1);
}

/** Plane rows for `rows` output rows. */
const inRows = (m: KernelModel, rows: number) => (rows - 1) * m.strideH + (m.kH - 1) * m.dilH + 1;

/** int16 elements of a buffer of `rows` output rows' plane rows, with a pair of slack for the last window's zero tap. */
const elems = (m: KernelModel, rows: number) => inRows(m, rows) * planeWidth(m) * m.inPerGroup + 2;

/** Output rows per band: all of them if the plane fits the budget, else as many as fit. 0: not even one. */
export function bandRows(m: KernelModel): number {
  for (let r = m.outH; r >= 1; r--) if (elems(m, r) * 2 <= PLANE_BUDGET) return r;
  return 0;
}

/** Rough cost of one output pixel-block function (loads, SMLADs, output stages), to choose the pixels per block. */
function blockCost(m: KernelModel, pairs: number, q: number, p: number): number {
  const c = m.inPerGroup;
  const words = new Set<number>();
  for (let px = 0; px < p; px++) for (let j = 0; j < pairs; j++) words.add(px * m.strideW * c + 2 * j);
  return 10 + m.kH * (words.size + pairs * q + pairs * q * p) + 16 * q * p;
}

export function dspRowsApplies(m: KernelModel, acc: AccumulatorPlan, isa: IsaFeatures): boolean {
  if (!isa.simd32 || isa.state !== 'thumb2' || isa.mve || isa.neon || !isa.unaligned) return false;
  if (m.layout !== 'hwc' || m.numeric.kind !== 'int8' || acc.accType !== 'int32_t' || acc.stage.kind !== 'requantize') return false;
  if (m.inPerGroup > MAX_IN_PER_GROUP || m.dilW !== 1) return false;
  // the plane holds raw inputs and the zero point as int16
  if (Math.abs(m.numeric.inputOffset) > 32767) return false;
  if (bandRows(m) === 0) return false;
  if (m.numeric.inputOffset !== 0 && foldedSeeds(m, 'int32_t') === null) return false;
  const pairs = Math.ceil((m.kW * m.inPerGroup) / 2);
  // one pixel of a block's channels unrolled must fit the code limit
  return m.kH * pairs * (m.outPerGroup % 2 === 0 ? 2 : 1) <= MAX_BLOCK_MACS;
}

export function planDspRows(m: KernelModel, acc: AccumulatorPlan): DspRowsPlan {
  const c = m.inPerGroup;
  const rowTaps = m.kW * c;
  const pairs = Math.ceil(rowTaps / 2);
  const q = m.outPerGroup % 2 === 0 ? 2 : 1;
  // pixels per block: the cheapest estimate per pixel within the register and code limits (a full row's blocks plus
  // the remainder block)
  let best = { p: 1, cost: Infinity };
  for (let p = 1; p <= Math.min(MAX_PIXELS, m.outW); p++) {
    if (q * p > 4 || m.kH * pairs * q * p > MAX_BLOCK_MACS) continue;
    const rem = m.outW % p;
    const cost = Math.floor(m.outW / p) * blockCost(m, pairs, q, p) + (rem ? blockCost(m, pairs, q, rem) : 0);
    if (cost < best.cost) best = { p, cost };
  }
  const rows = bandRows(m);
  const per = m.inPerGroup * m.kH * m.kW;
  const weights: number[] = [];
  // [o][ci][ky][kx] -> [o][ky][kx][ci]
  for (let o = 0; o < m.outC; o++)
    for (let ky = 0; ky < m.kH; ky++)
      for (let kx = 0; kx < m.kW; kx++)
        for (let ci = 0; ci < c; ci++) weights.push(m.weights[o * per + (ci * m.kH + ky) * m.kW + kx]);
  const seeds = m.numeric.inputOffset !== 0 ? foldedSeeds(m, acc.accType)! : Array.from({ length: m.outC }, (_, o) => (m.bias ? m.bias[o] : 0n));
  return {
    c, rowTaps, pairs, q, p: best.p, rem: m.outW % best.p,
    planeW: planeWidth(m), bandRows: rows, bandInRows: inRows(m, rows), bufElems: elems(m, rows), seeds, weights,
  };
}
