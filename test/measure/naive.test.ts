/**
 * The `naive` baseline is verified like every variant: bit-exact against the golden model on the host over the
 * whole spec space (property test), and under QEMU on every runnable target.
 */
import fc from 'fast-check';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate } from '../../src/codegen/index.ts';
import { modelFromValue } from '../../src/ops/conv_2d/spec/index.ts';
import { findTarget, targets } from '../../src/targets/index.ts';
import { verifyPair, type PairResult } from '../../src/verify/index.ts';
import { pool } from '../../src/pool.ts';
import { specArbitrary } from '../arbitraries.ts';
import { baseSpec, model, root } from '../helpers.ts';

const host = findTarget('host')!;

describe('naive variant', () => {
  it('is the textbook loop: one runtime-shape function, seven loops, a bounds check per tap', () => {
    const c = generate(model(), { variant: 'naive' }).files.find((f) => f.name === 'k.c')!.content;
    expect(c).toMatch(/static void k_conv2d\(const k_shape_t \*s,/);
    expect(c.match(/^\s*for \(int /gm)).toHaveLength(7);
    expect(c).toMatch(/if \(y < 0 \|\| y >= s->in_h \|\| x < 0 \|\| x >= s->in_w\)/);
    // The shape reaches the loops only through the struct: no compile-time dimension in the loop function.
    const fn = c.slice(c.indexOf('k_conv2d('), c.indexOf('static const k_shape_t k_shape'));
    expect(fn).not.toMatch(/K_(IN|OUT)_[CHW]/);
  });

  it('property: random specs over the whole space are bit-exact (host gcc)', async () => {
    await fc.assert(
      fc.asyncProperty(specArbitrary(), fc.nat(1000), async (spec, seed) => {
        const m = modelFromValue(spec, 'fuzz.json');
        const r = await verifyPair(m, host, { seed, timeoutSeconds: 30, variant: 'naive' });
        if (r.status !== 'pass') throw new Error(`${JSON.stringify(spec)}: ${r.error ?? JSON.stringify(r.first)}`);
      }),
      { numRuns: Number(process.env.CONVGEN_PROPERTY_RUNS ?? 25), seed: 20261204 },
    );
  });

  it('is bit-exact under QEMU on every runnable target', async () => {
    const specs = [
      baseSpec({ name: 'nv_pad', input: { channels: 3, height: 7, width: 6 }, output: { channels: 4 }, activation: 'relu' }),
      baseSpec({ name: 'nv_dw_hwc', layout: 'hwc', groups: 2, stride: 2, padding: 'same', dilation: [1, 2],
        input: { channels: 2, height: 8, width: 9 }, output: { channels: 4 },
        numeric: { type: 'q7', inputFrac: 5, weightFrac: 6, outputFrac: 4, rounding: 'floor' } }),
    ].map((s) => modelFromValue(s, path.join(root, `${String(s.name)}.json`)));
    const runnable = targets.filter((t) => t.run === 'qemu');
    const pairs = specs.flatMap((m) => runnable.map((t) => ({ m, t })));
    const results = await pool(pairs, 2, ({ m, t }) => verifyPair(m, t, { seed: 3, timeoutSeconds: 60, variant: 'naive' }));
    const bad = results.filter((r: PairResult) => r.status !== 'pass').map((r) => `${r.name}/${r.target}: ${r.error ?? JSON.stringify(r.first)}`);
    expect(bad).toEqual([]);
    expect(results).toHaveLength(2 * runnable.length);
  });
});
