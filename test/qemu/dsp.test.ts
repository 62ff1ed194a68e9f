/**
 * The blocked family's DSP paths under QEMU, bit-exact against the golden model: the quad form (four 8-bit HWC
 * channels per word through SXTB16 + SMLAD/SMLALD) at its edges — input offsets in border taps (SXTAB16, negative
 * and positive), groups, channel-block tails, strides and asymmetric padding, unaligned word loads, the 64-bit
 * accumulator — in both optimize goals, and the plain forms that the other rows of the MAC table choose.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSpec, modelFromValue } from '../../src/ops/conv_2d/spec/index.ts';
import { findTarget } from '../../src/targets/index.ts';
import { verifyPair } from '../../src/verify/index.ts';
import { planKernel } from '../../src/families/blocked/kernel-plan.ts';
import { planBlocked } from '../../src/families/blocked/search.ts';
import { planAccumulator } from '../../src/codegen/index.ts';
import { baseSpec, root } from '../helpers.ts';

const int8 = (over: Record<string, unknown>) => baseSpec({
  layout: 'hwc',
  numeric: { type: 'int8', inputOffset: 128, outputOffset: -3, multiplier: 1300000000, shift: -8 },
  weights: { random: { seed: 21 }, layout: 'ohwi' },
  bias: { random: { seed: 22 } },
  ...over,
});

const specs: Record<string, Record<string, unknown>> = {
  // 8 channels: two quads; 5 outputs: a channel-block tail; odd width: pixel tails; pad 2 on one side only.
  quad_offset_tail: int8({ name: 'qo', input: { channels: 8, height: 6, width: 7 }, output: { channels: 5 }, padding: [2, 1, 0, 2] }),
  // Negative offset (the packed pair 0xFF81FF81), groups of 4 inputs, stride 2 (unaligned pixel starts: 12 channels).
  quad_groups_negative: int8({ name: 'qg', input: { channels: 12, height: 7, width: 6 }, output: { channels: 6 }, groups: 3,
    stride: 2, padding: 'same', numeric: { type: 'int8', inputOffset: -127, outputOffset: 5, multiplier: [1100000000, 2000000000, 1500000000, 1073741824, 1900000000, 1234567890], shift: [-7, -6, -8, -5, -9, -7] } }),
  // A bias near INT32_MAX: the 64-bit accumulator (SMLALD), and seeds that cannot be folded.
  quad_i64: int8({ name: 'qw', input: { channels: 4, height: 5, width: 5 }, output: { channels: 3 },
    bias: { values: [2147483647, -2147483648, 1000] }, numeric: { type: 'int8', inputOffset: 100, multiplier: 1073741824, shift: -20 } }),
  // q7 HWC: quad without an offset; 5x5 kernel with dilation.
  quad_q7: baseSpec({ name: 'q7q', layout: 'hwc', input: { channels: 4, height: 9, width: 8 }, output: { channels: 4 }, kernel: 5, dilation: [1, 2],
    padding: [2, 4, 2, 4], numeric: { type: 'q7', inputFrac: 5, weightFrac: 6, outputFrac: 4 }, weights: { random: { seed: 23 }, layout: 'ohwi' } }),
};

const models = Object.entries(specs).map(([key, spec]) => [key, modelFromValue(spec, path.join(root, `${key}.json`))] as const);

describe('quad MAC form (SXTB16 + SMLAD) under QEMU', () => {
  it('is what the plan chooses for every spec here on Cortex-M4', () => {
    const isa = findTarget('cortex-m4')!.features;
    for (const [key, m] of models) expect(planBlocked(m, isa, planAccumulator(m).accType).macForm, key).toBe('quad');
    // speed generates quad with widened weights on the cores its runs below cover (estimated faster than default's there)
    for (const t of ['cortex-m4', 'cortex-m33'])
      for (const [key, m] of models)
        expect(planKernel(m, { isa: findTarget(t)!.features, acc: planAccumulator(m), optimize: 'speed' }).opt.widened, `${key} ${t}`).toBe(true);
    const i64 = models.find(([k]) => k === 'quad_i64')![1];
    expect(planAccumulator(i64).accType).toBe('int64_t');
  });

  // Cortex-A9 runs quad in A32 where its vector family does not take the spec.
  for (const [target, goals] of [['cortex-m4', ['default', 'speed']], ['cortex-m33', ['default', 'speed']], ['cortex-a9', ['default']]] as const)
    for (const optimize of goals)
      it(`${target} (${optimize}): every spec bit-exact`, async () => {
        const failures: string[] = [];
        for (const [key, m] of models) {
          const r = await verifyPair(m, findTarget(target)!, { seed: 5, timeoutSeconds: 120, variant: 'optimized', optimize });
          if (r.status !== 'pass') failures.push(`${key}: ${r.error ?? JSON.stringify(r.first)}`);
        }
        expect(failures).toEqual([]);
      }, 600_000);
});

// A big int8 kernel keeps its register blocking under the code budget by calling one out-of-line output stage
// instead of inlining it per accumulator; that path must be what the plan picks here, and bit-exact. (The DSP cores'
// stage is small enough to inline: test/qemu/requantize-dsp.test.ts.)
describe('out-of-line int8 output stage under QEMU', () => {
  for (const target of ['arm920t', 'cortex-m3'])
    it(`${target}: bench e (5x5 int8 HWC) calls the output stage and is bit-exact`, async () => {
      const m = await loadSpec(path.join(root, 'bench', 'e_5x5_8to16_28x28_int8.json'));
      const t = findTarget(target)!;
      expect(planBlocked(m, t.features, planAccumulator(m).accType).outlineFinish).toBe(true);
      const r = await verifyPair(m, t, { seed: 5, timeoutSeconds: 120, variant: 'optimized' });
      expect(r.status, r.error ?? JSON.stringify(r.first)).toBe('pass');
    }, 300_000);
});

// q15 in 16-bit halves: taps (adjacent kernel columns through SMLALD, Thumb-2) and halves (channel-pair weight words
// and aligned input words through SMLALxy, ARMv5TE A32, 64-bit accumulators as two registers) on the bench shapes.
describe('taps, taps8 and halves MAC forms under QEMU', () => {
  const cases = [['a_3x3_16to16_32x32_q15', 'cortex-m4', 'taps'], ['b_3x3_3to8_32x32_q15', 'cortex-m7', 'taps'],
    ['a_3x3_16to16_32x32_q15', 'arm926ej-s', 'halves'], ['e_5x5_8to16_28x28_q15', 'arm926ej-s', 'halves'],
    // q7 CHW: taps8 (SXTB16 lanes of unaligned words, Thumb-2) on the bench shapes
    ['a_3x3_16to16_32x32_q7', 'cortex-m4', 'taps8'], ['b_3x3_3to8_32x32_q7', 'cortex-m7', 'taps8'], ['e_5x5_8to16_28x28_q7', 'cortex-m33', 'taps8']] as const;
  for (const [spec, target, form] of cases)
    it(`${target}: bench ${spec} takes ${form} and is bit-exact`, async () => {
      const m = await loadSpec(path.join(root, 'bench', `${spec}.json`));
      const t = findTarget(target)!;
      expect(planBlocked(m, t.features, planAccumulator(m).accType).macForm).toBe(form);
      const r = await verifyPair(m, t, { seed: 5, timeoutSeconds: 120, variant: 'optimized' });
      expect(r.status, r.error ?? JSON.stringify(r.first)).toBe('pass');
    }, 300_000);
});

// taps8 with optimize speed: weights pre-unpacked to int16 lane pairs (plain LDRs, no SXTB16 per weight word).
describe('taps8 with optimize speed under QEMU', () => {
  it('cortex-m4: bench a_3x3_16to16_32x32_q7 stores pre-unpacked lanes and is bit-exact', async () => {
    const m = await loadSpec(path.join(root, 'bench', 'a_3x3_16to16_32x32_q7.json'));
    const t = findTarget('cortex-m4')!;
    // what speed generates (its plan estimated faster than default's on the Cortex-M4)
    expect(planKernel(m, { isa: t.features, acc: planAccumulator(m), optimize: 'speed' }).opt.lanes8).toBe(true);
    const r = await verifyPair(m, t, { seed: 5, timeoutSeconds: 120, variant: 'optimized', optimize: 'speed' });
    expect(r.status, r.error ?? JSON.stringify(r.first)).toBe('pass');
  }, 300_000);
});
