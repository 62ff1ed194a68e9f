/**
 * zod issues -> one line: the JSON path and what is expected, unknown keys with the closest allowed key. Works on
 * any schema made of objects, arrays, records, unions and optionals (the network spec and every op's params).
 */
import type { z } from 'zod';
import { describeIssue, jsonPath } from '../files/issues.ts';

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

/**
 * [path, message] for the first issue (an unknown key first: it usually explains a missing one), worded by the
 * describer the kernel spec uses (src/files/issues.ts), so every message says what is expected.
 */
export function describeZodError(error: z.ZodError, schema: z.ZodType, root: unknown): [string, string] {
  const issue = error.issues.find((i) => i.code === 'unrecognized_keys') ?? error.issues[0];
  const { path, detail } = describeIssue(issue, { root, knownKeys: (p) => knownKeys(schema, p) });
  return [jsonPath(path), detail];
}
