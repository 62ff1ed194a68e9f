/**
 * The MVE family's edge paths under QEMU (mps3-an547, Cortex-M55): channel counts around the 16-lane vector
 * (1, 15, 16, 17, 33: tails, exact fits, several chunks), stride 2, dilation, groups, depthwise with a channel
 * multiplier and a channel tail, q15 with a 64-bit accumulator (VMLALDAVA), int8 with an activation clamp and a
 * negative input offset. Each spec must reach the MVE family and be bit-exact on seeded and worst-case inputs.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate } from '../../src/codegen/index.ts';
import { modelFromValue } from '../../src/spec/index.ts';
import { findTarget } from '../../src/targets/index.ts';
import { boundInputs, describeMismatch, testInputs, verifyPair } from '../../src/verify/index.ts';
import { baseSpec, root } from '../helpers.ts';

const target = findTarget('cortex-m55')!;

const int8 = (name: string, inC: number, outC: number, over: Record<string, unknown> = {}, numeric: Record<string, unknown> = {}) => baseSpec({
  name, layout: 'hwc', input: { channels: inC, height: 6, width: 7 }, output: { channels: outC },
  numeric: { type: 'int8', inputOffset: 128, outputOffset: -3, multiplier: Array.from({ length: outC }, (_, o) => 1100000000 + (o % 8) * 97000000),
    shift: Array.from({ length: outC }, (_, o) => -7 - (o % 3)), ...numeric },
  weights: { random: { seed: inC * 31 + outC }, layout: 'ohwi' }, bias: { random: { seed: inC + 7 } }, ...over,
});

const cases: Record<string, Record<string, unknown>> = {
  c1: int8('mc1', 1, 3),
  c15_q7: baseSpec({ name: 'mc15', layout: 'hwc', input: { channels: 15, height: 5, width: 6 }, output: { channels: 5 },
    numeric: { type: 'q7', inputFrac: 5, weightFrac: 6, outputFrac: 4, rounding: 'floor' }, weights: { random: { seed: 5 }, layout: 'ohwi' } }),
  c16: int8('mc16', 16, 4),
  c17_stride2_clamp: int8('mc17', 17, 6, { stride: 2, padding: 'same', activation: { clamp: [-20, 90] } }, { activationMin: -100, activationMax: 100 }),
  c33_q15: baseSpec({ name: 'mc33', layout: 'hwc', input: { channels: 33, height: 4, width: 5 }, output: { channels: 3 },
    numeric: { type: 'q15', inputFrac: 12, weightFrac: 14, outputFrac: 12 }, weights: { values: Array.from({ length: 3 * 33 * 9 }, (_, i) => ((i * 7919) % 601) - 300) } }),
  dilation_offset: int8('mdil', 5, 3, { dilation: [2, 3], padding: [2, 3, 1, 2], input: { channels: 5, height: 8, width: 9 } }, { inputOffset: -20 }),
  groups: int8('mgrp', 8, 6, { groups: 2, kernel: [3, 2], padding: [1, 0, 1, 1] }),
  depthwise_mult2: int8('mdw2', 6, 12, { groups: 6, stride: [2, 1], activation: 'relu' }),
  depthwise_q15: baseSpec({ name: 'mdwq', layout: 'hwc', groups: 5, input: { channels: 5, height: 6, width: 6 }, output: { channels: 5 },
    kernel: 5, padding: 2, numeric: { type: 'q15', inputFrac: 12, weightFrac: 10, outputFrac: 12 },
    weights: { values: Array.from({ length: 125 }, (_, i) => ((i * 31) % 401) - 200) } }),
  q15_int64: baseSpec({ name: 'mq64', layout: 'hwc', input: { channels: 9, height: 5, width: 6 }, output: { channels: 3 },
    numeric: { type: 'q15', inputFrac: 15, weightFrac: 15, outputFrac: 8 }, weights: { values: new Array(3 * 9 * 9).fill(-32768) },
    bias: { values: [2147483647, -2147483648, 5] } }),
  pointwise: int8('mpw', 32, 7, { kernel: 1, padding: 0 }),
  k5: int8('mk5', 8, 5, { kernel: 5, padding: 2 }),
};

describe('MVE family on cortex-m55: edge paths bit-exact under QEMU', () => {
  for (const [key, spec] of Object.entries(cases))
    it.concurrent(key, async () => {
      const m = modelFromValue(spec, path.join(root, `${key}.json`));
      expect(generate(m, { isa: target.features }).family).toBe('mve');
      const r = await verifyPair(m, target, { seed: 7, timeoutSeconds: 60, inputs: [...testInputs(m, 7), ...boundInputs(m)] });
      expect(r.status, r.error ?? describeMismatch(r)).toBe('pass');
      expect(r.mismatches).toBe(0);
    }, 120_000);
});
