/**
 * The MVE family (ARMv8.1-M Helium), HWC layout only. Two shapes, both decided in plan.ts:
 * - dot: in HWC a kernel row's valid columns x input channels are contiguous in memory (groups 1, dilation 1), and
 *   in OHWI weights the same span is contiguous per output channel. A row is a dot product of n elements:
 *   ceil(n / lanes) x (VLDRB/VLDRH input, VLDRB/VLDRH weight, VMLADAVA / VMLALDAVA), the last chunk tail-predicated
 *   (VCTP, zeroing loads: no byte outside a buffer is read). Each loaded input vector serves `ob` output channels,
 *   each weight vector `pb` pixels. Otherwise (groups, dilation) each tap's group channels are one span.
 * - dw (depthwise, one input channel per group): 4 channels per int32x4 vector (widening loads), `pb` pixels,
 *   acc += x * w (VMUL + VADD; MVE has no integer vector-by-vector VMLA).
 * Padding costs nothing in the interior: the output plane is split into regions by valid kernel rows and columns.
 * int8's input offset is folded into interior seeds; a dot border region's seeds add offset x its valid weights,
 * summed once per region and channel block (so borders run the interior's code); depthwise borders add the offset
 * to each input lane. int8 output stage: vectorized, 4 consecutive output channels per int32x4 (a dot block's
 * channels; a depthwise vector's lanes when the channel multiplier is 1), exactly TFLite's MultiplyByQuantizedMultiplier
 * (VQSHL, VQRDMULH, negative-tie fixup + VRSHL, clamp, + offset, VSTRB.32 of the low bytes; the proof is in the
 * C, the BigInt model of it in test/codegen/mve-requant.test.ts). q7/q15 and depthwise with a multiplier > 1
 * keep the common scalar finish, one call per output.
 *
 * plan: plan.ts; lower: lower.ts and lower-fns.ts.
 */
import type { IrFamily } from '../family.ts';
import { mveShape, planMve, type MvePlan } from './plan.ts';
import { lowerMve } from './lower.ts';

export const mveFamily: IrFamily<MvePlan> = {
  kind: 'ir',
  name: 'mve',
  summary: 'ARMv8.1-M MVE: tail-predicated VMLADAV dot products over contiguous HWC spans; depthwise 4 channels per vector',
  applies: (m, acc, isa) => mveShape(m, acc, isa) !== null,
  plan: (m, ctx) => planMve(m, ctx.acc, ctx.isa),
  lower: lowerMve,
};
