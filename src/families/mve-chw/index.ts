/**
 * The MVE CHW family (ARMv8.1-M Helium), CHW q7/q15 with an int32 accumulator: vectorized along output pixels, the
 * MVE counterpart of the NEON family, sharing its padded input lines (src/codegen/lines.ts).
 *
 * - 4 consecutive output pixels of one row are one int32x4 vector of inputs per tap: a widening load (VLDRB.S32 /
 *   VLDRH.S32); stride 2 loads 8 elements widened to int16x8 (VLDRB.S16 / VLDRH.S16) and keeps the even lanes
 *   (VMOVLB.S16). Each weight is a scalar: acc += x * w is VMLA.S32 vector-by-scalar (vmlaq_n_s32), exact since the
 *   proved bound fits int32. int64 plans are refused (the blocked family keeps them).
 * - A block is `ob` output channels x `pv` vectors of pixels: each input vector serves the block's channels, each
 *   scalar weight the block's vectors. A row's pixels run in blocks of pv vectors, then one block of the remaining
 *   vectors, placed to end at the row's last pixel (up to 3 pixels are recomputed, never accumulated twice).
 * - Per output row, the group's kernel rows are copied into zero-padded lines on the stack; their padding columns are
 *   zeroed once per call, and a kernel row in the top/bottom padding is a line of zeros, so padding taps multiply
 *   exact zeros. So every block runs one loop of constant count over all lines of the slab and the weights alike:
 *   measured, skipping the padded rows (NEON's row bands) cost more in its nested input channel / row loops (bench a
 *   q7 0.67 instructions/MAC) than multiplying the few padded rows (0.58).
 * - Output stage: where qfinish.ts's exact stage applies (rounding constant in the seed, then shift and clamp) it
 *   runs on the whole vector (VSHR, VMAX, VMIN, narrowing store: each lane exactly the scalar stage); otherwise
 *   (a left shift that saturates) the common scalar finish per output.
 *
 * plan: plan.ts; lower: lower.ts.
 */
import type { IrFamily } from '../family.ts';
import { mveChwApplies, planMveChw, type MveChwPlan } from './plan.ts';
import { lowerMveChw } from './lower.ts';

export const mveChwFamily: IrFamily<MveChwPlan> = {
  kind: 'ir',
  name: 'mve-chw',
  summary: 'ARMv8.1-M MVE: CHW q7/q15 vectorized along 4 output pixels per int32x4, weights as scalars (VMLA.S32), int32 accumulators',
  applies: (m, acc, isa) => mveChwApplies(m, acc, isa),
  plan: (m, ctx) => planMveChw(m, ctx.acc),
  lower: lowerMveChw,
};
