/** LUT: each output is the table entry at the input's byte (TFLite's LUTLookup of an int8 value). */
import type { LutModel } from './build.ts';

export function lutGolden(m: LutModel, [input]: Int8Array[]): Int8Array[] {
  return [Int8Array.from(input, (v) => m.table[v & 255])];
}
