/**
 * The int8 numeric type: TensorFlow Lite's integer conv semantics (issue 5 §1), one definition for the spec stage,
 * the golden model and (spelled in C) every generated kernel.
 *
 *   acc = bias[o] + Σ (x + inputOffset) · w         (exact; padded positions contribute nothing)
 *   out = clamp(requantize(acc, multiplier[o], shift[o]) + outputOffset, lo, hi)
 *   requantize(acc, m, s) = RoundingDivideByPOT(SRDHM(sat32(acc · 2^left), m), right),
 *       left = max(s, 0), right = max(-s, 0)
 *
 * SRDHM and RoundingDivideByPOT are gemmlowp's, as TFLite's reference MultiplyByQuantizedMultiplier uses them.
 * Where TFLite's int32 arithmetic is defined (acc · 2^left and the final + outputOffset fit int32) this is exactly
 * TFLite; where TFLite would overflow (undefined behaviour in its C++), convgen saturates acc · 2^left to int32 and
 * adds the offset exactly before clamping, so every input has one defined answer.
 */
import { InputError } from '../errors.ts';
import { INT32_MAX, INT32_MIN, roundHalfAway, storageTypes, type StorageType } from './numeric.ts';

export interface Int8Scales {
  /** As float32 values, the way TFLite stores them. */
  input: number;
  inputZeroPoint: number;
  /** One per output channel (a per-tensor scale is repeated). */
  weights: number[];
  output: number;
  outputZeroPoint: number;
}

export interface Int8Format {
  kind: 'int8';
  type: 'int8';
  storage: StorageType;
  /** Added to every input element before it is multiplied: the negated input zero point, −127…128. */
  inputOffset: number;
  /** max |x + inputOffset| over int8 x: the input side of the accumulator bound. */
  maxAbsTap: number;
  /** The bias is added as is (it already has the accumulator's scale). */
  biasShift: 0;
  /** Added after requantization: the output zero point, −128…127. */
  outputOffset: number;
  /** Per output channel (a per-tensor value is repeated): multiplier in 0…2^31−1, shift in −31…30. */
  multiplier: number[];
  shift: number[];
  /** Whether the spec gave one value per channel (for messages and the header). */
  perChannel: boolean;
  /** numeric.activationMin / activationMax as written (defaults −128, 127). */
  activationMin: number;
  activationMax: number;
  /** Present when the spec gave scales and zero points instead of multipliers. */
  scales?: Int8Scales;
}

export const SHIFT_MIN = -31;
export const SHIFT_MAX = 30;

/* ------------------------------------------------------------------------------------------------------------ */
/* Arithmetic (numbers are int32 values unless said otherwise; every operation below is exact).                 */

/**
 * gemmlowp's SaturatingRoundingDoublingHighMul: the high 32 bits of 2·a·b, rounded half away from zero.
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

/** gemmlowp's RoundingDivideByPOT: x / 2^e rounded to nearest, ties away from zero; 0 ≤ e ≤ 31. */
export function roundingDivideByPOT(x: number, e: number): number {
  const mask = e === 0 ? 0 : (2 ** e - 1) | 0;
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> e) + (remainder > threshold ? 1 : 0);
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

/** C's frexp for a finite double: d = f · 2^e with 0.5 ≤ |f| < 1 (f = 0, e = 0 for d = 0). */
export function frexp(d: number): [number, number] {
  if (d === 0 || !Number.isFinite(d)) return [d, 0];
  const view = new DataView(new ArrayBuffer(8));
  let extra = 0;
  view.setFloat64(0, d);
  if (((view.getUint16(0) >>> 4) & 0x7ff) === 0) {
    // subnormal: scale into the normal range first (exact: a power of two)
    d *= 2 ** 64;
    extra = -64;
    view.setFloat64(0, d);
  }
  const e = ((view.getUint16(0) >>> 4) & 0x7ff) - 1022;
  // Both factors are powers of two or exact, so the product is exact; split so that 2^-e never underflows.
  const f = d * 2 ** -Math.trunc(e / 2) * 2 ** -(e - Math.trunc(e / 2));
  return [f, e + extra];
}

/**
 * TFLite's QuantizeMultiplier (tensorflow/lite/kernels/internal/quantization_util.cc), not its float-emulation
 * variant: 0 → (0, 0); q = frexp(d) (shift = its exponent); q_fixed = round(q · 2^31) (half away from zero);
 * q_fixed == 2^31 → q_fixed /= 2, ++shift; shift < −31 → (0, 0), flushing tiny multipliers to zero.
 * (TFLite CHECKs q_fixed ≤ 2^31 and ≤ INT32_MAX after the carry; both always hold for a finite d.)
 */
export function quantizeMultiplier(d: number): { multiplier: number; shift: number } {
  if (d === 0) return { multiplier: 0, shift: 0 };
  const [q, exponent] = frexp(d);
  let shift = exponent;
  let qFixed = roundHalfAway(q * 2 ** 31);
  if (qFixed === 2 ** 31) {
    qFixed /= 2;
    ++shift;
  }
  if (shift < -31) return { multiplier: 0, shift: 0 };
  return { multiplier: qFixed, shift };
}

/**
 * TFLite's per-channel conv parameters (PopulateConvolutionQuantizationParams): the scales are float32 tensor
 * parameters, widened to double, effective = input · weight / output evaluated left to right in double.
 */
export function effectiveScale(inputScale: number, weightScale: number, outputScale: number): number {
  return Math.fround(inputScale) * Math.fround(weightScale) / Math.fround(outputScale);
}

/** TFLite's AffineQuantize of one float: round(v / scale) in float32, plus the zero point, clamped to int8. */
export function quantizeInt8(v: number, scale: number, zeroPoint: number): number {
  return Math.min(127, Math.max(-128, affineUnclamped(v, scale, zeroPoint)));
}

/** The same before the clamp: outside −128…127 the value saturates. */
export function affineUnclamped(v: number, scale: number, zeroPoint: number): number {
  return roundHalfAway(Math.fround(Math.fround(v) / Math.fround(scale))) + zeroPoint;
}

/* ------------------------------------------------------------------------------------------------------------ */
/* The spec's numeric object for int8 -> Int8Format.                                                             */

export interface RawInt8Numeric {
  type: 'int8';
  inputOffset?: number;
  outputOffset?: number;
  multiplier?: number | number[];
  shift?: number | number[];
  inputScale?: number;
  inputZeroPoint?: number;
  weightScales?: number | number[];
  outputScale?: number;
  outputZeroPoint?: number;
  activationMin: number;
  activationMax: number;
}

const directKeys = ['multiplier', 'shift', 'inputOffset', 'outputOffset'] as const;
const scaleKeys = ['inputScale', 'inputZeroPoint', 'weightScales', 'outputScale', 'outputZeroPoint'] as const;

type Fail = (jsonPath: string, detail: string) => never;

export function buildInt8Numeric(num: RawInt8Numeric, outC: number, file: string): Int8Format {
  const fail: Fail = (jsonPath, detail) => {
    throw new InputError(`${file}: ${jsonPath}`, detail);
  };
  const at = (key: string) => `$.numeric.${key}`;
  const given = (keys: readonly string[]) => keys.filter((k) => (num as unknown as Record<string, unknown>)[k] !== undefined);
  const direct = given(directKeys);
  const scaled = given(scaleKeys);
  if (direct.length > 0 && scaled.length > 0)
    fail('$.numeric', `give either multiplier and shift (with inputOffset, outputOffset) or the scales (inputScale, ` +
      `inputZeroPoint, weightScales, outputScale, outputZeroPoint), not both; found ${direct[0]} and ${scaled[0]}`);

  const int = (v: number, key: string, lo: number, hi: number, what: string): number => {
    if (!Number.isInteger(v) || v < lo || v > hi) fail(at(key), `${what} ${v} is out of range: expected an integer in ${lo}…${hi}`);
    return v;
  };
  const activationMin = int(num.activationMin, 'activationMin', -128, 127, 'activationMin');
  const activationMax = int(num.activationMax, 'activationMax', -128, 127, 'activationMax');
  if (activationMin > activationMax)
    fail(at('activationMin'), `activationMin ${activationMin} is greater than activationMax ${activationMax}`);

  let inputOffset: number;
  let outputOffset: number;
  let multiplier: number[];
  let shift: number[];
  let perChannel: boolean;
  let scales: Int8Scales | undefined;
  if (scaled.length > 0) {
    for (const key of ['inputScale', 'weightScales', 'outputScale'] as const)
      if (num[key] === undefined) fail(at(key), `required ${key} is missing (the scales form needs inputScale, weightScales and outputScale)`);
    // Scales are float32 in TFLite: rounded to float32 here, and they must stay finite (and non-zero) there.
    const positive = (v: number, key: string, allowZero: boolean): number => {
      const f = Math.fround(v);
      if (!Number.isFinite(f) || f < 0 || (!allowZero && f === 0))
        fail(key, `${v} is not a valid scale: expected a finite float32 ${allowZero ? '≥ 0' : '> 0'}`);
      return f;
    };
    const inputZeroPoint = int(num.inputZeroPoint ?? 0, 'inputZeroPoint', -128, 127, 'inputZeroPoint');
    const outputZeroPoint = int(num.outputZeroPoint ?? 0, 'outputZeroPoint', -128, 127, 'outputZeroPoint');
    const inS = positive(num.inputScale!, at('inputScale'), false);
    const outS = positive(num.outputScale!, at('outputScale'), false);
    const ws = perChannelValues(num.weightScales!, outC, at('weightScales'), fail)
      .map((v, i) => positive(v, `${at('weightScales')}${Array.isArray(num.weightScales) ? `[${i}]` : ''}`, true));
    perChannel = Array.isArray(num.weightScales);
    multiplier = [];
    shift = [];
    ws.forEach((w, o) => {
      const q = quantizeMultiplier(effectiveScale(inS, w, outS));
      if (q.shift > SHIFT_MAX)
        fail(`${at('weightScales')}${perChannel ? `[${o}]` : ''}`,
          `the effective scale inputScale·weightScale/outputScale = ${effectiveScale(inS, w, outS)} of output channel ${o} ` +
          `gives shift ${q.shift}; at most ${SHIFT_MAX} is allowed (the accumulator would be multiplied by 2^${q.shift})`);
      multiplier.push(q.multiplier);
      shift.push(q.shift);
    });
    inputOffset = -inputZeroPoint;
    outputOffset = outputZeroPoint;
    scales = { input: inS, inputZeroPoint, weights: ws, output: outS, outputZeroPoint };
  } else {
    for (const key of ['multiplier', 'shift'] as const)
      if (num[key] === undefined)
        fail(at(key), `required ${key} is missing: give multiplier and shift (one number, or one per output channel), ` +
          'or the scales (inputScale, weightScales, outputScale with zero points)');
    inputOffset = int(num.inputOffset ?? 0, 'inputOffset', -127, 128, 'inputOffset (the negated input zero point)');
    outputOffset = int(num.outputOffset ?? 0, 'outputOffset', -128, 127, 'outputOffset (the output zero point)');
    const indexed = (key: 'multiplier' | 'shift', i: number) => `${key}${Array.isArray(num[key]) ? `[${i}]` : ''}`;
    multiplier = perChannelValues(num.multiplier!, outC, at('multiplier'), fail).map((v, i) => {
      if (!Number.isInteger(v) || v < 0 || v > INT32_MAX)
        fail(at(indexed('multiplier', i)), `multiplier ${v} is out of range: expected a non-negative int32, 0…${INT32_MAX}`);
      return v;
    });
    shift = perChannelValues(num.shift!, outC, at('shift'), fail).map((v, i) => {
      if (!Number.isInteger(v)) fail(at(indexed('shift', i)), `shift ${v} is not an integer`);
      if (v < SHIFT_MIN)
        fail(at(indexed('shift', i)), `shift ${v} is below ${SHIFT_MIN}: the rounding divide by 2^${-v} is not defined ` +
          `for int32 (TFLite flushes such tiny scales to multiplier 0, shift 0; write that instead)`);
      if (v > SHIFT_MAX)
        fail(at(indexed('shift', i)), `shift ${v} is above ${SHIFT_MAX}: the accumulator would be multiplied by 2^${v}, which overflows int32`);
      return v;
    });
    perChannel = Array.isArray(num.multiplier) || Array.isArray(num.shift);
  }
  return {
    kind: 'int8',
    type: 'int8',
    storage: storageTypes.int8,
    inputOffset,
    maxAbsTap: Math.max(Math.abs(inputOffset - 128), Math.abs(inputOffset + 127)),
    biasShift: 0,
    outputOffset,
    multiplier,
    shift,
    perChannel,
    activationMin,
    activationMax,
    ...(scales ? { scales } : {}),
  };
}

/** A single number (per tensor, repeated) or exactly one value per output channel. */
function perChannelValues(v: number | number[], outC: number, where: string, fail: Fail): number[] {
  if (!Array.isArray(v)) return new Array<number>(outC).fill(v);
  if (v.length !== outC)
    fail(where, `expected ${outC} values (one per output channel) or a single number, found ${v.length}`);
  return v;
}

/** The output range of an activation on int8, or why it cannot be computed. TFLite's CalculateActivationRangeQuantized. */
export function int8ActivationRange(nf: Int8Format, act: 'none' | 'relu' | 'relu6'): [number, number] | string {
  const lo = nf.activationMin;
  const hi = nf.activationMax;
  if (act === 'none') return [lo, hi];
  // quantize(0) = the output zero point; quantize(6) = zero point + round(6 / scale) in float32
  if (act === 'relu') return [Math.max(lo, nf.outputOffset), hi];
  if (!nf.scales)
    return 'relu6 on int8 needs the output scale: give the scales form, or write the range as activationMin/activationMax';
  return [Math.max(lo, nf.outputOffset), Math.min(hi, quantizeInt8(6, nf.scales.output, nf.outputOffset))];
}

/** One line for the header and `convgen describe`. */
export function describeInt8(nf: Int8Format): string {
  const same = (a: number[]) => a.every((v) => v === a[0]);
  const mult = same(nf.multiplier) && same(nf.shift)
    ? `multiplier ${nf.multiplier[0]}, shift ${nf.shift[0]} (per tensor)`
    : `multiplier and shift per output channel`;
  const from = nf.scales
    ? ` (from inputScale ${nf.scales.input}, outputScale ${nf.scales.output}, ${nf.perChannel ? 'per-channel weightScales' : `weightScale ${nf.scales.weights[0]}`})`
    : '';
  return `int8 (TFLite): input offset ${nf.inputOffset}, output offset ${nf.outputOffset}, ${mult}${from}, bias int32, ` +
    `activation range ${nf.activationMin}…${nf.activationMax}`;
}
