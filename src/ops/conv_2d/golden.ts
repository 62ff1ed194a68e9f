/** A conv layer's golden model: the single-layer golden model (./spec/golden.ts) once per image of the batch. */
import { runGolden } from './spec/golden.ts';
import { newTensorData, type TensorData } from '../op.ts';
import type { ConvModel } from './build.ts';

export function convGolden(m: ConvModel, [input]: TensorData[]): TensorData[] {
  const k = m.kernel;
  const inSize = k.inH * k.inW * k.inC;
  const outSize = k.outH * k.outW * k.outC;
  const out = newTensorData(m.dtype, outSize * m.batch);
  for (let b = 0; b < m.batch; b++) out.set(runGolden(k, Int32Array.from(input.subarray(b * inSize, (b + 1) * inSize))), b * outSize);
  return [out];
}

export function convMacs(m: ConvModel): number {
  const k = m.kernel;
  return m.batch * k.outC * k.outH * k.outW * k.inPerGroup * k.kH * k.kW;
}
