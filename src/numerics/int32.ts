/** int32 facts every op's arithmetic shares: the range, C's wrap-around and saturation, and C's rounding helpers. */
export const INT32_MIN = -(2 ** 31);
export const INT32_MAX = 2 ** 31 - 1;

/** Round to nearest, ties away from zero (C's round, std::round, TfLiteRound), exactly: no `x + 0.5` double rounding. */
export function roundHalfAway(x: number): number {
  const a = Math.abs(x);
  const f = Math.floor(a);
  const r = a - f >= 0.5 ? f + 1 : f;
  return x < 0 ? -r : r;
}

/** Saturate any exact integer to int32. */
export function sat32(x: number): number {
  return x > INT32_MAX ? INT32_MAX : x < INT32_MIN ? INT32_MIN : x;
}

/** Clamp to [lo, hi]. */
export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** C's truncating integer division of exact integers (the quotient toward zero). */
export function divTrunc(a: number, b: number): number {
  return Math.trunc(a / b);
}

/** Count leading zeros of an int32 read as uint32 (32 for 0), as CountLeadingZeros<uint32_t>. */
export function clz32(x: number): number {
  return Math.clz32(x);
}
