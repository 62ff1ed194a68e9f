/**
 * gemmlowp's scalar fixed-point functions (fixedpoint/fixedpoint.h) that TFLite's int8 softmax uses, on int32 raw
 * values. A FixedPoint<int32, I> value with I integer bits has 31 − I fraction bits; the functions below take and
 * return raw int32 values and name the formats in their comments. Add and Sub wrap (int32 arithmetic in gemmlowp's
 * scalar path; the softmax never reaches the wrap).
 */
import { INT32_MAX, clz32 } from './int32.ts';
import { roundingDivideByPOT, saturatingRoundingMultiplyByPOT, srdhm } from './requantize.ts';

const add = (a: number, b: number): number => (a + b) | 0;
const sub = (a: number, b: number): number => (a - b) | 0;

/** FixedPoint<int32, I>::One(): INT32_MAX for I = 0 (1.0 does not fit Q0.31), else 2^(31 − I). */
export function fixedOne(integerBits: number): number {
  return integerBits === 0 ? INT32_MAX : 2 ** (31 - integerBits);
}

/** Rescale<dst>(x) from src integer bits: SaturatingRoundingMultiplyByPOT<src − dst>. */
export function rescale(x: number, srcIntegerBits: number, dstIntegerBits: number): number {
  return saturatingRoundingMultiplyByPOT(x, srcIntegerBits - dstIntegerBits);
}

/** RoundingHalfSum: (a + b) / 2 rounded half away from zero, in 64 bits, C's truncating division. */
export function roundingHalfSum(a: number, b: number): number {
  const sum = a + b; // exact: |sum| < 2^32
  const sign = sum >= 0 ? 1 : -1;
  return Math.trunc((sum + sign) / 2);
}

/** gemmlowp's fixed-point constants (raw int32), shared with the C the network generator writes. */
export const GEMMLOWP = {
  /** exp(−1/8) in Q0.31 */
  expMinusOneEighth: 1895147668,
  /** 1/3 in Q0.31 */
  oneThird: 715827883,
  /** 48/17 in Q2.29 */
  c48Over17: 1515870810,
  /** −32/17 in Q2.29 */
  cNeg32Over17: -1010580540,
} as const;

/** exp(a) for a in [−1/4, 0), Q0.31 in and out: a Taylor polynomial around −1/8. */
export function expOnIntervalBetweenNegativeOneQuarterAnd0Excl(a: number): number {
  const constantTerm = GEMMLOWP.expMinusOneEighth;
  const constant1Over3 = GEMMLOWP.oneThird;
  const x = add(a, 2 ** 28); // a + 1/8
  const x2 = srdhm(x, x);
  const x3 = srdhm(x2, x);
  const x4 = srdhm(x2, x2);
  const x4Over4 = saturatingRoundingMultiplyByPOT(x4, -2);
  const poly = saturatingRoundingMultiplyByPOT(add(srdhm(add(x4Over4, x3), constant1Over3), x2), -1);
  return add(constantTerm, srdhm(constantTerm, add(x, poly)));
}

/** gemmlowp's exp_on_negative_values barrel shifter: exp(−2^e) in Q0.31 for e = −2 … 4. */
export const EXP_BARREL: readonly [number, number][] = [
  [-2, 1672461947], [-1, 1302514674], [0, 790015084], [1, 290630308], [2, 39332535], [3, 720401], [4, 242],
];

/**
 * exp(a) for a ≤ 0 given with `integerBits` integer bits (raw int32), result Q0.31: exp of a's part modulo 1/4 by
 * the polynomial, times exp(−2^e) for every bit e of the remainder; exp(0) is One() (INT32_MAX).
 */
export function expOnNegativeValues(a: number, integerBits: number): number {
  const fractionalBits = 31 - integerBits;
  const oneQuarter = 2 ** (fractionalBits - 2);
  const mask = oneQuarter - 1;
  const aModQuarterMinusOneQuarter = sub(a & mask, oneQuarter);
  let result = expOnIntervalBetweenNegativeOneQuarterAnd0Excl(rescale(aModQuarterMinusOneQuarter, integerBits, 0));
  const remainder = sub(aModQuarterMinusOneQuarter, a);
  for (const [exponent, multiplier] of EXP_BARREL) {
    if (integerBits > exponent && (remainder & (2 ** (fractionalBits + exponent))) !== 0) result = srdhm(result, multiplier);
  }
  if (integerBits > 5) {
    const clampRaw = -(2 ** (36 - integerBits)); // −32.0
    if (a < clampRaw) result = 0;
  }
  return a === 0 ? INT32_MAX : result;
}

/** 1 / (1 + a) for a in [0, 1), Q0.31 in and out: three Newton-Raphson steps in Q2.29 from 48/17 − 32/17·d. */
export function oneOverOnePlusXForXIn01(a: number): number {
  const halfDenominator = roundingHalfSum(a, INT32_MAX);
  const c48Over17 = GEMMLOWP.c48Over17;
  const cNeg32Over17 = GEMMLOWP.cNeg32Over17;
  const oneF2 = fixedOne(2);
  let x = add(c48Over17, srdhm(halfDenominator, cNeg32Over17));
  for (let i = 0; i < 3; i++) {
    const halfDenominatorTimesX = srdhm(halfDenominator, x); // Q2.29
    const oneMinus = sub(oneF2, halfDenominatorTimesX);
    x = add(x, rescale(srdhm(x, oneMinus), 4, 2)); // Q4.27 -> Q2.29
  }
  return rescale(x, 1, 0); // ExactMulByPot<−1> makes x Q1.30 with the same raw value
}

/**
 * TFLite's GetReciprocal (kernels/internal/common.h): for x > 0 with `integerDigits` integer bits, the Q0.31
 * reciprocal of x scaled into [0.5, 1) and how many bits x had above 1.0.
 */
export function getReciprocal(x: number, integerDigits: number): { scale: number; numBitsOverUnit: number } {
  const headroomPlusOne = clz32(x);
  const numBitsOverUnit = integerDigits - headroomPlusOne;
  // (uint32)x << headroom_plus_one, minus 2^31, back to int32; headroomPlusOne < 32 because x > 0
  const shiftedSumMinusOne = (((x << headroomPlusOne) >>> 0) - 2 ** 31) | 0;
  return { scale: oneOverOnePlusXForXIn01(shiftedSumMinusOne), numBitsOverUnit };
}

