/**
 * The validated kernel model: every default applied, every relation checked, padding resolved to four numbers,
 * weights and bias loaded as raw integers in PyTorch order [out][in/groups][kh][kw]. Everything downstream
 * (golden model, code generator, targets) reads only this.
 */
import { InputError } from '../../../errors.ts';
import { resolveSpecPath, specRoot, type SpecRoot } from '../../../files/read.ts';
import { nameProblem } from '../../../codegen/names.ts';
import { buildInt8Numeric, describeInt8, int8ActivationRange, type Int8Format } from './int8.ts';
import {
  affineUnclamped, qName, quantizeFloat, quantizeInt8, roundHalfAway, storageTypes, type QTypeName, type StorageType,
} from '../../../numerics/index.ts';
import type { RawSpec } from './schema.ts';
import {
  chooseBiasFrac, chooseInputFrac, chooseOutputFrac, chooseWeightFrac, fmtReal, quantizeExact,
  type ChosenFormat, type RealModel,
} from './quantize.ts';
import { loadReals, loadTensor, type Resolve } from './tensor-source.ts';
import { ohwiToOihw } from '../../../tensors/layout.ts';

export type { Int8Format, Int8Scales } from './int8.ts';
export type { RealModel, ChosenFormat, ChosenFormats } from './quantize.ts';

export interface Padding {
  top: number;
  left: number;
  bottom: number;
  right: number;
}

export interface QFormat {
  kind: 'q';
  type: QTypeName;
  storage: StorageType;
  /** Q formats add nothing to the input (the int8 type adds its offset); kept so that every kind reads alike. */
  inputOffset: 0;
  /** max |x| over the input storage range: 2^(bits-1). */
  maxAbsTap: number;
  inputFrac: number;
  weightFrac: number;
  biasFrac: number;
  outputFrac: number;
  rounding: 'nearest' | 'floor';
  /** inputFrac + weightFrac - outputFrac: >0 shifts right with rounding, <0 shifts left. */
  outputShift: number;
  /** inputFrac + weightFrac - biasFrac: the bias is multiplied by 2^biasShift before it is added. */
  biasShift: number;
}

/**
 * The numeric type of a kernel, discriminated by `kind`: the Q formats (shift, round, saturate) or TFLite's int8
 * (input offset, per-channel multiplier and shift). Every kind has `storage`, `inputOffset` (added to each input
 * element before the multiply), `maxAbsTap` (max |x + inputOffset|) and `biasShift`, so the accumulation is one
 * definition; only the output stage differs.
 */
export type NumericFormat = QFormat | Int8Format;

export interface KernelModel {
  name: string;
  /** Where the spec came from, for messages. */
  source: string;
  layout: 'chw' | 'hwc';
  inC: number;
  inH: number;
  inW: number;
  outC: number;
  outH: number;
  outW: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  dilH: number;
  dilW: number;
  pad: Padding;
  groups: number;
  inPerGroup: number;
  outPerGroup: number;
  activationName: string;
  /** Output clamp after saturation, in raw output units (none = the storage range). */
  actMin: number;
  actMax: number;
  numeric: NumericFormat;
  /** Raw Q values, [outC][inPerGroup][kH][kW]. */
  weights: Int32Array;
  /** Raw bias values (int32 range for q7/q15, int64 for q31), or null when the spec has none. */
  bias: BigInt64Array | null;
  /**
   * Q formats given as reals or with chosen formats ("auto", inputRange, float sources): the real tensors, the input
   * range and why each format was chosen, for `convgen quantize`. Nothing that generates or checks code reads it.
   */
  real?: RealModel;
}

/** Limits checked before anything is allocated, so a typo like 10000000 channels fails fast with the size. */
export const LIMITS = { tensorElements: 1 << 24, weightElements: 1 << 24, macs: 2 ** 36 };

export function pairOf(v: number | [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : v;
}

/** TensorFlow's "same" rule: the smaller half of the total padding goes to the top/left. */
export function samePadding(n: number, k: number, s: number, d: number): [number, number] {
  const total = Math.max((Math.ceil(n / s) - 1) * s + (k - 1) * d + 1 - n, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

export function resolvePadding(raw: RawSpec['padding'], inH: number, inW: number, k: [number, number],
  s: [number, number], d: [number, number]): Padding {
  if (raw === 'valid') return { top: 0, left: 0, bottom: 0, right: 0 };
  if (raw === 'same') {
    const [top, bottom] = samePadding(inH, k[0], s[0], d[0]);
    const [left, right] = samePadding(inW, k[1], s[1], d[1]);
    return { top, left, bottom, right };
  }
  if (typeof raw === 'number') return { top: raw, left: raw, bottom: raw, right: raw };
  if (raw.length === 2) return { top: raw[0], left: raw[1], bottom: raw[0], right: raw[1] };
  return { top: raw[0], left: raw[1], bottom: raw[2], right: raw[3] };
}

export interface ModelContext {
  /** The spec file, for messages and for resolving relative paths. */
  file: string;
  /** The folder paths in the spec must stay inside (--root); default: see specRoot. */
  root?: string;
}

export function buildModel(raw: RawSpec, ctx: ModelContext): KernelModel {
  const fail = (jsonPath: string, detail: string): never => {
    throw new InputError(`${ctx.file}: ${jsonPath}`, detail);
  };

  const nameWrong = nameProblem(raw.name);
  if (nameWrong) fail('$.name', nameWrong);

  const { channels: inC, height: inH, width: inW } = raw.input;
  const outC = raw.output.channels;
  const k = pairOf(raw.kernel);
  const s = pairOf(raw.stride);
  const d = pairOf(raw.dilation);
  const groups = raw.groups;
  if (inC % groups !== 0) fail('$.groups', `groups (${groups}) must divide input.channels (${inC})`);
  if (outC % groups !== 0) fail('$.groups', `groups (${groups}) must divide output.channels (${outC})`);

  for (const [what, n] of [['input', inC * inH * inW]] as const)
    if (n > LIMITS.tensorElements)
      fail(`$.${what}`, `${what} tensor has ${n} elements; convgen accepts at most ${LIMITS.tensorElements}`);

  const pad = resolvePadding(raw.padding, inH, inW, k, s, d);
  const spanH = (k[0] - 1) * d[0] + 1;
  const spanW = (k[1] - 1) * d[1] + 1;
  const paddedH = inH + pad.top + pad.bottom;
  const paddedW = inW + pad.left + pad.right;
  if (spanH > paddedH)
    fail('$.kernel', `kernel height spans ${spanH} rows (with dilation) but the padded input has only ${paddedH}`);
  if (spanW > paddedW)
    fail('$.kernel', `kernel width spans ${spanW} columns (with dilation) but the padded input has only ${paddedW}`);
  const outH = Math.floor((paddedH - spanH) / s[0]) + 1;
  const outW = Math.floor((paddedW - spanW) / s[1]) + 1;
  if (outC * outH * outW > LIMITS.tensorElements)
    fail('$.output', `output tensor has ${outC * outH * outW} elements; convgen accepts at most ${LIMITS.tensorElements}`);
  const inPerGroup = inC / groups;
  const weightCount = outC * inPerGroup * k[0] * k[1];
  if (weightCount > LIMITS.weightElements)
    fail('$.weights', `the kernel has ${weightCount} weights; convgen accepts at most ${LIMITS.weightElements}`);
  const macs = outC * outH * outW * inPerGroup * k[0] * k[1];
  if (macs > LIMITS.macs) fail('$', `the layer needs ${macs} multiply-accumulates; convgen accepts at most ${LIMITS.macs}`);

  let root: SpecRoot | undefined;
  const resolve = (rel: string, where: string) => resolveSpecPath(ctx.file, rel, where, (root ??= specRoot(ctx.file, ctx.root)));
  const weightShape = raw.weights.layout === 'ohwi' ? [outC, k[0], k[1], inPerGroup] : [outC, inPerGroup, k[0], k[1]];
  const toOihw = <T>(w: ArrayLike<T>): T[] =>
    raw.weights.layout === 'ohwi' ? ohwiToOihw(w, outC, k[0], k[1], inPerGroup) : Array.from(w);
  const t: Tensors = { resolve, file: ctx.file, weightShape, outC, toOihw, fail };
  const q = raw.numeric.type === 'int8'
    ? buildInt8(raw, raw.numeric, t)
    : buildQ(raw, raw.numeric, t);
  const { numeric, weights, bias } = q;
  const { actMin, actMax, activationName } = q.activation;

  return {
    name: raw.name,
    source: ctx.file,
    layout: raw.layout,
    inC, inH, inW, outC, outH, outW,
    kH: k[0], kW: k[1], strideH: s[0], strideW: s[1], dilH: d[0], dilW: d[1],
    pad,
    groups,
    inPerGroup,
    outPerGroup: outC / groups,
    activationName,
    actMin,
    actMax,
    numeric,
    weights: Int32Array.from(weights, Number),
    bias: bias ? BigInt64Array.from(bias) : null,
    ...(q.real ? { real: q.real } : {}),
  };
}

/** What the numeric builders need to load weights and bias. */
interface Tensors {
  /** A path written in the spec -> the file to read (inside the spec's root). */
  resolve: Resolve;
  file: string;
  /** Weight shape in the spec's layout. */
  weightShape: number[];
  outC: number;
  /** Spec layout -> [out][in/groups][kh][kw]. */
  toOihw: <T>(w: ArrayLike<T>) => T[];
  fail: Fail;
}

interface Resolved {
  numeric: NumericFormat;
  activation: { actMin: number; actMax: number; activationName: string };
  /** Raw weights in [out][in/groups][kh][kw] order, raw bias. */
  weights: bigint[];
  bias: bigint[] | null;
  real?: RealModel;
}

/** int8: raw integer weights and bias only. */
function buildInt8(raw: RawSpec, num: Extract<RawSpec['numeric'], { type: 'int8' }>, t: Tensors): Resolved {
  const numeric = buildInt8Numeric(num, t.outC, t.file);
  const st = numeric.storage;
  const activation = resolveActivation(raw.activation, numeric, t.fail);
  const weights = t.toOihw(loadTensor(raw.weights, '$.weights', t.weightShape, {
    resolve: t.resolve, file: t.file, bits: st.bits, frac: null, seedBits: st.bits,
  }).values);
  const bias = raw.bias
    ? loadTensor(raw.bias, '$.bias', [t.outC], { resolve: t.resolve, file: t.file, bits: st.biasBits, frac: null, seedBits: st.bits }).values
    : null;
  return { numeric, activation, weights, bias };
}

const given = (frac: number): ChosenFormat => ({ frac, auto: false, why: 'given in the spec' });

/**
 * Q formats: given fraction bits, or chosen (./quantize.ts states the rules). With weightFrac "auto" (or
 * biasFrac "auto") the weights (and bias) hold real numbers; otherwise integers are raw values and floats are
 * quantized with the given fraction bits, saturating, as before.
 */
function buildQ(raw: RawSpec, num: Extract<RawSpec['numeric'], { type: QTypeName }>, t: Tensors): Resolved {
  const { fail, file } = t;
  const st = storageTypes[num.type];
  const top = st.bits - 1;
  for (const key of ['inputFrac', 'weightFrac', 'outputFrac'] as const) {
    const v = num[key];
    if (typeof v === 'number' && v > top) fail(`$.numeric.${key}`, `${key} ${v} is out of range for ${num.type}: 0…${top}`);
  }

  // Input: given, or the most fraction bits whose range covers inputRange.
  const range = num.inputRange;
  if (range) {
    for (const [i, v] of range.entries())
      if (!Number.isFinite(v)) fail(`$.numeric.inputRange[${i}]`, `${v} is not a finite number`);
    if (!(range[0] < range[1]))
      fail('$.numeric.inputRange', `the lower end ${fmtReal(range[0])} must be less than the upper end ${fmtReal(range[1])}`);
  }
  let input: ChosenFormat;
  if (num.inputFrac !== undefined) {
    input = given(num.inputFrac);
    if (range && (range[0] < st.min / 2 ** num.inputFrac || range[1] > st.max / 2 ** num.inputFrac))
      fail('$.numeric.inputRange',
        `[${fmtReal(range[0])}, ${fmtReal(range[1])}] does not fit inputFrac ${num.inputFrac} (${qName(st.bits, num.inputFrac)} holds ` +
        `${fmtReal(st.min / 2 ** num.inputFrac)}…${fmtReal(st.max / 2 ** num.inputFrac)}); leave inputFrac out to have it chosen from the range`);
  } else if (range) input = chooseInputFrac(range, st, `${file}: $.numeric.inputRange`);
  else return fail('$.numeric.inputFrac', 'required inputFrac is missing; give inputFrac, or inputRange [lo, hi] (real units) to have it chosen');
  const inputFrac = input.frac;
  const inputRange: [number, number] = range ?? [st.min / 2 ** inputFrac, st.max / 2 ** inputFrac];

  const weightsAuto = num.weightFrac === 'auto';
  const biasReal = weightsAuto || num.biasFrac === 'auto';
  const checkBiasFrac = (biasFrac: number, weightFrac: number) => {
    if (biasFrac > inputFrac + weightFrac)
      fail('$.numeric.biasFrac', `biasFrac ${biasFrac} must not exceed inputFrac + weightFrac (${inputFrac + weightFrac})`);
  };
  if (typeof num.weightFrac === 'number' && typeof num.biasFrac === 'number') checkBiasFrac(num.biasFrac, num.weightFrac);

  const qFormat = (weightFrac: number, biasFrac: number, outputFrac: number): QFormat => ({
    kind: 'q', type: num.type, storage: st, inputOffset: 0, maxAbsTap: 2 ** (st.bits - 1),
    inputFrac, weightFrac, biasFrac, outputFrac, rounding: num.rounding,
    outputShift: inputFrac + weightFrac - outputFrac,
    biasShift: inputFrac + weightFrac - biasFrac,
  });
  // A given outputFrac fixes the activation before any tensor is read (the order of messages stays as it was).
  const early = typeof num.outputFrac === 'number'
    ? resolveActivation(raw.activation, qFormat(0, 0, num.outputFrac), fail)
    : undefined;

  // Weights.
  const load = { resolve: t.resolve, file };
  let weights: bigint[];
  let weightsChosen: ChosenFormat;
  let weightReals: Float64Array | null = null;
  let saturatedWeights = 0;
  if (weightsAuto) {
    weightReals = Float64Array.from(t.toOihw(loadReals(raw.weights, '$.weights', t.weightShape, load)));
    weightsChosen = chooseWeightFrac(weightReals, st, `${file}: $.weights`);
    weights = Array.from(weightReals, (v) => quantizeExact(v, weightsChosen.frac, st.bits)!);
  } else {
    const wf = num.weightFrac as number;
    const r = loadTensor(raw.weights, '$.weights', t.weightShape, { ...load, bits: st.bits, frac: wf, seedBits: st.bits });
    weights = t.toOihw(r.values);
    if (r.reals) weightReals = Float64Array.from(t.toOihw(r.reals));
    saturatedWeights = r.saturated;
    weightsChosen = given(wf);
  }
  const weightFrac = weightsChosen.frac;

  // Bias.
  const maxBiasFrac = inputFrac + weightFrac;
  let bias: bigint[] | null = null;
  let biasChosen: ChosenFormat | null = null;
  let biasReals: Float64Array | null = null;
  let saturatedBias = 0;
  if (raw.bias && biasReal) {
    biasReals = Float64Array.from(loadReals(raw.bias, '$.bias', [t.outC], load));
    if (typeof num.biasFrac === 'number') {
      checkBiasFrac(num.biasFrac, weightFrac);
      const bf = num.biasFrac;
      biasReals.forEach((v, i) => {
        if (quantizeExact(v, bf, st.biasBits) === null)
          fail('$.bias', `bias ${fmtReal(v)} at index ${i} does not fit int${st.biasBits} at biasFrac ${bf}; use "biasFrac": "auto"`);
      });
      biasChosen = given(bf);
    } else biasChosen = chooseBiasFrac(biasReals, maxBiasFrac, st, `${file}: $.bias`);
    const bf = biasChosen.frac;
    bias = Array.from(biasReals, (v) => quantizeExact(v, bf, st.biasBits)!);
  } else {
    const bf = typeof num.biasFrac === 'number' ? num.biasFrac : maxBiasFrac;
    checkBiasFrac(bf, weightFrac);
    if (raw.bias) {
      const r = loadTensor(raw.bias, '$.bias', [t.outC], { ...load, bits: st.biasBits, frac: bf, seedBits: st.bits });
      bias = r.values;
      biasReals = r.reals ? Float64Array.from(r.reals) : null;
      saturatedBias = r.saturated;
      biasChosen = given(bf);
    }
  }
  const biasFrac = biasChosen?.frac ?? (typeof num.biasFrac === 'number' ? num.biasFrac : maxBiasFrac);

  // Output.
  let outputChosen: ChosenFormat;
  if (num.outputFrac === 'auto') {
    const xLo = Number(quantizeFloat(inputRange[0], inputFrac, st.bits));
    const xHi = Number(quantizeFloat(inputRange[1], inputFrac, st.bits));
    outputChosen = chooseOutputFrac({
      st, inputFrac, weightFrac, biasFrac, rounding: num.rounding,
      activation: typeof raw.activation === 'string' ? raw.activation : 'clamp',
      weights: Int32Array.from(weights, Number), bias, outC: t.outC, xLo, xHi,
    }, `${file}: $.numeric.outputFrac`);
  } else outputChosen = given(num.outputFrac);

  const numeric = qFormat(weightFrac, biasFrac, outputChosen.frac);
  const activation = early ?? resolveActivation(raw.activation, numeric, fail);
  const anyReal = weightsAuto || biasReal || num.outputFrac === 'auto' || range !== undefined || weightReals !== null || biasReals !== null;
  const real: RealModel | undefined = anyReal
    ? {
      weights: weightReals ?? Float64Array.from(weights, (v) => Number(v) / 2 ** weightFrac),
      bias: biasReals ?? (bias ? Float64Array.from(bias, (v) => Number(v) / 2 ** biasFrac) : null),
      inputRange,
      rangeGiven: range !== undefined,
      chosen: { input, weights: weightsChosen, bias: biasChosen, output: outputChosen },
      saturated: { weights: saturatedWeights, bias: saturatedBias },
    }
    : undefined;
  return { numeric, activation, weights, bias, real };
}

type Fail = (jsonPath: string, detail: string) => never;

/** The output range of a named activation for each kind, or why it has none. */
function activationRange(nf: NumericFormat, act: 'none' | 'relu' | 'relu6'): [number, number] | string {
  if (nf.kind === 'int8') return int8ActivationRange(nf, act);
  const { min, max } = nf.storage;
  if (act === 'relu') return [0, max];
  if (act === 'relu6') return [0, Math.min(max, 6 * 2 ** nf.outputFrac)];
  return [min, max];
}

function resolveActivation(act: RawSpec['activation'], nf: NumericFormat, fail: Fail):
  { actMin: number; actMax: number; activationName: string } {
  const st = nf.storage;
  const [baseLo, baseHi] = activationRange(nf, 'none') as [number, number];
  if (typeof act === 'string') {
    const range = activationRange(nf, act);
    if (typeof range === 'string') fail('$.activation', range);
    const [lo, hi] = range as [number, number];
    if (lo > hi) fail('$.activation', `${act} leaves no output value: its range ${lo}…${hi} is empty within numeric's activationMin…activationMax`);
    return { actMin: lo, actMax: hi, activationName: act };
  }
  const [lo, hi] = act.clamp.map(Number) as [number, number];
  for (const [i, v] of [lo, hi].entries())
    if (v < st.min || v > st.max)
      fail(`$.activation.clamp[${i}]`, `${v} is outside the ${nf.type} output range ${st.min}…${st.max}`);
  if (lo > hi) fail('$.activation.clamp', `the lower bound ${lo} is greater than the upper bound ${hi}`);
  const actMin = Math.max(lo, baseLo);
  const actMax = Math.min(hi, baseHi);
  if (actMin > actMax)
    fail('$.activation.clamp', `the clamp ${lo}…${hi} does not overlap numeric's activationMin…activationMax (${baseLo}…${baseHi})`);
  return { actMin, actMax, activationName: `clamp(${lo}, ${hi})` };
}

/** One float input element -> a raw input value (round half away from zero, saturate), or why floats are refused. */
export function quantizeInputValue(nf: NumericFormat, v: number): number | string {
  if (nf.kind === 'q') return Number(quantizeFloat(v, nf.inputFrac, nf.storage.bits));
  if (!nf.scales) return 'a float input needs the input scale: give the int8 scales form, or an int8 .npy of raw values';
  return quantizeInt8(v, nf.scales.input, nf.scales.inputZeroPoint);
}

/** Whether quantizing the float input v saturates: its rounded raw value lies outside the storage type. */
export function inputSaturates(nf: NumericFormat, v: number): boolean {
  const raw = nf.kind === 'q' ? roundHalfAway(v * 2 ** nf.inputFrac)
    : nf.scales ? affineUnclamped(v, nf.scales.input, nf.scales.inputZeroPoint) : 0;
  return raw < nf.storage.min || raw > nf.storage.max;
}

/** The numeric type in one line (`convgen describe`). */
export function describeNumeric(nf: NumericFormat): string {
  if (nf.kind === 'int8') return describeInt8(nf);
  const q = (frac: number) => qName(nf.storage.bits, frac);
  return `${nf.type}: input ${q(nf.inputFrac)}, weights ${q(nf.weightFrac)}, output ${q(nf.outputFrac)}, bias ${nf.biasFrac} fraction bits, rounding ${nf.rounding}`;
}


export function macCount(m: KernelModel): number {
  return m.outC * m.outH * m.outW * m.inPerGroup * m.kH * m.kW;
}
