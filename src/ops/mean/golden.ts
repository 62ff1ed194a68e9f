/**
 * TFLM's QuantizedMeanOrSum (mean): int32 sums of the raw values over the reduced axes, minus zero point · count,
 * MultiplyByQuantizedMultiplier with the folded multiplier, + output zero point, clamped to int8.
 */
import { clamp, requantize } from '../../numerics/index.ts';
import type { MeanModel } from './build.ts';

export function meanGolden(m: MeanModel, [input]: Int8Array[]): Int8Array[] {
  const rank = m.inShape.length;
  const outDims = m.inShape.map((n, i) => (m.axes.includes(i) ? 1 : n));
  const sums = new Float64Array(outDims.reduce((a, b) => a * b, 1));
  const idx = new Array<number>(rank).fill(0);
  for (let i = 0; i < input.length; i++) {
    let o = 0;
    for (let d = 0; d < rank; d++) o = o * outDims[d] + (m.axes.includes(d) ? 0 : idx[d]);
    sums[o] += input[i];
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < m.inShape[d]) break;
      idx[d] = 0;
    }
  }
  // The shifted sum is TFLite's int32 temp_sum − zp · count (exact here; TFLite's int32 arithmetic is defined for
  // every tensor below 2^23 elements), and requantize() is MultiplyByQuantizedMultiplier where TFLite is defined.
  return [Int8Array.from(sums, (s) => clamp(requantize(s - m.inputZeroPoint * m.count, m.multiplier, m.shift) + m.outputZeroPoint, -128, 127))];
}
