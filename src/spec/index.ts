/**
 * Spec stage: a file (JSON or *.kernel.ts) in, a validated KernelModel out. Every error is an InputError that
 * names the file and the JSON path (or line:column), on one line.
 */
import fs from 'node:fs';
import { z } from 'zod';
import { InputError } from '../errors.ts';
import { specSchema, type RawSpec } from './schema.ts';
import { buildModel, type KernelModel } from './model.ts';

export type { KernelModel, Padding, QFormat, NumericFormat, Int8Format, Int8Scales, RealModel, ChosenFormat, ChosenFormats } from './model.ts';
export { macCount, samePadding, quantizeFloat, quantizeInputValue, inputSaturates, describeNumeric } from './model.ts';
export { Mulberry32 } from './random.ts';
export { qName, storageTypes } from './numeric.ts';

/** Read, check and resolve a spec file. */
export async function loadSpec(file: string): Promise<KernelModel> {
  const value = await readSpecValue(file);
  return modelFromValue(value, file);
}

/** Check and resolve an already-read spec value (`file` is used for messages and relative paths). */
export function modelFromValue(value: unknown, file: string): KernelModel {
  const parsed = specSchema.safeParse(value);
  if (!parsed.success) {
    // An unknown key explains a missing one ('hieght' for 'height'): report it first, with its suggestion.
    const issue = parsed.error.issues.find((i) => i.code === 'unrecognized_keys') ?? parsed.error.issues[0];
    throw new InputError(`${file}: ${jsonPath(issue.path)}`, describeIssue(issue, value));
  }
  return buildModel(parsed.data as RawSpec, { file });
}

async function readSpecValue(file: string): Promise<unknown> {
  // ts-morph takes most of a second to load: only TypeScript specs pay for it.
  if (file.endsWith('.kernel.ts')) return (await import('./typescript-spec.ts')).readTypeScriptSpec(file);
  if (!file.endsWith('.json'))
    throw new InputError(file, 'a spec must be a .json file or a .kernel.ts module');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(file, describeFsError(e));
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError(locateJsonError(file, text, e as Error), `invalid JSON: ${(e as Error).message.replace(/ in JSON at position \d+.*$/, '')}`);
  }
}

export function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'file not found';
  if (code === 'EISDIR') return 'is a directory, not a file';
  if (code === 'EACCES') return 'permission denied';
  return (e as Error).message;
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
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  return `a${typeof v === 'object' ? 'n' : ''} ${typeof v}`;
}

/** Human wording for the forms each union field accepts. */
const unionForms: Record<string, string> = {
  kernel: 'a positive integer or [height, width]',
  stride: 'a positive integer or [height, width]',
  dilation: 'a positive integer or [height, width]',
  padding: 'a non-negative integer, [h, w], [top, left, bottom, right], "valid" or "same"',
  activation: '"none", "relu", "relu6" or { "clamp": [lo, hi] }',
  weights: '{ "npy": path }, { "values": [...] } or { "random": { "seed": n } }, with an optional "layout"',
  bias: '{ "npy": path }, { "values": [...] } or { "random": { "seed": n } }',
  multiplier: 'a number or an array of numbers (one per output channel)',
  shift: 'a number or an array of numbers (one per output channel)',
  weightScales: 'a number or an array of numbers (one per output channel)',
  weightFrac: 'a non-negative integer or "auto"',
  outputFrac: 'a non-negative integer or "auto"',
  biasFrac: 'a non-negative integer or "auto"',
};

function describeIssue(issue: z.core.$ZodIssue, root: unknown): string {
  const found = valueAt(root, issue.path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const key = issue.keys[0];
      const known = knownKeys(issue.path, root);
      const hint = closest(key, known);
      return `unknown key '${key}'${hint ? ` (did you mean '${hint}'?)` : ''}; allowed keys: ${known.join(', ')}`;
    }
    case 'invalid_type':
      if (found === undefined) return `required ${issue.expected} is missing`;
      return `expected ${issue.expected === 'int' ? 'an integer' : issue.expected}, found ${typeName(found)}`;
    case 'invalid_value': {
      const options = issue.values.map((v) => JSON.stringify(v));
      const hint = typeof found === 'string' ? closest(found, issue.values.map(String)) : undefined;
      return `expected one of ${options.join(', ')}, found ${typeName(found)}${hint ? ` (did you mean "${hint}"?)` : ''}`;
    }
    case 'too_small':
      return `must be at least ${issue.minimum}, found ${typeName(found)}`;
    case 'too_big':
      return `must be at most ${issue.maximum}, found ${typeName(found)}`;
    case 'invalid_union': {
      // A discriminated union (numeric.type) names the value that picks no member.
      const options = (issue as { options?: unknown[] }).options;
      if ((issue as { discriminator?: string }).discriminator && options) {
        if (found === undefined) return `required ${String(issue.path.at(-1))} is missing; expected one of ${options.map((v) => JSON.stringify(v)).join(', ')}`;
        const hint = typeof found === 'string' ? closest(found, options.map(String)) : undefined;
        return `expected one of ${options.map((v) => JSON.stringify(v)).join(', ')}, found ${typeName(found)}${hint ? ` (did you mean "${hint}"?)` : ''}`;
      }
      // An object that fits no form usually has one wrong key: name it rather than list every form's complaint.
      if (found && typeof found === 'object' && !Array.isArray(found)) {
        const known = knownKeys(issue.path, root);
        const unknown = Object.keys(found).filter((k) => !known.includes(k));
        if (unknown.length > 0) {
          const hint = closest(unknown[0], known);
          return `unknown key '${unknown[0]}'${hint ? ` (did you mean '${hint}'?)` : ''}; expected ${unionForms[String(issue.path.at(-1))] ?? 'another form'}`;
        }
        const nested = issue.errors.map((errs) => errs[0]).filter((e) => e && e.path.length > 0)[0];
        if (nested) return `${jsonPath(nested.path)} of this object: ${nested.message}`;
      }
      const form = unionForms[String(issue.path.find((k) => typeof k === 'string' && k in unionForms) ?? '')];
      return `expected ${form ?? 'another form'}, found ${typeName(found)}`;
    }
    default:
      return issue.message;
  }
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
