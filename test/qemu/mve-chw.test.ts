/**
 * The MVE CHW family's edges, bit-exact on Cortex-M55 under QEMU: widths off the pixel block (a remainder block that
 * overlaps the previous one), widths of one vector, stride 2 (even lanes of 8) with odd sizes, dilation, groups with a
 * channel tail block, depthwise multiplier 2, padding beyond the kernel (rows with no valid kernel row), q7 clamp and
 * floor, q15 with the vector output stage, q15 shift-left (the scalar finish). Each case must really take the
 * family; a q15 case whose bound needs int64 and an int8 CHW case must go to `blocked` and still be exact.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate } from '../../src/codegen/index.ts';
import { modelFromValue } from '../../src/ops/conv_2d/spec/index.ts';
import { findTarget } from '../../src/targets/index.ts';
import { verifyPair } from '../../src/verify/index.ts';
import { baseSpec, root } from '../helpers.ts';
import { pool } from '../../src/pool.ts';

const m55 = findTarget('cortex-m55')!;
const q7 = { type: 'q7', inputFrac: 5, weightFrac: 6, outputFrac: 5 };
/** q15 weights small enough for an int32 bound (the vector family's only accumulator). */
const small = (n: number, seed: number) => ({ values: Array.from({ length: n }, (_, i) => ((i * 7919 + seed * 104729) % 401) - 200) });

const cases: Record<string, { spec: Record<string, unknown>; family: string }> = {
  width13_pad_asym: { spec: baseSpec({ name: 'mw13', padding: [0, 2, 1, 0], input: { channels: 3, height: 7, width: 13 }, numeric: q7 }), family: 'mve-chw' },
  width4_one_vector: { spec: baseSpec({ name: 'mw4', padding: 0, input: { channels: 2, height: 5, width: 6 }, output: { channels: 7 }, numeric: q7 }), family: 'mve-chw' },
  width5: { spec: baseSpec({ name: 'mw5', padding: [1, 0, 0, 0], input: { channels: 1, height: 4, width: 7 }, output: { channels: 2 }, numeric: q7 }), family: 'mve-chw' },
  stride2_odd: { spec: baseSpec({ name: 'ms2', stride: 2, padding: 'same', input: { channels: 2, height: 9, width: 21 }, output: { channels: 5 }, numeric: q7 }), family: 'mve-chw' },
  stride2_q15_dil: { spec: baseSpec({ name: 'ms2d', stride: [1, 2], dilation: [2, 2], padding: 2, input: { channels: 2, height: 8, width: 23 }, weights: small(54, 1) }), family: 'mve-chw' },
  dilation: { spec: baseSpec({ name: 'mdil', dilation: [2, 3], padding: [2, 3, 1, 2], input: { channels: 2, height: 9, width: 14 }, numeric: q7 }), family: 'mve-chw' },
  groups_tail: { spec: baseSpec({ name: 'mgrp', groups: 2, input: { channels: 4, height: 6, width: 11 }, output: { channels: 10 }, numeric: q7 }), family: 'mve-chw' },
  depthwise_mult2: { spec: baseSpec({ name: 'mdw', groups: 3, input: { channels: 3, height: 7, width: 17 }, output: { channels: 6 }, activation: 'relu6', numeric: q7 }), family: 'mve-chw' },
  pad_beyond_kernel: { spec: baseSpec({ name: 'mpad', padding: [4, 1, 4, 1], kernel: [3, 5], input: { channels: 2, height: 3, width: 10 }, numeric: q7 }), family: 'mve-chw' },
  pointwise_1x1: { spec: baseSpec({ name: 'mpw', kernel: 1, padding: 0, input: { channels: 5, height: 3, width: 9 }, output: { channels: 4 }, numeric: q7 }), family: 'mve-chw' },
  q7_clamp_floor: { spec: baseSpec({ name: 'mclamp', kernel: 5, padding: 2, input: { channels: 3, height: 6, width: 10 }, activation: { clamp: [-50, 40] },
    numeric: { type: 'q7', inputFrac: 5, weightFrac: 6, outputFrac: 4, rounding: 'floor' } }), family: 'mve-chw' },
  q15_vector_stage: { spec: baseSpec({ name: 'mq15', input: { channels: 3, height: 6, width: 12 }, output: { channels: 4 }, weights: small(108, 2), activation: 'relu' }), family: 'mve-chw' },
  q15_shift_left: { spec: baseSpec({ name: 'mshl', activation: 'relu', input: { channels: 2, height: 5, width: 8 }, weights: small(54, 3),
    numeric: { type: 'q15', inputFrac: 3, weightFrac: 2, outputFrac: 9, biasFrac: 4 } }), family: 'mve-chw' },
  q15_int64_fallback: { spec: baseSpec({ name: 'mi64', input: { channels: 3, height: 5, width: 9 }, weights: { values: new Array(81).fill(-32768) },
    bias: { values: [2147483647, -2147483648, 0] }, numeric: { type: 'q15', inputFrac: 15, weightFrac: 15, outputFrac: 8, biasFrac: 10 } }), family: 'blocked' },
  int8_chw_fallback: { spec: baseSpec({ name: 'mi8', input: { channels: 3, height: 6, width: 12 }, activation: { clamp: [-20, 90] },
    numeric: { type: 'int8', inputOffset: 128, outputOffset: -3, multiplier: 1300000000, shift: -8 } }), family: 'blocked' },
};

describe('MVE CHW family on cortex-m55: edges bit-exact under QEMU', () => {
  const models = Object.entries(cases).map(([key, c]) => ({ key, family: c.family, m: modelFromValue(c.spec, path.join(root, `${key}.json`)) }));

  it('each case takes the family it is meant to exercise', () => {
    for (const { key, family, m } of models) expect(`${key}: ${generate(m, { variant: 'optimized', isa: m55.features }).family}`).toBe(`${key}: ${family}`);
  });

  it(`${models.length} cases bit-exact (optimized)`, async () => {
    const results = await pool(models, 2, ({ m }) => verifyPair(m, m55, { seed: 13, timeoutSeconds: 60, variant: 'optimized' }));
    const failures = results.filter((r) => r.status !== 'pass');
    expect(failures.map((f) => `${f.name}: ${f.error ?? JSON.stringify(f.first)}`)).toEqual([]);
  }, 180_000);
});
