/**
 * The MVE family's edge paths under QEMU (mps3-an547, Cortex-M55): channel counts around the 16-lane vector
 * (1, 15, 16, 17, 33: tails, exact fits, several chunks), stride 2, dilation, groups, depthwise with a channel
 * multiplier and a channel tail, q15 with a 64-bit accumulator (VMLALDAVA), int8 with an activation clamp and a
 * negative input offset. Each spec must reach the MVE family and be bit-exact on seeded and worst-case inputs.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate } from '../../src/codegen/index.ts';
import { modelFromValue } from '../../src/ops/conv_2d/spec/index.ts';
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
  // 1x1 kernels have no row loop: padded border regions (no valid row) must skip the taps.
  pointwise_padded: int8('mpwp', 20, 5, { kernel: [1, 2], padding: [1, 1, 1, 0] }),
  // Found by `convgen fuzz`: a depthwise function whose every tap is padding has no tap loop (it must still compile).
  depthwise_all_padding: baseSpec({ name: 'mdwpad', layout: 'hwc', groups: 2, input: { channels: 2, height: 1, width: 1 }, output: { channels: 2 },
    kernel: 1, padding: 1, numeric: { type: 'q7', inputFrac: 0, weightFrac: 0, outputFrac: 0, biasFrac: 0 }, weights: { random: { seed: 0 } } }),
  // Issue 15: every region a border (dilation 5 over a 3x3 input, "same") with an input offset: no function reads
  // the interior seeds, whose table then failed the build ('..._seeds' defined but not used).
  depthwise_all_border_offset: int8('mdwb', 4, 4, { groups: 4, kernel: 3, dilation: 5, padding: 'same', input: { channels: 4, height: 3, width: 3 } }, { inputOffset: 5 }),
  // Found by the stratified fuzzer: the other way round, no region a border (1x1, no padding) and the border seeds
  // unused ('..._border_seeds' defined but not used).
  depthwise_no_border_offset: int8('mdwi', 2, 8, { groups: 2, kernel: 1, stride: 3, dilation: [2, 3], padding: 'same', input: { channels: 2, height: 6, width: 8 } },
    { inputOffset: 107, outputOffset: 120, multiplier: 1, shift: 1, activationMin: -90, activationMax: 91 }),
  pointwise_padded_q7: baseSpec({ name: 'mpwq', layout: 'hwc', input: { channels: 18, height: 4, width: 5 }, output: { channels: 3 }, kernel: 1, padding: 1,
    numeric: { type: 'q7', inputFrac: 5, weightFrac: 6, outputFrac: 4 }, weights: { random: { seed: 9 }, layout: 'ohwi' } }),
  // The vector output stage's edges: multipliers 0, 2^30, 2^31 - 1; shifts -31 (every output 0 or a tie at most),
  // -20..-16 (outputs of a few units: ties of both signs), 0, +1, +5, +30 (saturating left shift); outputs at the
  // clamps; 10 channels = blocks of 4, 4 and a predicated 2 (padded tables).
  requant_edges: int8('mrq', 5, 10, { kernel: 3, padding: 1 }, {
    multiplier: [0, 2147483647, 1073741824, 1500000000, 2147483647, 1073741825, 1234567890, 2147483647, 1999999999, 1073741824],
    shift: [-31, -31, -20, -16, 1, 5, 0, 30, -19, -18], activationMin: -100, activationMax: 120 }),
  requant_uniform_saturating: int8('mrqu', 4, 4, { kernel: 1, padding: 0 }, { multiplier: 2147483647, shift: 3, outputOffset: 5 }),
  requant_depthwise_edges: int8('mrqdw', 7, 7, { groups: 7, padding: 1 }, {
    multiplier: [0, 2147483647, 1073741824, 2147483647, 1500000000, 1073741825, 2000000000],
    shift: [-31, -31, 30, -18, -17, 1, -16], activationMin: -128, activationMax: 127 }),
  // Ties of both signs in every channel: acc = ±input (1x1, one weight of ±1, no offset, no bias), so SRDHM by 2^30
  // halves with a tie at every odd acc, and by 2^31 - 1 keeps acc, which the rounding divide by 2, 4, 8 then splits
  // exactly at its ties; every int8 input value occurs. Dot (4 + 2 channels) and depthwise (4 + 3 channels).
  requant_ties: int8('mrqt', 1, 6, { kernel: 1, padding: 0, input: { channels: 1, height: 16, width: 16 }, weights: { values: [1, -1, 1, -1, 1, 1] }, bias: undefined }, {
    inputOffset: 0, outputOffset: 0, multiplier: [1073741824, 1073741824, 2147483647, 2147483647, 2147483647, 1073741825], shift: [-1, 0, -1, -2, -3, -2] }),
  requant_ties_depthwise: int8('mrqtd', 7, 7, { kernel: 1, padding: 0, groups: 7, input: { channels: 7, height: 8, width: 8 }, weights: { values: [1, -1, 1, -1, 1, -1, 1] }, bias: undefined }, {
    inputOffset: 0, outputOffset: 0, multiplier: [1073741824, 1073741824, 2147483647, 2147483647, 2147483647, 1073741825, 2147483647], shift: [-1, 0, -1, -2, -3, -2, -4] }),
};

describe('MVE family on cortex-m55: edge paths bit-exact under QEMU', () => {
  for (const [key, spec] of Object.entries(cases))
    it.concurrent(key, async () => {
      const m = modelFromValue(spec, path.join(root, `${key}.json`));
      const g = generate(m, { isa: target.features });
      expect(g.family).toBe('mve');
      // The requant cases exist for the vector output stage: they must run it.
      if (key.startsWith('requant')) expect(g.files.map((f) => f.content).join('')).toContain('_finish4(');
      const r = await verifyPair(m, target, { seed: 7, timeoutSeconds: 60, inputs: [...testInputs(m, 7), ...boundInputs(m)] });
      expect(r.status, r.error ?? describeMismatch(r)).toBe('pass');
      expect(r.mismatches).toBe(0);
    }, 120_000);
});
