/**
 * TFLM's int8 AveragePool: the sum of the window's values inside the input, divided by their count rounding half
 * away from zero with C's truncating division — (sum ± count/2) / count — then clamped to the activation range.
 */
import { clamp } from '../../numerics/index.ts';
import type { TensorData } from '../op.ts';
import { forEachWindow, type PoolModel } from '../pool/pool.ts';

/** The same arithmetic in a Q-format network (q7, q15): the output keeps the input's Q format. */
export function averagePoolGolden(m: PoolModel, [input]: TensorData[]): TensorData[] {
  return [forEachWindow(m, input, (x, at, n) => {
    let acc = 0;
    for (const i of at) acc += x[i];
    const half = Math.trunc(n / 2);
    const q = Math.trunc(acc > 0 ? (acc + half) / n : (acc - half) / n);
    return clamp(q, m.actMin, m.actMax);
  })];
}
