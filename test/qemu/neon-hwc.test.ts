/**
 * The NEON HWC family's edges, bit-exact on Cortex-A9 under QEMU: input channel counts 1, 3, 7, 8, 9, 17 (4-lane
 * chunks and their tails), output channel counts off the 8-lane vector (overlapping last block), widths off the
 * pixel block (overlapping last block, and narrower than one block), stride 2, dilation, groups, depthwise with
 * multipliers 1 and 2 and channel counts off 8, rows with no valid kernel row; int8 per-tensor and per-channel with
 * input offsets 128 and negative, output offsets, clamps, left shifts (saturating) and right shifts up to 31 in the
 * vector requantization; q7, and q15 with an int64 bound; groups of 4 to 7 output channels (4 lanes). Each case must really take the family (asserted).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate } from '../../src/codegen/index.ts';
import { modelFromValue } from '../../src/ops/conv_2d/spec/index.ts';
import { findTarget } from '../../src/targets/index.ts';
import { verifyPair } from '../../src/verify/index.ts';
import { baseSpec, root } from '../helpers.ts';
import { pool } from '../../src/pool.ts';

const a9 = findTarget('cortex-a9')!;
const hwc = { layout: 'hwc', weights: { random: { seed: 5 }, layout: 'ohwi' } };
const q7 = { type: 'q7', inputFrac: 5, weightFrac: 6, outputFrac: 5 };
/** Per-channel int8 parameters: multipliers in [2^30, 2^31), shifts cycling through `shifts`. */
const perChannel = (outC: number, shifts: number[], extra: Record<string, unknown> = {}) => ({
  type: 'int8', inputOffset: 128, outputOffset: -3,
  multiplier: Array.from({ length: outC }, (_, o) => 1073741824 + ((o * 387420489) % 1073741823)),
  shift: Array.from({ length: outC }, (_, o) => shifts[o % shifts.length]),
  ...extra,
});

const cases: Record<string, Record<string, unknown>> = {
  // dense: 3 input channels (a 3-lane tail only), width 13 (pixel blocks of 4 overlap), per-channel, clamp
  i8_c3_o8_w13: baseSpec({ ...hwc, name: 'h1', input: { channels: 3, height: 6, width: 13 }, output: { channels: 8 },
    activation: { clamp: [-20, 90] }, numeric: perChannel(8, [-8, -9, -7]) }),
  // 1 input channel, 9 outputs (overlapping channel block), stride 2, per-tensor, left shift that saturates
  i8_c1_o9_s2_left: baseSpec({ ...hwc, name: 'h2', stride: 2, padding: 'same', input: { channels: 1, height: 9, width: 21 }, output: { channels: 9 },
    numeric: { type: 'int8', inputOffset: 128, outputOffset: 5, multiplier: 1300000000, shift: 14 } }),
  // 7 inputs, 17 outputs, dilation, asymmetric padding, per-channel shifts from left 3 to right 31, negative offset
  i8_c7_o17_dil: baseSpec({ ...hwc, name: 'h3', dilation: [2, 2], padding: [2, 3, 1, 2], input: { channels: 7, height: 8, width: 11 }, output: { channels: 17 },
    numeric: perChannel(17, [3, -1, -6, -12, -31, 0, 1], { inputOffset: -5, outputOffset: 100 }) }),
  // 8 and 9 inputs per group (a whole 4-lane chunk, a chunk plus a tail), groups 2
  i8_groups_c9: baseSpec({ ...hwc, name: 'h4', groups: 2, input: { channels: 18, height: 5, width: 9 }, output: { channels: 16 },
    numeric: perChannel(16, [-9, -10]) }),
  i8_c8_k5_narrow: baseSpec({ ...hwc, name: 'h5', kernel: 5, padding: 2, input: { channels: 8, height: 5, width: 3 }, output: { channels: 8 },
    numeric: perChannel(8, [-9]) }),
  // depthwise, 17 channels (the last 8-lane slice overlaps), per-channel, relu-like clamp
  i8_dw17: baseSpec({ ...hwc, name: 'h6', groups: 17, input: { channels: 17, height: 7, width: 10 }, output: { channels: 17 },
    activation: { clamp: [0, 127] }, numeric: perChannel(17, [-7, -8, 2]) }),
  // depthwise multiplier 2, 9 groups, stride 2
  i8_dw9_mult2_s2: baseSpec({ ...hwc, name: 'h7', groups: 9, stride: 2, input: { channels: 9, height: 9, width: 15 }, output: { channels: 18 },
    numeric: perChannel(18, [-6, -7]) }),
  // padding beyond the kernel: some output rows have no valid kernel row (seed only)
  i8_pad_beyond: baseSpec({ ...hwc, name: 'h8', padding: [4, 1, 4, 1], kernel: [3, 5], input: { channels: 3, height: 3, width: 10 }, output: { channels: 8 },
    numeric: perChannel(8, [-3]) }),
  q7_c17_k5: baseSpec({ ...hwc, name: 'h9', kernel: 5, padding: 2, input: { channels: 17, height: 5, width: 9 }, output: { channels: 8 }, numeric: q7 }),
  q7_dw8_mult2: baseSpec({ ...hwc, name: 'h10', groups: 8, input: { channels: 8, height: 5, width: 9 }, output: { channels: 16 }, numeric: q7, activation: 'relu6' }),
  q15_int64: baseSpec({ ...hwc, name: 'h11', input: { channels: 3, height: 5, width: 9 }, output: { channels: 8 }, weights: { values: new Array(216).fill(-32768) },
    bias: { values: [2147483647, -2147483648, 0, 1, -1, 5, 7, -9] }, numeric: { type: 'q15', inputFrac: 15, weightFrac: 15, outputFrac: 8, biasFrac: 10 } }),
  q15_dw9_int64: baseSpec({ ...hwc, name: 'h12', groups: 9, input: { channels: 9, height: 5, width: 7 }, output: { channels: 9 }, weights: { values: new Array(81).fill(-32768) },
    bias: { values: [2147483647, -2147483648, 0, 1, -1, 5, 7, -9, 3] }, numeric: { type: 'q15', inputFrac: 15, weightFrac: 15, outputFrac: 8, biasFrac: 10 } }),
  // 4 to 7 output channels per group: 4 lanes (the last block overlapping from 5 up)
  i8_o6_half: baseSpec({ ...hwc, name: 'h13', input: { channels: 20, height: 6, width: 5 }, output: { channels: 6 },
    activation: { clamp: [-100, 50] }, numeric: perChannel(6, [-9, 1, -12]) }),
  q7_o5_half_s2: baseSpec({ ...hwc, name: 'h14', stride: 2, padding: 'same', input: { channels: 19, height: 5, width: 9 }, output: { channels: 5 }, numeric: q7 }),
  q15_o4_half_int64: baseSpec({ ...hwc, name: 'h15', input: { channels: 2, height: 4, width: 7 }, output: { channels: 4 }, weights: { values: new Array(72).fill(-32768) },
    bias: { values: [2147483647, -2147483648, 0, 1] }, numeric: { type: 'q15', inputFrac: 15, weightFrac: 15, outputFrac: 8, biasFrac: 10 } }),
};

describe('NEON HWC family on cortex-a9: edges bit-exact under QEMU', () => {
  const models = Object.entries(cases).map(([key, spec]) => ({ key, m: modelFromValue(spec, path.join(root, `${key}.json`)) }));

  it('each case takes the neon-hwc family', () => {
    for (const { key, m } of models) expect(`${key}: ${generate(m, { variant: 'optimized', isa: a9.features }).family}`).toBe(`${key}: neon-hwc`);
  });

  it(`${models.length} cases bit-exact (optimized)`, async () => {
    const results = await pool(models, 2, ({ m }) => verifyPair(m, a9, { seed: 13, timeoutSeconds: 60, variant: 'optimized' }));
    const failures = results.filter((r) => r.status !== 'pass');
    expect(failures.map((f) => `${f.name}: ${f.error ?? JSON.stringify(f.first)}`)).toEqual([]);
  }, 240_000);

  it('optimize: speed (weights pre-widened to int16) stays bit-exact', async () => {
    const picked = models.filter(({ key }) => ['i8_c7_o17_dil', 'i8_dw9_mult2_s2', 'q7_c17_k5', 'i8_o6_half'].includes(key));
    for (const { m } of picked) expect(generate(m, { variant: 'optimized', isa: a9.features, optimize: 'speed' }).files[1].content).toMatch(/pre-widened to int16/);
    const results = await Promise.all(picked.map(({ m }) => verifyPair(m, a9, { seed: 17, timeoutSeconds: 60, variant: 'optimized', optimize: 'speed' })));
    expect(results.filter((r) => r.status !== 'pass').map((f) => `${f.name}: ${f.error ?? JSON.stringify(f.first)}`)).toEqual([]);
  }, 120_000);
});
