/**
 * TFLite's int8 requantization in 32-bit DSP instructions (ARMv7E-M: SMMLAR, SSAT), where the proved accumulator
 * bound allows it. The reference is SRDHM(acc, M), then RDBPOT(., e), + output offset, clamp. With |acc| < 2^29, no
 * left shift and every right shift e >= 1:
 * - SRDHM(x, M) = floor((x*M + 2^30) / 2^31) = floor((2x*M + 2^31) / 2^32) = SMMULR(2x, M) (2x fits int32);
 * - RDBPOT(y, e) = floor((y + 2^(e-1) - (y < 0)) / 2^e), and adding the offset o inside the floor as o*2^e changes
 *   nothing: RDBPOT(y, e) + o = (y + R + (y < 0 ? -1 : 0)) >> e with R = 2^(e-1) + o*2^e per channel;
 * - with M >= 0, y < 0 only where x < 0, and y = 0 where x < 0 but y is not negative, which rounds to 0 with or
 *   without the -1 (0 is no tie for e >= 1): x's sign stands for y's, so the sum is SMMLAR(2x, M, R + (x >> 31));
 * - that sum is exact where |R| + 1 + max|y| < 2^31, max|y| <= floor(bound*M / 2^31) + 1 (checked per channel).
 * Then SSAT #8 where the clamp is the whole int8 range, else the two compares.
 */
import type { AccumulatorPlan } from '../codegen/accumulator.ts';

/** The DSP form's rounding constant R = 2^(e-1) + offset*2^e per channel, and whether SSAT is the whole clamp. */
export interface DspRound { rounds: number[]; ssat: boolean }

const INT32_MAX = (1n << 31n) - 1n;

/** R of one channel: the rounding nudge of RDBPOT(., e) with the output offset folded in (both times 2^e). */
export const roundConstant = (e: number, offset: number): bigint => (1n << BigInt(e - 1)) + BigInt(offset) * (1n << BigInt(e));

/**
 * The DSP form's constants for a requantize plan, or null where its proof does not hold: the short rounding's
 * conditions (|acc| < 2^29, no saturation, no left shift, every right shift at least 1), every multiplier
 * non-negative, and every channel's sum R + (x >> 31) + SMMULR(2x, M) inside int32.
 */
export function dspRound(plan: AccumulatorPlan): DspRound | null {
  const st = plan.stage;
  if (st.kind !== 'requantize' || plan.accType !== 'int32_t' || plan.bound >= 1n << 29n || st.saturate) return null;
  if (st.left.some((v) => v !== 0) || st.right.some((v) => v < 1 || v > 31) || st.multiplier.some((v) => v < 0)) return null;
  const rounds: bigint[] = [];
  for (let o = 0; o < st.multiplier.length; o++) {
    const r = roundConstant(st.right[o], st.outputOffset);
    const yMax = (plan.bound * BigInt(st.multiplier[o])) / (1n << 31n) + 1n;
    if ((r < 0n ? -r : r) + 1n + yMax > INT32_MAX) return null;
    rounds.push(r);
  }
  return { rounds: rounds.map(Number), ssat: st.lo === -128 && st.hi === 127 };
}
