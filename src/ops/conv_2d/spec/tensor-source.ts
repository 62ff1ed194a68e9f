/**
 * A spec's tensors from where they are given (inline values, random, a .npy file, reals to quantize), checked
 * against their shape and type, as raw integers; weights given OHWI are reordered to OIHW.
 */
import { InputError } from '../../../errors.ts';
import { readNpy, type NpyArray } from '../../../npy/index.ts';
import { Mulberry32 } from '../../../tensors/random.ts';
import type { TensorSource, WeightSource } from './schema.ts';
import { quantizeExact } from './quantize.ts';
import { quantizeFloat } from '../../../numerics/index.ts';

export type Resolve = (rel: string, where: string) => string;

interface LoadOptions {
  resolve: Resolve;
  file: string;
  /** Storage bits of the loaded integers (range check). */
  bits: number;
  /** Fraction bits used to quantize float values; null: the numeric type takes raw integers only. */
  frac: number | null;
  /** Bits of the range `random` draws from. */
  seedBits: number;
}

interface Loaded {
  /** Raw values: integers as given, floats quantized with `frac` (saturating). */
  values: bigint[];
  /** The real values when the source held floats, else null. */
  reals: number[] | null;
  /** How many floats saturated when quantized. */
  saturated: number;
}

export function loadTensor(src: TensorSource | WeightSource, jsonPath: string, shape: number[], o: LoadOptions): Loaded {
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
    return { values: Array.from({ length: count }, () => BigInt(rng.nextSigned(o.seedBits))), reals: null, saturated: 0 };
  }
  let reals: number[];
  if ('values' in src) {
    const flat = flattenValues(src.values, `${where}.values`);
    if (flat.length !== count)
      throw new InputError(`${where}.values`, `expected ${count} values (shape [${shape.join(', ')}]), found ${flat.length}`);
    const isFloat = flat.some((v) => typeof v === 'number' && !Number.isInteger(v));
    if (isFloat && o.frac === null) throw new InputError(`${where}.values`, rawOnly(o));
    if (!isFloat) return { values: flat.map((v, i) => checkRange(BigInt(v), `index ${i}`)), reals: null, saturated: 0 };
    reals = flat.map(Number);
  } else {
    const file = o.resolve(src.npy, `${where}.npy`);
    const arr = readNpy(file, { check: (h) => checkShape(h, shape, file) });
    const isFloat = arr.dtype === 'float32' || arr.dtype === 'float64';
    if (isFloat && o.frac === null) throw new InputError(file, `${rawOnly(o)}; found dtype ${arr.dtype}`);
    if (!isFloat) return { values: Array.from(arr.data as ArrayLike<number | bigint>, (v, i) => checkRange(BigInt(v), `element ${i}`)), reals: null, saturated: 0 };
    reals = npyReals(arr, file);
  }
  let saturated = 0;
  const values = reals.map((v) => {
    const q = quantizeFloat(v, o.frac!, o.bits);
    if (q === max || q === min) if (quantizeExact(v, o.frac!, o.bits) === null) saturated++;
    return q;
  });
  return { values, reals, saturated };
}

/**
 * A real-valued source (weightFrac "auto"): JSON numbers of any kind or an .npy of any numeric dtype, all read as
 * reals; `random` draws raw integers and has no real meaning, so it is refused.
 */
export function loadReals(src: TensorSource | WeightSource, jsonPath: string, shape: number[], o: { resolve: Resolve; file: string }): number[] {
  const where = `${o.file}: ${jsonPath}`;
  const count = shape.reduce((a, b) => a * b, 1);
  if ('random' in src)
    throw new InputError(`${where}.random`,
      'random draws raw integers, which have no real value; with "weightFrac": "auto" or "biasFrac": "auto" give real numbers as { "values": [...] } or { "npy": file }');
  if ('values' in src) {
    const flat = flattenValues(src.values, `${where}.values`);
    if (flat.length !== count)
      throw new InputError(`${where}.values`, `expected ${count} values (shape [${shape.join(', ')}]), found ${flat.length}`);
    return flat.map(Number);
  }
  const file = o.resolve(src.npy, `${where}.npy`);
  return npyReals(readNpy(file, { check: (h) => checkShape(h, shape, file) }), file);
}

function npyReals(arr: NpyArray, file: string): number[] {
  return Array.from(arr.data as ArrayLike<number | bigint>, (v, i) => {
    const n = Number(v);
    if (!Number.isFinite(n)) throw new InputError(file, `element ${i} is ${n}; values must be finite`);
    return n;
  });
}

function rawOnly(o: LoadOptions): string {
  return `this numeric type takes raw integer values here (int${o.bits}); float values are not quantized for it`;
}

function checkShape(arr: { shape: number[] }, shape: number[], file: string): void {
  const same = arr.shape.length === shape.length && arr.shape.every((n, i) => n === shape[i]);
  if (!same)
    throw new InputError(file, `expected shape (${shape.join(', ')}), found (${arr.shape.join(', ')})`);
}

function flattenValues(v: unknown[], where: string): (number | bigint)[] {
  const out: (number | bigint)[] = [];
  const walk = (x: unknown, at: string): void => {
    if (Array.isArray(x)) x.forEach((y, i) => walk(y, `${at}[${i}]`));
    else if ((typeof x === 'number' && Number.isFinite(x)) || typeof x === 'bigint') out.push(x);
    else if (typeof x === 'number') throw new InputError(at, `${x} is not a finite number`);
    else throw new InputError(at, `expected a number, found ${JSON.stringify(x) ?? typeof x}`);
  };
  v.forEach((x, i) => walk(x, `${where}[${i}]`));
  return out;
}
