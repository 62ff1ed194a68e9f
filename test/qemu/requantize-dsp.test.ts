/**
 * The blocked family's int8 output stage in DSP instructions (SMMLAR, SSAT; src/ir/requantize-dsp.ts) on the
 * Cortex-M4, M33 and M7, both goals, bit-exact under QEMU on poisoned memory: odd channel counts, per-channel and
 * per-tensor requantization, the extreme multipliers (1, 2^30, 2^31 - 1) and right shifts (1 and 31), a narrowed
 * activation range (the compares instead of SSAT), paddings 1 and 2 (the border functions' stage as well as the
 * interior's).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate, planAccumulator } from '../../src/codegen/index.ts';
import { planBlocked } from '../../src/families/blocked/search.ts';
import { loadSpec, modelFromValue } from '../../src/ops/conv_2d/spec/index.ts';
import { findTarget } from '../../src/targets/index.ts';
import { verifyPair } from '../../src/verify/index.ts';
import { baseSpec, root } from '../helpers.ts';

const int8 = (numeric: Record<string, unknown>, over: Record<string, unknown>) => baseSpec({
  layout: 'hwc',
  numeric: { type: 'int8', inputOffset: 128, outputOffset: -3, ...numeric },
  weights: { random: { seed: 41 }, layout: 'ohwi' },
  bias: { random: { seed: 42 } },
  ...over,
});

const specs: Record<string, Record<string, unknown>> = {
  // per channel, 5 -> 7, padding 1: shifts from 1 (every tie of a halving) to 23, multipliers at both ends
  rqd_channels: int8({ multiplier: [2147483647, 1073741824, 1300000000, 1073741825, 2147483647, 1500000000, 1],
    shift: [-1, -9, -10, -12, -14, -23, -2] }, { name: 'rqd_c', input: { channels: 5, height: 7, width: 9 }, output: { channels: 7 }, padding: 1 }),
  // per channel with offset 0: a right shift of 31 (R = 2^30) beside the smallest ones
  rqd_shift31: int8({ outputOffset: 0, multiplier: [2147483647, 1073741824, 1717986918], shift: [-31, -1, -11] },
    { name: 'rqd_s', input: { channels: 6, height: 6, width: 7 }, output: { channels: 3 }, padding: 1 }),
  // per tensor, 5x5 with padding 2, 7 -> 9, a narrowed activation range: compares instead of SSAT
  rqd_clamp: int8({ inputOffset: -20, outputOffset: 11, multiplier: 1900000000, shift: -11 },
    { name: 'rqd_k', input: { channels: 7, height: 9, width: 11 }, output: { channels: 9 }, kernel: 5, padding: 2,
      activation: { clamp: [-40, 90] } }),
};

const models = Object.entries(specs).map(([key, spec]) => [key, modelFromValue(spec, path.join(root, `${key}.json`))] as const);

describe('the int8 output stage in DSP instructions', () => {
  it('is what the Cortex-M4, M33 and M7 kernels print, SSAT where the clamp is the whole int8 range', () => {
    for (const t of ['cortex-m4', 'cortex-m33', 'cortex-m7'])
      for (const optimize of ['default', 'speed'] as const)
        for (const [key, m] of models) {
          const c = generate(m, { variant: 'optimized', target: findTarget(t)!, optimize }).files.find((f) => f.name.endsWith('.c'))!.content;
          expect(c, `${key} ${t} ${optimize}`).toContain('"smmlar %0, %1, %2, %3"');
          expect(c.includes('__builtin_arm_ssat(v, 8)'), `${key} ${t} ${optimize}`).toBe(key !== 'rqd_clamp');
        }
  });

  it('is inlined in the border functions of bench e on the Cortex-M4 (its code fits where the reference stage was called)', async () => {
    const m = await loadSpec(path.join(root, 'bench', 'e_5x5_8to16_28x28_int8.json'));
    for (const optimize of ['default', 'speed'] as const)
      expect(planBlocked(m, findTarget('cortex-m4')!.features, planAccumulator(m).accType, optimize).outlineFinish, optimize).toBe(false);
  });

  for (const t of ['cortex-m4', 'cortex-m33', 'cortex-m7'])
    it(`${t}: every spec bit-exact in both goals`, async () => {
      const failures: string[] = [];
      for (const optimize of ['default', 'speed'] as const)
        for (const [key, m] of models) {
          const r = await verifyPair(m, findTarget(t)!, { seed: 5, timeoutSeconds: 120, variant: 'optimized', optimize });
          if (r.status !== 'pass') failures.push(`${key} ${optimize}: ${r.error ?? JSON.stringify(r.first)}`);
        }
      expect(failures).toEqual([]);
    }, 600_000);
});
