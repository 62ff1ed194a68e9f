/** The .npy dtypes convgen reads and writes, and the format's constants. */
export type NpyDtype = 'int8' | 'uint8' | 'int16' | 'int32' | 'int64' | 'float32' | 'float64';

export type NpyData = Int8Array | Uint8Array | Int16Array | Int32Array | BigInt64Array | Float32Array | Float64Array;

/** `data` is always in C (row-major) order and holds host-order values. */
export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: NpyData;
}

export interface DtypeInfo {
  size: number;
  ctor: new (buffer: ArrayBuffer) => NpyData;
  descr: string;
}

export const DTYPES: Record<NpyDtype, DtypeInfo> = {
  int8: { size: 1, ctor: Int8Array, descr: '|i1' },
  uint8: { size: 1, ctor: Uint8Array, descr: '|u1' },
  int16: { size: 2, ctor: Int16Array, descr: '<i2' },
  int32: { size: 4, ctor: Int32Array, descr: '<i4' },
  int64: { size: 8, ctor: BigInt64Array, descr: '<i8' },
  float32: { size: 4, ctor: Float32Array, descr: '<f4' },
  float64: { size: 8, ctor: Float64Array, descr: '<f8' },
};

export const SUPPORTED_LIST = 'int8, uint8, int16, int32, int64, float32 or float64';
export const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
