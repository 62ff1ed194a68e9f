import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InputError } from '../../src/errors.ts';
import { encodeNpy, parseNpy, readNpy, writeNpyAtomic, type NpyArray, type NpyDtype } from '../../src/npy/index.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/npy/', import.meta.url));
const fixture = (name: string): string => join(FIXTURES, name);

const CTORS = {
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  float32: Float32Array,
  float64: Float64Array,
} as const;
const ALL_DTYPES = Object.keys(CTORS) as NpyDtype[];

function makeArray(dtype: NpyDtype, shape: number[], values: (number | bigint)[]): NpyArray {
  const data =
    dtype === 'int64'
      ? BigInt64Array.from(values.map((v) => BigInt(v)))
      : new CTORS[dtype](values.map((v) => Number(v)));
  return { dtype, shape, data };
}

const list = (data: NpyArray['data']): (number | bigint)[] => Array.from(data as ArrayLike<number | bigint>);

function bytesOf(a: NpyArray['data']): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Build a .npy file by hand: magic, version, header length, the header text as given, then data. */
function build(header: string, data: Uint8Array | number[] = [], version = 1): Uint8Array {
  const head = Buffer.from(header, version === 3 ? 'utf8' : 'latin1');
  const lenBytes = version === 1 ? 2 : 4;
  const out = new Uint8Array(8 + lenBytes + head.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, head.length, true);
  else view.setUint32(8, head.length, true);
  out.set(head, 8 + lenBytes);
  out.set(data, 8 + lenBytes + head.length);
  return out;
}

const dict = (descr: string, shape: string, fortran = 'False'): string =>
  `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }\n`;

function bigEndianBytes(kind: 'i2' | 'i4' | 'i8' | 'f4' | 'f8', values: (number | bigint)[]): Uint8Array {
  const size = Number(kind[1]);
  const out = new Uint8Array(values.length * size);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => {
    const at = i * size;
    if (kind === 'i2') view.setInt16(at, Number(v), false);
    else if (kind === 'i4') view.setInt32(at, Number(v), false);
    else if (kind === 'i8') view.setBigInt64(at, BigInt(v), false);
    else if (kind === 'f4') view.setFloat32(at, Number(v), false);
    else view.setFloat64(at, Number(v), false);
  });
  return out;
}

function expectInputError(fn: () => unknown, message: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(InputError);
  expect((caught as InputError).message).toBe(message);
  expect((caught as InputError).exitCode).toBe(2);
  expect((caught as InputError).message).not.toContain('\n');
}

/** Values 0..23 in C order of the (2, 3, 4) fixtures written by generate.py. */
function fixtureValues(dtype: NpyDtype, count = 24): (number | bigint)[] {
  return Array.from({ length: count }, (_, i) => {
    if (dtype === 'uint8') return (i * 10) % 256;
    if (dtype === 'int64') return BigInt(i - 12);
    return dtype.startsWith('float') ? (i - 12) * 0.25 : i - 12;
  });
}

describe('round trip', () => {
  const samples: Record<NpyDtype, (number | bigint)[]> = {
    int8: [-128, -1, 0, 1, 127, 5],
    uint8: [0, 1, 127, 128, 255, 7],
    int16: [-32768, -1, 0, 1, 32767, 300],
    int32: [-2147483648, -1, 0, 1, 2147483647, 70000],
    int64: [-(2n ** 63n), -1n, 0n, 1n, 2n ** 63n - 1n, 2n ** 53n + 1n],
    float32: [-0, 1.5, -3.25, Infinity, -Infinity, NaN],
    float64: [-0, Number.MIN_VALUE, Number.MAX_VALUE, Math.PI, -Infinity, NaN],
  };

  for (const dtype of ALL_DTYPES) {
    it(`${dtype} keeps values and shape for several ranks`, () => {
      const shapes = [[6], [2, 3], [3, 1, 2], [1, 1, 1, 6]];
      for (const shape of shapes) {
        const arr = makeArray(dtype, shape, samples[dtype]);
        const back = parseNpy(encodeNpy(arr), 'mem.npy');
        expect(back.dtype).toBe(dtype);
        expect(back.shape).toEqual(shape);
        expect(back.data).toBeInstanceOf(CTORS[dtype]);
        expect(bytesOf(back.data)).toEqual(bytesOf(arr.data));
      }
    });
  }

  it('handles scalars and zero-length dimensions', () => {
    const scalar = parseNpy(encodeNpy(makeArray('float64', [], [2.5])), 's.npy');
    expect(scalar.shape).toEqual([]);
    expect(list(scalar.data)).toEqual([2.5]);
    for (const shape of [[0], [0, 3], [4, 0, 2]]) {
      const back = parseNpy(encodeNpy(makeArray('int16', shape, [])), 'e.npy');
      expect(back.shape).toEqual(shape);
      expect(back.data.length).toBe(0);
    }
  });

  it('property: any int32 array of any shape survives encode/parse', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 }), fc.integer(), (shape, seed) => {
        const count = shape.reduce((a, b) => a * b, 1);
        const values = Array.from({ length: count }, (_, i) => (seed + i * 7919) | 0);
        const arr = makeArray('int32', shape, values);
        const back = parseNpy(encodeNpy(arr), 'p.npy');
        expect(back.shape).toEqual(shape);
        expect(list(back.data)).toEqual(values);
      }),
    );
  });

  it('writes the header like numpy: version 1.0, padded to 64 bytes, ending in a newline', () => {
    const out = encodeNpy(makeArray('int16', [2, 3], [1, 2, 3, 4, 5, 6]));
    expect(Array.from(out.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const headerLen = out[8] | (out[9] << 8);
    expect((10 + headerLen) % 64).toBe(0);
    expect(out[10 + headerLen - 1]).toBe(0x0a);
    const header = Buffer.from(out.subarray(10, 10 + headerLen)).toString('latin1');
    expect(header.trimEnd()).toBe("{'descr': '<i2', 'fortran_order': False, 'shape': (2, 3), }");
  });

  it('matches numpy.save byte for byte', () => {
    for (const dtype of ALL_DTYPES) {
      const expected = readFileSync(fixture(`c_${dtype}.npy`));
      expect(Buffer.from(encodeNpy(makeArray(dtype, [2, 3, 4], fixtureValues(dtype))))).toEqual(expected);
    }
    expect(Buffer.from(encodeNpy(makeArray('float64', [], [-1.5])))).toEqual(readFileSync(fixture('scalar_float64.npy')));
    expect(Buffer.from(encodeNpy(makeArray('int32', [0, 3], [])))).toEqual(readFileSync(fixture('empty_int32_0x3.npy')));
  });

  it('rejects arrays whose data does not match dtype or shape (caller bugs, so TypeError)', () => {
    expect(() => encodeNpy({ dtype: 'int16', shape: [2], data: new Int32Array(2) })).toThrow(TypeError);
    expect(() => encodeNpy({ dtype: 'int16', shape: [3], data: new Int16Array(2) })).toThrow(TypeError);
    expect(() => encodeNpy({ dtype: 'int16', shape: [-1], data: new Int16Array(0) })).toThrow(TypeError);
  });

  it('encodes a subarray view without its neighbours', () => {
    const backing = new Int16Array([9, 1, 2, 3, 9]);
    const back = parseNpy(encodeNpy({ dtype: 'int16', shape: [3], data: backing.subarray(1, 4) }), 'v.npy');
    expect(list(back.data)).toEqual([1, 2, 3]);
  });
});

describe('hand-built files', () => {
  it('byte-swaps big-endian data of every width', () => {
    const cases: ['i2' | 'i4' | 'i8' | 'f4' | 'f8', NpyDtype, (number | bigint)[]][] = [
      ['i2', 'int16', [258, -2, -32768]],
      ['i4', 'int32', [0x01020304, -2, -2147483648]],
      ['i8', 'int64', [0x0102030405060708n, -2n, -(2n ** 63n)]],
      ['f4', 'float32', [1.5, -2.25, 1e-3]],
      ['f8', 'float64', [Math.PI, -0.1, 1e300]],
    ];
    for (const [kind, dtype, values] of cases) {
      const arr = parseNpy(build(dict(`>${kind}`, '(3,)'), bigEndianBytes(kind, values)), 'be.npy');
      expect(arr.dtype).toBe(dtype);
      expect(list(arr.data)).toEqual(list(makeArray(dtype, [3], values).data));
    }
    // The raw bytes of '>i2' [0x0102, 0xfffe]: checks the swap itself, not just a DataView round trip.
    expect(list(parseNpy(build(dict('>i2', '(2,)'), [0x01, 0x02, 0xff, 0xfe]), 'be.npy').data)).toEqual([258, -2]);
  });

  it("accepts '<', '|' and '=' (native = little) byte orders", () => {
    expect(list(parseNpy(build(dict('=i4', '(1,)'), [1, 0, 0, 0]), 'n.npy').data)).toEqual([1]);
    expect(list(parseNpy(build(dict('<i2', '(1,)'), [0, 1]), 'l.npy').data)).toEqual([256]);
    expect(parseNpy(build(dict('|i1', '(1,)'), [0xff]), 'b.npy').data).toEqual(new Int8Array([-1]));
    expect(parseNpy(build(dict('<i1', '(1,)'), [0xff]), 'b.npy').data).toEqual(new Int8Array([-1]));
    expect(parseNpy(build(dict('|u1', '(1,)'), [0xff]), 'b.npy').data).toEqual(new Uint8Array([255]));
    expect(parseNpy(build(dict('<u1', '(1,)'), [0xff]), 'b.npy').dtype).toBe('uint8');
  });

  it('transposes a Fortran-order 2x3 array to C order', () => {
    // Column-major storage of [[0, 1, 2], [3, 4, 5]].
    const arr = parseNpy(build(dict('<i4', '(2, 3)', 'True'), new Uint8Array(Int32Array.from([0, 3, 1, 4, 2, 5]).buffer)), 'f.npy');
    expect(arr.shape).toEqual([2, 3]);
    expect(list(arr.data)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('transposes a Fortran-order 2x3x4 array to C order', () => {
    // Fortran element (i, j, k) sits at i + 2j + 6k and holds its C-order index 12i + 4j + k.
    const fortran = new Float64Array(24);
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) fortran[i + 2 * j + 6 * k] = 12 * i + 4 * j + k;
    const arr = parseNpy(build(dict('<f8', '(2, 3, 4)', 'True'), new Uint8Array(fortran.buffer)), 'f.npy');
    expect(arr.shape).toEqual([2, 3, 4]);
    expect(list(arr.data)).toEqual(Array.from({ length: 24 }, (_, i) => i));
  });

  it('transposes big-endian Fortran data, and leaves rank 0/1 and empty Fortran arrays alone', () => {
    const arr = parseNpy(build(dict('>i2', '(2, 3)', 'True'), bigEndianBytes('i2', [0, 3, 1, 4, 2, 5])), 'f.npy');
    expect(list(arr.data)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(list(parseNpy(build(dict('<i2', '(3,)', 'True'), [1, 0, 2, 0, 3, 0]), 'f.npy').data)).toEqual([1, 2, 3]);
    expect(list(parseNpy(build(dict('<i2', '()', 'True'), [7, 0]), 'f.npy').data)).toEqual([7]);
    expect(parseNpy(build(dict('<i2', '(0, 3)', 'True')), 'f.npy').shape).toEqual([0, 3]);
  });

  it('reads a version 2.0 header', () => {
    const arr = parseNpy(build(dict('<i2', '(2,)'), [5, 0, 0xfb, 0xff], 2), 'v2.npy');
    expect(arr.shape).toEqual([2]);
    expect(list(arr.data)).toEqual([5, -5]);
  });

  it('reads a version 3.0 (UTF-8) header', () => {
    const arr = parseNpy(build(dict('<i2', '(1,)'), [1, 0], 3), 'v3.npy');
    expect(list(arr.data)).toEqual([1]);
  });

  it('reads unaligned data after an odd-length header', () => {
    const arr = parseNpy(build("{'descr':'<f8','fortran_order':False,'shape':(1,)}", new Uint8Array(Float64Array.from([1.25]).buffer)), 'u.npy');
    expect(list(arr.data)).toEqual([1.25]);
  });

  it('parses the Python literal forms numpy and others write', () => {
    const ok = [
      `{"descr": "<i2", "fortran_order": False, "shape": (2,)}`,
      `{'shape': (2,), 'descr': '<i2', 'fortran_order': False}`,
      `{'descr':'<i2','fortran_order':False,'shape':(2,),}`,
      `{ 'descr' : '<i2' ,\n 'fortran_order' : False , 'shape' : ( 2 , ) , }      \n`,
      `{'descr': '<i2', 'fortran_order': False, 'shape': (2L,), }`,
    ];
    for (const header of ok) expect(parseNpy(build(header, [1, 0, 2, 0]), 'h.npy').shape).toEqual([2]);
    expect(parseNpy(build(`{'descr': '<i2', 'fortran_order': False, 'shape': (1, 2, 1,), }`, [1, 0, 2, 0]), 'h.npy').shape).toEqual([1, 2, 1]);
  });
});

describe('numpy-written fixtures', () => {
  for (const dtype of ALL_DTYPES) {
    it(`reads c_${dtype}.npy`, () => {
      const arr = readNpy(fixture(`c_${dtype}.npy`));
      expect(arr.dtype).toBe(dtype);
      expect(arr.shape).toEqual([2, 3, 4]);
      expect(list(arr.data)).toEqual(fixtureValues(dtype));
    });
  }

  for (const dtype of ['int16', 'int32', 'int64', 'float32', 'float64'] as const) {
    it(`reads big-endian be_${dtype}.npy`, () => {
      const arr = readNpy(fixture(`be_${dtype}.npy`));
      expect(arr.dtype).toBe(dtype);
      expect(list(arr.data)).toEqual(fixtureValues(dtype));
    });
  }

  it('reads Fortran-order files in C order', () => {
    const a = readNpy(fixture('f_int32_2x3.npy'));
    expect(a.shape).toEqual([2, 3]);
    expect(list(a.data)).toEqual(fixtureValues('int32', 6));
    const b = readNpy(fixture('f_float64_2x3x4.npy'));
    expect(b.shape).toEqual([2, 3, 4]);
    expect(list(b.data)).toEqual(fixtureValues('float64'));
    const c = readNpy(fixture('f_be_int16_2x3x4.npy'));
    expect(list(c.data)).toEqual(fixtureValues('int16'));
  });

  it('reads version 2.0 and 3.0 files, scalars and empty arrays', () => {
    expect(list(readNpy(fixture('v2_int16.npy')).data)).toEqual(fixtureValues('int16'));
    expect(list(readNpy(fixture('v3_float32.npy')).data)).toEqual(fixtureValues('float32'));
    const s = readNpy(fixture('scalar_float64.npy'));
    expect(s.shape).toEqual([]);
    expect(list(s.data)).toEqual([-1.5]);
    const e = readNpy(fixture('empty_int32_0x3.npy'));
    expect(e.shape).toEqual([0, 3]);
    expect(e.data.length).toBe(0);
  });

  it('reads convgen test vectors written by numpy', () => {
    const w = readNpy(fixture('qf00_weights.npy'));
    expect(w.dtype).toBe('int8');
    expect(w.shape).toEqual([6, 6, 4, 2]);
    expect(list(w.data.subarray(0, 10))).toEqual([68, 23, -5, -104, 21, -16, 47, -84, 39, 64]);
    expect(list(w.data.subarray(-3))).toEqual([94, -116, 24]);
    expect(Array.from(w.data as Int8Array).reduce((a, b) => a + b, 0)).toBe(470);
    const b = readNpy(fixture('qf00_bias.npy'));
    expect(b.dtype).toBe('int32');
    expect(list(b.data)).toEqual([-11702417, -6402712, 12744818, -600168, 12817005, 10337208]);
  });

  it('names numpy dtypes it does not support', () => {
    const path = fixture('object.npy');
    expectInputError(
      () => readNpy(path),
      `${path}: dtype '|O' (object arrays) is not supported; use int8, uint8, int16, int32, int64, float32 or float64`,
    );
    const bool = fixture('bool.npy');
    expectInputError(
      () => readNpy(bool),
      `${bool}: dtype '|b1' (bool) is not supported; use int8, uint8, int16, int32, int64, float32 or float64`,
    );
  });
});

describe('errors', () => {
  const use = 'use int8, uint8, int16, int32, int64, float32 or float64';

  it('rejects files that are not .npy', () => {
    const msg = 'x.npy: not a .npy file (missing the \\x93NUMPY magic bytes)';
    expectInputError(() => parseNpy(new Uint8Array(0), 'x.npy'), msg);
    expectInputError(() => parseNpy(Buffer.from('PK\x03\x04 this is a zip file'), 'x.npy'), msg);
    expectInputError(() => parseNpy(Buffer.from('\x93NUMP'), 'x.npy'), msg);
  });

  it('rejects unknown format versions', () => {
    const b = build(dict('<i2', '(1,)'), [0, 0]);
    b[6] = 4;
    expectInputError(() => parseNpy(b, 'x.npy'), 'x.npy: unsupported .npy format version 4.0 (supported: 1.0, 2.0, 3.0)');
    b[6] = 1;
    b[7] = 1;
    expectInputError(() => parseNpy(b, 'x.npy'), 'x.npy: unsupported .npy format version 1.1 (supported: 1.0, 2.0, 3.0)');
  });

  it('rejects truncated headers', () => {
    expectInputError(
      () => parseNpy(build(dict('<i2', '(1,)')).subarray(0, 9), 'x.npy'),
      'x.npy: truncated header: file is 9 bytes, too short for the header length field',
    );
    expectInputError(
      () => parseNpy(build(dict('<i2', '(1,)'), [], 2).subarray(0, 11), 'x.npy'),
      'x.npy: truncated header: file is 11 bytes, too short for the header length field',
    );
    const full = build(dict('<i2', '(1,)'));
    expectInputError(
      () => parseNpy(full.subarray(0, 30), 'x.npy'),
      `x.npy: truncated header: header says ${full.length - 10} bytes but only 20 follow the length field`,
    );
  });

  it('rejects unparsable header dicts with the reason', () => {
    expectInputError(
      () => parseNpy(build("{'descr': '<i2', 'fortran_order': False, 'shape': (1,), "), 'x.npy'),
      `x.npy: unparsable header "{'descr': '<i2', 'fortran_order': False, 'shape': (1,),": expected a value, found end of header at character 57`,
    );
    expectInputError(
      () => parseNpy(build("{'descr': '<i2', 'fortran_order': False, 'shape': (1,)} extra"), 'x.npy'),
      `x.npy: unparsable header "{'descr': '<i2', 'fortran_order': False, 'shape': (1,)} extr...": unexpected character "e" at character 57`,
    );
    expectInputError(
      () => parseNpy(build("{'descr': '<i2', 'fortran_order': false, 'shape': (1,)}"), 'x.npy'),
      `x.npy: unparsable header "{'descr': '<i2', 'fortran_order': false, 'shape': (1,)}": expected a value, found character "f" at character 35`,
    );
    expectInputError(
      () => parseNpy(build("{'descr': '<i2', 'fortran_order': False, 'shape': (1.5,)}"), 'x.npy'),
      `x.npy: unparsable header "{'descr': '<i2', 'fortran_order': False, 'shape': (1.5,)}": only integer literals are allowed at character 52`,
    );
    expectInputError(
      () => parseNpy(build("{'descr': '<i2', 'descr': '<i2'}"), 'x.npy'),
      `x.npy: unparsable header "{'descr': '<i2', 'descr': '<i2'}": duplicate key 'descr' at character 26`,
    );
    expectInputError(
      () => parseNpy(build("{'descr': __import__('os')}"), 'x.npy'),
      `x.npy: unparsable header "{'descr': __import__('os')}": expected a value, found character "_" at character 11`,
    );
    expectInputError(() => parseNpy(build('(1, 2)'), 'x.npy'), 'x.npy: unparsable header: expected a dict, found "(1, 2)"');
  });

  it('quotes long or binary headers safely on one line', () => {
    const b = build(`{'descr': '<i2', ${'x'.repeat(200)}\u0001\n}`);
    expectInputError(
      () => parseNpy(b, 'x.npy'),
      `x.npy: unparsable header "{'descr': '<i2', ${'x'.repeat(43)}...": expected a value, found character "x" at character 18`,
    );
  });

  it('rejects headers with missing or extra keys', () => {
    expectInputError(
      () => parseNpy(build("{'descr': '<i2', 'shape': (1,)}", [0, 0]), 'x.npy'),
      "x.npy: unparsable header: keys must be 'descr', 'fortran_order' and 'shape' (missing 'fortran_order')",
    );
    expectInputError(
      () => parseNpy(build("{'descr': '<i2', 'fortran_order': False, 'shape': (1,), 'x': 1}", [0, 0]), 'x.npy'),
      `x.npy: unparsable header: keys must be 'descr', 'fortran_order' and 'shape' (unexpected "x")`,
    );
  });

  it('rejects bad fortran_order and shape values', () => {
    expectInputError(
      () => parseNpy(build(dict('<i2', '(1,)', '0')), 'x.npy'),
      `x.npy: header 'fortran_order' must be True or False, found "0"`,
    );
    expectInputError(() => parseNpy(build(dict('<i2', '(1)')), 'x.npy'), `x.npy: header 'shape' must be a tuple of non-negative integers, found "1"`);
    expectInputError(() => parseNpy(build(dict('<i2', '[1]')), 'x.npy'), `x.npy: header 'shape' must be a tuple of non-negative integers, found "[1]"`);
    expectInputError(() => parseNpy(build(dict('<i2', '(2, -1)')), 'x.npy'), `x.npy: header 'shape' must be a tuple of non-negative integers, found "(2, -1)"`);
    expectInputError(
      () => parseNpy(build(dict('<i2', "('a',)")), 'x.npy'),
      `x.npy: header 'shape' must be a tuple of non-negative integers, found "('a',)"`,
    );
    expectInputError(
      () => parseNpy(build(dict('<i2', '(99999999999999999999,)')), 'x.npy'),
      `x.npy: header 'shape' must be a tuple of non-negative integers, found "(99999999999999999999,)"`,
    );
  });

  it('names unsupported dtypes', () => {
    const cases: [string, string][] = [
      ['|O', `dtype '|O' (object arrays) is not supported; ${use}`],
      ['|b1', `dtype '|b1' (bool) is not supported; ${use}`],
      ['<u2', `dtype '<u2' (uint16) is not supported; ${use}`],
      ['>u8', `dtype '>u8' (uint64) is not supported; ${use}`],
      ['<f2', `dtype '<f2' (float16) is not supported; ${use}`],
      ['<c16', `dtype '<c16' (complex) is not supported; ${use}`],
      ['<U5', `dtype '<U5' (unicode strings) is not supported; ${use}`],
      ['|S3', `dtype '|S3' (byte strings) is not supported; ${use}`],
      ['<M8[ns]', `dtype '<M8[ns]' (datetime) is not supported; ${use}`],
      ['<q', `dtype '<q' is not supported; ${use}`],
      ['|i2', `dtype '|i2' (int16) is not supported; ${use}`],
      ['', `dtype '' is not supported; ${use}`],
    ];
    for (const [descr, msg] of cases) expectInputError(() => parseNpy(build(dict(descr, '(1,)')), 'x.npy'), `x.npy: ${msg}`);
    expectInputError(
      () => parseNpy(build("{'descr': [('a', '<i4'), ('b', '<f8')], 'fortran_order': False, 'shape': (1,)}"), 'x.npy'),
      `x.npy: structured dtype "[('a', '<i4'), ('b', '<f8')]" is not supported; ${use}`,
    );
    expectInputError(
      () => parseNpy(build("{'descr': 3, 'fortran_order': False, 'shape': (1,)}"), 'x.npy'),
      `x.npy: header 'descr' must be a dtype string, found "3"`,
    );
  });

  it('rejects data shorter or longer than the shape needs, with byte counts', () => {
    expectInputError(
      () => parseNpy(build(dict('<i4', '(2, 3)'), new Uint8Array(20)), 'x.npy'),
      'x.npy: data is shorter than the header says: shape (2, 3) of int32 needs 24 bytes, file has 20',
    );
    expectInputError(
      () => parseNpy(build(dict('<i4', '(2, 3)'), new Uint8Array(25)), 'x.npy'),
      'x.npy: data is longer than the header says: shape (2, 3) of int32 needs 24 bytes, file has 25',
    );
    expectInputError(
      () => parseNpy(build(dict('<f8', '()'), new Uint8Array(0)), 'x.npy'),
      'x.npy: data is shorter than the header says: shape () of float64 needs 8 bytes, file has 0',
    );
    expectInputError(
      () => parseNpy(build(dict('<i2', '(4294967296, 4294967296)')), 'x.npy'),
      'x.npy: data is shorter than the header says: shape (4294967296, 4294967296) of int16 needs 36893488147419103232 bytes, file has 0',
    );
  });

  it('rejects a version 3.0 header that is not UTF-8', () => {
    const b = build(dict('<i2', '(1,)'), [0, 0], 3);
    b[13] = 0xff;
    expectInputError(() => parseNpy(b, 'x.npy'), 'x.npy: unparsable header: not valid UTF-8');
  });
});

describe('files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'convgen-npy-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports a missing file and a directory', () => {
    const missing = join(dir, 'nope.npy');
    expectInputError(() => readNpy(missing), `${missing}: file not found`);
    expectInputError(() => readNpy(dir), `${dir}: is a directory, not a .npy file`);
    const underFile = join(dir, 'plain.txt');
    writeFileSync(underFile, 'x');
    expectInputError(() => readNpy(join(underFile, 'a.npy')), `${join(underFile, 'a.npy')}: file not found (a parent path is not a folder)`);
  });

  it('passes the path to parse errors', () => {
    const bad = join(dir, 'bad.npy');
    writeFileSync(bad, 'hello');
    expectInputError(() => readNpy(bad), `${bad}: not a .npy file (missing the \\x93NUMPY magic bytes)`);
  });

  it('writes atomically, overwrites, and leaves no temp files', () => {
    const path = join(dir, 'out.npy');
    writeNpyAtomic(path, makeArray('int16', [2, 2], [1, -2, 3, -4]));
    expect(list(readNpy(path).data)).toEqual([1, -2, 3, -4]);
    writeNpyAtomic(path, makeArray('float32', [1], [0.5]));
    const back = readNpy(path);
    expect(back.dtype).toBe('float32');
    expect(list(back.data)).toEqual([0.5]);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('reports unwritable destinations as InputErrors and cleans up', () => {
    const arr = makeArray('int8', [1], [1]);
    const noFolder = join(dir, 'missing', 'x.npy');
    expectInputError(() => writeNpyAtomic(noFolder, arr), `${noFolder}: folder '${join(dir, 'missing')}' does not exist`);
    const sub = join(dir, 'sub.npy');
    mkdirSync(sub);
    expectInputError(() => writeNpyAtomic(sub, arr), `${sub}: is a directory, not a .npy file`);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('fuzz: parseNpy either returns or throws InputError', () => {
  function parsesOrInputError(bytes: Uint8Array): void {
    try {
      const arr = parseNpy(bytes, 'fuzz.npy');
      expect(arr.data.length).toBe(arr.shape.reduce((a, b) => a * b, 1));
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      expect(e.message.startsWith('fuzz.npy: ')).toBe(true);
      expect(e.message).not.toContain('\n');
    }
  }
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  const valid = [
    encodeNpy(makeArray('int16', [2, 3], [1, 2, 3, 4, 5, 6])),
    build(dict('>f8', '(2, 1)', 'True'), bigEndianBytes('f8', [1, 2])),
    build(dict('<i4', '(1,)'), [1, 0, 0, 0], 2),
    build(dict('<i8', '()'), new Uint8Array(8), 3),
  ];

  it('on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => parsesOrInputError(b)), { numRuns: 2000 });
  });

  it('on random bytes after a valid magic and version', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.uint8Array({ maxLength: 300 }), (v, rest) =>
        parsesOrInputError(Uint8Array.from([...magic, v, 0, ...rest])),
      ),
      { numRuns: 2000 },
    );
  });

  it('on mutated valid files', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), byte: fc.constant(0) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...valid), fc.array(mutation, { minLength: 1, maxLength: 6 }), (file, muts) => {
        let b = Array.from(file);
        for (const m of muts) {
          const at = m.at % (b.length + 1);
          if (m.kind === 'set' && at < b.length) b[at] = m.byte;
          else if (m.kind === 'cut') b = b.slice(0, at);
          else b.splice(at, 0, m.byte);
        }
        parsesOrInputError(Uint8Array.from(b));
      }),
      { numRuns: 3000 },
    );
  });

  it('on header text made of Python-literal characters', () => {
    const chars = fc.constantFrom(...`{}()[],:'" \\\n<>|=iufOb1248TrueFalsNonedescrfortran_ordershapeL-+.`.split(''));
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 120 }), fc.uint8Array({ maxLength: 40 }), (cs, data) =>
        parsesOrInputError(build(cs.join(''), data)),
      ),
      { numRuns: 3000 },
    );
  });
});
