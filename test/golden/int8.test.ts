/**
 * int8 with TFLite's integer conv semantics (issue 5 §1): the rounding primitives at every edge, derived by hand;
 * QuantizeMultiplier (cross-checked with Python's frexp on float32-rounded scales); spec validation; and the 15
 * TFLite vectors in test/fixtures/tflite-s8 reproduced exactly by the golden model, by host-compiled C and on every
 * QEMU target.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate, planAccumulator, writeKernel } from '../../src/codegen/index.ts';
import { runGolden } from '../../src/ops/conv_2d/spec/golden.ts';
import { readNpy } from '../../src/npy/index.ts';
import { runImage } from '../../src/qemu/index.ts';
import { accumulatorBound } from '../../src/ops/conv_2d/spec/bounds.ts';
import { loadSpec, modelFromValue, type KernelModel } from '../../src/ops/conv_2d/spec/index.ts';
import {
  frexp, multiplyByQuantizedMultiplier, quantizeMultiplier, requantize, roundingDivideByPOT, srdhm,
} from '../../src/numerics/index.ts';
import { expandTargets, findTarget, type Target } from '../../src/targets/index.ts';
import { readInputTensor } from '../../src/tensors/index.ts';
import { buildImage } from '../../src/toolchain/index.ts';
import { decodeTensors, encodeTensors, testInputs, verifyPair } from '../../src/verify/index.ts';
import { InputError } from '../../src/errors.ts';
import { fixtures } from '../helpers.ts';

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

describe('int8 arithmetic: the rounding primitives, by hand', () => {
  it('SRDHM: high half of 2ab, nudged and truncated (ties go up, i.e. toward +inf)', () => {
    // the one overflow
    expect(srdhm(INT32_MIN, INT32_MIN)).toBe(INT32_MAX);
    // exact: 2 · 2^20 · 2^30 / 2^32 = 2^19
    expect(srdhm(2 ** 20, 2 ** 30)).toBe(2 ** 19);
    // positive tie: ab = 2^30 → 2ab/2^32 = 0.5 → (2^30 + 2^30) / 2^31 = 1
    expect(srdhm(2 ** 15, 2 ** 15)).toBe(1);
    // negative tie: ab = −2^30 → −0.5 → (−2^30 + 1 − 2^30) / 2^31 = −0.99… truncates to 0 (not −1)
    expect(srdhm(-(2 ** 15), 2 ** 15)).toBe(0);
    // −1.5 → −1, 1.5 → 2 (ab = ∓3·2^30)
    expect(srdhm(-3 * 2 ** 15, 2 ** 15)).toBe(-1);
    expect(srdhm(3 * 2 ** 15, 2 ** 15)).toBe(2);
    // just past the negative tie: ab = −2^30 − 1 → −0.5000000005 → −1
    expect(srdhm(-(2 ** 30) - 1, 1)).toBe(-1);
    expect(srdhm(-(2 ** 30), 1)).toBe(0);
    // just below the positive tie: ab = 2^30 − 1 → 0
    expect(srdhm(2 ** 30 - 1, 1)).toBe(0);
    // large products take the BigInt path: INT32_MIN · INT32_MAX = −2^62 + 2^31 → (−2^62 + 2^31 + 1 − 2^30) / 2^31
    //   = −2^31 + 1 + (1 − 2^30)/2^31 → truncates to −2^31 + 1
    expect(srdhm(INT32_MIN, INT32_MAX)).toBe(-(2 ** 31) + 1);
    // (2^31 − 1)^2 = 2^62 − 2^32 + 1 → (… + 2^30) / 2^31 = 2^31 − 2 + (2^30 + 1)/2^31 → 2^31 − 2
    expect(srdhm(INT32_MAX, INT32_MAX)).toBe(INT32_MAX - 1);
    expect(srdhm(INT32_MIN, 0)).toBe(0);
  });

  it("SRDHM agrees with BigInt transcriptions of gemmlowp's and CMSIS-NN's forms on both sides of the 2^52 fast path", () => {
    const ref = (a: number, b: number): number => {
      if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
      const ab = BigInt(a) * BigInt(b);
      const gemmlowp = Number((ab + (ab >= 0n ? 1n << 30n : 1n - (1n << 30n))) / (1n << 31n));
      // CMSIS-NN's arm_nn_doubling_high_mult_no_sat: (ab + 2^30) >> 31, a floor; the same for every a, b
      expect(Number((ab + (1n << 30n)) >> 31n)).toBe(gemmlowp);
      return gemmlowp;
    };
    let s = 12345;
    const next = () => (s = (Math.imul(s, 1103515245) + 12345) | 0);
    for (let i = 0; i < 20000; i++) {
      const a = i % 3 === 0 ? next() >> (i % 31) : next();
      const b = i % 5 === 0 ? (next() >>> 1) >> (i % 29) : next() >>> 1;
      expect(srdhm(a, b)).toBe(ref(a, b));
    }
    for (const a of [2 ** 22, -(2 ** 22), 2 ** 22 + 1, -(2 ** 22) - 1, 2 ** 21 * 3])
      for (const b of [2 ** 30, 2 ** 30 - 1, 2 ** 30 + 1, INT32_MAX]) expect(srdhm(a, b)).toBe(ref(a, b));
  });

  it('RoundingDivideByPOT: nearest, ties away from zero, exponents 0…31', () => {
    expect(roundingDivideByPOT(5, 0)).toBe(5);
    expect(roundingDivideByPOT(-5, 0)).toBe(-5);
    expect(roundingDivideByPOT(3, 1)).toBe(2); // 1.5 → 2
    expect(roundingDivideByPOT(-3, 1)).toBe(-2); // −1.5 → −2
    expect(roundingDivideByPOT(1, 1)).toBe(1); // 0.5 → 1
    expect(roundingDivideByPOT(-1, 1)).toBe(-1); // −0.5 → −1
    expect(roundingDivideByPOT(5, 2)).toBe(1); // 1.25 → 1
    expect(roundingDivideByPOT(-5, 2)).toBe(-1); // −1.25 → −1
    expect(roundingDivideByPOT(6, 2)).toBe(2); // 1.5 → 2
    expect(roundingDivideByPOT(-6, 2)).toBe(-2); // −1.5 → −2
    expect(roundingDivideByPOT(7, 2)).toBe(2); // 1.75 → 2
    expect(roundingDivideByPOT(-7, 2)).toBe(-2); // −1.75 → −2
    // e = 31
    expect(roundingDivideByPOT(INT32_MIN, 31)).toBe(-1); // −1 exactly
    expect(roundingDivideByPOT(-(2 ** 30), 31)).toBe(-1); // −0.5 → −1
    expect(roundingDivideByPOT(-(2 ** 30) + 1, 31)).toBe(0); // −0.4999… → 0
    expect(roundingDivideByPOT(2 ** 30, 31)).toBe(1); // 0.5 → 1
    expect(roundingDivideByPOT(2 ** 30 - 1, 31)).toBe(0);
    expect(roundingDivideByPOT(INT32_MAX, 31)).toBe(1);
    expect(roundingDivideByPOT(0, 31)).toBe(0);
  });

  it('MultiplyByQuantizedMultiplier: shift > 0 multiplies first, shift < 0 divides after, −31 is the floor', () => {
    // shift 1: x = 3 · 2 = 6; SRDHM(6, 2^30) = (6·2^30 + 2^30) / 2^31 = 3 (3.5 truncated)
    expect(multiplyByQuantizedMultiplier(3, 2 ** 30, 1)).toBe(3);
    // shift 3 with a multiplier of 0.75: 5 · 8 · 0.75 = 30
    expect(multiplyByQuantizedMultiplier(5, 3 * 2 ** 29, 3)).toBe(30);
    // shift −1 double-rounds: SRDHM(3, 2^30) = 1.5 → 2, then 2 / 2 = 1 (a single rounding of 0.75 is also 1)
    expect(multiplyByQuantizedMultiplier(3, 2 ** 30, -1)).toBe(1);
    // double rounding differs from single rounding: 5 · 0.5 = 2.5 → SRDHM 3 (tie up); 3 / 2 = 1.5 → 2
    // whereas 5 · 0.25 = 1.25 would round to 1
    expect(multiplyByQuantizedMultiplier(5, 2 ** 30, -1)).toBe(2);
    // negative: −5 · 0.5 = −2.5 → SRDHM −2 (tie up); −2 / 2 = −1
    expect(multiplyByQuantizedMultiplier(-5, 2 ** 30, -1)).toBe(-1);
    // shift −31: SRDHM(INT32_MAX, INT32_MAX) = 2^31 − 2, / 2^31 = 0.99… → 1
    expect(multiplyByQuantizedMultiplier(INT32_MAX, INT32_MAX, -31)).toBe(1);
    expect(multiplyByQuantizedMultiplier(INT32_MIN, INT32_MAX, -31)).toBe(-1);
    expect(multiplyByQuantizedMultiplier(2 ** 30, 2 ** 30, -31)).toBe(0); // 2^29 / 2^31 = 0.25 → 0
  });

  it('requantize saturates acc · 2^left to int32 where TFLite would overflow, and is TFLite elsewhere', () => {
    // in range: identical to TFLite
    for (const [acc, m, s] of [[1000, 1518500250, -7], [-1000, 1518500250, -7], [2 ** 29 - 1, 2 ** 30, 2], [-(2 ** 29), 2 ** 30, 2]])
      expect(requantize(acc, m, s)).toBe(multiplyByQuantizedMultiplier(acc, m, s));
    // 2^30 · 2^2 = 2^32 saturates to INT32_MAX; SRDHM(INT32_MAX, 2^30) = ((2^31−1)·2^30 + 2^30) / 2^31 = 2^30
    expect(requantize(2 ** 30, 2 ** 30, 2)).toBe(2 ** 30);
    expect(requantize(2 ** 29, 2 ** 30, 2)).toBe(2 ** 30); // 2^31 saturates too
    expect(requantize(-(2 ** 29), 2 ** 30, 2)).toBe(-(2 ** 30)); // −2^31 fits exactly: no saturation
    expect(requantize(-(2 ** 29) - 1, 2 ** 30, 2)).toBe(-(2 ** 30)); // saturates to INT32_MIN
    // a 64-bit accumulator with shift 0 saturates as well
    expect(requantize(2 ** 40, INT32_MAX, 0)).toBe(srdhm(INT32_MAX, INT32_MAX));
    expect(requantize(-(2 ** 40), INT32_MAX, -31)).toBe(-1);
  });

  it('frexp matches C for normal and subnormal doubles', () => {
    expect(frexp(1)).toEqual([0.5, 1]);
    expect(frexp(0.75)).toEqual([0.75, 0]);
    expect(frexp(0.5)).toEqual([0.5, 0]);
    expect(frexp(3 * 2 ** -40)).toEqual([0.75, -38]);
    expect(frexp(2 ** -1074)).toEqual([0.5, -1073]);
    expect(frexp(Number.MAX_VALUE)[1]).toBe(1024);
    expect(frexp(0)).toEqual([0, 0]);
  });

  it("QuantizeMultiplier: TFLite's frexp, round half away, the 2^31 carry and the flush below 2^-31", () => {
    expect(quantizeMultiplier(0)).toEqual({ multiplier: 0, shift: 0 });
    expect(quantizeMultiplier(0.5)).toEqual({ multiplier: 2 ** 30, shift: 0 });
    expect(quantizeMultiplier(1)).toEqual({ multiplier: 2 ** 30, shift: 1 });
    expect(quantizeMultiplier(0.75)).toEqual({ multiplier: 1610612736, shift: 0 });
    // q · 2^31 = 2^30 + 0.5 exactly: half away from zero gives 2^30 + 1 (banker's rounding would give 2^30)
    expect(quantizeMultiplier(0.5 + 2 ** -32)).toEqual({ multiplier: 2 ** 30 + 1, shift: 0 });
    // q = 1 − 2^-33: q · 2^31 = 2^31 − 0.25 rounds to 2^31 → carry: 2^30 and shift + 1
    expect(quantizeMultiplier((1 - 2 ** -33) * 2 ** -5)).toEqual({ multiplier: 2 ** 30, shift: -4 });
    // the smallest kept: 2^-32 = 0.5 · 2^-31
    expect(quantizeMultiplier(2 ** -32)).toEqual({ multiplier: 2 ** 30, shift: -31 });
    // below: shift −32 is flushed to (0, 0)
    expect(quantizeMultiplier(2 ** -33)).toEqual({ multiplier: 0, shift: 0 });
    expect(quantizeMultiplier(2 ** -40)).toEqual({ multiplier: 0, shift: 0 });
    // the carry happens before the flush: just under 2^-32 (exponent −32) carries back to shift −31
    expect(quantizeMultiplier((1 - 2 ** -40) * 2 ** -32)).toEqual({ multiplier: 2 ** 30, shift: -31 });
    expect(quantizeMultiplier((1 - 2 ** -40) * 2 ** -33)).toEqual({ multiplier: 0, shift: 0 });
  });

  it('derives multiplier and shift from scales as TFLite does: float32 scales, double arithmetic', () => {
    // Expected values from Python: struct-rounded float32 scales, math.frexp, floor(x + 0.5), the carry.
    const derive = (inputScale: number, w: number, outputScale: number) => {
      const m = modelFromValue(int8Spec({ numeric: { type: 'int8', inputScale, weightScales: w, outputScale } }), 'x.json');
      return m.numeric.kind === 'int8' ? [m.numeric.multiplier[0], m.numeric.shift[0]] : [];
    };
    expect(derive(0.1, 0.2, 0.3)).toEqual([1145324601, -3]); // 1145324612 if the scales were used as doubles
    expect(derive(0.007874015718698502, 0.0019579611159861088, 0.0235294122248888)).toEqual([1440851046, -10]);
    expect(derive(1 / 255, 0.5 / 127, 0.05)).toEqual([1358050545, -11]);
    expect(derive(0.5, 0.5, 0.25)).toEqual([2 ** 30, 1]);
  });
});

/** A small valid int8 spec; override any field. */
function int8Spec(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'q8',
    layout: 'hwc',
    input: { channels: 2, height: 5, width: 6 },
    output: { channels: 3 },
    kernel: 3,
    padding: 1,
    numeric: { type: 'int8', inputOffset: 128, outputOffset: -5, multiplier: [1500000000, 1200000000, 2000000000], shift: [-8, -9, -7] },
    weights: { random: { seed: 1 }, layout: 'ohwi' },
    bias: { random: { seed: 2 } },
    ...over,
  };
}

function int8Numeric(over: Record<string, unknown>): Record<string, unknown> {
  return int8Spec({ numeric: { type: 'int8', inputOffset: 128, outputOffset: -5, multiplier: 1500000000, shift: -8, ...over } });
}

function errorOf(spec: Record<string, unknown>): string {
  try {
    modelFromValue(spec, 'spec.json');
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as Error).message;
  }
  throw new Error('expected the spec to be rejected');
}

describe('int8 spec validation', () => {
  it('accepts per-tensor and per-channel forms and expands them per output channel', () => {
    const pc = modelFromValue(int8Spec(), 'x.json').numeric;
    expect(pc).toMatchObject({ kind: 'int8', inputOffset: 128, outputOffset: -5, multiplier: [1500000000, 1200000000, 2000000000], shift: [-8, -9, -7], perChannel: true, activationMin: -128, activationMax: 127 });
    const pt = modelFromValue(int8Numeric({}), 'x.json').numeric;
    expect(pt).toMatchObject({ multiplier: [1500000000, 1500000000, 1500000000], shift: [-8, -8, -8], perChannel: false });
    const defaults = modelFromValue(int8Spec({ numeric: { type: 'int8', multiplier: 1, shift: 0 } }), 'x.json');
    expect(defaults.numeric).toMatchObject({ inputOffset: 0, outputOffset: 0 });
    expect([defaults.actMin, defaults.actMax]).toEqual([-128, 127]);
  });

  const rejected: [string, Record<string, unknown>, RegExp][] = [
    ['shift below −31', int8Numeric({ shift: -32 }), /spec\.json: \$\.numeric\.shift: shift -32 is below -31/],
    ['per-channel shift below −31', int8Numeric({ shift: [-8, -40, -8] }), /\$\.numeric\.shift\[1\]: shift -40 is below -31/],
    ['shift above 30', int8Numeric({ shift: 31 }), /\$\.numeric\.shift: shift 31 is above 30/],
    ['fractional shift', int8Numeric({ shift: -7.5 }), /\$\.numeric\.shift: shift -7\.5 is not an integer/],
    ['negative multiplier', int8Numeric({ multiplier: -1 }), /\$\.numeric\.multiplier: multiplier -1 is out of range: expected a non-negative int32, 0…2147483647/],
    ['multiplier above int32', int8Numeric({ multiplier: [1, 2 ** 31, 3] }), /\$\.numeric\.multiplier\[1\]: multiplier 2147483648 is out of range/],
    ['per-channel length', int8Numeric({ multiplier: [1, 2] }), /\$\.numeric\.multiplier: expected 3 values \(one per output channel\) or a single number, found 2/],
    ['shift length', int8Numeric({ shift: [1, 2, 3, 4] }), /\$\.numeric\.shift: expected 3 values .* found 4/],
    ['inputOffset 129', int8Numeric({ inputOffset: 129 }), /\$\.numeric\.inputOffset: inputOffset \(the negated input zero point\) 129 is out of range: expected an integer in -127…128/],
    ['inputOffset −128', int8Numeric({ inputOffset: -128 }), /\$\.numeric\.inputOffset: .* -128 is out of range/],
    ['outputOffset 128', int8Numeric({ outputOffset: 128 }), /\$\.numeric\.outputOffset: .* 128 is out of range: expected an integer in -128…127/],
    ['activationMin below int8', int8Numeric({ activationMin: -129 }), /\$\.numeric\.activationMin: activationMin -129 is out of range/],
    ['activation range reversed', int8Numeric({ activationMin: 10, activationMax: 0 }), /\$\.numeric\.activationMin: activationMin 10 is greater than activationMax 0/],
    ['multiplier missing', int8Spec({ numeric: { type: 'int8', shift: -3 } }), /\$\.numeric\.multiplier: required multiplier is missing/],
    ['both forms', int8Numeric({ inputScale: 0.5 }), /\$\.numeric: give either multiplier and shift .* not both; found multiplier and inputScale/],
    ['scales form incomplete', int8Spec({ numeric: { type: 'int8', inputScale: 0.5, outputScale: 1 } }), /\$\.numeric\.weightScales: required weightScales is missing/],
    ['zero input scale', int8Spec({ numeric: { type: 'int8', inputScale: 0, weightScales: 0.1, outputScale: 1 } }), /\$\.numeric\.inputScale: 0 is not a valid scale/],
    ['weight scales length', int8Spec({ numeric: { type: 'int8', inputScale: 1, weightScales: [0.1, 0.2], outputScale: 1 } }), /\$\.numeric\.weightScales: expected 3 values/],
    ['effective scale too large', int8Spec({ numeric: { type: 'int8', inputScale: 2 ** 20, weightScales: 2 ** 20, outputScale: 1 } }), /\$\.numeric\.weightScales: .* gives shift 41; at most 30/],
    ['zero point out of range', int8Spec({ numeric: { type: 'int8', inputScale: 1, weightScales: 1, outputScale: 1, inputZeroPoint: 128 } }), /\$\.numeric\.inputZeroPoint: inputZeroPoint 128 is out of range/],
    ['typo with suggestion', int8Numeric({ multipler: 3 }), /\$\.numeric: unknown key 'multipler' \(did you mean 'multiplier'\?\); allowed keys: type, inputOffset, outputOffset, multiplier, shift, inputScale/],
    ['q key in int8', int8Numeric({ inputFrac: 3 }), /\$\.numeric: unknown key 'inputFrac'; allowed keys: type, inputOffset/],
    ['type typo', int8Spec({ numeric: { type: 'int9', multiplier: 1, shift: 0 } }), /\$\.numeric\.type: expected one of "q7", "q15", "q31", "int8", found the string "int9" \(did you mean "int8"\?\)/],
    ['float weights', int8Spec({ weights: { values: new Array(54).fill(0.5) } }), /\$\.weights\.values: this numeric type takes raw integer values here \(int8\)/],
    ['weight out of int8', int8Spec({ weights: { values: [200, ...new Array(53).fill(0)] } }), /value 200 at index 0 does not fit 8-bit storage/],
    ['bias out of int32', int8Spec({ bias: { values: [2 ** 31, 0, 0] } }), /value 2147483648 at index 0 does not fit 32-bit storage/],
    ['relu6 without scales', int8Spec({ activation: 'relu6' }), /\$\.activation: relu6 on int8 needs the output scale/],
    ['clamp outside int8', int8Spec({ activation: { clamp: [-200, 0] } }), /\$\.activation\.clamp\[0\]: -200 is outside the int8 output range -128…127/],
  ];
  for (const [what, spec, re] of rejected)
    it(`rejects: ${what}`, () => expect(errorOf(spec)).toMatch(re));

  it('rejects a clamp that does not overlap activationMin/activationMax, and relu above activationMax', () => {
    const spec = int8Spec({
      activation: { clamp: [-100, 0] },
      numeric: { type: 'int8', multiplier: 1, shift: 0, activationMin: 10, activationMax: 20 },
    });
    expect(errorOf(spec)).toMatch(/\$\.activation\.clamp: the clamp -100…0 does not overlap numeric's activationMin…activationMax \(10…20\)/);
    const relu = int8Spec({ activation: 'relu', numeric: { type: 'int8', multiplier: 1, shift: 0, outputOffset: 30, activationMax: 20 } });
    expect(errorOf(relu)).toMatch(/\$\.activation: relu leaves no output value/);
  });

  it('applies activations as TFLite: relu clamps at the output zero point, relu6 at zp + round(6 / scale)', () => {
    const relu = modelFromValue(int8Spec({ activation: 'relu', numeric: { type: 'int8', multiplier: 1, shift: 0, outputOffset: -20 } }), 'x.json');
    expect([relu.actMin, relu.actMax]).toEqual([-20, 127]);
    const relu6 = modelFromValue(int8Spec({
      activation: 'relu6',
      numeric: { type: 'int8', inputScale: 0.05, weightScales: 0.01, outputScale: 0.1, outputZeroPoint: -30 },
    }), 'x.json');
    // round(6 / 0.1f) = round(59.999998…) = 60 → −30 + 60
    expect([relu6.actMin, relu6.actMax]).toEqual([-30, 30]);
    const clamp = modelFromValue(int8Spec({ activation: { clamp: [-50, 100] }, numeric: { type: 'int8', multiplier: 1, shift: 0, activationMin: -60, activationMax: 90 } }), 'x.json');
    expect([clamp.actMin, clamp.actMax]).toEqual([-50, 90]);
  });

  it('quantizes float input tensors with the input scale and zero point, and refuses them without scales', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'convgen-int8-'));
    try {
      const m = modelFromValue(int8Spec({ input: { channels: 1, height: 1, width: 4 }, kernel: 1, padding: 0, output: { channels: 1 },
        numeric: { type: 'int8', inputScale: 0.5, inputZeroPoint: -3, weightScales: 0.5, outputScale: 1 } }), path.join(tmp, 'x.json'));
      const file = path.join(tmp, 'in.npy');
      // float32 header + data: 1.25/0.5 = 2.5 → 3 (half away) − 3 = 0; −1.25 → −3 − 3 = −6; 100 → 200 − 3 → 127; −0.75 → −2 − 3
      const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 4, 1), }";
      const pad = 64 - ((10 + header.length + 1) % 64);
      const h = Buffer.from(header + ' '.repeat(pad) + '\n');
      const pre = Buffer.from([0x93, ...Buffer.from('NUMPY'), 1, 0, h.length & 0xff, h.length >> 8]);
      const data = Buffer.from(new Float32Array([1.25, -1.25, 100, -0.75]).buffer);
      fs.writeFileSync(file, Buffer.concat([pre, h, data]));
      expect(Array.from(readInputTensor(m, file))).toEqual([0, -6, 127, -5]);
      const raw = modelFromValue(int8Spec({ input: { channels: 1, height: 1, width: 4 }, kernel: 1, padding: 0, output: { channels: 1 },
        numeric: { type: 'int8', multiplier: 1, shift: 0 } }), path.join(tmp, 'y.json'));
      expect(() => readInputTensor(raw, file)).toThrow(/a float input needs the input scale/);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('int8 accumulator bound and code generation', () => {
  it('bounds each tap by the exact max |x + inputOffset| over int8 x', () => {
    const bound = (inputOffset: number) =>
      accumulatorBound(modelFromValue(int8Spec({ numeric: { type: 'int8', multiplier: 1, shift: 0, inputOffset } }), 'x.json')).maxAbsInput;
    expect([128, -127, 0, 5, -5].map(bound)).toEqual([255n, 255n, 128n, 132n, 133n]);
    const m = modelFromValue(int8Spec({ weights: { values: new Array(54).fill(-128) }, bias: { values: [7, -9, 0] } }), 'x.json');
    expect(accumulatorBound(m).perChannel).toEqual([18n * 128n * 255n + 7n, 18n * 128n * 255n + 9n, 18n * 128n * 255n]);
  });

  it('uses an int32 accumulator when the bound fits and saturates acc · 2^left only where it must', () => {
    // The reference variant spells the tap with the offset; the optimized one folds it (tested with the goldens).
    const small = generate(modelFromValue(int8Spec(), 'x.json'), { variant: 'reference' });
    expect(small.plan.accType).toBe('int32_t');
    const c = small.files.find((f) => f.name === 'q8.c')!.content;
    expect(c).toMatch(/static const int32_t q8_multiplier\[Q8_OUT_C\]/);
    expect(c).toMatch(/static const uint8_t q8_right_shift\[Q8_OUT_C\]/);
    expect(c).not.toMatch(/left_shift|INT32_MAX >> left/);
    expect(c).toMatch(/\(\(int32_t\)IN_AT\(c0 \+ ci, y, x\) \+ Q8_INPUT_OFFSET\)/);
    const h = small.files.find((f) => f.name === 'q8.h')!.content;
    expect(h).toMatch(/#define Q8_INPUT_OFFSET 128\n#define Q8_OUTPUT_OFFSET \(-5\)/);
    // per tensor: constants baked in, no tables, finish takes no channel
    const pt = generate(modelFromValue(int8Numeric({}), 'x.json'), { variant: 'reference' }).files.find((f) => f.name === 'q8.c')!.content;
    expect(pt).not.toMatch(/q8_multiplier|q8_right_shift/);
    expect(pt).toMatch(/q8_rdbpot\(q8_srdhm\(x, 1500000000\), 8\)/);
    expect(pt).toMatch(/return q8_finish\(acc\);/);
    // shift 20: bound · 2^20 > INT32_MAX → saturating form
    const sat = generate(modelFromValue(int8Numeric({ shift: 20 }), 'x.json'), { variant: 'reference' });
    expect(sat.plan.stage).toMatchObject({ kind: 'requantize', saturate: true });
    expect(sat.files.find((f) => f.name === 'q8.c')!.content).toMatch(/acc > \(INT32_MAX >> left\) \? INT32_MAX/);
    // an extreme bias needs 64 bits
    const wide = planAccumulator(modelFromValue(int8Spec({ bias: { values: [2147483647, -2147483648, 0] } }), 'x.json'));
    expect(wide.accType).toBe('int64_t');
    expect(wide.stage).toMatchObject({ saturate: true });
  });
});

/* ------------------------------------------------------------------------------------------------------------ */

const vectorDir = path.join(fixtures, 'tflite-s8');
const vectors = fs.readdirSync(vectorDir).filter((d) => fs.existsSync(path.join(vectorDir, d, 'spec.json'))).sort();

interface Vector {
  name: string;
  m: KernelModel;
  input: Int32Array;
  expected: number[];
}

async function loadVector(name: string): Promise<Vector> {
  const dir = path.join(vectorDir, name);
  const m = await loadSpec(path.join(dir, 'spec.json'));
  const exp = readNpy(path.join(dir, 'expected.npy'));
  expect(exp.dtype).toBe('int8');
  expect(exp.shape).toEqual([m.outH, m.outW, m.outC]);
  return { name, m, input: readInputTensor(m, path.join(dir, 'input.npy')), expected: Array.from(exp.data, Number) };
}

/** Generate, build and run on `target`; the raw output tensors the C code wrote, one per input. */
async function runC(m: KernelModel, target: Target, inputs: Int32Array[], extraFlags?: string[]): Promise<Int32Array[]> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `convgen-int8-${m.name}-${target.name}-`));
  try {
    const kdir = path.join(work, 'kernel');
    writeKernel(generate(m), kdir);
    const built = await buildImage(target, kdir, path.join(work, 'build'), { extraFlags });
    const run = await runImage(built, encodeTensors(inputs, 8), path.join(work, 'run'), { timeoutSeconds: 60 });
    return decodeTensors(run.output, 8, m.outC * m.outH * m.outW);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Differences from the expected tensor, as "(y, x, c): expected e, got a" for the first few. */
function diff(expected: ArrayLike<number>, actual: ArrayLike<number>, m: KernelModel): string[] {
  const out: string[] = [];
  if (expected.length !== actual.length) return [`length ${actual.length}, expected ${expected.length}`];
  for (let i = 0; i < expected.length && out.length < 3; i++)
    if (expected[i] !== actual[i])
      out.push(`(y ${Math.floor(i / m.outC / m.outW)}, x ${Math.floor(i / m.outC) % m.outW}, c ${i % m.outC}): expected ${expected[i]}, got ${actual[i]}`);
  return out;
}

describe('TFLite int8 vectors (test/fixtures/tflite-s8): bit-exact everywhere', () => {
  it('has all 15 vectors', () => expect(vectors).toHaveLength(15));

  for (const name of vectors)
    it(`golden model reproduces ${name}/expected.npy`, async () => {
      const v = await loadVector(name);
      expect(diff(v.expected, runGolden(v.m, v.input), v.m)).toEqual([]);
    });

  const host = findTarget('host')!;
  it('host-compiled C reproduces every expected.npy and matches the golden model on extreme inputs (verifyPair)', async () => {
    const failures: string[] = [];
    for (const name of vectors) {
      const v = await loadVector(name);
      const [out] = await runC(v.m, host, [v.input]);
      for (const d of diff(v.expected, out, v.m)) failures.push(`${name} vs expected.npy: ${d}`);
      const r = await verifyPair(v.m, host, { seed: 3, timeoutSeconds: 30, inputs: [v.input, ...testInputs(v.m, 3)] });
      if (r.status !== 'pass') failures.push(`${name} vs golden: ${r.error ?? JSON.stringify(r.first)}`);
    }
    expect(failures).toEqual([]);
  });

  it('is clean under AddressSanitizer and UBSan on the host (shifts, the 64-bit SRDHM, the offsets)', async () => {
    const sanitize = ['-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-g'];
    const failures: string[] = [];
    for (const name of ['conv_3', 'depthwise_2', 'grouped_conv_1_b0']) {
      const v = await loadVector(name);
      const r = await verifyPair(v.m, host, { seed: 4, timeoutSeconds: 60, extraFlags: sanitize, inputs: [v.input, ...testInputs(v.m, 4)] });
      if (r.status !== 'pass') failures.push(`${name}: ${r.error ?? JSON.stringify(r.first)}`);
    }
    expect(failures).toEqual([]);
  });

  const qemuTargets = expandTargets('all').found;
  it(`every vector on arm920t and on two more QEMU targets in rotation (${qemuTargets.map((t) => t.name).join(', ')}): expected.npy and the golden model`, async () => {
    expect(qemuTargets).toHaveLength(9);
    const vs = await Promise.all(vectors.map(loadVector));
    // One image per (vector, target); each runs the vector's input plus the type's extremes. Every vector runs on the
    // default target; the rotation puts 3-4 vectors on each other target (the full cross product took ~3 minutes).
    const others = qemuTargets.filter((t) => t.name !== 'arm920t');
    const jobs = vs.flatMap((v, i) => [findTarget('arm920t')!, others[(2 * i) % others.length], others[(2 * i + 1) % others.length]].map((t) => ({ v, t })));
    const failures: string[] = [];
    let next = 0;
    await Promise.all(Array.from({ length: 2 }, async () => {
      while (next < jobs.length) {
        const { v, t } = jobs[next++];
        const inputs = [v.input, ...testInputs(v.m, 5, 1)];
        try {
          const outs = await runC(v.m, t, inputs);
          for (const d of diff(v.expected, outs[0] ?? [], v.m)) failures.push(`${v.name} on ${t.name} vs expected.npy: ${d}`);
          inputs.forEach((input, i) => {
            for (const d of diff(runGolden(v.m, input), outs[i] ?? [], v.m)) failures.push(`${v.name} on ${t.name}, input ${i} vs golden: ${d}`);
          });
        } catch (e) {
          failures.push(`${v.name} on ${t.name}: ${(e as Error).message}`);
        }
      }
    }));
    expect(failures).toEqual([]);
  }, 300_000);
});
