/** Shared cases for the tests that model an int8 output stage op by op against the golden requantization. */
import { requantize } from '../../src/numerics/index.ts';

/** The golden output stage: requantize (TFLite's MultiplyByQuantizedMultiplier) + offset, clamped to [lo, hi]. */
export function goldenStage(acc: number, mult: number, shift: number, offset: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, requantize(acc, mult, shift) + offset));
}

/** Accumulators hitting every interesting residue: ties (± half of 2^k), the int32 ends, small values. */
export function edgeAccs(): number[] {
  const s = new Set<number>([0, 1, -1, 2, -2, 3, -3, 2147483647, -2147483648, 2147483646, -2147483647]);
  for (let k = 0; k <= 31; k++) {
    const p = 2 ** k;
    for (const d of [-1, 0, 1]) for (const v of [p + d, -p + d, p / 2 + d, -p / 2 + d, 3 * p / 2 + d, -3 * p / 2 + d])
      if (Number.isInteger(v) && v >= -2147483648 && v <= 2147483647) s.add(v);
  }
  return [...s];
}
