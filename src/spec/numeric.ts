/** Storage formats: one row per numeric type, so nothing else needs to ask "which type is this". */
export interface StorageType {
  /** Bits of the input/weight/output storage. */
  bits: 8 | 16 | 32;
  cType: 'int8_t' | 'int16_t' | 'int32_t';
  npyDtype: 'int8' | 'int16' | 'int32';
  min: number;
  max: number;
  /** Bias storage: int32 for q7/q15, int64 for q31. */
  biasBits: 32 | 64;
  biasCType: 'int32_t' | 'int64_t';
}

function storage(bits: 8 | 16 | 32, biasBits: 32 | 64): StorageType {
  const cType = `int${bits}_t` as StorageType['cType'];
  return {
    bits,
    cType,
    npyDtype: `int${bits}` as StorageType['npyDtype'],
    min: -(2 ** (bits - 1)),
    max: 2 ** (bits - 1) - 1,
    biasBits,
    biasCType: `int${biasBits}_t` as StorageType['biasCType'],
  };
}

export const storageTypes = {
  q7: storage(8, 32),
  q15: storage(16, 32),
  q31: storage(32, 64),
  /** TFLite's quantized int8: int8 input, weights and output, int32 bias (issue 5 §1). */
  int8: storage(8, 32),
} as const;

export type NumericTypeName = keyof typeof storageTypes;
/** The Q-format types: fraction bits, shift-and-round output stage. */
export type QTypeName = Exclude<NumericTypeName, 'int8'>;

export { INT32_MIN, INT32_MAX, roundHalfAway } from '../numerics/int32.ts';
export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

/** A Q format's name for a b-bit type with `frac` fraction bits: Q(b-1-frac).frac, e.g. Q3.12 for q15. */
export function qName(bits: number, frac: number): string {
  return `Q${bits - 1 - frac}.${frac}`;
}
