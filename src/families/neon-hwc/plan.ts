/**
 * ARMv7-A NEON kernels for the `optimized` variant on HWC data (TFLite int8 above all; q7/q15 on the same path),
 * vectorized along channels: 8 output channels are the 8 lanes of one accumulator pair.
 *
 * - Input lines: per output row, the valid input rows are converted once into a ring of int16 lines on the stack
 *   (each input row is converted once per channel slice, not once per kernel row): x + inputOffset, widened. Left,
 *   right and rounding-up channel positions hold 0, so padded taps contribute exactly nothing, neither x nor the
 *   offset (0 is representable in int16; -inputOffset would not be in int8). The seeds are the plain bias.
 * - Dense / grouped ("dense"): lanes = 8 consecutive output channels of a group, P pixels per block. Per tap and
 *   input channel, one weight vector ([ky][kx][ci][o] order, 8 output channels at once) is multiplied by the input
 *   broadcast from a lane (vmlal_lane_s16) for each of the P pixels. Groups of 4 to 7 output channels use 4 lanes.
 * - Depthwise ("depthwise", one input channel per group): lanes = 8 consecutive groups; weights [m][ky][kx][g]
 *   make 8 groups' weights one vector load; element-wise vmlal_s16.
 * - Channel and pixel tails: the last block overlaps the previous one (its outputs are recomputed, not summed twice).
 * - int32 bound: vmlal (exact: the bound is proved). int64 bound: vmull into exact int32 products, widened into
 *   int64x2 lanes (vaddw_s32).
 * - int8 output stage vectorized exactly (TFLite's MultiplyByQuantizedMultiplier): saturating left shift (vqshl),
 *   vqrdmulh (equal to gemmlowp's SRDHM: for a·b < 0, -floor((|ab| + 2^30 - 1) / 2^31) = floor((2^31 - 2|ab|) / 2^32),
 *   and INT32_MIN² saturates in both), gemmlowp's rounding divide (x - 1 when x < 0 and e > 0, saturating, then the
 *   rounding shift vrshl), + offset, clamp, narrow. q7/q15 use the common scalar finish per lane.
 * The decisions are here; lower.ts says them as IR.
 */
import type { KernelModel } from '../../ops/conv_2d/spec/index.ts';
import type { IsaFeatures } from '../../targets/index.ts';
import type { AccumulatorPlan } from '../../codegen/accumulator.ts';
import type { OptimizeGoal } from '../family.ts';

/** Output channels (or groups, depthwise) per vector: an int16x8 of weights, two int32x4 accumulators. */
export const HWC_LANES = 8;
/** Bytes of stack the ring of input lines may take (the A9 image's stack is 8 KiB; the kernel keeps under 4 KiB). */
export const HWC_SLAB_BUDGET = 3584;
/** Estimated .text the family promises to stay under (4 KiB, with a margin for the estimate's error). */
export const HWC_CODE_BUDGET = 3600;

/** Dense groups with 4 to 7 output channels use 4 lanes (one int32x4 accumulator per pixel). */
export const HALF_LANES = 4;

/** Lanes per block: 8, or 4 for dense groups of 4 to 7 output channels. */
export function hwcLanes(m: KernelModel): number {
  return hwcKind(m) === 'dense' && m.outPerGroup < HWC_LANES ? HALF_LANES : HWC_LANES;
}

export type HwcKind = 'dense' | 'depthwise';

export function hwcKind(m: KernelModel): HwcKind {
  return m.inPerGroup === 1 && m.groups >= HWC_LANES ? 'depthwise' : 'dense';
}

/** int16 channel positions per pixel in a line: the slice's channels, rounded up to a whole 4-lane load (dense). */
export function sliceChannels(m: KernelModel): { sc: number; scp: number } {
  if (hwcKind(m) === 'depthwise') return { sc: HWC_LANES, scp: HWC_LANES };
  return { sc: m.inPerGroup, scp: Math.ceil(m.inPerGroup / 4) * 4 };
}

/** Pixels per line: left padding, the row, then zeros up to the last position a pixel block reads. */
export function hwcLinePixels(m: KernelModel): number {
  const lastRead = (m.outW - 1) * m.strideW + (m.kW - 1) * m.dilW;
  return Math.max(m.pad.left + m.inW, lastRead + 1);
}

/** Ring slots: the input rows one output row spans, so that each input row is converted once per slice. */
export function hwcSlots(m: KernelModel): number {
  return (m.kH - 1) * m.dilH + 1;
}

/** Elements of the ring, rounded up to whole 8-lane stores (the zeroing loop). */
export function slabElems(m: KernelModel): number {
  return Math.ceil((hwcSlots(m) * hwcLinePixels(m) * sliceChannels(m).scp) / 8) * 8;
}

export function hwcSlabBytes(m: KernelModel): number {
  return slabElems(m) * 2;
}

/** Pixels per block: the accumulators (2 int32x4 or 4 int64x2 per pixel) take 8 of the 16 q registers. */
export function pixelsPerBlock(m: KernelModel, plan: AccumulatorPlan): number {
  return Math.min(plan.accType === 'int64_t' ? 2 : 4, m.outW);
}

/** Rough A32 instructions of the kernel (calibrated on GCC 12 -O2 output), for the code budget. */
export function codeEstimate(m: KernelModel, plan: AccumulatorPlan): number {
  const wide = plan.accType === 'int64_t';
  const P = pixelsPerBlock(m, plan);
  const macCost = wide ? 3 : 1;
  // per pixel: int8's vector output stage; q7/q15 store the lanes and loop over the scalar finish
  const perPixel = m.numeric.kind === 'int8' ? 14 : 30;
  let instr = 220; // run, ring upkeep, line conversion, tables
  if (hwcKind(m) === 'dense') {
    const chunk = m.inPerGroup >= 4 ? 4 : 0;
    const tail = m.inPerGroup % 4;
    instr += (chunk + tail) * (3 + 2 * P * macCost) + 2 * P + 40;
  } else instr += 4 + P * (1 + 2 * macCost) + 30;
  instr += P * perPixel + 20;
  return 4 * instr;
}

export function neonHwcApplies(m: KernelModel, plan: AccumulatorPlan, isa: IsaFeatures): boolean {
  if (!isa.neon || m.layout !== 'hwc') return false;
  const bits = m.numeric.storage.bits;
  if (bits !== 8 && bits !== 16) return false;
  // int8 keeps int32 lanes: its vector output stage reads int32 accumulators.
  if (m.numeric.kind === 'int8' && plan.accType !== 'int32_t') return false;
  if (hwcKind(m) === 'dense' && m.outPerGroup < HALF_LANES) return false;
  if (hwcSlabBytes(m) > HWC_SLAB_BUDGET) return false;
  return codeEstimate(m, plan) <= HWC_CODE_BUDGET;
}

/** Per-lane values in lane order: dense lanes are output channels; depthwise lane order is [m][g] (o = g·M + m). */
export function laneOrder(m: KernelModel): number[] {
  if (hwcKind(m) === 'dense') return Array.from({ length: m.outC }, (_, o) => o);
  const order: number[] = [];
  for (let k = 0; k < m.outPerGroup; k++) for (let g = 0; g < m.groups; g++) order.push(g * m.outPerGroup + k);
  return order;
}


/** The family's plan: the loop shape, the weights in the order the loops read them, and the lane-ordered tables. */
export interface HwcPlan {
  kind: HwcKind;
  /** Lanes per block (8, or 4 for dense groups of 4 to 7 output channels). */
  lanes: number;
  /** Pixels per block. */
  pixels: number;
  /** Weights pre-widened to int16 (optimize: speed, 8-bit storage). */
  speed: boolean;
  weights: number[];
  /** Output channel of each lane position ([m][g] for depthwise). */
  order: number[];
  codeBytes: number;
}

export function planHwc(m: KernelModel, acc: AccumulatorPlan, optimize: OptimizeGoal): HwcPlan {
  const kind = hwcKind(m);
  const taps = m.kH * m.kW;
  const per = m.inPerGroup * taps;
  const at = (o: number, ci: number, t: number) => m.weights[o * per + ci * taps + t];
  const weights: number[] = [];
  if (kind === 'dense') {
    // Per group: [ky][kx][ci][o in group]: one (tap, ci) row holds every output channel of the group.
    for (let g = 0; g < m.groups; g++)
      for (let t = 0; t < taps; t++)
        for (let ci = 0; ci < m.inPerGroup; ci++)
          for (let j = 0; j < m.outPerGroup; j++) weights.push(at(g * m.outPerGroup + j, ci, t));
  } else {
    // [multiplier index][ky][kx][g]: 8 consecutive groups' weights are one vector load.
    for (let k = 0; k < m.outPerGroup; k++)
      for (let t = 0; t < taps; t++)
        for (let g = 0; g < m.groups; g++) weights.push(at(g * m.outPerGroup + k, 0, t));
  }
  return {
    kind, lanes: hwcLanes(m), pixels: pixelsPerBlock(m, acc), speed: optimize === 'speed' && m.numeric.storage.bits === 8,
    weights, order: laneOrder(m), codeBytes: codeEstimate(m, acc),
  };
}
