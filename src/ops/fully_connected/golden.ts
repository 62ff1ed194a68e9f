/**
 * FULLY_CONNECTED's golden model: the 1×1 convolution over the rows (src/ops/conv_2d/spec/golden.ts), which is TFLM's
 * FullyConnected sum.
 */
import { runGolden } from '../conv_2d/spec/golden.ts';
import type { TensorData } from '../op.ts';
import type { FullyConnectedModel } from './build.ts';

export function fullyConnectedGolden(m: FullyConnectedModel, [input]: TensorData[]): TensorData[] {
  const out = runGolden(m.kernel, Int32Array.from(input));
  return [m.dtype === 'int16' ? Int16Array.from(out) : Int8Array.from(out)];
}

export function fullyConnectedMacs(m: FullyConnectedModel): number {
  return m.rows * m.units * m.depth;
}
