/**
 * The validated kernel model: every default applied, every relation checked, padding resolved to four numbers,
 * weights and bias loaded as raw integers in PyTorch order [out][in/groups][kh][kw]. Everything downstream
 * (golden model, code generator, targets) reads only this.
 */
import path from 'node:path';
import { InputError } from '../errors.ts';
import { readNpy, type NpyArray } from '../npy/index.ts';
import { Mulberry32 } from './random.ts';
import { buildInt8Numeric, describeInt8, int8ActivationRange, quantizeInt8, type Int8Format } from './int8.ts';
import { storageTypes, type QTypeName, type StorageType } from './numeric.ts';
import type { RawSpec, TensorSource, WeightSource } from './schema.ts';

export type { Int8Format, Int8Scales } from './int8.ts';

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
}

const C_KEYWORDS = new Set(
  ('auto break case char const continue default do double else enum extern float for goto if inline int long ' +
    'register restrict return short signed sizeof static struct switch typedef union unsigned void volatile while ' +
    '_Bool _Complex _Imaginary main')
    .split(' '),
);

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
}

export function buildModel(raw: RawSpec, ctx: ModelContext): KernelModel {
  const fail = (jsonPath: string, detail: string): never => {
    throw new InputError(`${ctx.file}: ${jsonPath}`, detail);
  };

  if (!/^[a-z_][a-z0-9_]*$/.test(raw.name))
    fail('$.name', `'${raw.name}' is not a valid name: use lower-case letters, digits and '_', not starting with a digit`);
  if (raw.name.length > 32) fail('$.name', `'${raw.name}' is ${raw.name.length} characters long; at most 32 are allowed`);
  if (C_KEYWORDS.has(raw.name)) fail('$.name', `'${raw.name}' is a C keyword; choose another name`);

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

  const numeric = buildNumeric(raw.numeric, outC, ctx.file, fail);
  const st = numeric.storage;
  const { actMin, actMax, activationName } = resolveActivation(raw.activation, numeric, fail);

  const dir = path.dirname(ctx.file);
  const weightShape = raw.weights.layout === 'ohwi' ? [outC, k[0], k[1], inPerGroup] : [outC, inPerGroup, k[0], k[1]];
  const floatFrac = floatFracs(numeric);
  let weights = loadTensor(raw.weights, '$.weights', weightShape, {
    dir, file: ctx.file, bits: st.bits, frac: floatFrac.weights, seedBits: st.bits,
  });
  if (raw.weights.layout === 'ohwi') weights = ohwiToOihw(weights, outC, k[0], k[1], inPerGroup);
  const bias = raw.bias
    ? loadTensor(raw.bias, '$.bias', [outC], { dir, file: ctx.file, bits: st.biasBits, frac: floatFrac.bias, seedBits: st.bits })
    : null;

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
  };
}

type Fail = (jsonPath: string, detail: string) => never;

/** The spec's numeric object -> NumericFormat: one builder per kind. */
function buildNumeric(num: RawSpec['numeric'], outC: number, file: string, fail: Fail): NumericFormat {
  if (num.type === 'int8') return buildInt8Numeric(num, outC, file);
  const st = storageTypes[num.type];
  for (const key of ['inputFrac', 'weightFrac', 'outputFrac'] as const)
    if (num[key] > st.bits - 1) fail(`$.numeric.${key}`, `${key} ${num[key]} is out of range for ${num.type}: 0…${st.bits - 1}`);
  const biasFrac = num.biasFrac ?? num.inputFrac + num.weightFrac;
  if (biasFrac > num.inputFrac + num.weightFrac)
    fail('$.numeric.biasFrac',
      `biasFrac ${biasFrac} must not exceed inputFrac + weightFrac (${num.inputFrac + num.weightFrac})`);
  return {
    kind: 'q',
    type: num.type,
    storage: st,
    inputOffset: 0,
    maxAbsTap: 2 ** (st.bits - 1),
    inputFrac: num.inputFrac,
    weightFrac: num.weightFrac,
    biasFrac,
    outputFrac: num.outputFrac,
    rounding: num.rounding,
    outputShift: num.inputFrac + num.weightFrac - num.outputFrac,
    biasShift: num.inputFrac + num.weightFrac - biasFrac,
  };
}

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

/** Fraction bits that quantize float weights and bias, or null where a kind takes raw integers only. */
function floatFracs(nf: NumericFormat): { weights: number | null; bias: number | null } {
  return nf.kind === 'q' ? { weights: nf.weightFrac, bias: nf.biasFrac } : { weights: null, bias: null };
}

/** One float input element -> a raw input value (round half away from zero, saturate), or why floats are refused. */
export function quantizeInputValue(nf: NumericFormat, v: number): number | string {
  if (nf.kind === 'q') return Number(quantizeFloat(v, nf.inputFrac, nf.storage.bits));
  if (!nf.scales) return 'a float input needs the input scale: give the int8 scales form, or an int8 .npy of raw values';
  return quantizeInt8(v, nf.scales.input, nf.scales.inputZeroPoint);
}

/** The numeric type in one line (`convgen describe`). */
export function describeNumeric(nf: NumericFormat): string {
  if (nf.kind === 'int8') return describeInt8(nf);
  const q = (frac: number) => `Q${nf.storage.bits - 1 - frac}.${frac}`;
  return `${nf.type}: input ${q(nf.inputFrac)}, weights ${q(nf.weightFrac)}, output ${q(nf.outputFrac)}, bias ${nf.biasFrac} fraction bits, rounding ${nf.rounding}`;
}

function ohwiToOihw(w: bigint[], o: number, kh: number, kw: number, i: number): bigint[] {
  const out = new Array<bigint>(w.length);
  for (let a = 0; a < o; a++)
    for (let y = 0; y < kh; y++)
      for (let x = 0; x < kw; x++)
        for (let c = 0; c < i; c++) out[((a * i + c) * kh + y) * kw + x] = w[((a * kh + y) * kw + x) * i + c];
  return out;
}

interface LoadOptions {
  dir: string;
  file: string;
  /** Storage bits of the loaded integers (range check). */
  bits: number;
  /** Fraction bits used to quantize float values; null: the numeric type takes raw integers only. */
  frac: number | null;
  /** Bits of the range `random` draws from. */
  seedBits: number;
}

/** Round half away from zero, then saturate: how float weights, biases and inputs become Q values. */
export function quantizeFloat(v: number, frac: number, bits: number): bigint {
  const scaled = v * 2 ** frac;
  const rounded = Math.sign(scaled) * Math.floor(Math.abs(scaled) + 0.5);
  const max = 2 ** (bits - 1) - 1;
  const min = -(2 ** (bits - 1));
  if (rounded >= max) return BigInt(max) ;
  if (rounded <= min) return BigInt(min);
  return BigInt(rounded);
}

/** A path inside a spec must stay inside the spec's folder: a spec must not read arbitrary files. */
export function resolveInside(dir: string, rel: string, where: string): string {
  if (path.isAbsolute(rel)) throw new InputError(where, `'${rel}' is an absolute path; paths in a spec are relative to the spec's folder`);
  const full = path.resolve(dir, rel);
  const back = path.relative(dir, full);
  if (back.startsWith('..') || path.isAbsolute(back))
    throw new InputError(where, `'${rel}' leaves the spec's folder; paths in a spec must stay inside it`);
  return full;
}

function loadTensor(src: TensorSource | WeightSource, jsonPath: string, shape: number[], o: LoadOptions): bigint[] {
  const where = `${o.file}: ${jsonPath}`;
  const count = shape.reduce((a, b) => a * b, 1);
  const min = -(2n ** BigInt(o.bits - 1));
  const max = 2n ** BigInt(o.bits - 1) - 1n;
  const checkRange = (v: bigint, at: string): bigint => {
    if (v < min || v > max)
      throw new InputError(where, `value ${v} at ${at} does not fit ${o.bits}-bit storage (${min}…${max})`);
    return v;
  };
  if ('random' in src) {
    const rng = new Mulberry32(src.random.seed);
    return Array.from({ length: count }, () => BigInt(rng.nextSigned(o.seedBits)));
  }
  if ('values' in src) {
    const flat = flattenValues(src.values, `${where}.values`);
    if (flat.length !== count)
      throw new InputError(`${where}.values`, `expected ${count} values (shape [${shape.join(', ')}]), found ${flat.length}`);
    const isFloat = flat.some((v) => typeof v === 'number' && !Number.isInteger(v));
    if (isFloat && o.frac === null) throw new InputError(`${where}.values`, rawOnly(o));
    return flat.map((v, i) =>
      isFloat ? quantizeFloat(Number(v), o.frac!, o.bits) : checkRange(BigInt(v), `index ${i}`),
    );
  }
  const file = resolveInside(o.dir, src.npy, `${where}.npy`);
  const arr = readNpy(file);
  checkShape(arr, shape, file);
  return npyToBigints(arr, o, file, checkRange);
}

function rawOnly(o: LoadOptions): string {
  return `this numeric type takes raw integer values here (int${o.bits}); float values are not quantized for it`;
}

function checkShape(arr: NpyArray, shape: number[], file: string): void {
  const same = arr.shape.length === shape.length && arr.shape.every((n, i) => n === shape[i]);
  if (!same)
    throw new InputError(file, `expected shape (${shape.join(', ')}), found (${arr.shape.join(', ')})`);
}

function npyToBigints(arr: NpyArray, o: LoadOptions, file: string,
  checkRange: (v: bigint, at: string) => bigint): bigint[] {
  const out: bigint[] = new Array(arr.data.length);
  const isFloat = arr.dtype === 'float32' || arr.dtype === 'float64';
  if (isFloat && o.frac === null) throw new InputError(file, `${rawOnly(o)}; found dtype ${arr.dtype}`);
  for (let i = 0; i < arr.data.length; i++) {
    const v = arr.data[i];
    if (isFloat) {
      if (!Number.isFinite(v as number)) throw new InputError(file, `element ${i} is ${v}; values must be finite`);
      out[i] = quantizeFloat(v as number, o.frac!, o.bits);
    } else out[i] = checkRange(BigInt(v), `element ${i}`);
  }
  return out;
}

function flattenValues(v: unknown[], where: string): (number | bigint)[] {
  const out: (number | bigint)[] = [];
  const walk = (x: unknown, at: string): void => {
    if (Array.isArray(x)) x.forEach((y, i) => walk(y, `${at}[${i}]`));
    else if ((typeof x === 'number' && Number.isFinite(x)) || typeof x === 'bigint') out.push(x);
    else throw new InputError(at, `expected a number, found ${JSON.stringify(x) ?? typeof x}`);
  };
  v.forEach((x, i) => walk(x, `${where}[${i}]`));
  return out;
}

export function macCount(m: KernelModel): number {
  return m.outC * m.outH * m.outW * m.inPerGroup * m.kH * m.kW;
}
