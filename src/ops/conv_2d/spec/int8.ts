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
import { InputError } from '../../../errors.ts';
import { effectiveScale, quantizeInt8, quantizeMultiplier } from '../../../numerics/index.ts';
import { INT32_MAX, storageTypes, type StorageType } from '../../../numerics/index.ts';

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
