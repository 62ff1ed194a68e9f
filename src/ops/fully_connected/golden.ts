/**
 * FULLY_CONNECTED's golden model: the 1×1 convolution over the rows (src/ops/conv_2d/spec/golden.ts), which is TFLM's
 * FullyConnected sum.
 */
import { runGolden } from '../conv_2d/spec/golden.ts';
import type { FullyConnectedModel } from './build.ts';

export function fullyConnectedGolden(m: FullyConnectedModel, [input]: Int8Array[]): Int8Array[] {
  return [Int8Array.from(runGolden(m.kernel, Int32Array.from(input)))];
}

export function fullyConnectedMacs(m: FullyConnectedModel): number {
  return m.rows * m.units * m.depth;
}
