/** .npy files: read (checked, any byte order and memory order), encode and write atomically. */
import { closeSync, existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InputError } from '../errors.ts';
import { writeOutputFile } from '../files/write.ts';
import { FILE_BOUNDS, openUserFile, readExactly } from '../files/read.ts';
import { DTYPES, HOST_LITTLE_ENDIAN, MAGIC, type DtypeInfo, type NpyArray, type NpyData } from './types.ts';
import { headerExtent, parseNpyHeader, type NpyHeader } from './header.ts';

export type { NpyArray, NpyData, NpyDtype } from './types.ts';
export { parseNpyHeader, type NpyHeader } from './header.ts';

/** The data must be exactly what the header says: no more, no less. */
function checkDataLength(h: NpyHeader, actualBytes: bigint, where: string): void {
  if (actualBytes !== h.dataBytes) {
    const relation = actualBytes < h.dataBytes ? 'data is shorter than' : 'data is longer than';
    throw new InputError(
      where,
      `${relation} the header says: shape ${h.shapeText} of ${h.dtype} needs ${h.dataBytes} bytes, file has ${actualBytes}`,
    );
  }
}

/** Data bytes (exactly h.dataBytes of them) -> host-order values in C order. */
function decodeData(h: NpyHeader, bytes: Uint8Array): NpyArray {
  const info = DTYPES[h.dtype];
  // Copy so the result owns an aligned buffer whatever the header length (and never aliases a Buffer pool).
  const raw = new Uint8Array(bytes.length);
  raw.set(bytes);
  if (h.bigEndian === HOST_LITTLE_ENDIAN) swapBytes(raw, info.size);
  let data = new info.ctor(raw.buffer);
  if (h.fortranOrder && h.shape.length > 1) data = fortranToC(data, h.shape, info.ctor);
  return { dtype: h.dtype, shape: h.shape, data };
}

/** Parse the bytes of a .npy file. Every malformed input becomes an InputError naming `where`. */
export function parseNpy(bytes: Uint8Array, where: string): NpyArray {
  const h = parseNpyHeader(bytes, where);
  checkDataLength(h, BigInt(bytes.length - h.dataStart), where);
  return decodeData(h, bytes.subarray(h.dataStart));
}

function swapBytes(raw: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let i = 0; i < raw.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = raw[a];
      raw[a] = raw[b];
      raw[b] = t;
    }
  }
}

/** Reorder column-major data into row-major order, for any rank. */
function fortranToC(src: NpyData, shape: number[], ctor: DtypeInfo['ctor']): NpyData {
  const out = new ctor(new ArrayBuffer(src.byteLength));
  const n = src.length;
  if (n === 0) return out;
  const rank = shape.length;
  const cStrides = new Array<number>(rank);
  let stride = 1;
  for (let k = rank - 1; k >= 0; k--) {
    cStrides[k] = stride;
    stride *= shape[k];
  }
  // Walk the source in its own (Fortran) order: axis 0 varies fastest.
  const index = new Array<number>(rank).fill(0);
  let cOffset = 0;
  const dst = out as unknown as { [i: number]: number | bigint };
  const from = src as unknown as { [i: number]: number | bigint };
  for (let f = 0; f < n; f++) {
    dst[cOffset] = from[f];
    for (let k = 0; k < rank; k++) {
      index[k]++;
      cOffset += cStrides[k];
      if (index[k] < shape[k]) break;
      cOffset -= cStrides[k] * shape[k];
      index[k] = 0;
    }
  }
  return out;
}

/** Elements a .npy file may hold when the caller states no expected shape (LIMITS.tensorElements of the spec). */
export const NPY_MAX_ELEMENTS = 2 ** 24;

export interface ReadNpyOptions {
  /**
   * Called with the header before any data is read: throw (an InputError) to refuse a file of the wrong shape or
   * dtype without reading its data.
   */
  check?: (header: NpyHeader) => void;
  /** Refuse more elements than this (default NPY_MAX_ELEMENTS). */
  maxElements?: number;
}

/**
 * Read a .npy file: a regular file only; the header is read and checked first (by `check` too), then exactly the
 * data it announces, so a large file of the wrong shape costs a few bytes. File-system problems are InputErrors.
 */
export function readNpy(path: string, opts: ReadNpyOptions = {}): NpyArray {
  const f = openUserFile(path, Number.MAX_SAFE_INTEGER, 'a .npy file');
  try {
    const head = readExactly(f, 0, Math.min(f.size, 12), path);
    const { prefix, headerLen } = headerExtent(head, path, f.size);
    if (headerLen > FILE_BOUNDS.npyHeader)
      throw new InputError(path, `header of ${headerLen} bytes; convgen reads headers of at most ${FILE_BOUNDS.npyHeader} bytes`);
    const h = parseNpyHeader(readExactly(f, 0, prefix + headerLen, path), path, f.size);
    opts.check?.(h);
    const elements = h.shape.reduce((a, b) => a * b, 1);
    const max = opts.maxElements ?? NPY_MAX_ELEMENTS;
    if (elements > max) throw new InputError(path, `shape ${h.shapeText} has ${elements} elements; convgen reads at most ${max} here`);
    checkDataLength(h, BigInt(f.size - h.dataStart), path);
    return decodeData(h, readExactly(f, h.dataStart, Number(h.dataBytes), path));
  } finally {
    closeSync(f.fd);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Writing

function checkArray(arr: NpyArray): DtypeInfo {
  const info = DTYPES[arr.dtype];
  // These are bugs in the caller, not user input, so they keep a stack trace.
  if (info === undefined) throw new TypeError(`encodeNpy: unknown dtype ${String(arr.dtype)}`);
  if (!(arr.data instanceof info.ctor)) {
    throw new TypeError(`encodeNpy: data is a ${arr.data?.constructor?.name}, dtype ${arr.dtype} needs ${info.ctor.name}`);
  }
  if (!arr.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new TypeError(`encodeNpy: invalid shape [${arr.shape.join(', ')}]`);
  }
  const count = arr.shape.reduce((a, b) => a * b, 1);
  if (count !== arr.data.length) {
    throw new TypeError(`encodeNpy: shape [${arr.shape.join(', ')}] needs ${count} elements, data has ${arr.data.length}`);
  }
  return info;
}

/** Encode like numpy.save: version 1.0 (2.0 only if the header cannot fit), little-endian, C order. */
export function encodeNpy(arr: NpyArray): Uint8Array {
  const info = checkArray(arr);
  const shapeText = arr.shape.length === 1 ? `(${arr.shape[0]},)` : `(${arr.shape.join(', ')})`;
  let dict = `{'descr': '${info.descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // numpy leaves room to grow the first axis in place; match it so files are byte-identical.
  if (arr.shape.length > 0) dict += ' '.repeat(Math.max(0, 21 - String(arr.shape[0]).length));

  let major = 1;
  let total = 10 + dict.length + 1;
  let padded = Math.ceil(total / 64) * 64;
  if (padded - 10 > 0xffff) {
    major = 2;
    total = 12 + dict.length + 1;
    padded = Math.ceil(total / 64) * 64;
  }
  const prefix = major === 1 ? 10 : 12;
  const headerLen = padded - prefix;
  const header = dict + ' '.repeat(padded - total) + '\n';

  const out = new Uint8Array(padded + arr.data.byteLength);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, headerLen, true);
  else view.setUint32(8, headerLen, true);
  out.set(Buffer.from(header, 'latin1'), prefix);
  const body = out.subarray(padded);
  body.set(new Uint8Array(arr.data.buffer, arr.data.byteOffset, arr.data.byteLength));
  if (!HOST_LITTLE_ENDIAN) swapBytes(body, info.size);
  return out;
}

/** Write via a temp file in the same folder and rename (src/files/write.ts), so readers never see a half-written file. */
export function writeNpyAtomic(path: string, arr: NpyArray): void {
  const bytes = encodeNpy(arr);
  const dir = dirname(resolve(path));
  // rename() would replace an empty directory on some systems; refuse up front.
  if (existsSync(path) && statSync(path).isDirectory()) throw new InputError(path, 'is a directory, not a .npy file');
  if (!existsSync(dir)) throw new InputError(path, `folder '${dirname(path)}' does not exist`);
  writeOutputFile(path, bytes);
}
