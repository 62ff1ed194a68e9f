/** RESHAPE copies the input's bytes (the raw values, whatever the output's declared quantization). */
import type { TensorData } from '../op.ts';
import type { ReshapeModel } from './build.ts';

export function reshapeGolden(_m: ReshapeModel, [input]: TensorData[]): TensorData[] {
  return [input.slice()];
}
