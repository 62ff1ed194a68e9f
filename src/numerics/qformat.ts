/** Q formats: the storage types of the Q-format numeric types, their names, and how reals become Q values. */
import { roundHalfAway } from './int32.ts';

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

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

/** A Q format's name for a b-bit type with `frac` fraction bits: Q(b-1-frac).frac, e.g. Q3.12 for q15. */
export function qName(bits: number, frac: number): string {
  return `Q${bits - 1 - frac}.${frac}`;
}

/** Round half away from zero, then saturate: how float weights, biases and inputs become Q values. */
export function quantizeFloat(v: number, frac: number, bits: number): bigint {
  const rounded = roundHalfAway(v * 2 ** frac);
  // Compared as BigInt: 2^63 − 1 is not a double, so int64 (q31 bias) saturation must not go through Number.
  const max = 2n ** BigInt(bits - 1) - 1n;
  const min = -max - 1n;
  if (!Number.isFinite(rounded)) return rounded > 0 ? max : min;
  const q = BigInt(rounded);
  return q > max ? max : q < min ? min : q;
}
