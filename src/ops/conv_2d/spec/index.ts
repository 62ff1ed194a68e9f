/**
 * Spec stage: a file (JSON or *.kernel.ts) in, a validated KernelModel out. Every error is an InputError that
 * names the file and the JSON path (or line:column), on one line.
 */
import { parse as parseLossless } from 'lossless-json';
import { z } from 'zod';
import { InputError } from '../../../errors.ts';
import { FILE_BOUNDS, readUserFile, specRoot } from '../../../files/read.ts';
import { checkExpansion } from '../../../files/expansion.ts';
import { describeIssue, jsonPath, valueAt } from '../../../files/issues.ts';

import { specSchema, type RawSpec } from './schema.ts';
import { buildModel, type KernelModel } from './model.ts';

export type { KernelModel, Padding, QFormat, NumericFormat, Int8Format, Int8Scales, RealModel, ChosenFormat, ChosenFormats } from './model.ts';
export { macCount, samePadding, quantizeInputValue, inputSaturates, describeNumeric } from './model.ts';

export interface LoadOptions {
  /** The folder paths in the spec must stay inside (`--root`); default: the nearest folder holding .git. */
  root?: string;
}

/** Read, check and resolve a spec file. */
export async function loadSpec(file: string, opts: LoadOptions = {}): Promise<KernelModel> {
  if (opts.root !== undefined) specRoot(file, opts.root); // a wrong --root is an error even if no path uses it
  const value = await readSpecValue(file);
  return modelFromValue(value, file, opts);
}

/** Check and resolve an already-read spec value (`file` is used for messages and relative paths). */
export function modelFromValue(value: unknown, file: string, opts: LoadOptions = {}): KernelModel {
  checkExpansion(value, file);
  const parsed = specSchema.safeParse(value);
  if (!parsed.success) {
    // An unknown key explains a missing one ('hieght' for 'height'): report it first, with its suggestion.
    const issue = parsed.error.issues.find((i) => i.code === 'unrecognized_keys') ?? parsed.error.issues[0];
    const { path, detail } = describeIssue(issue, { root: value, knownKeys: (p) => knownKeys(p, value), forms: fieldForms });
    throw new InputError(`${file}: ${jsonPath(path)}`, detail);
  }
  return buildModel(parsed.data as RawSpec, { file, root: opts.root });
}

async function readSpecValue(file: string): Promise<unknown> {
  // ts-morph takes most of a second to load: only TypeScript specs pay for it.
  if (file.endsWith('.kernel.ts')) return (await import('../../../files/typescript-spec.ts')).readTypeScriptSpec(file);
  if (!file.endsWith('.json'))
    throw new InputError(file, 'a spec must be a .json file or a .kernel.ts module');
  const text = readUserFile(file, FILE_BOUNDS.jsonSpec).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new InputError(locateJsonError(file, text, e as Error), `invalid JSON: ${(e as Error).message.replace(/ in JSON at position \d+.*$/, '')}`);
  }
  // JSON.parse rounds integers beyond ±2^53 (a q31 bias of 9007199254740993 would become ...992): read those
  // again exactly, as bigints, once the nesting is known to be bounded (the exact parser recurses). A repeated key
  // keeps its last value, as in JSON.parse.
  if (checkExpansion(value, file).unsafeIntegers) value = parseLossless(text, undefined, { parseNumber: exactInteger, onDuplicateKey: ({ newValue }) => newValue });
  return value;
}

/** Integers JSON.parse would round become bigints; every other number stays a number. */
function exactInteger(text: string): number | bigint {
  const n = Number(text);
  return /^-?\d+$/.test(text) && !Number.isSafeInteger(n) ? BigInt(text) : n;
}

function locateJsonError(file: string, text: string, e: Error): string {
  const m = /position (\d+)/.exec(e.message);
  const pos = m ? Number(m[1]) : text.length;
  const before = text.slice(0, pos).split('\n');
  return `${file}:${before.length}:${before[before.length - 1].length + 1}`;
}

/** Wording of what each kernel-spec field takes where the schema's own words would be vague (unions, tuples). */
const fieldForms: Record<string, string> = {
  kernel: 'a positive integer or [height, width]',
  stride: 'a positive integer or [height, width]',
  dilation: 'a positive integer or [height, width]',
  padding: 'a non-negative integer, [h, w], [top, left, bottom, right], "valid" or "same"',
  activation: '"none", "relu", "relu6" or { "clamp": [lo, hi] }',
  clamp: '[lo, hi]: two integers in raw output units',
  inputRange: '[lo, hi]: two numbers in real units',
  weights: '{ "npy": path }, { "values": [...] } or { "random": { "seed": n } }, with an optional "layout"',
  bias: '{ "npy": path }, { "values": [...] } or { "random": { "seed": n } }',
  multiplier: 'a number or an array of numbers (one per output channel)',
  shift: 'a number or an array of numbers (one per output channel)',
  weightScales: 'a number or an array of numbers (one per output channel)',
  weightFrac: 'a non-negative integer or "auto"',
  outputFrac: 'a non-negative integer or "auto"',
  biasFrac: 'a non-negative integer or "auto"',
};

/**
 * The keys the schema allows for the object at `p` (walks plain object schemas; unions contribute all options,
 * except that a discriminated union contributes only the member the value's discriminator picks).
 */
function knownKeys(p: readonly PropertyKey[], root?: unknown): string[] {
  let schemas: z.ZodType[] = [specSchema];
  for (const k of p) {
    const next: z.ZodType[] = [];
    for (const s of schemas.flatMap(unwrap)) {
      const shape = (s as unknown as { shape?: Record<string, z.ZodType> }).shape;
      if (shape && typeof k === 'string' && shape[k]) next.push(shape[k]);
    }
    schemas = next;
  }
  const keys = new Set<string>();
  for (const s of schemas.flatMap((t) => unwrap(t, valueAt(root, p)))) {
    const shape = (s as unknown as { shape?: Record<string, z.ZodType> }).shape;
    if (shape) for (const key of Object.keys(shape)) keys.add(key);
  }
  return [...keys];
}

function unwrap(s: z.ZodType, value?: unknown): z.ZodType[] {
  const def = (s as unknown as {
    _zod: { def: { type: string; innerType?: z.ZodType; options?: z.ZodType[]; discriminator?: string } };
  })._zod.def;
  if ((def.type === 'optional' || def.type === 'default') && def.innerType) return unwrap(def.innerType, value);
  if (def.type === 'union' && def.options) {
    const d = def.discriminator;
    const tag = d && value && typeof value === 'object' ? (value as Record<string, unknown>)[d] : undefined;
    const fits = (o: z.ZodType) => {
      const r = o.safeParse({ [d!]: tag });
      return r.success || r.error.issues.every((i) => i.path[0] !== d);
    };
    const picked = tag === undefined ? [] : def.options.filter(fits);
    return (picked.length > 0 ? picked : def.options).flatMap((o) => unwrap(o, value));
  }
  return [s];
}

