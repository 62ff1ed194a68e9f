/**
 * The lut op on hand-computed cases: the table is TFLite's LUTPopulate (x = in_scale·(v − in_zp), y = f(x),
 * q = round(y / out_scale) + out_zp, clamped; float32 steps), the golden model indexes it by the input's byte, and
 * the clip activation { min, max } of the producers quantizes its bounds as TFLite quantizes relu6's.
 */
import { describe, expect, it } from 'vitest';
import { populateTable, lutFunction } from '../../src/ops/lut/build.ts';
import type { LutModel } from '../../src/ops/lut/build.ts';
import { i8, oneLayer, run } from './helpers.ts';
import type { ConvModel } from '../../src/ops/conv_2d/kernel.ts';

const t = (scale: number, zeroPoint: number, shape = [1, 4]) => ({ shape, scale, zeroPoint });

describe('lut', () => {
  it('sigmoid at scale 1/16 into TFLite\'s 1/256, −128: hand-computed entries', () => {
    const net = oneLayer('lut', { function: 'sigmoid' }, [t(1 / 16, 0)], t(1 / 256, -128));
    // x = 0 -> 0.5 -> 128 - 128 = 0; x = 16/16 = 1 -> 0.731058 -> 187.15 -> 187 - 128 = 59;
    // x = -2 -> 0.119203 -> 30.5159 -> 31 - 128 = -97; x = 127/16 = 7.9375 -> 0.999643 -> 255.9 -> 256 - 128 = 128 -> clamped 127
    expect(run(net, [0, 16, -32, 127])).toEqual([0, 59, -97, 127]);
  });

  it('tanh, leaky_relu, hard_sigmoid, hard_swish and clip on hand-computed values', () => {
    const cases: [Record<string, unknown>, number, number, number, number, number[], number[]][] = [
      // tanh(0.5) = 0.462117 -> ·128 = 59.15 -> 59
      [{ function: 'tanh' }, 1 / 32, 0, 1 / 128, 0, [16, -16, 0, 127], [59, -59, 0, 127]],
      // leaky 0.1: x = −2 (v = −20, scale 0.1) -> −0.2 -> /0.05 = −4 + 3 = −1; x = 1.5 -> 30 + 3 = 33
      [{ function: 'leaky_relu', alpha: 0.1 }, 0.1, 0, 0.05, 3, [-20, 15, 0, -128], [-1, 33, 3, -23]],
      // hard_sigmoid 0.2x + 0.5: x = 1 -> 0.7 -> 0.7 / (1/200) = 140 -> 140 − 100 = 40 (zero point −100); x = −5 -> 0 -> −100
      [{ function: 'hard_sigmoid' }, 0.5, 0, 1 / 200, -100, [2, -10, 10, 0], [40, -100, 100, 0]],
      // hard_swish: x = 1 -> 1·4/6 = 0.6667 -> /0.1 = 6.67 -> 7; x = −1 -> −0.3333 -> −3; x = 4 -> 4; x = −4 -> 0
      [{ function: 'hard_swish' }, 0.25, 0, 0.1, 0, [4, -4, 16, -16], [7, -3, 40, 0]],
      // silu: x = 2 -> 2 · 0.880797 = 1.761594 -> /0.05 = 35.23 -> 35; x = −2 -> −0.238406 -> −4.77 -> −5
      [{ function: 'silu' }, 0.5, 0, 0.05, 0, [4, -4, 0, 127], [35, -5, 0, 127]],
      // clip(−1, 2) at scale 0.25, output 0.25: a clamp of the raw values at −4 and 8
      [{ function: 'clip', min: -1, max: 2 }, 0.25, 0, 0.25, 0, [-100, -4, 7, 100], [-4, -4, 7, 8]],
    ];
    for (const [params, si, zi, so, zo, input, want] of cases)
      expect(run(oneLayer('lut', params, [t(si, zi)], t(so, zo)), input), JSON.stringify(params)).toEqual(want);
  });

  it('rounds each step in float32 as TFLite does: 4.3 / 0.2 is 21.4999… in double but 21.5 in float32, so 22', () => {
    // x = float32(0.1f · 43) = 4.3000002; float32(x · float32(1 / 0.2f)) = 21.5 exactly -> 22 (half away from zero)
    expect((0.1 * 43) / 0.2).toBeLessThan(21.5);
    expect(populateTable(lutFunction({ function: 'clip' }), 0.1, 0, 0.2, 0)[43]).toBe(22);
  });

  it('runs in place and costs no MACs; the table has every int8 input', () => {
    const net = oneLayer('lut', { function: 'tanh' }, [t(0.05, -3)], t(1 / 128, 0));
    expect(net.layers[0].memory.inPlace).toEqual([0]);
    expect(net.layers[0].macs).toBe(0);
    const m = net.layers[0].model as LutModel;
    const all = Array.from({ length: 256 }, (_, i) => i - 128);
    expect(run(oneLayer('lut', { function: 'tanh' }, [t(0.05, -3, [1, 256])], t(1 / 128, 0, [1, 256])), all)).toEqual(all.map((v) => m.table[v & 255]));
  });

  it('refuses an unknown function and a clip whose min exceeds its max', () => {
    expect(() => oneLayer('lut', { function: 'gelu' }, [t(0.1, 0)], t(0.1, 0))).toThrow(/params\.function/);
    expect(() => oneLayer('lut', { function: 'clip', min: 2, max: 1 }, [t(0.1, 0)], t(0.1, 0))).toThrow(/min must not exceed max|min 2 exceeds max 1/);
  });
});

describe('clip activation { min, max } on a producer', () => {
  it('is the output clamp at round(bound / scale) + zero point, as TFLite quantizes relu6', () => {
    const net = oneLayer('conv_2d', { stride: [1, 1], padding: 'valid', activation: { min: -0.5, max: 1.25 }, weights: { npy: 'w.npy', scales: [0.01] } },
      [t(0.1, 0, [1, 1, 1, 1])], t(0.05, 10, [1, 1, 1, 1]), { 'w.npy': i8([1, 1, 1, 1], [100]) });
    const k = (net.layers[0].model as ConvModel).kernel;
    // −0.5 / 0.05 = −10 -> 0; 1.25 / 0.05 = 25 -> 35
    expect([k.actMin, k.actMax]).toEqual([0, 35]);
    expect(k.activationName).toBe('clip(-0.5, 1.25)');
    // x = 127·0.1 = 12.7, · w 1.0 = 12.7 -> clamped to 1.25 -> 35; x = −1.28 -> clamped to −0.5 -> 0
    expect(run(net, [127])).toEqual([35]);
    expect(run(net, [-128])).toEqual([0]);
  });

  it('an open bound is unbounded; relu6 is the same clamp as { min: 0, max: 6 }', () => {
    const conv = (activation: unknown) => (oneLayer('conv_2d', { stride: [1, 1], padding: 'valid', activation, weights: { npy: 'w.npy', scales: [0.01] } },
      [t(0.1, 0, [1, 1, 1, 1])], t(0.05, -128, [1, 1, 1, 1]), { 'w.npy': i8([1, 1, 1, 1], [100]) }).layers[0].model as ConvModel).kernel;
    expect([conv({ min: 0, max: 6 }).actMin, conv({ min: 0, max: 6 }).actMax]).toEqual([conv('relu6').actMin, conv('relu6').actMax]);
    expect([conv({ max: 1 }).actMin, conv({ max: 1 }).actMax]).toEqual([-128, -108]);
    expect(() => conv({ min: 2, max: 1 })).toThrow(/params\.activation: layer conv_2d_0 \(conv_2d\): clip min 2 exceeds max 1$/);
  });
});
