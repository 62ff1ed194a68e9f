/**
 * The QEMU matrix: every runnable target in the table × a matrix of specs, really compiled with arm-none-eabi-gcc
 * and really run under qemu-system-arm, compared bit for bit with the golden model. Adding a target row adds it here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSpec, modelFromValue, type KernelModel } from '../../src/ops/conv_2d/spec/index.ts';
import { readNpy } from '../../src/npy/index.ts';
import { targets } from '../../src/targets/index.ts';
import { readInputTensor } from '../../src/tensors/index.ts';
import { verifyPair, type PairResult } from '../../src/verify/index.ts';
import { pool } from '../../src/pool.ts';
import { variantNames } from '../../src/codegen/index.ts';
import { runGolden } from '../../src/ops/conv_2d/spec/golden.ts';
import { baseSpec, fixtures, root } from '../helpers.ts';

const runnable = targets.filter((t) => t.run === 'qemu');
const naiveTargets = new Set(['arm920t', 'cortex-m0', 'cortex-m4', 'cortex-a9']);
const jobs = 2;

/** One spec per feature the issue names; small enough for the 16 KiB Cortex-M0. */
const matrix: Record<string, Record<string, unknown>> = {
  asymmetric_pad: baseSpec({ name: 'asym', padding: [0, 2, 1, 0], input: { channels: 3, height: 7, width: 6 } }),
  stride2_same: baseSpec({ name: 'stride2', stride: 2, padding: 'same', input: { channels: 2, height: 8, width: 9 } }),
  dilation: baseSpec({ name: 'dil', dilation: [2, 3], padding: [2, 3, 1, 2], input: { channels: 2, height: 9, width: 10 } }),
  groups: baseSpec({ name: 'groups', groups: 2, input: { channels: 4, height: 6, width: 6 }, output: { channels: 6 } }),
  depthwise_mult: baseSpec({ name: 'dw', groups: 3, input: { channels: 3, height: 7, width: 7 }, output: { channels: 6 }, activation: 'relu6' }),
  pointwise: baseSpec({ name: 'pw', kernel: 1, padding: 0, input: { channels: 8, height: 6, width: 5 }, output: { channels: 5 } }),
  k5x5_q7_floor: baseSpec({ name: 'k5', kernel: 5, padding: 2, numeric: { type: 'q7', inputFrac: 5, weightFrac: 6, outputFrac: 4, rounding: 'floor' } }),
  q31_clamp_hwc: baseSpec({ name: 'q31', layout: 'hwc', activation: { clamp: [-1000000, 2000000] },
    numeric: { type: 'q31', inputFrac: 20, weightFrac: 24, outputFrac: 16 }, weights: { values: Array.from({ length: 54 }, (_, i) => (i * 7919 % 2000001) - 1000000) },
    bias: { values: [123456789, -987654321, 5] } }),
  q15_relu_shiftleft: baseSpec({ name: 'shl', activation: 'relu', numeric: { type: 'q15', inputFrac: 3, weightFrac: 2, outputFrac: 9, biasFrac: 4 } }),
  // Channel counts off the vector widths (16 int8 / 8 int16 lanes) so that vector kernels meet their tails.
  int8_perchannel_hwc: baseSpec({ name: 'i8pc', layout: 'hwc', input: { channels: 20, height: 6, width: 5 }, output: { channels: 6 },
    stride: [1, 2], padding: [1, 1, 2, 0],
    numeric: { type: 'int8', inputOffset: 37, outputOffset: -9, multiplier: [1518500250, 1073741824, 2147483647, 1300000000, 1999999999, 1717986918],
      shift: [-7, -8, -9, 1, -31, -6], activationMin: -100, activationMax: 120 },
    weights: { random: { seed: 11 }, layout: 'ohwi' }, bias: { random: { seed: 12 } } }),
  int8_dw_mult_pertensor: baseSpec({ name: 'i8dw', groups: 3, input: { channels: 3, height: 7, width: 6 }, output: { channels: 6 }, padding: [2, 1, 0, 1],
    numeric: { type: 'int8', inputOffset: -20, outputOffset: 17, multiplier: 1660000000, shift: -5, activationMin: -60, activationMax: 127 },
    weights: { random: { seed: 15 } }, bias: { values: [-300, 0, 2147483647, -2147483648, 55, 9000] } }),
  q7_hwc_wide: baseSpec({ name: 'q7w', layout: 'hwc', input: { channels: 19, height: 5, width: 6 }, output: { channels: 5 },
    numeric: { type: 'q7', inputFrac: 5, weightFrac: 6, outputFrac: 5 }, weights: { random: { seed: 13 }, layout: 'ohwi' } }),
  q15_hwc_wide: baseSpec({ name: 'q15w', layout: 'hwc', input: { channels: 11, height: 4, width: 7 }, output: { channels: 4 },
    activation: 'relu', numeric: { type: 'q15', inputFrac: 13, weightFrac: 15, outputFrac: 11 }, weights: { random: { seed: 14 }, layout: 'ohwi' } }),
  // q15 CHW, odd input widths and asymmetric padding, an even number of output channels: the taps form (v7E-M) and
  // halves (ARMv5TE, rows whose first block starts on an odd element run a lead pixel) with every half selection.
  q15_chw_odd_width: baseSpec({ name: 'q15odd', input: { channels: 3, height: 7, width: 9 }, output: { channels: 4 }, padding: [1, 2, 0, 1] }),
  q15_chw_k2x4_odd: baseSpec({ name: 'q15k24', kernel: [2, 4], input: { channels: 2, height: 6, width: 11 }, output: { channels: 6 }, padding: [0, 3, 1, 0] }),
  // H x W even, W odd, no padding: the halves interior loads aligned input words and every other row runs a lead pixel.
  q15_chw_lead: baseSpec({ name: 'q15lead', kernel: [3, 4], padding: 0, input: { channels: 3, height: 6, width: 11 }, output: { channels: 4 } }),
  // q7 CHW, odd widths, asymmetric padding, a tail channel block: taps8 (v7E-M) with its words, bytes and packs.
  q7_chw_odd_width: baseSpec({ name: 'q7odd', input: { channels: 3, height: 7, width: 9 }, output: { channels: 5 }, padding: [1, 2, 0, 1],
    numeric: { type: 'q7', inputFrac: 5, weightFrac: 6, outputFrac: 5 } }),
  q7_chw_k2x4_odd: baseSpec({ name: 'q7k24', kernel: [2, 4], input: { channels: 2, height: 6, width: 11 }, output: { channels: 6 }, padding: [0, 3, 1, 0],
    numeric: { type: 'q7', inputFrac: 5, weightFrac: 6, outputFrac: 5 } }),
  extreme_weights_i64: baseSpec({ name: 'extreme', weights: { values: new Array(54).fill(-32768) }, bias: { values: [2147483647, -2147483648, 0] },
    numeric: { type: 'q15', inputFrac: 15, weightFrac: 15, outputFrac: 8, biasFrac: 10 } }),
};

describe('QEMU matrix: every target × every feature, bit-exact', () => {
  const models = Object.entries(matrix).map(([key, spec]) => [key, modelFromValue(spec, path.join(root, `${key}.json`))] as const);

  it('has the rows the issue asks for and all of them are runnable or build-only', () => {
    expect(targets.map((t) => t.name)).toEqual(expect.arrayContaining(['arm920t', 'arm926ej-s', 'cortex-m0', 'cortex-m3', 'cortex-m4',
      'cortex-m7', 'cortex-m33', 'cortex-m55', 'cortex-a9', 's3c2410']));
    expect(runnable).toHaveLength(9);
  });

  for (const target of runnable)
    it(`${target.name}: ${models.length} specs x the variants bit-exact under qemu ${target.qemu!.machine}`, async () => {
      const failures: PairResult[] = [];
      // naive is the baseline: it runs on one core of each ISA family here (and everywhere in test/measure).
      const variants = variantNames.filter((v) => v !== 'naive' || naiveTargets.has(target.name));
      await pool(models.flatMap(([, m]) => variants.map((variant) => ({ m, variant }))), jobs, async ({ m, variant }) => {
        const r = await verifyPair(m, target, { seed: 7, timeoutSeconds: 60, variant });
        if (r.status !== 'pass') failures.push(r);
      });
      expect(failures.map((f) => `${f.name} (${f.variant}): ${f.error ?? JSON.stringify(f.first)}`)).toEqual([]);
    });

  it('the examples/ folder is bit-exact on every target', async () => {
    const specs = fs.readdirSync(path.join(root, 'examples')).filter((f) => f.endsWith('.json'));
    const ms = await Promise.all(specs.map((s) => loadSpec(path.join(root, 'examples', s))));
    const pairs = ms.flatMap((m) => runnable.map((t) => ({ m, t })));
    const failures: string[] = [];
    await pool(pairs, jobs, async ({ m, t }) => {
      const r = await verifyPair(m, t, { seed: 1, timeoutSeconds: 60 });
      if (r.status !== 'pass') failures.push(`${m.name} on ${t.name}: ${r.error ?? JSON.stringify(r.first)}`);
    });
    expect(failures).toEqual([]);
  });
});

describe('independent q-format vectors on the devices', () => {
  const dir = path.join(fixtures, 'qformat');
  const cases = fs.readdirSync(dir).filter((d) => d.startsWith('qf_'));
  it(`all ${cases.length} vectors reproduce expected.npy on arm920t, and each on one more target in rotation`, async () => {
    const failures: string[] = [];
    const work: { m: KernelModel; input: Int32Array; expected: number[]; target: (typeof runnable)[number] }[] = [];
    for (const [i, c] of cases.entries()) {
      const m = await loadSpec(path.join(dir, c, 'spec.json'));
      const input = readInputTensor(m, path.join(dir, c, 'input.npy'));
      const expected = Array.from(readNpy(path.join(dir, c, 'expected.npy')).data, Number);
      // The golden model agrees with the independent implementation, so a device match is a match with both.
      expect(Array.from(runGolden(m, input))).toEqual(expected);
      work.push({ m, input, expected, target: runnable[0] }, { m, input, expected, target: runnable[1 + (i % (runnable.length - 1))] });
    }
    await pool(work, jobs, async ({ m, input, target }) => {
      const r = await verifyPair(m, target, { seed: 0, timeoutSeconds: 60, inputs: [input] });
      if (r.status !== 'pass') failures.push(`${m.name} on ${target.name}: ${r.error ?? JSON.stringify(r.first)}`);
    });
    expect(failures).toEqual([]);
  });
});
