/**
 * Users compile the generated C with their own flags. The optimized kernels lean on GCC behaviour (inline assembly
 * on split accumulators, registers pinned with local register variables, memcpy word loads), so they must stay
 * bit-exact whatever the optimization level: -O0 (no helper inlined: every seed, load and finish helper a call),
 * -Os, -O3 with a frame pointer, and -ffreestanding -fno-builtin (memcpy a real call). Pinning accumulators to
 * call-clobbered registers passed at -O2 and failed here.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { planAccumulator } from '../../src/codegen/index.ts';
import { planKernel } from '../../src/families/blocked/kernel-plan.ts';
import { planBlocked } from '../../src/families/blocked/search.ts';
import { loadSpec, modelFromValue, type KernelModel } from '../../src/ops/conv_2d/spec/index.ts';
import { findTarget } from '../../src/targets/index.ts';
import { verifyPair } from '../../src/verify/index.ts';
import { baseSpec, root } from '../helpers.ts';

// halves + split + pinned (arm926ej-s), staged dual (cortex-m4), depthwise single split (A32), lane2 (arm920t int8),
// and dwpair (depthwise q15 on arm926ej-s: its own loop with pinned accumulators)
const specs = ['examples/q15_chw_rows.json', 'examples/depthwise_s2.json', 'examples/int8_hwc.json'];
const dwpair = modelFromValue(baseSpec({ name: 'fl_dw', layout: 'chw', input: { channels: 4, height: 10, width: 14 }, output: { channels: 4 }, groups: 4 }),
  path.join(root, 'fl_dw.json'));
// lane2w (optimize speed: int8 weights of two output channels packed in one word, SMLAL with early-clobbered lane pairs)
const speedSpecs = ['examples/int8_hwc.json'];
const flagSets = [['-O0'], ['-Os'], ['-O3', '-fno-omit-frame-pointer'], ['-O2', '-ffreestanding', '-fno-builtin']];

describe('optimized kernels under other compiler flags', () => {
  it('cover the lane2w form in speed mode on A32', async () => {
    const m = await loadSpec(path.join(root, speedSpecs[0]));
    // what speed generates (its plan estimated faster than default's on the ARM920T)
    expect(planKernel(m, { isa: findTarget('arm920t')!.features, acc: planAccumulator(m), optimize: 'speed' }).opt.macForm).toBe('lane2w');
  });

  it('cover the dwpair form with 64-bit accumulators', () => {
    expect(planBlocked(dwpair, findTarget('arm926ej-s')!.features, planAccumulator(dwpair).accType).macForm).toBe('dwpair');
    expect(planAccumulator(dwpair).accType).toBe('int64_t');
  });

  for (const target of ['arm920t', 'arm926ej-s', 'cortex-m4'])
    it(`${target}: bit-exact at ${flagSets.map((f) => f.join(' ')).join(', ')}`, async () => {
      const failures: string[] = [];
      const models: [KernelModel, 'default' | 'speed'][] = [...(await Promise.all(specs.map((s) => loadSpec(path.join(root, s))))).map((m) => [m, 'default'] as [KernelModel, 'default']),
        [dwpair, 'default'], ...(await Promise.all(speedSpecs.map((s) => loadSpec(path.join(root, s))))).map((m) => [m, 'speed'] as [KernelModel, 'speed'])];
      for (const [m, optimize] of models) {
        const spec = `${m.name} (${optimize})`;
        for (const extraFlags of flagSets) {
          const r = await verifyPair(m, findTarget(target)!, { seed: 5, timeoutSeconds: 300, variant: 'optimized', extraFlags, optimize });
          if (r.status !== 'pass') failures.push(`${spec} ${extraFlags.join(' ')}: ${r.error ?? JSON.stringify(r.first)}`);
        }
      }
      expect(failures).toEqual([]);
    }, 900_000);
});
