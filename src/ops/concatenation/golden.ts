/** CONCATENATION: for each outer index, each input's chunk in turn. */
import { newTensorData, type TensorData } from '../op.ts';
import type { ConcatenationModel } from './build.ts';

export function concatenationGolden(m: ConcatenationModel, inputs: TensorData[]): TensorData[] {
  const total = m.chunks.reduce((a, b) => a + b, 0);
  const out = newTensorData(m.dtype, m.outer * total);
  let o = 0;
  for (let k = 0; k < m.outer; k++)
    inputs.forEach((x, i) => {
      out.set(x.subarray(k * m.chunks[i], (k + 1) * m.chunks[i]) as Int8Array & Int16Array, o);
      o += m.chunks[i];
    });
  return [out];
}
