/**
 * TFLM's int8 MaxPool: the largest value of the window inside the input (−128 if none), clamped to the activation
 * range. A q15 network's: the same over int16 (−32768 if none).
 */
import { clamp } from '../../numerics/index.ts';
import { elemRange, type TensorData } from '../op.ts';
import { forEachWindow, type PoolModel } from '../pool/pool.ts';

export function maxPoolGolden(m: PoolModel, [input]: TensorData[]): TensorData[] {
  const [lowest] = elemRange(m.dtype);
  return [forEachWindow(m, input, (x, at) => {
    let max = lowest;
    for (const i of at) if (x[i] > max) max = x[i];
    return clamp(max, m.actMin, m.actMax);
  })];
}
