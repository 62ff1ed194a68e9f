/**
 * gemmlowp's scalar fixed-point primitives and TFLite's MultiplyByQuantizedMultiplier built on them (the default
 * double rounding, not TFLITE_SINGLE_ROUNDING). Numbers are int32 values; every operation is exact.
 */
import { INT32_MAX, INT32_MIN } from './int32.ts';

/**
 * SaturatingRoundingDoublingHighMul: the high 32 bits of 2·a·b, rounded half away from zero.
 * INT32_MIN · INT32_MIN is the one overflow and saturates to INT32_MAX. The division truncates (C semantics).
 */
export function srdhm(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const ab = a * b;
  // Below 2^52 the product, the nudged sum and the power-of-two division are exact doubles; | 0 truncates toward
  // zero (the quotient is inside int32) and gives +0, never −0.
  if (Math.abs(ab) < 2 ** 52) return ((ab + (ab >= 0 ? 2 ** 30 : 1 - 2 ** 30)) / 2 ** 31) | 0;
  const abn = BigInt(a) * BigInt(b);
  const nudge = abn >= 0n ? 1n << 30n : 1n - (1n << 30n);
  return Number((abn + nudge) / (1n << 31n)); // BigInt division truncates toward zero, like C
}

/** RoundingDivideByPOT: x / 2^e rounded to nearest, ties away from zero; 0 ≤ e ≤ 31. */
export function roundingDivideByPOT(x: number, e: number): number {
  const mask = e === 0 ? 0 : (2 ** e - 1) | 0;
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> e) + (remainder > threshold ? 1 : 0);
}

/**
 * SaturatingRoundingMultiplyByPOT<e>: x · 2^e, saturating for e > 0 (beyond ±(2^(31−e) − 1) the result is
 * INT32_MAX / INT32_MIN), RoundingDivideByPOT for e < 0.
 */
export function saturatingRoundingMultiplyByPOT(x: number, e: number): number {
  if (e === 0) return x;
  if (e < 0) return roundingDivideByPOT(x, -e);
  const threshold = 2 ** (31 - e) - 1;
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return x * 2 ** e;
}

/**
 * TFLite's reference MultiplyByQuantizedMultiplier for an int32 x with x · 2^left inside int32 (where TFLite is
 * defined). For an exact accumulator of any size use requantize().
 */
export function multiplyByQuantizedMultiplier(x: number, multiplier: number, shift: number): number {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  return roundingDivideByPOT(srdhm(x * 2 ** left, multiplier), right);
}

/**
 * convgen's requantization of an exact accumulator (|acc| < 2^53): acc · 2^left is saturated to int32 (TFLite's
 * int32 product would overflow there), then SRDHM and the rounding divide exactly as TFLite.
 */
export function requantize(acc: number, multiplier: number, shift: number): number {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  const scale = 2 ** left;
  // acc · 2^left ∈ [INT32_MIN, INT32_MAX] ⟺ acc ∈ [−2^(31−left), floor((2^31−1) / 2^left)]
  const x = acc > Math.floor(INT32_MAX / scale) ? INT32_MAX : acc < INT32_MIN / scale ? INT32_MIN : acc * scale;
  return roundingDivideByPOT(srdhm(x, multiplier), right);
}
