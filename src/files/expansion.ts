/**
 * What a spec may expand to once read: how deep its arrays and objects nest and how many values it holds. Checked
 * before anything walks the value recursively (a `values` array nested 3,000 deep would overflow the stack) and,
 * for TypeScript specs, while consts and spreads are expanded (28 doublings would need gigabytes).
 */
import { InputError } from '../errors.ts';

export const SPEC_BOUNDS = {
  /** Arrays and objects inside one another; a spec needs about 8 (weights [out][in][kh][kw] under weights.values). */
  depth: 32,
  /** Numbers, strings, booleans, nulls, arrays and objects, each counted once: room for the 2^24 weights a spec may have. */
  values: 2 ** 25,
} as const;

export const DEPTH_MESSAGE = `nested more than ${SPEC_BOUNDS.depth} levels deep; a spec may nest arrays and objects at most ${SPEC_BOUNDS.depth} levels`;
export const VALUES_MESSAGE = `expands to more than ${SPEC_BOUNDS.values} values; a spec may hold at most ${SPEC_BOUNDS.values} ` +
  '(numbers, strings, arrays and objects, each counted once), and large tensors belong in .npy files';

interface Frame {
  value: unknown;
  depth: number;
  parent: Frame | null;
  key: string | number | null;
}

function pathOf(f: Frame): string {
  const keys: (string | number)[] = [];
  for (let at: Frame | null = f; at && at.key !== null; at = at.parent) keys.unshift(at.key);
  const shown = keys.length > 12 ? [...keys.slice(0, 10), '…'] : keys;
  return '$' + shown.map((k) => (typeof k === 'number' ? `[${k}]` : k === '…' ? '…' : `.${k}`)).join('');
}

/**
 * Walk a parsed spec value without recursion and refuse one that nests too deep or holds too many values.
 * Returns whether it holds an integer JSON could not have read exactly (beyond ±2^53).
 */
export function checkExpansion(value: unknown, file: string): { unsafeIntegers: boolean } {
  let count = 0;
  let unsafeIntegers = false;
  // Leaves are counted where they stand; only arrays and objects take a frame on the stack.
  const leaf = (v: unknown): boolean => {
    if (++count > SPEC_BOUNDS.values) throw new InputError(`${file}: $`, VALUES_MESSAGE);
    if (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v)) unsafeIntegers = true;
    return v === null || typeof v !== 'object';
  };
  if (leaf(value)) return { unsafeIntegers };
  const stack: Frame[] = [{ value, depth: 0, parent: null, key: null }];
  while (stack.length > 0) {
    const f = stack.pop()!;
    if (f.depth >= SPEC_BOUNDS.depth) throw new InputError(`${file}: ${pathOf(f)}`, DEPTH_MESSAGE);
    const v = f.value;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) if (!leaf(v[i])) stack.push({ value: v[i], depth: f.depth + 1, parent: f, key: i });
    } else {
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o);
      for (let i = keys.length - 1; i >= 0; i--) if (!leaf(o[keys[i]])) stack.push({ value: o[keys[i]], depth: f.depth + 1, parent: f, key: keys[i] });
    }
  }
  return { unsafeIntegers };
}
