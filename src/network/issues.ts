/**
 * zod issues -> one line: the JSON path and what is wrong, unknown keys with the closest allowed key. Works on any
 * schema made of objects, arrays, records, unions and optionals (the network spec and every op's params).
 */
import type { z } from 'zod';
import { closest, jsonPath, typeName } from '../spec/index.ts';

type Def = { type: string; innerType?: z.ZodType; shape?: Record<string, z.ZodType>; element?: z.ZodType; valueType?: z.ZodType; options?: z.ZodType[] };

const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The object schemas reachable at `p` from `schema`. */
function objectsAt(schema: z.ZodType, p: readonly PropertyKey[]): Def[] {
  let current: z.ZodType[] = [schema];
  const expand = (s: z.ZodType): z.ZodType[] => {
    const d = defOf(s);
    if ((d.type === 'optional' || d.type === 'default' || d.type === 'nullable') && d.innerType) return expand(d.innerType);
    if (d.type === 'union' && d.options) return d.options.flatMap(expand);
    return [s];
  };
  for (const k of p) {
    const next: z.ZodType[] = [];
    for (const s of current.flatMap(expand)) {
      const d = defOf(s);
      const shape = (s as unknown as { shape?: Record<string, z.ZodType> }).shape;
      if (typeof k === 'string' && shape?.[k]) next.push(shape[k]);
      else if (typeof k === 'number' && d.type === 'array' && d.element) next.push(d.element);
      else if (d.type === 'record' && d.valueType) next.push(d.valueType);
    }
    current = next;
  }
  return current.flatMap(expand).map(defOf);
}

function knownKeys(schema: z.ZodType, p: readonly PropertyKey[]): string[] {
  return [...new Set(objectsAt(schema, p).flatMap((d) => Object.keys(d.shape ?? {})))];
}

function found(root: unknown, p: readonly PropertyKey[]): unknown {
  let v = root;
  for (const k of p) v = v != null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

/** [path, message] for the first issue (an unknown key first: it usually explains a missing one). */
export function describeZodError(error: z.ZodError, schema: z.ZodType, root: unknown): [string, string] {
  const issue = error.issues.find((i) => i.code === 'unrecognized_keys') ?? error.issues[0];
  const at = jsonPath(issue.path);
  const v = found(root, issue.path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeys(schema, issue.path);
      const hint = closest(issue.keys[0], known);
      return [at, `unknown key '${issue.keys[0]}'${hint ? ` (did you mean '${hint}'?)` : ''}; allowed keys: ${known.join(', ')}`];
    }
    case 'invalid_type':
      return [at, v === undefined ? `required ${issue.expected} is missing` : `expected ${issue.expected}, found ${typeName(v)}`];
    case 'invalid_value': {
      const hint = typeof v === 'string' ? closest(v, issue.values.map(String)) : undefined;
      return [at, `expected one of ${issue.values.map((x) => JSON.stringify(x)).join(', ')}, found ${typeName(v)}${hint ? ` (did you mean "${hint}"?)` : ''}`];
    }
    case 'too_small':
      return [at, `must be at least ${issue.minimum}${issue.origin === 'array' ? ' long' : ''}, found ${typeName(v)}`];
    case 'too_big':
      return [at, `must be at most ${issue.maximum}${issue.origin === 'array' ? ' long' : ''}, found ${typeName(v)}`];
    default:
      return [at, `${issue.message}, found ${typeName(v)}`];
  }
}
