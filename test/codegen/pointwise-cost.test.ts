/**
 * The pointwise family's cycle estimate (src/families/pointwise/cost.ts) and `--optimize speed`'s choice by it on
 * the cores with a `pointwiseCycles` row (Cortex-M4, M33): speed's plan only where its estimate is not above
 * default's, otherwise default's plan, said in the header.
 */
import { describe, expect, it } from 'vitest';
import { generate } from '../../src/codegen/index.ts';
import { planAccumulator } from '../../src/codegen/accumulator.ts';
import { estimatedCyclesPerMac } from '../../src/families/pointwise/cost.ts';
import { planPointwise, pointwiseApplies } from '../../src/families/pointwise/plan.ts';
import { findTarget } from '../../src/targets/index.ts';
import { tuningOf } from '../../src/tuning/cores.ts';
import { model } from '../helpers.ts';

const pointwise = (inC: number, outC: number, h: number, w: number, perChannel = false) => model({
  name: `pw_${inC}_${outC}_${h}x${w}`, layout: 'hwc', kernel: 1, padding: 0, input: { channels: inC, height: h, width: w }, output: { channels: outC },
  numeric: { type: 'int8', inputOffset: 128, outputOffset: -3, multiplier: perChannel ? Array.from({ length: outC }, (_, o) => 1100000000 + 7919 * o) : 1300000000,
    shift: perChannel ? Array.from({ length: outC }, (_, o) => -7 - (o % 3)) : -8 },
  weights: { random: { seed: 3 }, layout: 'ohwi' },
});

const cores = ['cortex-m4', 'cortex-m33'] as const;

describe('pointwise cycle estimate and the speed plan', () => {
  it('has coefficients on the Cortex-M4 and M33 rows only', () => {
    expect(cores.every((c) => tuningOf(findTarget(c)!.features).pointwiseCycles !== null)).toBe(true);
    for (const c of ['cortex-m7', 'cortex-m3', 'arm920t', 'arm926ej-s'])
      expect(tuningOf(findTarget(c)!.features).pointwiseCycles, c).toBeNull();
  });

  it('never takes a speed plan estimated slower than default\'s, over a sweep of shapes', () => {
    let speedPlans = 0;
    let fallbacks = 0;
    for (const core of cores) {
      const isa = findTarget(core)!.features;
      for (const inC of [4, 8, 12, 20, 33, 64, 100]) for (const outC of [1, 3, 5, 8, 16, 64]) for (const [h, w] of [[1, 1], [2, 3], [5, 5], [25, 5]])
        for (const perChannel of [false, true]) {
          const m = pointwise(inC, outC, h, w, perChannel);
          const acc = planAccumulator(m);
          if (!pointwiseApplies(m, acc, isa)) continue;
          const def = planPointwise(m, acc, isa, 'default');
          const speed = planPointwise(m, acc, isa, 'speed');
          const what = `${m.name} ${perChannel ? 'per-channel' : 'per-tensor'} on ${core}`;
          expect(speed.estimate, what).toBeDefined();
          // The estimates the plan records are the estimate of the plans as built.
          expect(speed.estimate!.default, what).toBeCloseTo(estimatedCyclesPerMac(m, isa, def, acc.accType)!, 9);
          expect(estimatedCyclesPerMac(m, isa, speed, acc.accType), what).toBeCloseTo(speed.speedFallback ? speed.estimate!.default : speed.estimate!.speed, 9);
          if (speed.speedFallback) {
            fallbacks++;
            expect(speed.estimate!.speed, what).toBeGreaterThan(speed.estimate!.default);
            expect([speed.form.form, speed.tile.ob, speed.tile.pb, speed.tile.u], what).toEqual([def.form.form, def.tile.ob, def.tile.pb, def.tile.u]);
          } else {
            speedPlans++;
            expect(speed.estimate!.speed, what).toBeLessThanOrEqual(speed.estimate!.default);
          }
        }
    }
    // Both outcomes occur in the sweep (the test sees each branch).
    expect(speedPlans).toBeGreaterThan(50);
    expect(fallbacks).toBeGreaterThan(10);
  });

  it('keeps speed\'s pre-widened weights on bench c and keyword spotting\'s 64 -> 64 layers, and falls back on 4 input channels', () => {
    const isa = findTarget('cortex-m4')!.features;
    const formOf = (m: ReturnType<typeof pointwise>) => planPointwise(m, planAccumulator(m), isa, 'speed');
    const c = formOf(pointwise(32, 32, 16, 16, true));
    expect(c.form.form).toBe('quad-widened');
    expect([c.tile.ob, c.tile.pb]).toEqual([3, 2]);
    // measured (Cortex-M4, cycles/MAC): default 1.61; speed's 8 x 1 tile 1.68 (the instruction estimate's pick), the
    // 2 x 2 tile the cycle estimate picks 1.47
    const kws = formOf(pointwise(64, 64, 25, 5, true));
    expect(kws.form.form).toBe('quad-widened');
    expect([kws.tile.ob, kws.tile.pb]).toEqual([2, 2]);
    // measured: speed's old plan 4.56 against default's 4.41
    const narrow = formOf(pointwise(4, 8, 16, 16));
    expect(narrow.speedFallback).toBe(true);
    expect(narrow.form.form).toBe('quad');
    const text = generate(pointwise(4, 8, 16, 16), { variant: 'optimized', target: findTarget('cortex-m4')!, optimize: 'speed' }).files
      .find((f) => f.name.endsWith('.h') && f.name.startsWith('pw_'))!.content;
    expect(text).toMatch(/Optimize +speed: default's plan, estimated faster on this core \(\d\.\d\d cycles\/MAC against \d\.\d\d/);
  });
});
