import { closeSync, existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InputError } from '../errors.ts';
import { writeOutputFile } from '../files/write.ts';
import { FILE_BOUNDS, openUserFile, readExactly } from '../files/read.ts';

export type NpyDtype = 'int8' | 'uint8' | 'int16' | 'int32' | 'int64' | 'float32' | 'float64';

export type NpyData = Int8Array | Uint8Array | Int16Array | Int32Array | BigInt64Array | Float32Array | Float64Array;

/** `data` is always in C (row-major) order and holds host-order values. */
export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: NpyData;
}

interface DtypeInfo {
  size: number;
  ctor: new (buffer: ArrayBuffer) => NpyData;
  descr: string;
}

const DTYPES: Record<NpyDtype, DtypeInfo> = {
  int8: { size: 1, ctor: Int8Array, descr: '|i1' },
  uint8: { size: 1, ctor: Uint8Array, descr: '|u1' },
  int16: { size: 2, ctor: Int16Array, descr: '<i2' },
  int32: { size: 4, ctor: Int32Array, descr: '<i4' },
  int64: { size: 8, ctor: BigInt64Array, descr: '<i8' },
  float32: { size: 4, ctor: Float32Array, descr: '<f4' },
  float64: { size: 8, ctor: Float64Array, descr: '<f8' },
};

const SUPPORTED_LIST = 'int8, uint8, int16, int32, int64, float32 or float64';
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ---------------------------------------------------------------------------------------------------------------
// Header dict: a strict parser for the Python literals numpy writes (never eval).

type PyValue =
  | { t: 'str'; v: string }
  | { t: 'int'; v: bigint }
  | { t: 'bool'; v: boolean }
  | { t: 'none' }
  | { t: 'tuple'; v: PyValue[] }
  | { t: 'list'; v: PyValue[] }
  | { t: 'dict'; v: Map<string, PyValue> };

class HeaderSyntaxError extends Error {}

class PyLiteralParser {
  private pos = 0;
  constructor(private readonly src: string) {}

  parseTop(): PyValue {
    const value = this.value(0);
    this.ws();
    if (this.pos !== this.src.length) this.fail(`unexpected ${this.describeHere()}`);
    return value;
  }

  private fail(msg: string): never {
    throw new HeaderSyntaxError(`${msg} at character ${this.pos + 1}`);
  }

  private describeHere(): string {
    return this.pos >= this.src.length ? 'end of header' : `character ${JSON.stringify(this.src[this.pos])}`;
  }

  private ws(): void {
    while (this.pos < this.src.length && /[ \t\r\n\f\v]/.test(this.src[this.pos])) this.pos++;
  }

  private value(depth: number): PyValue {
    // Bounded so a header of nested brackets cannot overflow the stack.
    if (depth > 32) this.fail('nesting too deep');
    this.ws();
    const c = this.src[this.pos];
    if (c === '{') return this.dict(depth);
    if (c === '(') return this.tupleOrParens(depth);
    if (c === '[') return { t: 'list', v: this.sequence(']', depth) };
    if (c === "'" || c === '"') return { t: 'str', v: this.string() };
    if (c !== undefined && /[-+0-9]/.test(c)) return this.int();
    const word = /^[A-Za-z_]\w*/.exec(this.src.slice(this.pos, this.pos + 64))?.[0];
    if (word === 'True' || word === 'False' || word === 'None') {
      this.pos += word.length;
      return word === 'None' ? { t: 'none' } : { t: 'bool', v: word === 'True' };
    }
    this.fail(`expected a value, found ${this.describeHere()}`);
  }

  private dict(depth: number): PyValue {
    this.pos++;
    const map = new Map<string, PyValue>();
    for (;;) {
      this.ws();
      if (this.src[this.pos] === '}') {
        this.pos++;
        return { t: 'dict', v: map };
      }
      const key = this.value(depth + 1);
      if (key.t !== 'str') this.fail('dict keys must be strings');
      this.ws();
      if (this.src[this.pos] !== ':') this.fail(`expected ':', found ${this.describeHere()}`);
      this.pos++;
      if (map.has(key.v)) this.fail(`duplicate key '${key.v}'`);
      map.set(key.v, this.value(depth + 1));
      this.ws();
      if (this.src[this.pos] === ',') this.pos++;
      else if (this.src[this.pos] !== '}') this.fail(`expected ',' or '}', found ${this.describeHere()}`);
    }
  }

  private tupleOrParens(depth: number): PyValue {
    this.pos++;
    this.ws();
    if (this.src[this.pos] === ')') {
      this.pos++;
      return { t: 'tuple', v: [] };
    }
    const first = this.value(depth + 1);
    this.ws();
    // Python: `(6)` is the int 6; only a comma makes a tuple.
    if (this.src[this.pos] === ')') {
      this.pos++;
      return first;
    }
    if (this.src[this.pos] !== ',') this.fail(`expected ',' or ')', found ${this.describeHere()}`);
    this.pos++;
    return { t: 'tuple', v: [first, ...this.sequence(')', depth)] };
  }

  /** Items up to `close`, allowing a trailing comma; the opening bracket (if any) is already consumed for tuples. */
  private sequence(close: string, depth: number): PyValue[] {
    if (close === ']') this.pos++;
    const items: PyValue[] = [];
    for (;;) {
      this.ws();
      if (this.src[this.pos] === close) {
        this.pos++;
        return items;
      }
      items.push(this.value(depth + 1));
      this.ws();
      if (this.src[this.pos] === ',') this.pos++;
      else if (this.src[this.pos] !== close) this.fail(`expected ',' or '${close}', found ${this.describeHere()}`);
    }
  }

  private string(): string {
    const quote = this.src[this.pos++];
    let out = '';
    for (;;) {
      if (this.pos >= this.src.length) this.fail('unterminated string');
      const c = this.src[this.pos++];
      if (c === quote) return out;
      if (c === '\n') this.fail('unterminated string');
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.src[this.pos++];
      const simple: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', n: '\n', t: '\t', r: '\r', '0': '\0' };
      if (e !== undefined && e in simple) out += simple[e];
      else this.fail('unsupported escape in string');
    }
  }

  private int(): PyValue {
    // Python 2 wrote shapes as `(3L, 4L)`; accept the suffix as numpy does.
    const m = /^[-+]?[0-9]+L?/.exec(this.src.slice(this.pos, this.pos + 400));
    if (!m) this.fail(`expected a number, found ${this.describeHere()}`);
    const text = m[0];
    const next = this.src[this.pos + text.length];
    if (next !== undefined && /[\w.]/.test(next)) this.fail('only integer literals are allowed');
    this.pos += text.length;
    return { t: 'int', v: BigInt(text.replace(/L$/, '')) };
  }
}

function pyRepr(v: PyValue): string {
  switch (v.t) {
    case 'str':
      return `'${v.v}'`;
    case 'int':
      return v.v.toString();
    case 'bool':
      return v.v ? 'True' : 'False';
    case 'none':
      return 'None';
    case 'tuple':
      return v.v.length === 1 ? `(${pyRepr(v.v[0])},)` : `(${v.v.map(pyRepr).join(', ')})`;
    case 'list':
      return `[${v.v.map(pyRepr).join(', ')}]`;
    case 'dict':
      return `{${[...v.v].map(([k, x]) => `'${k}': ${pyRepr(x)}`).join(', ')}}`;
  }
}

/** Quote text from the file for a one-line message, without control characters or unbounded length. */
function quoteSnippet(text: string, max = 60): string {
  const cut = text.length > max ? `${text.slice(0, max)}...` : text;
  return JSON.stringify(cut);
}

// ---------------------------------------------------------------------------------------------------------------
// dtype descriptors

interface Descr {
  dtype: NpyDtype;
  bigEndian: boolean;
}

function parseDescr(descr: PyValue, where: string): Descr {
  if (descr.t !== 'str') {
    const shown = quoteSnippet(pyRepr(descr));
    if (descr.t === 'list') {
      throw new InputError(where, `structured dtype ${shown} is not supported; use ${SUPPORTED_LIST}`);
    }
    throw new InputError(where, `header 'descr' must be a dtype string, found ${shown}`);
  }
  const text = descr.v;
  const m = /^([<>|=])?([a-zA-Z])(\d*)(.*)$/s.exec(text);
  const shown = quoteSnippet(text, 40).slice(1, -1);
  if (m) {
    const [, order = '', kind, sizeText, rest] = m;
    const size = sizeText === '' ? NaN : Number(sizeText);
    if (rest === '') {
      const byKind: Record<string, Partial<Record<number, NpyDtype>>> = {
        i: { 1: 'int8', 2: 'int16', 4: 'int32', 8: 'int64' },
        u: { 1: 'uint8' },
        f: { 4: 'float32', 8: 'float64' },
      };
      const dtype = byKind[kind]?.[size];
      if (dtype !== undefined) {
        const multiByte = DTYPES[dtype].size > 1;
        // `|` means "byte order not applicable", which numpy only writes for 1-byte types.
        if (!(multiByte && order === '|')) return { dtype, bigEndian: order === '>' };
      }
    }
    const what = describeUnsupported(kind, size);
    if (what) throw new InputError(where, `dtype '${shown}' (${what}) is not supported; use ${SUPPORTED_LIST}`);
  }
  throw new InputError(where, `dtype '${shown}' is not supported; use ${SUPPORTED_LIST}`);
}

function describeUnsupported(kind: string, size: number): string | undefined {
  switch (kind) {
    case 'O':
      return 'object arrays';
    case 'b':
      return 'bool';
    case 'i':
      return Number.isFinite(size) ? `int${size * 8}` : 'integer';
    case 'u':
      return Number.isFinite(size) ? `uint${size * 8}` : 'unsigned integer';
    case 'f':
      return Number.isFinite(size) ? `float${size * 8}` : 'float';
    case 'c':
      return 'complex';
    case 'U':
      return 'unicode strings';
    case 'S':
    case 'a':
      return 'byte strings';
    case 'V':
      return 'raw or structured data';
    case 'M':
      return 'datetime';
    case 'm':
      return 'timedelta';
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing

/** What a .npy header says, checked: enough to decide whether the data is worth reading. */
export interface NpyHeader {
  dtype: NpyDtype;
  shape: number[];
  bigEndian: boolean;
  fortranOrder: boolean;
  /** Offset of the first data byte. */
  dataStart: number;
  /** Bytes the shape and dtype need. */
  dataBytes: bigint;
  /** The shape as written in the header, for messages. */
  shapeText: string;
}

/** Bytes of the fixed prefix (magic, version, header length) and, once it is read, of the whole header. */
function headerExtent(bytes: Uint8Array, where: string, fileSize: number): { prefix: number; headerLen: number; major: number } {
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new InputError(where, 'not a .npy file (missing the \\x93NUMPY magic bytes)');
  }
  const major = bytes[6];
  const minor = bytes[7];
  if (!((major === 1 || major === 2 || major === 3) && minor === 0)) {
    throw new InputError(where, `unsupported .npy format version ${major}.${minor} (supported: 1.0, 2.0, 3.0)`);
  }
  const lenBytes = major === 1 ? 2 : 4;
  const prefix = 8 + lenBytes;
  if (bytes.length < prefix) {
    throw new InputError(where, `truncated header: file is ${fileSize} bytes, too short for the header length field`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (fileSize < prefix + headerLen) {
    throw new InputError(
      where,
      `truncated header: header says ${headerLen} bytes but only ${fileSize - prefix} follow the length field`,
    );
  }
  return { prefix, headerLen, major };
}

/**
 * Parse and check the header of a .npy file. `bytes` holds at least the whole header (or the whole file when it is
 * shorter); `fileSize` is the file's length, for messages.
 */
export function parseNpyHeader(bytes: Uint8Array, where: string, fileSize = bytes.length): NpyHeader {
  const { prefix, headerLen, major } = headerExtent(bytes, where, fileSize);
  const dataStart = prefix + headerLen;
  const headerBytes = bytes.subarray(prefix, dataStart);
  let headerText: string;
  if (major === 3) {
    try {
      headerText = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
    } catch {
      throw new InputError(where, 'unparsable header: not valid UTF-8');
    }
  } else {
    headerText = Buffer.from(headerBytes).toString('latin1');
  }

  let header: PyValue;
  try {
    header = new PyLiteralParser(headerText).parseTop();
  } catch (e) {
    if (!(e instanceof HeaderSyntaxError)) throw e;
    throw new InputError(where, `unparsable header ${quoteSnippet(headerText.trim())}: ${e.message}`);
  }
  if (header.t !== 'dict') {
    throw new InputError(where, `unparsable header: expected a dict, found ${quoteSnippet(pyRepr(header))}`);
  }
  const keys = [...header.v.keys()];
  const expected = ['descr', 'fortran_order', 'shape'];
  const missing = expected.filter((k) => !header.v.has(k));
  const extra = keys.filter((k) => !expected.includes(k));
  if (missing.length > 0 || extra.length > 0) {
    const parts = [
      missing.length > 0 ? `missing ${missing.map((k) => `'${k}'`).join(', ')}` : '',
      extra.length > 0 ? `unexpected ${extra.map((k) => quoteSnippet(k, 30)).join(', ')}` : '',
    ].filter(Boolean);
    throw new InputError(where, `unparsable header: keys must be 'descr', 'fortran_order' and 'shape' (${parts.join('; ')})`);
  }
  const { dtype, bigEndian } = parseDescr(header.v.get('descr')!, where);

  const fortranValue = header.v.get('fortran_order')!;
  if (fortranValue.t !== 'bool') {
    throw new InputError(where, `header 'fortran_order' must be True or False, found ${quoteSnippet(pyRepr(fortranValue))}`);
  }
  const shapeValue = header.v.get('shape')!;
  if (shapeValue.t !== 'tuple' || shapeValue.v.some((d) => d.t !== 'int' || d.v < 0n || d.v > BigInt(Number.MAX_SAFE_INTEGER))) {
    throw new InputError(
      where,
      `header 'shape' must be a tuple of non-negative integers, found ${quoteSnippet(pyRepr(shapeValue))}`,
    );
  }
  const dims = shapeValue.v.map((d) => (d as { t: 'int'; v: bigint }).v);
  return {
    dtype,
    shape: dims.map(Number),
    bigEndian,
    fortranOrder: fortranValue.v,
    dataStart,
    dataBytes: dims.reduce((a, b) => a * b, 1n) * BigInt(DTYPES[dtype].size),
    shapeText: pyRepr(shapeValue),
  };
}

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
