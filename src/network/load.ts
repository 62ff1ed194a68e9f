/**
 * A network from a file: a network spec (.json, its .npy constants beside it) or a .tflite model imported in
 * memory. Bad input of any kind is one InputError naming the file and the place.
 */
import { InputError } from '../errors.ts';
import { FILE_BOUNDS, readUserFile, resolveSpecPath, specRoot, type SpecRoot } from '../files/read.ts';
import { readNpy } from '../npy/index.ts';
import { checkExpansion } from '../files/expansion.ts';
import { importTflite } from '../tflite/import.ts';
import { buildNetwork, type Network } from './network.ts';

export function isNetworkFile(file: string): boolean {
  if (file.toLowerCase().endsWith('.tflite')) return true;
  if (!file.endsWith('.json')) return false;
  try {
    // A network spec names its format in its keys; kernel specs never have "format". A file that cannot be read
    // (missing, a FIFO, too large) is left to the kernel-spec reader to report.
    const head = readUserFile(file, FILE_BOUNDS.jsonSpec).toString('utf8');
    return /"format"\s*:\s*"convgen-network"/.test(head);
  } catch {
    return false;
  }
}

export function readModelBytes(file: string): Uint8Array {
  return readUserFile(file, FILE_BOUNDS.tfliteModel, 'a .tflite file');
}

/** A network from a spec or a .tflite model; `root` as for kernel specs (--root). */
export function loadNetwork(file: string, root?: string): Network {
  if (file.toLowerCase().endsWith('.tflite')) {
    const { spec, arrays } = importTflite(readModelBytes(file), file);
    return buildNetwork(spec, file, (ref, where) => {
      const a = arrays.get(ref.npy);
      if (!a) throw new InputError(where, `constant ${ref.npy} is missing`);
      return a;
    });
  }
  const text = readUserFile(file, FILE_BOUNDS.jsonSpec).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const m = /position (\d+)/.exec((e as Error).message);
    const before = text.slice(0, m ? Number(m[1]) : text.length).split('\n');
    throw new InputError(`${file}:${before.length}:${before[before.length - 1].length + 1}`, `invalid JSON: ${(e as Error).message.replace(/ in JSON at position \d+.*$/, '')}`);
  }
  checkExpansion(value, file);
  let r: SpecRoot | undefined;
  return buildNetwork(value, file, (ref, where) => readNpy(resolveSpecPath(file, ref.npy, `${where}.npy`, (r ??= specRoot(file, root)))));
}
