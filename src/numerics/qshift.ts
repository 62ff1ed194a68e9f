/**
 * The requantization of Q-format networks, defined once (golden models here; C: src/ops/lower-kit.ts qShiftExpr):
 * a value in Q(·).from becomes Q(·).to by a shift of s = from − to bits,
 *   s > 0: (x + 2^(s−1)) >> s   (arithmetic shift: floor; so nearest, ties toward +∞, the Q kernels' "nearest")
 *   s = 0: x
 *   s < 0: x · 2^(−s)
 * then saturates to the storage type (and clamps to the activation's range). x is exact (|x| < 2^53 here; the C
 * computes it in int32 or int64 as its bound requires).
 */
export function qShift(x: number, s: number): number {
  if (s > 0) return Math.floor((x + 2 ** (s - 1)) / 2 ** s);
  return s < 0 ? x * 2 ** -s : x;
}

/** max |qShift(x, s)| + 1 for |x| ≤ maxAbs: the bound a C expression of it must hold. */
export function qShiftBound(maxAbs: number, s: number): number {
  return s >= 0 ? maxAbs + 2 ** Math.max(0, s - 1) : maxAbs * 2 ** -s;
}
