/**
 * The pointwise family bit-exact under QEMU (and on the host): both layouts, q7/q15/int8, channel and pixel counts
 * off every tile, stride 2, padded 1x1 borders (bias-only), a 64-bit accumulator from full-range q15 weights, and
 * int8 with offsets, per-channel requantization and a clamp.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate } from '../../src/codegen/index.ts';
import { modelFromValue } from '../../src/ops/conv_2d/spec/index.ts';
import { findTarget } from '../../src/targets/index.ts';
import { buildImage } from '../../src/toolchain/index.ts';
import { checkImage, testInputs, verifyPair } from '../../src/verify/index.ts';
import { writeKernel } from '../../src/codegen/index.ts';
import { baseSpec, root } from '../helpers.ts';
import { planAccumulator } from '../../src/codegen/index.ts';
import { pool } from '../../src/pool.ts';

const targetNames = ['host', 'arm920t', 'arm926ej-s', 'cortex-m0', 'cortex-m3', 'cortex-m4'];
const q7 = { type: 'q7', inputFrac: 5, weightFrac: 6, outputFrac: 5 };

const cases: Record<string, Record<string, unknown>> = {
  q15_chw_5to7: baseSpec({ name: 'pw_a', kernel: 1, padding: 0, input: { channels: 5, height: 5, width: 7 }, output: { channels: 7 } }),
  q7_hwc_33to3: baseSpec({ name: 'pw_b', layout: 'hwc', kernel: 1, padding: 0, input: { channels: 33, height: 3, width: 5 }, output: { channels: 3 },
    numeric: q7, weights: { random: { seed: 5 }, layout: 'ohwi' } }),
  q7_chw_stride2_pad: baseSpec({ name: 'pw_c', kernel: 1, stride: 2, padding: [1, 0, 2, 1], input: { channels: 6, height: 7, width: 9 },
    output: { channels: 9 }, numeric: { ...q7, rounding: 'floor' }, activation: 'relu' }),
  q15_full_range_i64: baseSpec({ name: 'pw_d', kernel: 1, padding: 0, stride: [1, 2], input: { channels: 9, height: 4, width: 9 }, output: { channels: 5 },
    weights: { values: Array.from({ length: 45 }, (_, i) => (i % 3 === 0 ? -32768 : i % 3 === 1 ? 32767 : -32000)) },
    numeric: { type: 'q15', inputFrac: 15, weightFrac: 15, outputFrac: 10 } }),
  q15_hwc_odd: baseSpec({ name: 'pw_e', layout: 'hwc', kernel: 1, padding: 'same', stride: 2, input: { channels: 9, height: 5, width: 6 },
    output: { channels: 4 }, weights: { random: { seed: 8 }, layout: 'ohwi' }, activation: { clamp: [-3000, 2500] } }),
  int8_hwc_clamp: baseSpec({ name: 'pw_f', layout: 'hwc', kernel: 1, padding: [0, 1, 1, 0], input: { channels: 33, height: 4, width: 5 },
    output: { channels: 7 },
    numeric: { type: 'int8', inputOffset: 128, outputOffset: -9, multiplier: [1518500250, 1073741824, 2147483647, 1300000000, 1999999999, 1717986918, 1100000000],
      shift: [-7, -8, -9, 1, -31, -6, 0], activationMin: -100, activationMax: 120 },
    weights: { random: { seed: 11 }, layout: 'ohwi' }, bias: { random: { seed: 12 } } }),
  int8_chw_offset: baseSpec({ name: 'pw_g', kernel: 1, padding: 0, input: { channels: 10, height: 3, width: 7 }, output: { channels: 6 },
    numeric: { type: 'int8', inputOffset: -37, outputOffset: 5, multiplier: 1374632181, shift: -8 }, weights: { random: { seed: 13 } } }),
};

describe('pointwise family under QEMU', () => {
  const models = Object.entries(cases).map(([key, spec]) => modelFromValue(spec, path.join(root, `${key}.json`)));

  it('generates every case with the pointwise family on every target', () => {
    for (const m of models)
      for (const t of targetNames)
        expect(generate(m, { variant: 'optimized', isa: findTarget(t)!.features }).family, `${m.name} ${t}`).toBe('pointwise');
    // The full-range case needs the 64-bit accumulator.
    expect(planAccumulator(models[3]).accType).toBe('int64_t');
  });

  it(`is bit-exact on ${targetNames.join(', ')}`, async () => {
    const pairs = models.flatMap((m) => targetNames.map((t) => ({ m, t: findTarget(t)! })));
    const results = await pool(pairs, 2, ({ m, t }) => verifyPair(m, t, { seed: 3, timeoutSeconds: 60, variant: 'optimized' }));
    const failures = results.filter((r) => r.status !== 'pass').map((r) => `${r.name} on ${r.target}: ${r.error ?? JSON.stringify(r.first)}`);
    expect(failures).toEqual([]);
  }, 240_000);

  // verifyPair builds the default goal; the 'speed' goal (pre-widened int8 weights) is built and checked here.
  it("is bit-exact with optimize 'speed' (pre-widened weights) on cortex-m4", async () => {
    const target = findTarget('cortex-m4')!;
    for (const m of [models[1], models[5]]) {
      const k = generate(m, { variant: 'optimized', isa: target.features, optimize: 'speed' });
      const c = k.files.find((f) => f.name === `${m.name}.c`)!.content;
      expect(c).toMatch(/MAC form: quad-widened/);
      const work = fs.mkdtempSync(path.join(os.tmpdir(), 'convgen-pw-speed-'));
      try {
        writeKernel(k, path.join(work, 'kernel'));
        const built = await buildImage(target, path.join(work, 'kernel'), path.join(work, 'build'));
        const r = await checkImage(m, built, testInputs(m, 3), path.join(work, 'run'), 60);
        expect(r.status, `${m.name}: ${JSON.stringify(r.first)}`).toBe('pass');
      } finally {
        fs.rmSync(work, { recursive: true, force: true });
      }
    }
  }, 120_000);
});
