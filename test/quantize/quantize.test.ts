/**
 * Quantization error figures (convgen quantize) against thresholds a correct implementation meets: q15 layers with
 * weights ~N(0, 0.1) reach an SNR above 60 dB, q7 above 25 dB, q31 above 150 dB; every channel's max error stays
 * within the stated worst-case bound; the float reference agrees with the golden model where no rounding happens.
 */
import { describe, expect, it } from 'vitest';
import { Mulberry32 } from '../../src/tensors/random.ts';
import { modelFromValue, type KernelModel } from '../../src/ops/conv_2d/spec/index.ts';
import { convFloat, errorBounds, quantizeReport, realView } from '../../src/quantize/index.ts';
import { runGolden } from '../../src/ops/conv_2d/spec/golden.ts';

/** Normal samples from a seeded stream (Box–Muller). */
function gaussians(n: number, sigma: number, seed: number): number[] {
  const rng = new Mulberry32(seed);
  const u = () => (rng.nextU32() + 0.5) / 2 ** 32;
  return Array.from({ length: n }, () => sigma * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}

function layer(type: 'q7' | 'q15' | 'q31', over: Record<string, unknown> = {}, numeric: Record<string, unknown> = {}): KernelModel {
  const inC = 4;
  const outC = 6;
  return modelFromValue({
    name: 'layer', input: { channels: inC, height: 8, width: 8 }, output: { channels: outC }, kernel: 3, padding: 1,
    numeric: { type, inputRange: [-1, 1], weightFrac: 'auto', outputFrac: 'auto', ...numeric },
    weights: { values: gaussians(outC * inC * 9, 0.1, 3) },
    bias: { values: gaussians(outC, 0.05, 4) },
    ...over,
  }, 'layer.json');
}

describe('quantization error', () => {
  const cases: [string, KernelModel, number][] = [
    ['q15', layer('q15'), 60],
    ['q15 relu', layer('q15', { activation: 'relu' }), 60],
    ['q15 hwc, ohwi, stride 2, dilation 2, floor', layer('q15', { layout: 'hwc', stride: 2, dilation: 2, padding: 'same',
      weights: { values: gaussians(6 * 4 * 9, 0.1, 3), layout: 'ohwi' } }, { rounding: 'floor' }), 55],
    ['q15 depthwise x2 relu6, range [0, 4]', layer('q15', { groups: 4, output: { channels: 8 }, activation: 'relu6',
      weights: { values: gaussians(8 * 9, 0.3, 5) }, bias: { values: gaussians(8, 0.1, 6) } }, { inputRange: [0, 4] }), 60],
    ['q7', layer('q7'), 25],
    ['q31', layer('q31'), 150],
  ];
  for (const [what, m, minSnr] of cases)
    it(`${what}: SNR above ${minSnr} dB, every channel within its bound`, () => {
      const r = quantizeReport(m, { samples: 6, seed: 9 });
      expect(r.overall.snrDb).toBeGreaterThan(minSnr);
      expect(r.channels).toHaveLength(m.outC);
      for (const c of r.channels) {
        expect(c.bound).not.toBeNull(); // auto outputFrac: saturation is proved impossible
        expect(c.saturated).toBe(0);
        expect(c.maxAbs).toBeLessThanOrEqual(c.bound!);
        expect(c.rms).toBeLessThanOrEqual(c.maxAbs);
        expect(c.maxAbs).toBeGreaterThan(0); // rounding happens: the figure is measured, not assumed
      }
      expect(r.boundExceeded).toEqual([]);
      expect(r.overall.count).toBe(6 * m.outC * m.outH * m.outW);
    });

  it('the bound is not vacuous: within a small factor of the measured max on q7', () => {
    const m = layer('q7');
    const r = quantizeReport(m, { samples: 8, seed: 2 });
    expect(r.overall.maxAbs).toBeGreaterThan(r.overall.bound! / 8);
  });

  it('integer specs: reals are raw / 2^frac, and the float reference then equals the golden model up to output rounding', () => {
    // Inputs on the Q grid and a left-shifting output (outputFrac > inputFrac + weightFrac): the kernel is exact.
    const m = modelFromValue({
      name: 'k', input: { channels: 2, height: 4, width: 4 }, output: { channels: 2 }, kernel: 2,
      numeric: { type: 'q15', inputFrac: 4, weightFrac: 4, outputFrac: 9 },
      weights: { values: [1, -2, 3, 4, 5, 6, -7, 8, 1, 1, 1, 1, -1, -1, -1, -1] }, bias: { values: [3, -5] },
    }, 'k.json');
    const real = realView(m);
    expect(real.weights[1]).toBe(-2 / 16);
    expect(real.bias![1]).toBe(-5 / 256);
    expect(real.inputRange).toEqual([-2048, 2047.9375]);
    const x = Int32Array.from({ length: 32 }, (_, i) => ((i * 7) % 11) - 5);
    const ref = convFloat(m, real.weights, real.bias, Float64Array.from(x, (v) => v / 16), [-Infinity, Infinity]);
    expect(Array.from(runGolden(m, x), (v) => v / 2 ** 9)).toEqual(Array.from(ref));
    // Integer specs with a range too wide for their output: the bound is withheld where an output may saturate.
    expect(errorBounds(m, real).every((b) => b === null)).toBe(true);
  });

  it('reports zero error as infinite SNR', () => {
    const m = modelFromValue({
      name: 'k', input: { channels: 1, height: 2, width: 2 }, output: { channels: 1 }, kernel: 1,
      numeric: { type: 'q15', inputFrac: 15, weightFrac: 'auto', outputFrac: 'auto' },
      weights: { values: [0.5] },
    }, 'k.json');
    // Real inputs carry input rounding into x·0.5; with all-zero weights only the (exact) bias is left.
    const zero = modelFromValue({
      name: 'k', input: { channels: 1, height: 2, width: 2 }, output: { channels: 1 }, kernel: 1,
      numeric: { type: 'q15', inputFrac: 15, weightFrac: 'auto', outputFrac: 'auto' },
      weights: { values: [0] }, bias: { values: [0.25] },
    }, 'k.json');
    expect(quantizeReport(zero, { samples: 2, seed: 1 }).overall.snrDb).toBe(Infinity);
    expect(quantizeReport(m, { samples: 2, seed: 1 }).overall.snrDb).toBeGreaterThan(80);
  });
});
