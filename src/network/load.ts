/**
 * A network from a file: a network spec (.json, its .npy constants beside it) or a .tflite model imported in
 * memory. Bad input of any kind is one InputError naming the file and the place.
 */
import fs from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.ts';
import { readNpy } from '../npy/index.ts';
import { describeFsError } from '../spec/index.ts';
import { resolveInside } from '../spec/model.ts';
import { importTflite } from '../tflite/import.ts';
import { buildNetwork, type Network } from './network.ts';

export function isNetworkFile(file: string): boolean {
  if (file.toLowerCase().endsWith('.tflite')) return true;
  if (!file.endsWith('.json')) return false;
  try {
    // A network spec names its format in its first bytes' worth of keys; kernel specs never have "format".
    const head = fs.readFileSync(file, 'utf8');
    return /"format"\s*:\s*"convgen-network"/.test(head);
  } catch {
    return false;
  }
}

export function readModelBytes(file: string): Uint8Array {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new InputError(file, describeFsError(e));
  }
}

export function loadNetwork(file: string): Network {
  if (file.toLowerCase().endsWith('.tflite')) {
    const { spec, arrays } = importTflite(readModelBytes(file), file);
    return buildNetwork(spec, file, (ref, where) => {
      const a = arrays.get(ref.npy);
      if (!a) throw new InputError(where, `constant ${ref.npy} is missing`);
      return a;
    });
  }
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(file, describeFsError(e));
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const m = /position (\d+)/.exec((e as Error).message);
    const before = text.slice(0, m ? Number(m[1]) : text.length).split('\n');
    throw new InputError(`${file}:${before.length}:${before[before.length - 1].length + 1}`, `invalid JSON: ${(e as Error).message.replace(/ in JSON at position \d+.*$/, '')}`);
  }
  const dir = path.dirname(file);
  return buildNetwork(value, file, (ref, where) => readNpy(resolveInside(dir, ref.npy, `${where}.npy`)));
}
