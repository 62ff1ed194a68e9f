/** PAD: fill with the value, then copy every input element to its shifted position. */
import { elements, newTensorData, type TensorData } from '../op.ts';
import type { PadModel } from './build.ts';

export function padGolden(m: PadModel, [input]: TensorData[]): TensorData[] {
  const out = newTensorData(m.dtype, elements(m.outShape)).fill(m.value);
  const rank = m.inShape.length;
  const idx = new Array<number>(rank).fill(0);
  for (let i = 0; i < input.length; i++) {
    let o = 0;
    for (let d = 0; d < rank; d++) o = o * m.outShape[d] + idx[d] + m.before[d];
    out[o] = input[i];
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < m.inShape[d]) break;
      idx[d] = 0;
    }
  }
  return [out];
}
