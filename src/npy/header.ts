/** A .npy header: its dtype descriptor, extent and dict, checked; every malformed header is an InputError. */
import { InputError } from '../errors.ts';
import { DTYPES, MAGIC, SUPPORTED_LIST, type NpyDtype } from './types.ts';
import { HeaderSyntaxError, PyLiteralParser, pyRepr, quoteSnippet, type PyValue } from './py-literal.ts';

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
export function headerExtent(bytes: Uint8Array, where: string, fileSize: number): { prefix: number; headerLen: number; major: number } {
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
