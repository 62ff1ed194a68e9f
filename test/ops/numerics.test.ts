/** The shared numerics at their edges: ties, saturation, TFLite's float32 vs double constant preparation. */
import { describe, expect, it } from 'vitest';
import {
  activationRange, effectiveScale, effectiveScaleFloatProduct, expOnNegativeValues, getReciprocal, INT32_MAX, INT32_MIN,
  multiplyByQuantizedMultiplier, quantizeMultiplier, rescale, roundingDivideByPOT, roundingHalfSum,
  saturatingRoundingMultiplyByPOT, srdhm,
} from '../../src/numerics/index.ts';

describe('fixed point', () => {
  it('SRDHM rounds to nearest with ties upward and saturates INT32_MIN²', () => {
    expect(srdhm(1, 2 ** 30)).toBe(1); // 2·1·2^30 / 2^32 = 0.5 -> 1
    expect(srdhm(-1, 2 ** 30)).toBe(0); // −0.5 -> 0: nudge 1 − 2^30, then C's truncating division
    expect(srdhm(-3, 2 ** 30)).toBe(-1); // −1.5 -> −1
    expect(srdhm(3, 2 ** 29)).toBe(1); // 0.75 -> 1
    expect(srdhm(INT32_MIN, INT32_MIN)).toBe(INT32_MAX);
    expect(srdhm(INT32_MAX, INT32_MAX)).toBe(INT32_MAX - 1);
  });

  it('RoundingDivideByPOT rounds ties away from zero', () => {
    expect(roundingDivideByPOT(5, 1)).toBe(3);
    expect(roundingDivideByPOT(-5, 1)).toBe(-3);
    expect(roundingDivideByPOT(-6, 2)).toBe(-2); // −1.5
    expect(roundingDivideByPOT(6, 2)).toBe(2); // 1.5
    expect(roundingDivideByPOT(-5, 2)).toBe(-1); // −1.25
    expect(roundingDivideByPOT(INT32_MIN, 31)).toBe(-1);
  });

  it('SaturatingRoundingMultiplyByPOT saturates above ±(2^(31−e) − 1)', () => {
    expect(saturatingRoundingMultiplyByPOT(2 ** 26 - 1, 5)).toBe((2 ** 26 - 1) * 32);
    expect(saturatingRoundingMultiplyByPOT(2 ** 26, 5)).toBe(INT32_MAX);
    expect(saturatingRoundingMultiplyByPOT(-(2 ** 26), 5)).toBe(INT32_MIN);
    expect(saturatingRoundingMultiplyByPOT(-(2 ** 26) + 1, 5)).toBe((-(2 ** 26) + 1) * 32);
    expect(rescale(INT32_MAX, 0, 12)).toBe(2 ** 19); // 1.0 in Q0.31 -> Q12.19
  });

  it('RoundingHalfSum rounds away from zero', () => {
    expect(roundingHalfSum(1, 2)).toBe(2);
    expect(roundingHalfSum(-1, -2)).toBe(-2);
    expect(roundingHalfSum(INT32_MAX, INT32_MAX)).toBe(INT32_MAX);
  });

  it('exp on negative values: exp(0) is One(), exp(−1) and exp(−8) close to the real values', () => {
    const q526 = (x: number) => Math.round(x * 2 ** 26);
    expect(expOnNegativeValues(0, 5)).toBe(INT32_MAX);
    expect(Math.abs(expOnNegativeValues(q526(-1), 5) / 2 ** 31 - Math.exp(-1))).toBeLessThan(1e-6);
    expect(Math.abs(expOnNegativeValues(q526(-8), 5) / 2 ** 31 - Math.exp(-8))).toBeLessThan(1e-6);
    expect(Math.abs(expOnNegativeValues(q526(-0.3), 5) / 2 ** 31 - Math.exp(-0.3))).toBeLessThan(1e-6);
  });

  it('the reciprocal of 4.0 in Q12.19 is 0.25 scaled to [0.5, 1) with 2 bits over unit', () => {
    const { scale, numBitsOverUnit } = getReciprocal(4 * 2 ** 19, 12);
    expect(numBitsOverUnit).toBe(2);
    expect(Math.abs(scale / 2 ** 31 - 1)).toBeLessThan(1e-8); // 1/(1 + 0)
    const r3 = getReciprocal(3 * 2 ** 19, 12); // 3 = 1.5 · 2: 1/1.5
    expect(r3.numBitsOverUnit).toBe(1);
    expect(Math.abs(r3.scale / 2 ** 31 - 2 / 3)).toBeLessThan(1e-8);
  });
});

describe('TFLite constant preparation', () => {
  it('QuantizeMultiplier: frexp, round, carry at 2^31, flush below 2^−31', () => {
    expect(quantizeMultiplier(0.5)).toEqual({ multiplier: 2 ** 30, shift: 0 });
    expect(quantizeMultiplier(1)).toEqual({ multiplier: 2 ** 30, shift: 1 });
    expect(quantizeMultiplier(1 - 2 ** -33)).toEqual({ multiplier: 2 ** 30, shift: 1 }); // rounds up to 2^31: carried
    expect(quantizeMultiplier(2 ** -32)).toEqual({ multiplier: 2 ** 30, shift: -31 }); // the smallest kept
    expect(quantizeMultiplier(2 ** -33)).toEqual({ multiplier: 0, shift: 0 }); // shift −32: flushed
    expect(quantizeMultiplier(0.75)).toEqual({ multiplier: 0.75 * 2 ** 31, shift: 0 });
  });

  it('per-tensor FULLY_CONNECTED takes the input·weight product in float32', () => {
    // 0.1f · 0.3f is 0.030000000894069671 exactly in double, 0.030000001192092896 in float32
    const [a, b, o] = [0.1, 0.3, 0.07];
    const double = Math.fround(a) * Math.fround(b) / Math.fround(o);
    const f = new Float32Array([Math.fround(a) * Math.fround(b)])[0] / Math.fround(o);
    expect(f).not.toBe(double);
    expect(effectiveScale(a, b, o)).toBe(double);
    expect(effectiveScaleFloatProduct(a, b, o)).toBe(f);
    expect(quantizeMultiplier(f).multiplier).not.toBe(quantizeMultiplier(double).multiplier);
  });

  it('activation ranges: relu at the zero point, relu6 at zero point + round(6 / scale) in float32', () => {
    expect(activationRange('none', 0.1, 3)).toEqual([-128, 127]);
    expect(activationRange('relu', 0.1, -128)).toEqual([-128, 127]);
    expect(activationRange('relu6', 0.05, -128)).toEqual([-128, -8]); // 6 / 0.05 = 120
    expect(activationRange('relu6', 6 / 7.5, 0)).toEqual([0, 8]); // 6 / 0.8f is 7.4999998… in double (-> 7) but 7.5 in float32 (-> 8), as TFLite
    expect(activationRange('relu_n1_to_1', 0.5, 10)).toEqual([8, 12]);
  });

  it('MultiplyByQuantizedMultiplier with a left shift', () => {
    expect(multiplyByQuantizedMultiplier(3, 2 ** 30, 2)).toBe(6); // 3 · 0.5 · 4
  });
});
