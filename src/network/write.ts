/**
 * Writing a network spec and its constants: readable JSON (objects indented, arrays of numbers on one line) and .npy
 * files, staged and moved into the folder together (src/files/write.ts), so a failure leaves nothing behind.
 */
import { encodeNpy } from '../npy/index.ts';
import { writeOutputFolder, type OutputEntry } from '../files/write.ts';
import type { ImportedNetwork } from '../tflite/import.ts';

/** JSON with two-space indentation where arrays of plain values stay on one line. */
export function formatJson(value: unknown, indent = ''): string {
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== 'object')) return `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
    if (value.every((v) => Array.isArray(v) && v.every((x) => typeof x !== 'object'))) return `[${value.map((v) => formatJson(v)).join(', ')}]`;
    const inner = indent + '  ';
    return `[\n${value.map((v) => inner + formatJson(v, inner)).join(',\n')}\n${indent}]`;
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    const inner = indent + '  ';
    return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${formatJson(v, inner)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}

/** The spec as `<name>.json` and every constant as its .npy, into `dir`. Returns the spec's path. */
export function writeNetwork(imported: ImportedNetwork, dir: string): string {
  const specName = `${imported.spec.name}.json`;
  const files: OutputEntry[] = [
    { name: specName, content: `${formatJson(imported.spec)}\n` },
    ...[...imported.arrays].filter(([name]) => usedConstants(imported).has(name)).map(([name, arr]) => ({ name, content: encodeNpy(arr) })),
  ];
  return writeOutputFolder(dir, files)[0];
}

/** The .npy files the spec's layers still refer to (a fusion may leave none for a dropped layer). */
function usedConstants(imported: ImportedNetwork): Set<string> {
  const refs = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const npy = (v as Record<string, unknown>).npy;
      if (typeof npy === 'string') refs.add(npy);
      Object.values(v).forEach(walk);
    }
  };
  imported.spec.layers.forEach((l) => walk(l.params));
  return refs;
}
