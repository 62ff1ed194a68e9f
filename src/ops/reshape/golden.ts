/** RESHAPE copies the input's bytes (the raw values, whatever the output's declared quantization). */
import type { ReshapeModel } from './build.ts';

export function reshapeGolden(_m: ReshapeModel, [input]: Int8Array[]): Int8Array[] {
  return [Int8Array.from(input)];
}
