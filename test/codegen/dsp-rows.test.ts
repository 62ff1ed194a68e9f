/**
 * The dsp-rows family (int8 HWC, 1-3 input channels per group, ARMv7E-M DSP): which specs and cores it takes, its
 * plan (pixels per block, bands, seeds with the input offset folded in, weights in plane order), and its C as a
 * committed golden file.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate, planAccumulator } from '../../src/codegen/index.ts';
import { dspRowsApplies, planDspRows } from '../../src/families/dsp-rows/index.ts';
import { PLANE_BUDGET } from '../../src/families/dsp-rows/plan.ts';
import { loadSpec } from '../../src/ops/conv_2d/spec/index.ts';
import { findTarget } from '../../src/targets/index.ts';
import { model, root } from '../helpers.ts';

const int8 = { type: 'int8', inputOffset: 5, outputOffset: -128, multiplier: 1518500250, shift: -9 };
const dw = (over: Record<string, unknown> = {}) => model({
  layout: 'hwc', input: { channels: 8, height: 9, width: 5 }, output: { channels: 8 }, groups: 8, kernel: 3, padding: 'same',
  numeric: int8, weights: { random: { seed: 3 }, layout: 'ohwi' }, ...over,
});
const takes = (m: ReturnType<typeof model>, target: string) => dspRowsApplies(m, planAccumulator(m), findTarget(target)!.features);

describe('dsp-rows family', () => {
  it('takes int8 HWC depthwise and 1-3 channel layers on the DSP M cores only', () => {
    for (const t of ['cortex-m4', 'cortex-m7', 'cortex-m33']) expect(takes(dw(), t), t).toBe(true);
    // MVE and NEON have their own families; the others have no SMLAD
    for (const t of ['cortex-m55', 'cortex-a9', 'cortex-m3', 'cortex-m0', 'arm926ej-s', 'arm920t', 'host']) expect(takes(dw(), t), t).toBe(false);
    const first = (c: number) => dw({ input: { channels: c, height: 9, width: 5 }, output: { channels: 4 }, groups: 1 });
    expect(takes(first(1), 'cortex-m4')).toBe(true);
    expect(takes(first(3), 'cortex-m4')).toBe(true);
    // four channels pair along channels (the blocked family), a dilated row has no adjacent taps, CHW no rows
    expect(takes(first(4), 'cortex-m4')).toBe(false);
    expect(takes(dw({ dilation: [1, 2], padding: 2 }), 'cortex-m4')).toBe(false);
    expect(takes(dw({ layout: 'chw', weights: { random: { seed: 3 } } }), 'cortex-m4')).toBe(false);
    expect(takes(dw({ numeric: { type: 'q7', inputFrac: 5, weightFrac: 6, outputFrac: 5 } }), 'cortex-m4')).toBe(false);
    // dilation along H is fine (rows are addressed, not paired)
    expect(takes(dw({ dilation: [2, 1], padding: [2, 1] }), 'cortex-m4')).toBe(true);
    // the generated kernel names the family
    expect(generate(dw(), { variant: 'optimized', isa: findTarget('cortex-m4')!.features }).family).toBe('dsp-rows');
  });

  it('plans pixel blocks, the remainder block, tap pairs and channel pairs', () => {
    const p = planDspRows(dw(), planAccumulator(dw()));
    expect([p.c, p.rowTaps, p.pairs, p.q, p.p, p.rem]).toEqual([1, 3, 2, 1, 4, 1]);
    // one band: the whole padded image (9 + 2 rows of 5 + 2 columns) plus a pair of slack
    expect([p.planeW, p.bandRows, p.bandInRows, p.bufElems]).toEqual([7, 9, 11, 11 * 7 + 2]);
    const first = dw({ input: { channels: 3, height: 9, width: 6 }, output: { channels: 4 }, groups: 1 });
    const f = planDspRows(first, planAccumulator(first));
    expect([f.c, f.rowTaps, f.pairs, f.q]).toEqual([3, 9, 5, 2]);
  });

  it('splits a plane over the budget into bands of output rows', () => {
    const big = dw({ input: { channels: 2, height: 60, width: 40 }, output: { channels: 2 }, groups: 2 });
    const p = planDspRows(big, planAccumulator(big));
    expect(p.bandRows).toBeLessThan(60);
    expect(p.bufElems * 2).toBeLessThanOrEqual(PLANE_BUDGET);
    expect(p.bandInRows).toBe(p.bandRows + 2);
    // one more output row would not fit
    expect(((p.bandInRows + 1) * p.planeW + 2) * 2).toBeGreaterThan(PLANE_BUDGET);
  });

  it('folds the input offset into the seeds and orders the weights as the plane', () => {
    const m = dw({ input: { channels: 2, height: 4, width: 4 }, output: { channels: 2 }, groups: 1, bias: { values: [10, -20] } });
    const p = planDspRows(m, planAccumulator(m));
    const per = 2 * 9;
    for (let o = 0; o < 2; o++) {
      let sum = 0;
      for (let t = 0; t < per; t++) sum += m.weights[o * per + t];
      expect(p.seeds[o]).toBe(BigInt([10, -20][o] + 5 * sum));
      // [o][ky][kx][ci]: channel ci of tap (ky, kx) is the spec's [o][ci][ky][kx]
      for (let ky = 0; ky < 3; ky++)
        for (let kx = 0; kx < 3; kx++)
          for (let ci = 0; ci < 2; ci++) expect(p.weights[o * per + (ky * 3 + kx) * 2 + ci]).toBe(m.weights[o * per + (ci * 3 + ky) * 3 + kx]);
    }
    // no offset: the seeds are the bias
    const z = dw({ numeric: { ...int8, inputOffset: 0 }, bias: { values: [1, 2, 3, 4, 5, 6, 7, 8] } });
    expect(planDspRows(z, planAccumulator(z)).seeds).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n]);
  });

  for (const name of ['dr_depthwise', 'dr_first1'])
    it(`matches the committed golden for ${name} (optimized, cortex-m4)`, async () => {
      const k = generate(await loadSpec(path.join(root, 'test/fixtures/dsp-rows', `${name}.json`)), { variant: 'optimized', target: findTarget('cortex-m4')! });
      expect(k.family).toBe('dsp-rows');
      const c = k.files.find((f) => f.name === `${name}.c`)!;
      await expect(c.content).toMatchFileSnapshot(path.join('__golden__', 'dsp-rows', 'cortex-m4', c.name));
    });
});
