/**
 * zod issues -> one line that says what is expected, at the JSON path of the problem: a union member's own
 * complaint at its full path ($.activation.clamp[0]: expected an integer, found the number 0.5), unknown keys with
 * the closest allowed one, never the schema library's own words ("Invalid input"). Shared by the kernel spec and the
 * network spec (and every op's params); each passes the keys its schema allows and its wording of union fields.
 */
import type { z } from 'zod';

export function jsonPath(p: readonly PropertyKey[]): string {
  return '$' + p.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('');
}

export function valueAt(root: unknown, p: readonly PropertyKey[]): unknown {
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

/** The form of the field at `p` (its last key, when that is a name) from the caller's table. */
function formAt(p: readonly PropertyKey[], forms: Record<string, string>): string | undefined {
  const key = p.at(-1);
  return typeof key === 'string' && Object.hasOwn(forms, key) ? forms[key] : undefined;
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

/** What the describer needs to know besides the issue. */
export interface IssueContext {
  /** The value that was parsed. */
  root: unknown;
  /** The keys the schema allows for the object at a path (for unknown keys and their suggestions). */
  knownKeys: (path: readonly PropertyKey[]) => string[];
  /** Wording of what a field takes, by its key, where the schema's own words would be vague (unions, tuples). */
  forms?: Record<string, string>;
}

export interface Described {
  /** Where the problem is: the issue's own path, or a deeper one inside a union member. */
  path: readonly PropertyKey[];
  detail: string;
}

/**
 * One line for a schema issue, every one saying what is expected. `base` is the path of the union the issue came
 * from (zod reports a union member's issues relative to the union).
 */
export function describeIssue(issue: z.core.$ZodIssue, ctx: IssueContext, base: readonly PropertyKey[] = []): Described {
  const path = [...base, ...issue.path];
  const found = valueAt(ctx.root, path);
  const at = (detail: string): Described => ({ path, detail });
  const form = formAt(path, ctx.forms ?? {});
  switch (issue.code) {
    case 'unrecognized_keys': {
      const key = issue.keys[0];
      const known = ctx.knownKeys(path);
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
      return describeUnion(issue, ctx, path, found, form);
    default:
      // No field uses string formats, multiples, records or custom checks; should one come, say what was found.
      return at(`expected ${form ?? 'another value'}, found ${typeName(found)}`);
  }
}

function describeUnion(issue: z.core.$ZodIssueInvalidUnion, ctx: IssueContext, path: PropertyKey[], found: unknown,
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
    const known = ctx.knownKeys(path);
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
    .filter((e) => e !== undefined && e.path.length > 0 && valueAt(ctx.root, [...path, ...e.path]) !== undefined)
    .sort((a, b) => b.path.length - a.path.length)[0];
  if (inside) return describeIssue(inside, ctx, path);
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
