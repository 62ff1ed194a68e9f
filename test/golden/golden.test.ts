import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runGolden } from '../../src/ops/conv_2d/spec/golden.ts';
import { readNpy } from '../../src/npy/index.ts';
import { loadSpec, modelFromValue } from '../../src/ops/conv_2d/spec/index.ts';
import { readInputTensor } from '../../src/tensors/index.ts';
import { fixtures } from '../helpers.ts';

describe('golden model', () => {
  it('computes the textbook example: 5x5 input, 3x3 kernel, valid padding, 3x3 output', () => {
    // The classic illustration: a binary image and an "X" kernel, computed by hand.
    const image = [
      1, 1, 1, 0, 0,
      0, 1, 1, 1, 0,
      0, 0, 1, 1, 1,
      0, 0, 1, 1, 0,
      0, 1, 1, 0, 0,
    ];
    const kernel = [1, 0, 1, 0, 1, 0, 1, 0, 1];
    const m = modelFromValue({
      name: 'textbook', input: { channels: 1, height: 5, width: 5 }, output: { channels: 1 }, kernel: 3, padding: 'valid',
      numeric: { type: 'q15', inputFrac: 0, weightFrac: 0, outputFrac: 0 }, weights: { values: kernel },
    }, 'textbook.json');
    expect(Array.from(runGolden(m, Int32Array.from(image)))).toEqual([4, 3, 4, 2, 4, 3, 2, 3, 4]);
  });

  it('rounds to nearest (half up) and floors as specified, for negative values too', () => {
    // One tap, weight 1, s = inputFrac + weightFrac - outputFrac = 2: out = (x + 2) >> 2 or x >> 2.
    const spec = (rounding: string) => modelFromValue({
      name: 'r', input: { channels: 1, height: 1, width: 8 }, output: { channels: 1 }, kernel: 1,
      numeric: { type: 'q15', inputFrac: 2, weightFrac: 0, outputFrac: 0, rounding }, weights: { values: [1] },
    }, 'r.json');
    const x = Int32Array.from([6, 5, -5, -6, -7, 2, -2, 3]);
    expect(Array.from(runGolden(spec('nearest'), x))).toEqual([2, 1, -1, -1, -2, 1, 0, 1]);
    expect(Array.from(runGolden(spec('floor'), x))).toEqual([1, 1, -2, -2, -2, 0, -1, 0]);
  });

  it('aligns the bias, shifts left when outputFrac exceeds the product, saturates, then clamps', () => {
    const m = modelFromValue({
      name: 'b', input: { channels: 1, height: 1, width: 4 }, output: { channels: 1 }, kernel: 1,
      numeric: { type: 'q7', inputFrac: 1, weightFrac: 1, outputFrac: 4, biasFrac: 1 },
      weights: { values: [1] }, bias: { values: [3] }, activation: { clamp: [-100, 90] },
    }, 'b.json');
    // acc = x + 3 * 2^1; out = acc * 2^2, saturate to int8, clamp [-100, 90]
    expect(Array.from(runGolden(m, Int32Array.from([0, 10, -128, -20])))).toEqual([24, 64, -100, -56]);
  });

  it('handles q31 with 64-bit-plus accumulators exactly (BigInt path)', () => {
    const m = modelFromValue({
      name: 'q', input: { channels: 2, height: 1, width: 1 }, output: { channels: 1 }, kernel: 1,
      numeric: { type: 'q31', inputFrac: 31, weightFrac: 31, outputFrac: 31 },
      weights: { values: [-2147483648, -2147483648] },
    }, 'q.json');
    // (-2^31)(-2^31) * 2 = 2^63 -> >> 31 = 2^32 -> saturates to INT32_MAX
    expect(Array.from(runGolden(m, Int32Array.from([-2147483648, -2147483648])))).toEqual([2147483647]);
    // 2^62 - (2^31 - 1) * 2^31 = 2^31 -> (2^31 + 2^30) >> 31 = 1
    expect(Array.from(runGolden(m, Int32Array.from([-2147483648, 2147483647])))).toEqual([1]);
  });

  const qformat = path.join(fixtures, 'qformat');
  for (const dir of fs.readdirSync(qformat).filter((d) => d.startsWith('qf_')))
    it(`reproduces the independent q-format vector ${dir}`, async () => {
      const m = await loadSpec(path.join(qformat, dir, 'spec.json'));
      const expected = readNpy(path.join(qformat, dir, 'expected.npy'));
      const out = runGolden(m, readInputTensor(m, path.join(qformat, dir, 'input.npy')));
      expect(expected.shape).toEqual(m.layout === 'hwc' ? [m.outH, m.outW, m.outC] : [m.outC, m.outH, m.outW]);
      expect(Array.from(out)).toEqual(Array.from(expected.data, Number));
    });
});
