/**
 * TFLM's int8 softmax (reference_ops::Softmax with gemmlowp fixed point), per row of the last dimension:
 *   diff = x − max(row); only diff ≥ diff_min contributes (others output −128);
 *   scaled = SRDHM(diff · 2^left_shift, input_multiplier), a Q5.26 value ≤ 0;
 *   sum of exp(scaled) (Q0.31, rescaled to Q12.19); its reciprocal by GetReciprocal;
 *   out = RoundingDivideByPOT(SRDHM(reciprocal, exp), bits_over_unit + 23) − 128, clamped to int8.
 */
import {
  clamp, expOnNegativeValues, getReciprocal, rescale, roundingDivideByPOT, srdhm,
} from '../../numerics/index.ts';
import { ACCUMULATION_INTEGER_BITS, SCALED_DIFF_INTEGER_BITS, type SoftmaxModel } from './build.ts';

export function softmaxGolden(m: SoftmaxModel, [input]: Int8Array[]): Int8Array[] {
  const out = new Int8Array(input.length);
  const exps = new Int32Array(m.depth);
  for (let r = 0; r < m.rows; r++) {
    const row = input.subarray(r * m.depth, (r + 1) * m.depth);
    let max = -128;
    for (const v of row) if (v > max) max = v;
    let sum = 0;
    for (let c = 0; c < m.depth; c++) {
      const diff = row[c] - max;
      if (diff >= m.diffMin) {
        const scaled = srdhm(diff * 2 ** m.inputLeftShift, m.inputMultiplier);
        exps[c] = expOnNegativeValues(scaled, SCALED_DIFF_INTEGER_BITS);
        sum = (sum + rescale(exps[c], 0, ACCUMULATION_INTEGER_BITS)) | 0;
      }
    }
    const { scale, numBitsOverUnit } = getReciprocal(sum, ACCUMULATION_INTEGER_BITS);
    const exponent = numBitsOverUnit + 31 - 8;
    for (let c = 0; c < m.depth; c++) {
      const diff = row[c] - max;
      out[r * m.depth + c] = diff >= m.diffMin
        ? clamp(roundingDivideByPOT(srdhm(scale, exps[c]), exponent) - 128, -128, 127)
        : -128;
    }
  }
  return [out];
}
