/**
 * Writing a network spec and its constants: readable JSON (objects indented, arrays of numbers on one line) and .npy
 * files, all written to temporary names first and then renamed, so a failure leaves nothing behind.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { EnvironmentError, InputError } from '../errors.ts';
import { encodeNpy } from '../npy/index.ts';
import { makeDir, removeEmptyDirs } from '../cli/fsutil.ts';
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

export interface OutFile {
  name: string;
  bytes: Uint8Array | string;
}

/** Write every file into `dir` (created if needed): temporary names first, then renamed; on failure nothing stays. */
export function writeFilesAtomic(files: OutFile[], dir: string): string[] {
  const created = makeDir(dir);
  const temps: [string, string][] = [];
  try {
    for (const f of files) {
      const dest = path.join(dir, f.name);
      if (fs.existsSync(dest) && fs.statSync(dest).isDirectory()) throw new InputError(dest, 'is a folder, not a file');
      const tmp = path.join(dir, `.${f.name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
      fs.writeFileSync(tmp, f.bytes, { flag: 'wx' });
      temps.push([tmp, dest]);
    }
    for (const [tmp, dest] of temps) fs.renameSync(tmp, dest);
  } catch (e) {
    for (const [tmp] of temps) fs.rmSync(tmp, { force: true });
    removeEmptyDirs(created);
    if (e instanceof InputError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') throw new InputError(dir, `cannot write here: ${code}`);
    throw new EnvironmentError(`${dir}: cannot write: ${(e as Error).message}`);
  }
  return files.map((f) => path.join(dir, f.name));
}

/** The spec as `<name>.json` and every constant as its .npy, into `dir`. Returns the spec's path. */
export function writeNetwork(imported: ImportedNetwork, dir: string): string {
  const specName = `${imported.spec.name}.json`;
  const files: OutFile[] = [
    { name: specName, bytes: `${formatJson(imported.spec)}\n` },
    ...[...imported.arrays].filter(([name]) => usedConstants(imported).has(name)).map(([name, arr]) => ({ name, bytes: encodeNpy(arr) })),
  ];
  return writeFilesAtomic(files, dir)[0];
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
