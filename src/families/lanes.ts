/**
 * Two sums in bit lanes of one 64-bit SMLAL accumulator (the blocked family's lane2 and lane2w, pointwise's lane2):
 * x0 + x1·2^23 times w is x0·w + (x1·w)·2^23, so where every sum stays under 2^22 in magnitude the low 23 bits hold
 * the first sum (recovered by sign extension) and the bits above the second (plus the borrow).
 */
import type { KernelModel } from '../ops/conv_2d/spec/index.ts';

/** Bit position of the second lane. */
export const LANE2_SHIFT = 23;

/**
 * lane2's bound, proved in exact integers: 8-bit data, and every output channel's Σ|weight| × the largest |value|
 * multiplied stays under 2^22 (LANE2_SHIFT - 1 bits). The values are the raw int8 inputs (|x| <= 128), or, where a
 * kernel may add the input offset to each input (`offsetAdded`: the blocked family's borders), the larger of that and
 * |input + offset|, so the bound holds either way. The upper lane's value × 2^23 must also fit an int32 (|value| < 256).
 */
export function lane2Fits(m: KernelModel, offsetAdded = true): boolean {
  if (m.numeric.storage.bits !== 8) return false;
  const off = offsetAdded ? m.numeric.inputOffset : 0;
  const maxX = Math.max(128, Math.abs(-128 + off), Math.abs(127 + off));
  if (maxX >= 256) return false;
  const limit = 2 ** (LANE2_SHIFT - 1);
  const per = m.inPerGroup * m.kH * m.kW;
  for (let o = 0; o < m.outC; o++) {
    let sumAbs = 0;
    for (let t = o * per; t < (o + 1) * per; t++) sumAbs += Math.abs(m.weights[t]);
    if (sumAbs * maxX >= limit) return false;
  }
  return true;
}
