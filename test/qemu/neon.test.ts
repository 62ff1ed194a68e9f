/**
 * The NEON family's edges, bit-exact on Cortex-A9 under QEMU: widths off the 8-pixel vector (overlapping last
 * block), stride 2 (vld2), dilation, groups with a channel tail block, depthwise multiplier 2, rows with no valid
 * kernel row, q15 with an int64 bound, q7 clamp / floor / shift-left stages. Each case must really take the NEON
 * path (asserted), except the int8 case, which the family refuses and `blocked` must still get exactly right.
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
const q7 = { type: 'q7', inputFrac: 5, weightFrac: 6, outputFrac: 5 };

const cases: Record<string, { spec: Record<string, unknown>; family: string }> = {
  width13_pad_asym: { spec: baseSpec({ name: 'nw13', padding: [0, 2, 1, 0], input: { channels: 3, height: 7, width: 13 } }), family: 'neon' },
  stride2_odd: { spec: baseSpec({ name: 'ns2', stride: 2, padding: 'same', input: { channels: 2, height: 9, width: 21 }, output: { channels: 5 } }), family: 'neon' },
  stride2_q7_dil: { spec: baseSpec({ name: 'ns2d', stride: [1, 2], dilation: [2, 2], padding: 2, input: { channels: 2, height: 8, width: 23 }, numeric: q7 }), family: 'neon' },
  dilation: { spec: baseSpec({ name: 'ndil', dilation: [2, 3], padding: [2, 3, 1, 2], input: { channels: 2, height: 9, width: 14 } }), family: 'neon' },
  groups_tail: { spec: baseSpec({ name: 'ngrp', groups: 2, input: { channels: 4, height: 6, width: 11 }, output: { channels: 10 }, numeric: q7 }), family: 'neon' },
  depthwise_mult2: { spec: baseSpec({ name: 'ndw', groups: 3, input: { channels: 3, height: 7, width: 17 }, output: { channels: 6 }, activation: 'relu6' }), family: 'neon' },
  pad_beyond_kernel: { spec: baseSpec({ name: 'npad', padding: [4, 1, 4, 1], kernel: [3, 5], input: { channels: 2, height: 3, width: 10 } }), family: 'neon' },
  q15_int64_extreme: { spec: baseSpec({ name: 'ni64', input: { channels: 3, height: 5, width: 9 }, weights: { values: new Array(81).fill(-32768) },
    bias: { values: [2147483647, -2147483648, 0] }, numeric: { type: 'q15', inputFrac: 15, weightFrac: 15, outputFrac: 8, biasFrac: 10 } }), family: 'neon' },
  q7_clamp_floor: { spec: baseSpec({ name: 'nclamp', kernel: 5, padding: 2, input: { channels: 3, height: 6, width: 10 }, activation: { clamp: [-50, 40] },
    numeric: { type: 'q7', inputFrac: 5, weightFrac: 6, outputFrac: 4, rounding: 'floor' } }), family: 'neon' },
  q15_shift_left: { spec: baseSpec({ name: 'nshl', activation: 'relu', input: { channels: 2, height: 5, width: 8 },
    numeric: { type: 'q15', inputFrac: 3, weightFrac: 2, outputFrac: 9, biasFrac: 4 } }), family: 'neon' },
  int8_clamp_chw_fallback: { spec: baseSpec({ name: 'ni8', input: { channels: 3, height: 6, width: 12 }, activation: { clamp: [-20, 90] },
    numeric: { type: 'int8', inputOffset: 128, outputOffset: -3, multiplier: 1300000000, shift: -8 } }), family: 'blocked' },
};

describe('NEON family on cortex-a9: edges bit-exact under QEMU', () => {
  const models = Object.entries(cases).map(([key, c]) => ({ key, family: c.family, m: modelFromValue(c.spec, path.join(root, `${key}.json`)) }));

  it('each case takes the family it is meant to exercise', () => {
    for (const { key, family, m } of models) expect(`${key}: ${generate(m, { variant: 'optimized', isa: a9.features }).family}`).toBe(`${key}: ${family}`);
  });

  it(`${models.length} cases bit-exact (optimized)`, async () => {
    const results = await pool(models, 2, ({ m }) => verifyPair(m, a9, { seed: 11, timeoutSeconds: 60, variant: 'optimized' }));
    const failures = results.filter((r) => r.status !== 'pass');
    expect(failures.map((f) => `${f.name}: ${f.error ?? JSON.stringify(f.first)}`)).toEqual([]);
  }, 120_000);
});
