/**
 * The in-place claims the memory plan relies on, simulated: the op runs in its natural loop order over ONE buffer
 * (reading inputs from it and writing each output into it as soon as it is computed) and must give what it gives
 * out of place. Pooling in place is claimed only without top/left padding; with it, the simulation shows why not.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { oneLayer } from './helpers.ts';
import { runNetwork } from '../../src/network/golden.ts';
import type { PoolModel } from '../../src/ops/pool/pool.ts';

/** Pooling over a single buffer, outputs written in (y, x, c) order as soon as each is computed. */
function poolInPlace(kind: 'max' | 'avg', m: PoolModel, input: Int8Array): Int8Array {
  const buf = Int8Array.from(input);
  for (let oy = 0; oy < m.outH; oy++)
    for (let ox = 0; ox < m.outW; ox++)
      for (let c = 0; c < m.channels; c++) {
        let max = -128;
        let sum = 0;
        let n = 0;
        for (let fy = 0; fy < m.filter[0]; fy++)
          for (let fx = 0; fx < m.filter[1]; fx++) {
            const y = oy * m.stride[0] - m.pad.top + fy;
            const x = ox * m.stride[1] - m.pad.left + fx;
            if (y < 0 || y >= m.inH || x < 0 || x >= m.inW) continue;
            const v = buf[(y * m.inW + x) * m.channels + c];
            max = Math.max(max, v);
            sum += v;
            n++;
          }
        const avg = Math.trunc(sum > 0 ? (sum + Math.trunc(n / 2)) / n : (sum - Math.trunc(n / 2)) / n);
        buf[(oy * m.outW + ox) * m.channels + c] = Math.min(m.actMax, Math.max(m.actMin, kind === 'max' ? max : avg));
      }
  return buf.subarray(0, m.outH * m.outW * m.channels);
}

describe('in place', () => {
  const shapes = fc.record({
    h: fc.integer({ min: 1, max: 7 }), w: fc.integer({ min: 1, max: 7 }), c: fc.integer({ min: 1, max: 3 }),
    fh: fc.integer({ min: 1, max: 3 }), fw: fc.integer({ min: 1, max: 3 }), sh: fc.integer({ min: 1, max: 3 }), sw: fc.integer({ min: 1, max: 3 }),
    same: fc.boolean(), seed: fc.integer(), avg: fc.boolean(),
  });

  it('pooling: wherever the op allows it, in place equals out of place', () => {
    let allowed = 0;
    fc.assert(fc.property(shapes, (s) => {
      if (!s.same && (s.fh > s.h || s.fw > s.w)) return;
      const q = { scale: 0.5, zeroPoint: 0 };
      const params = { filter: [s.fh, s.fw], stride: [s.sh, s.sw], padding: s.same ? 'same' : 'valid' };
      const op = s.avg ? 'average_pool_2d' : 'max_pool_2d';
      const probe = oneLayer(op, params, [{ shape: [1, s.h, s.w, s.c], ...q }], { shape: [1, 1, 1, s.c], ...q }, {}, true);
      const m = probe.layers[0].model as PoolModel;
      if (!probe.layers[0].memory.inPlace.includes(0)) return;
      allowed++;
      const net = oneLayer(op, params, [{ shape: [1, s.h, s.w, s.c], ...q }], { shape: [1, m.outH, m.outW, s.c], ...q });
      const input = Int8Array.from({ length: s.h * s.w * s.c }, (_, i) => ((i * 97 + s.seed) % 256) - 128);
      expect(Array.from(poolInPlace(s.avg ? 'avg' : 'max', m, input))).toEqual(Array.from(runNetwork(net, [input]).outputs[0]));
    }), { numRuns: 300, seed: 23 });
    expect(allowed).toBeGreaterThan(50);
  });

  it('pooling with top/left padding would overwrite input a later window reads (so the op does not allow it)', () => {
    const q = { scale: 0.5, zeroPoint: 0 };
    const net = oneLayer('average_pool_2d', { filter: [3, 1], stride: [1, 1], padding: 'same' }, [{ shape: [1, 3, 1, 1], ...q }], { shape: [1, 3, 1, 1], ...q });
    expect(net.layers[0].memory.inPlace).toEqual([]);
    // out[0] = avg(−9, 5) = −2 lands on −9, which out[1]'s window (−9, 5, −7 -> −4) still reads: in place it sees
    // (−2, 5, −7) -> −1, which lands on 5, so out[2] sees (−1, −7) -> −4 instead of (5, −7) -> −1
    const input = Int8Array.from([-9, 5, -7]);
    expect(Array.from(runNetwork(net, [input]).outputs[0])).toEqual([-2, -4, -1]);
    expect(Array.from(poolInPlace('avg', net.layers[0].model as PoolModel, input))).toEqual([-2, -1, -4]);
  });
});
