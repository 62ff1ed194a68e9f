/**
 * The optimized variant must earn its name: on shapes like the bench suite's, scaled down to keep the test quick,
 * it is never slower than `reference` and clearly faster than `naive`, on the default target and on a DSP core,
 * while being proved bit-exact in the same measurement.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { measure, type Measurement } from '../../src/measure/index.ts';
import { modelFromValue } from '../../src/ops/conv_2d/spec/index.ts';
import { findTarget } from '../../src/targets/index.ts';
import { pool } from '../../src/pool.ts';
import { baseSpec, root } from '../helpers.ts';

const shapes: Record<string, Record<string, unknown>> = {
  conv3x3_q15: baseSpec({ name: 'o_conv3x3', input: { channels: 8, height: 12, width: 12 }, output: { channels: 8 } }),
  conv3x3_q7: baseSpec({ name: 'o_conv3x3_q7', input: { channels: 8, height: 12, width: 12 }, output: { channels: 8 },
    numeric: { type: 'q7', inputFrac: 5, weightFrac: 6, outputFrac: 5 } }),
  pointwise_q15: baseSpec({ name: 'o_pw', kernel: 1, padding: 0, input: { channels: 16, height: 8, width: 8 }, output: { channels: 16 } }),
  depthwise_q7: baseSpec({ name: 'o_dw', groups: 8, input: { channels: 8, height: 12, width: 12 }, output: { channels: 8 },
    numeric: { type: 'q7', inputFrac: 5, weightFrac: 6, outputFrac: 5 } }),
  conv5x5_s2_same: baseSpec({ name: 'o_k5s2', kernel: 5, stride: 2, padding: 'same', input: { channels: 4, height: 14, width: 14 }, output: { channels: 8 } }),
};

function ok(r: Measurement): Measurement {
  if (r.status !== 'ok') throw new Error(`${r.name} on ${r.target} (${r.variant}): ${r.status}: ${r.error ?? r.note}`);
  return r;
}

describe('optimized variant', () => {
  for (const targetName of ['arm920t', 'cortex-m4'])
    it(`is never slower than reference and at most 0.5x naive on ${targetName}`, async () => {
      const target = findTarget(targetName)!;
      const jobs = Object.entries(shapes).flatMap(([key, spec]) =>
        (['naive', 'reference', 'optimized'] as const).map((variant) => ({ key, spec, variant })));
      const results = await pool(jobs, 2, async ({ key, spec, variant }) =>
        ({ key, variant, r: ok(await measure(modelFromValue(spec, path.join(root, `${key}.json`)), target, variant, { seed: 1, timeoutSeconds: 120 })) }));
      const perMac = (key: string, variant: string) => results.find((x) => x.key === key && x.variant === variant)!.r.instructionsPerMac!;
      const report = Object.keys(shapes).map((k) => `${k}: naive ${perMac(k, 'naive').toFixed(2)}, reference ${perMac(k, 'reference').toFixed(2)}, optimized ${perMac(k, 'optimized').toFixed(2)}`);
      for (const key of Object.keys(shapes)) {
        expect(perMac(key, 'optimized'), report.join('\n')).toBeLessThanOrEqual(perMac(key, 'reference'));
        expect(perMac(key, 'optimized'), report.join('\n')).toBeLessThanOrEqual(0.5 * perMac(key, 'naive'));
      }
    });

  it('keeps the kernel text within 4 KiB by default on the bench-like shapes', async () => {
    const target = findTarget('arm920t')!;
    const results = await pool(Object.entries(shapes), 2, async ([key, spec]) =>
      ok(await measure(modelFromValue(spec, path.join(root, `${key}.json`)), target, 'optimized', { seed: 1, timeoutSeconds: 120 })));
    for (const r of results) expect(r.size!.text, r.name).toBeLessThanOrEqual(4096);
  });
});
