/**
 * Staged kernels under QEMU, bit-exact against the golden model: 16-bit CHW input copied row by row into a ring of
 * zero-padded HWC rows (each stored twice) on the dual-MAC cores, one interior function over it. The shapes reach the
 * ring's edges: odd widths (the copy's single-column tail), asymmetric and 'same' padding (zero rows at the top and
 * bottom, zero columns on one side only), stride 2 and a stride larger than the kernel (rows never staged), dilation,
 * groups, a channel-block tail, 32- and 64-bit accumulators, and a buffer only the speed mode may take.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate, planAccumulator } from '../../src/codegen/index.ts';
import { stagingFor } from '../../src/families/blocked/staging.ts';
import { modelFromValue } from '../../src/ops/conv_2d/spec/index.ts';
import { findTarget } from '../../src/targets/index.ts';
import { verifyPair } from '../../src/verify/index.ts';
import { baseSpec, root } from '../helpers.ts';

const q15 = (over: Record<string, unknown>) => baseSpec({ layout: 'chw', ...over });
// |w| <= 64 on 4 x 9 taps: the bound fits 32 bits (SMLAD rather than SMLALD)
const smallWeights = Array.from({ length: 5 * 4 * 9 }, (_, i) => ((i * 37) % 129) - 64);

type Mode = 'default' | 'speed';
const specs: Record<string, { spec: Record<string, unknown>; modes: Mode[] }> = {
  // odd width (the copy's last column alone), pad 1, 6 outputs: a tail block with ob 4
  odd_width: { modes: ['default'], spec: q15({ name: 'sg_odd', input: { channels: 4, height: 16, width: 11 }, output: { channels: 6 } }) },
  // stride 2 with 'same' padding: no top row, one zero row at the bottom, the zero column on the right only
  same_s2: { modes: ['default'], spec: q15({ name: 'sg_s2', input: { channels: 6, height: 18, width: 17 }, output: { channels: 4 }, stride: 2, padding: 'same' }) },
  // dilation 2 (a 5-row window), pad 2, 3 outputs
  dilated: { modes: ['default'], spec: q15({ name: 'sg_dil', input: { channels: 4, height: 28, width: 12 }, output: { channels: 3 }, dilation: 2, padding: 2 }) },
  // 5 x 5, two groups of 4 channels, pad 2, wide-open bottom (speed: the buffer is over half the input)
  groups_k5: { modes: ['speed'], spec: q15({ name: 'sg_grp', input: { channels: 8, height: 14, width: 10 }, output: { channels: 4 }, kernel: 5, groups: 2, padding: 2 }) },
  // asymmetric top/bottom padding (two zero rows on top), a 2 x 3 kernel with stride 3: rows between windows never staged
  stride_gaps: { modes: ['default'], spec: q15({ name: 'sg_gap', input: { channels: 4, height: 20, width: 12 }, output: { channels: 5 }, kernel: [2, 3], stride: 3,
    padding: [2, 1, 0, 1] }) },
  // small weights: 32-bit accumulators
  acc32: { modes: ['default'], spec: q15({ name: 'sg_a32', input: { channels: 4, height: 16, width: 13 }, output: { channels: 5 }, weights: { values: smallWeights } }) },
};

const models = Object.entries(specs).map(([key, { spec, modes }]) => [key, modelFromValue(spec, path.join(root, `${key}.json`)), modes] as const);
const targets = ['cortex-m4', 'cortex-m33'] as const;

describe('staged kernels (CHW q15 on dual-MAC cores) under QEMU', () => {
  it('stage every spec here in the modes listed and only there, with 32- and 64-bit accumulators', () => {
    const accs = new Set<string>();
    for (const [key, m, modes] of models)
      for (const t of targets)
        for (const mode of ['default', 'speed'] as const) {
          const isa = findTarget(t)!.features;
          const staged = modes.includes(mode) || (mode === 'speed' && modes.includes('default'));
          const staging = stagingFor(m, isa, mode);
          expect(staging !== null, `${key} ${t} ${mode}`).toBe(staged);
          const k = generate(m, { variant: 'optimized', isa, optimize: mode });
          const c = k.files.find((f) => f.name === `${m.name}.c`)!.content;
          expect(c.includes('_stage_row(input, iy)'), `${key} ${t} ${mode}`).toBe(staged);
          // the buffer's bytes as the header and the build report state them: 2 x rows x padded width x channels x 2 B
          expect(k.ram.static, `${key} ${t} ${mode}`).toBe(staging ? 2 * staging.rows * (m.inW + m.pad.left + m.pad.right) * m.inC * 2 : 0);
          accs.add(planAccumulator(m).accType);
        }
    expect([...accs].sort()).toEqual(['int32_t', 'int64_t']);
  });

  it('never stages what the zero padding would change or the dual form cannot take', () => {
    const m4 = findTarget('cortex-m4')!.features;
    const base = { input: { channels: 4, height: 16, width: 11 }, output: { channels: 6 } };
    expect(stagingFor(modelFromValue(q15(base), 'x.json'), m4, 'default')).not.toBeNull();
    // HWC input already pairs channels; odd channel counts have no pairs; 8-bit is not the dual form's
    expect(stagingFor(modelFromValue(q15({ ...base, layout: 'hwc' }), 'x.json'), m4, 'speed')).toBeNull();
    expect(stagingFor(modelFromValue(q15({ ...base, input: { channels: 3, height: 16, width: 11 } }), 'x.json'), m4, 'speed')).toBeNull();
    expect(stagingFor(modelFromValue(q15({ ...base, numeric: { type: 'q7', inputFrac: 4, weightFrac: 4, outputFrac: 4 } }), 'x.json'), m4, 'speed')).toBeNull();
    // no SMLAD (Cortex-M3), no unaligned loads (ARM926EJ-S)
    expect(stagingFor(modelFromValue(q15(base), 'x.json'), findTarget('cortex-m3')!.features, 'speed')).toBeNull();
    expect(stagingFor(modelFromValue(q15(base), 'x.json'), findTarget('arm926ej-s')!.features, 'speed')).toBeNull();
    // a buffer larger than the input: not even for speed
    expect(stagingFor(modelFromValue(q15({ ...base, input: { channels: 4, height: 5, width: 11 } }), 'x.json'), m4, 'speed')).toBeNull();
  });

  for (const target of targets)
    it(`${target}: every spec bit-exact in every mode that stages it`, async () => {
      const failures: string[] = [];
      for (const [key, m, modes] of models)
        for (const optimize of modes) {
          const r = await verifyPair(m, findTarget(target)!, { seed: 11, timeoutSeconds: 120, variant: 'optimized', optimize });
          if (r.status !== 'pass') failures.push(`${key} ${optimize}: ${r.error ?? JSON.stringify(r.first)}`);
        }
      expect(failures).toEqual([]);
    }, 600_000);
});
