/** TFLM's int8 MaxPool: the largest value of the window inside the input (−128 if none), clamped to the activation range. */
import { clamp } from '../../numerics/index.ts';
import { forEachWindow, type PoolModel } from '../pool/pool.ts';

export function maxPoolGolden(m: PoolModel, [input]: Int8Array[]): Int8Array[] {
  return [forEachWindow(m, input, (x, at) => {
    let max = -128;
    for (const i of at) if (x[i] > max) max = x[i];
    return clamp(max, m.actMin, m.actMax);
  })];
}
