/**
 * Spec stage: a file (JSON or *.kernel.ts) in, a validated KernelModel out. Every error is an InputError that
 * names the file and the JSON path (or line:column), on one line.
 */
import { parse as parseLossless } from 'lossless-json';
import { z } from 'zod';
import { InputError } from '../errors.ts';
import { FILE_BOUNDS, readUserFile, specRoot } from '../files/read.ts';
import { checkExpansion } from './expansion.ts';
import { specSchema, type RawSpec } from './schema.ts';
import { buildModel, type KernelModel } from './model.ts';

export type { KernelModel, Padding, QFormat, NumericFormat, Int8Format, Int8Scales, RealModel, ChosenFormat, ChosenFormats } from './model.ts';
export { macCount, samePadding, quantizeFloat, quantizeInputValue, inputSaturates, describeNumeric } from './model.ts';
export { Mulberry32 } from './random.ts';
export { qName, storageTypes } from './numeric.ts';

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
    const { path, detail } = describeIssue(issue, value, []);
    throw new InputError(`${file}: ${jsonPath(path)}`, detail);
  }
  return buildModel(parsed.data as RawSpec, { file, root: opts.root });
}

async function readSpecValue(file: string): Promise<unknown> {
  // ts-morph takes most of a second to load: only TypeScript specs pay for it.
  if (file.endsWith('.kernel.ts')) return (await import('./typescript-spec.ts')).readTypeScriptSpec(file);
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

export function jsonPath(p: readonly PropertyKey[]): string {
  return '$' + p.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('');
}

function valueAt(root: unknown, p: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const k of p) v = v != null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

export function typeName(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'number') return Number.isInteger(v) ? `the integer ${v}` : `the number ${v}`;
  if (typeof v === 'bigint') return `the integer ${v}`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  return `a${typeof v === 'object' ? 'n' : ''} ${typeof v}`;
}

/** Human wording for what each field accepts where the schema's own words would be vague (unions, tuples). */
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

/** The form of the field at `p` (its last named key), if the table has one. */
function formAt(p: readonly PropertyKey[]): string | undefined {
  const key = [...p].reverse().find((k) => typeof k === 'string');
  return key !== undefined && typeof p.at(-1) === 'string' ? fieldForms[String(key)] : undefined;
}

/** zod's type names as a person says them. */
function expectedName(t: string): string {
  const names: Record<string, string> = {
    int: 'an integer', bigint: 'an integer', number: 'a number', string: 'a string', boolean: 'true or false',
    array: 'an array', tuple: 'an array', object: 'an object',
  };
  return names[t] ?? t;
}

const SAFE = '±2^53 (9007199254740992)';

interface Described {
  /** Where the problem is: the issue's own path, or a deeper one inside a union member. */
  path: readonly PropertyKey[];
  detail: string;
}

/**
 * One line for a schema issue, every one saying what is expected. `base` is the path of the union the issue came
 * from (zod reports a union member's issues relative to the union).
 */
function describeIssue(issue: z.core.$ZodIssue, root: unknown, base: readonly PropertyKey[]): Described {
  const path = [...base, ...issue.path];
  const found = valueAt(root, path);
  const at = (detail: string): Described => ({ path, detail });
  const form = formAt(path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const key = issue.keys[0];
      const known = knownKeys(path, root);
      const hint = closest(key, known);
      return at(`unknown key '${key}'${hint ? ` (did you mean '${hint}'?)` : ''}; allowed keys: ${known.join(', ')}`);
    }
    case 'invalid_type': {
      if (found === undefined) return at(`required ${issue.expected} is missing${form ? `; expected ${form}` : ''}`);
      const expected = form ?? (issue.expected === 'int' ? 'an integer' : issue.expected === 'tuple' ? 'an array' : issue.expected);
      // JSON integers beyond 2^53 arrive as bigints, which only weights, bias and clamp values take.
      if (typeof found === 'bigint') return at(`expected ${expected} within ${SAFE}, found the integer ${found}`);
      return at(`expected ${expected}, found ${typeName(found)}`);
    }
    case 'invalid_value': {
      const options = issue.values.map((v) => JSON.stringify(v));
      const hint = typeof found === 'string' ? closest(found, issue.values.map(String)) : undefined;
      return at(`expected one of ${options.join(', ')}, found ${typeName(found)}${hint ? ` (did you mean "${hint}"?)` : ''}`);
    }
    case 'too_small':
      if (issue.origin === 'array') return at(`expected ${form ?? `at least ${issue.minimum} elements`}, found ${typeName(found)}`);
      return at(`must be at least ${issue.minimum}, found ${typeName(found)}`);
    case 'too_big':
      if (issue.origin === 'array') return at(`expected ${form ?? `at most ${issue.maximum} elements`}, found ${typeName(found)}`);
      return at(`must be at most ${issue.maximum}, found ${typeName(found)}`);
    case 'invalid_union':
      return describeUnion(issue, root, path, found, form);
    default:
      // No field uses string formats, multiples, records or custom checks; should one come, say what was found.
      return at(`expected ${form ?? 'another value'}, found ${typeName(found)}`);
  }
}

function describeUnion(issue: z.core.$ZodIssueInvalidUnion, root: unknown, path: PropertyKey[], found: unknown,
  form: string | undefined): Described {
  const at = (detail: string): Described => ({ path, detail });
  // A discriminated union (numeric.type) names the value that picks no member.
  const options = (issue as { options?: unknown[] }).options;
  if ((issue as { discriminator?: string }).discriminator && options) {
    const list = options.map((v) => JSON.stringify(v)).join(', ');
    if (found === undefined) return at(`required ${String(path.at(-1))} is missing; expected one of ${list}`);
    const hint = typeof found === 'string' ? closest(found, options.map(String)) : undefined;
    return at(`expected one of ${list}, found ${typeName(found)}${hint ? ` (did you mean "${hint}"?)` : ''}`);
  }
  // An object that fits no form usually has one wrong key: name it rather than list every form's complaint.
  if (found && typeof found === 'object' && !Array.isArray(found)) {
    const known = knownKeys(path, root);
    const unknown = Object.keys(found).filter((k) => !known.includes(k));
    if (known.length > 0 && unknown.length > 0) {
      const hint = closest(unknown[0], known);
      return at(`unknown key '${unknown[0]}'${hint ? ` (did you mean '${hint}'?)` : ''}; expected ${form ?? 'another form'}`);
    }
  }
  // The member the value came closest to: one whose complaint lies inside the value (a key of the right form
  // holding a wrong value) rather than at it (a wrong type) or at a missing key.
  const members: z.core.$ZodIssue[][] = issue.errors;
  const inside = members
    .filter((errs) => !errs.some((e) => e.code === 'unrecognized_keys'))
    .map((errs) => errs[0])
    .filter((e) => e !== undefined && e.path.length > 0 && valueAt(root, [...path, ...e.path]) !== undefined)
    .sort((a, b) => b.path.length - a.path.length)[0];
  if (inside) return describeIssue(inside, root, path);
  if (form) return at(`expected ${form}, found ${typeName(found)}`);
  // No wording in the table: list what the members expect (an integer stored as a number or a bigint is one thing).
  const wanted = new Set<string>();
  for (const errs of members)
    for (const e of errs.filter((x) => x.path.length === 0)) {
      if (e.code === 'invalid_type') wanted.add(expectedName(e.expected));
      else if (e.code === 'invalid_value') for (const v of e.values) wanted.add(JSON.stringify(v));
    }
  // An integer member may report 'number' for a string: one integer is what it wants.
  if (wanted.has('an integer')) wanted.delete('a number');
  const list = [...wanted];
  const expected = list.length === 0 ? 'another form' : list.length === 1 ? list[0] : `${list.slice(0, -1).join(', ')} or ${list.at(-1)}`;
  return at(`expected ${expected}, found ${typeName(found)}`);
}

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

/** The closest candidate by edit distance, if it is close enough to be a plausible typo. */
export function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDist) {
      bestDist = d;
      best = c;
    }
  }
  return bestDist <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

/** Edit distance counting a swap of two neighbours as one edit ('nyp' is one typo away from 'npy'). */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.length][b.length];
}
