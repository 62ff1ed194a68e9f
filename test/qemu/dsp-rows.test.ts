/**
 * The dsp-rows family bit-exact under QEMU on the cores it takes (Cortex-M4, M7, M33), on poisoned memory: depthwise
 * with a channel multiplier (channel pairs), stride 2 and asymmetric padding, dilation along H, an odd row of taps
 * (the zero-weight high tap), rows narrower than a pixel block, planes split into bands, 2 and 3 channels per group,
 * no input offset and no bias, per-tensor and per-channel multipliers, a narrow clamp, a left shift (the common
 * output stage), the extreme right shift of 31, and a right shift of 0 (the stage's unfused form).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate, planAccumulator } from '../../src/codegen/index.ts';
import { planDspRows } from '../../src/families/dsp-rows/index.ts';
import { modelFromValue } from '../../src/ops/conv_2d/spec/index.ts';
import { findTarget } from '../../src/targets/index.ts';
import { verifyPair } from '../../src/verify/index.ts';
import { pool } from '../../src/pool.ts';
import { root } from '../helpers.ts';

const targetNames = ['cortex-m4', 'cortex-m7', 'cortex-m33'];
const M = [1518500250, 1276901376, 2003032064, 1073741824, 1779033703, 1431655765, 1202590843, 1925330168];
const S = [-9, -8, -10, -8, -9, -9, -8, -10];
const perChannel = (n: number, over: Record<string, unknown> = {}) =>
  ({ type: 'int8', inputOffset: 7, outputOffset: -128, multiplier: M.slice(0, n).concat(M).slice(0, n), shift: S.concat(S).slice(0, n), ...over });
const spec = (name: string, c: number, h: number, w: number, oc: number, over: Record<string, unknown>) => ({
  name, layout: 'hwc', input: { channels: c, height: h, width: w }, output: { channels: oc }, kernel: 3, padding: 'same',
  numeric: perChannel(oc), weights: { random: { seed: name.length }, layout: 'ohwi' }, bias: { random: { seed: 40 + name.length } }, ...over,
});

const cases = [
  // kws's depthwise shape in small: 5 wide (a block of 4 and one of 1), relu on a -128 output zero point
  spec('dr_dw', 16, 7, 5, 16, { groups: 16, activation: 'relu' }),
  // multiplier 2 (two channels a block), stride 2, asymmetric padding, one multiplier for all, no offset, no bias, a clamp
  spec('dr_mult2', 4, 9, 11, 8, { groups: 4, stride: 2, padding: [0, 1, 2, 1], bias: undefined,
    numeric: { type: 'int8', inputOffset: 0, outputOffset: 3, multiplier: 1300000000, shift: -7, activationMin: -100, activationMax: 90 } }),
  // dilation 2 along H, a 3x5 kernel (5 taps: the last pair's high weight is 0), stride 2 along W, 2 outputs wide
  spec('dr_dil', 3, 10, 4, 3, { groups: 3, kernel: [3, 5], dilation: [2, 1], stride: [1, 2], padding: [2, 2, 2, 2],
    numeric: perChannel(3, { inputOffset: 127 }) }),
  // a plane over the stack budget: bands of output rows
  spec('dr_bands', 2, 48, 40, 2, { groups: 2, numeric: perChannel(2, { inputOffset: 128 }) }),
  // first layers: one channel with kws's 10x4 kernel at stride 2; three channels 3x3 (9 taps a row: 5 pairs) in bands
  spec('dr_first1', 1, 19, 10, 6, { kernel: [10, 4], stride: 2, activation: 'relu' }),
  spec('dr_first3', 3, 40, 21, 4, { numeric: perChannel(4, { inputOffset: -3, outputOffset: 10, activationMin: -50, activationMax: 60 }) }),
  // two groups of two channels, three outputs each (one channel a block), 2x2 valid
  spec('dr_grouped', 4, 6, 7, 6, { groups: 2, kernel: 2, padding: 'valid' }),
  // a left shift on one channel: the common output stage; the right shift of 31 on another
  spec('dr_shifts', 4, 5, 6, 4, { groups: 4, numeric: perChannel(4, { shift: [2, -31, -9, 0], multiplier: [1073741824, 2147483647, 1518500250, 1276901376] }),
    weights: { values: Array.from({ length: 36 }, (_, i) => ((i * 37) % 17) - 8), layout: 'ohwi' } }),
  // a right shift of 0 on one channel: SRDHM and the rounding divide apart (the others fuse them)
  spec('dr_right0', 4, 6, 5, 4, { groups: 4, numeric: perChannel(4, { shift: [0, -1, -9, -31], multiplier: [1073741824, 2147483647, 1518500250, 1276901376] }),
    weights: { values: Array.from({ length: 36 }, (_, i) => ((i * 53) % 23) - 11), layout: 'ohwi' } }),
];

describe('dsp-rows family under QEMU', () => {
  const models = cases.map((s) => modelFromValue(s, path.join(root, `${s.name}.json`)));

  it('generates every case with the dsp-rows family, in the shapes the cases are for', () => {
    for (const m of models)
      for (const t of targetNames) expect(generate(m, { variant: 'optimized', isa: findTarget(t)!.features }).family, `${m.name} ${t}`).toBe('dsp-rows');
    const plan = (name: string) => { const m = models.find((x) => x.name === name)!; return planDspRows(m, planAccumulator(m)); };
    expect(plan('dr_dw').rem).toBe(1);
    expect(plan('dr_mult2').q).toBe(2);
    expect(plan('dr_dil').rowTaps % 2).toBe(1);
    expect(plan('dr_bands').bandRows).toBeLessThan(48);
    expect(plan('dr_first3').bandRows).toBeLessThan(40);
    expect(plan('dr_grouped').c).toBe(2);
    const shifts = generate(models.find((x) => x.name === 'dr_shifts')!, { variant: 'optimized', isa: findTarget('cortex-m4')!.features });
    expect(shifts.files.find((f) => f.name === 'dr_shifts.c')!.content).toContain('dr_shifts_finish(');
    const text = (name: string) => generate(models.find((x) => x.name === name)!, { variant: 'optimized', isa: findTarget('cortex-m4')!.features })
      .files.find((f) => f.name === `${name}.c`)!.content;
    expect(text('dr_dw')).toContain('dr_dw_requant(');
    expect(text('dr_dw')).toContain('>> 32) >> (right - 1)');
    expect(text('dr_right0')).toContain('ties away from zero');
    // two channels a block: k comes from the entry, once per block of channels
    expect(text('dr_first1')).toContain('dr_first1_requant(int32_t acc, int32_t mult, int64_t k, int sh)');
  });

  it(`is bit-exact on ${targetNames.join(', ')}`, async () => {
    const pairs = models.flatMap((m) => targetNames.map((t) => ({ m, t: findTarget(t)! })));
    const results = await pool(pairs, 2, ({ m, t }) => verifyPair(m, t, { seed: 5, timeoutSeconds: 60, variant: 'optimized' }));
    const failures = results.filter((r) => r.status !== 'pass').map((r) => `${r.name} on ${r.target}: ${r.error ?? JSON.stringify(r.first)}`);
    expect(failures).toEqual([]);
  }, 300_000);
});
