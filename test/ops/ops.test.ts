/** Each op against hand-computed cases and its edges (ties, saturation, refusals), through one-layer networks. */
import { describe, expect, it } from 'vitest';
import { i32, i8, oneLayer, run } from './helpers.ts';

const q = (shape: number[], scale = 1, zeroPoint = 0) => ({ shape, scale, zeroPoint });

describe('average_pool_2d', () => {
  const params = { filter: [1, 2], stride: [1, 2], padding: 'valid' };
  it('divides rounding half away from zero (C truncating division of sum ± count/2)', () => {
    const net = oneLayer('average_pool_2d', params, [q([1, 1, 8, 1])], q([1, 1, 4, 1]));
    // pairs: (1,2) 1.5 -> 2; (-1,-2) -1.5 -> -2; (-1,0) -0.5 -> -1; (3,4) 3.5 -> 4
    expect(run(net, [1, 2, -1, -2, -1, 0, 3, 4])).toEqual([2, -2, -1, 4]);
  });
  it('counts only the window inside the input (SAME padding)', () => {
    const net = oneLayer('average_pool_2d', { filter: [3, 3], stride: [1, 1], padding: 'same' }, [q([1, 2, 2, 1])], q([1, 2, 2, 1]));
    // every 3x3 window covers the whole 2x2 input: (10 + 20 + 30 + 41) / 4 = 25.25 -> 25
    expect(run(net, [10, 20, 30, 41])).toEqual([25, 25, 25, 25]);
  });
  it('clamps to the fused activation', () => {
    const net = oneLayer('average_pool_2d', { ...params, activation: 'relu' }, [q([1, 1, 2, 1], 0.5, 3)], q([1, 1, 1, 1], 0.5, 3));
    expect(run(net, [-10, -20])).toEqual([3]);
  });
  it('refuses an output quantized differently from its input', () => {
    expect(() => oneLayer('average_pool_2d', params, [q([1, 1, 2, 1], 0.5, 3)], q([1, 1, 1, 1], 0.25, 3)))
      .toThrow(/layer average_pool_2d_0 \(average_pool_2d\): the output's quantization .* must equal the input's/);
  });
});

describe('max_pool_2d', () => {
  it('takes the largest value inside the input and clamps', () => {
    const net = oneLayer('max_pool_2d', { filter: [2, 2], stride: [2, 2], padding: 'valid', activation: 'relu6' },
      [q([1, 2, 4, 1], 0.5, -10)], q([1, 1, 2, 1], 0.5, -10));
    // relu6: [−10, −10 + 12] = [−10, 2]; windows max(−50, −4, −30, −20) = −4 and max(5, 1, 0, 7) = 7 -> 2
    expect(run(net, [-50, -4, 5, 1, -30, -20, 0, 7])).toEqual([-4, 2]);
    expect(run(net, [-50, -40, 5, 1, -30, -20, 0, 7])).toEqual([-10, 2]);
  });
});

describe('add', () => {
  it('adds real values (input multipliers, left shift 20, output multiplier)', () => {
    const net = oneLayer('add', {}, [q([1, 4], 0.5, 10), q([1, 4], 0.25, -20)], q([1, 4], 1, 5));
    // real a = 0.5 (x − 10), b = 0.25 (y + 20); out = a + b + 5
    // (30, 60): 10 + 20 = 30 -> 35; (10, −20): 0 -> 5; (0, −10): −5 + 2.5 = −2.5 -> −3 + 5 = 2 (ties away); (127,127): 58.5 + 36.75 = 95.25 -> 100
    expect(run(net, [30, 10, 0, 127], [60, -20, -10, 127])).toEqual([35, 5, 2, 100]);
  });
  it('saturates at int8 and clamps to the activation', () => {
    const net = oneLayer('add', { activation: 'relu' }, [q([1, 3]), q([1, 3])], q([1, 3], 1, -100));
    expect(run(net, [127, -128, 10], [127, -128, -20])).toEqual([127, -100, -100]);
  });
  it('with a large scale ratio (2^−12) the small input still counts where it crosses a rounding edge', () => {
    const net = oneLayer('add', {}, [q([1, 3], 1), q([1, 3], 2 ** -12)], q([1, 3], 1));
    // 3 + 127/4096 = 3.031 -> 3; 3 + (−128)/4096 = 2.97 -> 3; in the fixed point the second input is 0.03 of an output step
    expect(run(net, [3, 3, -128], [127, -128, 0])).toEqual([3, 3, -128]);
  });
  it('refuses an output scale so small that TFLite Micro cannot run it (output multiplier ≥ 1)', () => {
    expect(() => oneLayer('add', {}, [q([1, 2], 1), q([1, 2], 1)], q([1, 2], 2 ** -21)))
      .toThrow(/the output multiplier 4 is outside \(0, 1\)/); // 2 · 1 / (2^20 · 2^−21)
  });
  it('refuses broadcasting', () => {
    expect(() => oneLayer('add', {}, [q([1, 2]), q([1, 1])], q([1, 2]))).toThrow(/broadcasting is not supported/);
  });
});

describe('softmax', () => {
  const out = q([1, 4], 1 / 256, -128);
  it('all-equal inputs share 1 exactly: 1/n · 256 − 128', () => {
    expect(run(oneLayer('softmax', { beta: 1 }, [q([1, 4], 0.1, 0)], out), [7, 7, 7, 7])).toEqual([-64, -64, -64, -64]);
    const three = oneLayer('softmax', { beta: 1 }, [q([1, 3], 0.1, 0)], q([1, 3], 1 / 256, -128));
    expect(run(three, [-5, -5, -5])).toEqual([-43, -43, -43]); // 85.33 -> 85
    const one = oneLayer('softmax', { beta: 1 }, [q([1, 1], 0.1, 0)], q([1, 1], 1 / 256, -128));
    expect(run(one, [-100])).toEqual([127]); // 256 saturates
  });
  it('a dominant input takes everything; far-below ones are exactly −128', () => {
    expect(run(oneLayer('softmax', { beta: 1 }, [q([1, 4], 1, 0)], out), [100, -100, -100, 50])).toEqual([127, -128, -128, -128]);
  });
  it('softmax(ln 2 differences): 4/7, 2/7, 1/7 of 256', () => {
    const s = Math.LN2 / 16;
    const net = oneLayer('softmax', { beta: 1 }, [q([1, 3], s, 0)], q([1, 3], 1 / 256, -128));
    // 146.29 -> 146, 73.14 -> 73, 36.57 -> 37 (within the fixed point's error, none near a tie)
    expect(run(net, [32, 16, 0])).toEqual([146 - 128, 73 - 128, 37 - 128]);
  });
  it('refuses an output not quantized as scale 1/256, zero point −128', () => {
    expect(() => oneLayer('softmax', { beta: 1 }, [q([1, 4], 0.1, 0)], q([1, 4], 1 / 128, -128))).toThrow(/scale 1\/256/);
  });
});

describe('pad, reshape, concatenation, quantize, mean', () => {
  it('pad fills with the output zero point by default and copies raw values', () => {
    const net = oneLayer('pad', { paddings: [[0, 0], [1, 0], [0, 1], [0, 0]] }, [q([1, 1, 2, 1], 0.5, 4)], q([1, 2, 3, 1], 0.5, -7));
    expect(run(net, [1, 2])).toEqual([-7, -7, -7, 1, 2, -7]);
    const v = oneLayer('pad', { paddings: [[0, 0], [1, 1]], value: 9 }, [q([1, 2])], q([1, 4]));
    expect(run(v, [5, 6])).toEqual([9, 5, 6, 9]);
  });
  it('reshape keeps the bytes', () => {
    expect(run(oneLayer('reshape', { shape: [1, 4] }, [q([1, 2, 2, 1])], q([1, 4])), [1, -2, 3, -4])).toEqual([1, -2, 3, -4]);
    expect(() => oneLayer('reshape', { shape: [1, 5] }, [q([1, 2, 2, 1])], q([1, 5]))).toThrow(/has 5 elements; the input in0/);
  });
  it('concatenation along channels interleaves per pixel', () => {
    const net = oneLayer('concatenation', { axis: -1 }, [q([1, 2, 1]), q([1, 2, 2])], q([1, 2, 3]));
    expect(run(net, [1, 2], [10, 11, 20, 21])).toEqual([1, 10, 11, 2, 20, 21]);
    expect(() => oneLayer('concatenation', { axis: 2 }, [q([1, 2, 1], 0.5), q([1, 2, 2])], q([1, 2, 3])))
      .toThrow(/must share the output's quantization/);
  });
  it('quantize requantizes int8 -> int8 (scale ratio 2, zero points moved)', () => {
    const net = oneLayer('quantize', {}, [q([4], 0.5, 3)], q([4], 0.25, -1));
    // out = 2 (x − 3) − 1, saturating
    expect(run(net, [3, 4, -128, 127])).toEqual([-1, 1, -128, 127]);
  });
  it('quantize between equal quantizations is the identity, planned as an alias', () => {
    const net = oneLayer('quantize', {}, [q([256], 0.3, 7)], q([256], 0.3, 7));
    const all = Array.from({ length: 256 }, (_, i) => i - 128);
    expect(run(net, all)).toEqual(all);
    expect(net.layers[0].memory.alias).toBe(0);
    expect(oneLayer('quantize', {}, [q([2], 0.3, 7)], q([2], 0.3, 6)).layers[0].memory.alias).toBeUndefined();
  });
  it('mean over H and W folds 1/count into the multiplier (TFLM: (m·2^s)/n)', () => {
    const net = oneLayer('mean', { axes: [1, 2], keepDims: true }, [q([1, 1, 3, 2], 1, 0)], q([1, 1, 1, 2], 1, 0));
    // channel 0: (1 + 2 + 4) / 3 = 2.33 -> 2; channel 1: (−1 − 1 − 2) / 3 = −1.33 -> −1
    expect(run(net, [1, -1, 2, -1, 4, -2])).toEqual([2, -1]);
    // TFLM's folding, by hand: ratio 1 -> QuantizeMultiplier(1) = (2^30, 1); count 3: s = min(floor(log2 3) = 1, 32,
    // 31 + 1) = 1, multiplier floor(2^31 / 3) = 715827882, shift 0. Count 125: s = 6, floor(2^36 / 125) = 549755813, shift −5.
    expect(net.layers[0].model).toMatchObject({ multiplier: 715827882, shift: 0, count: 3 });
    const kws = oneLayer('mean', { axes: [1, 2], keepDims: false }, [q([1, 25, 5, 1], 0.5, 0)], q([1, 1], 0.5, 0));
    expect(kws.layers[0].model).toMatchObject({ multiplier: 549755813, shift: -5, count: 125 });
    const zp = oneLayer('mean', { axes: [1, 2], keepDims: false }, [q([1, 2, 2, 1], 0.5, 10)], q([1, 1], 0.25, -5));
    // real mean 0.5 · ((11 + 12 + 13 + 15)/4 − 10) = 1.375 -> 5.5 steps of 0.25 -> 6 (away from zero) − 5 = 1
    expect(run(zp, [11, 12, 13, 15])).toEqual([1]);
  });
});

describe('convolutions and fully connected', () => {
  it('conv_2d: SAME padding, per-channel scales, bias, relu', () => {
    // 1x3x3x1 input, one 3x3 output channel of ones, stride 1, SAME: each output sums its 3x3 neighbourhood
    const net = oneLayer('conv_2d', { stride: [1, 1], padding: 'same', activation: 'relu', weights: { npy: 'w', scales: [0.5] }, bias: { npy: 'b' } },
      [q([1, 3, 3, 1], 1, -1)], q([1, 3, 3, 1], 1, -10), { w: i8([1, 3, 3, 1], new Array(9).fill(1)), b: i32([1], [-4]) });
    // x − zp = 1..9 +1 ... inputs 0..8 -> x+1 = 1..9; corner (0,0): 1+2+4+5 = 12, −4 bias -> 8 · 0.5 = 4 − 10 = −6; relu clamps at −10: −6
    // centre: 45 − 4 = 41 · 0.5 = 20.5 -> 21 − 10 = 11
    const out = run(net, [0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(out[0]).toBe(-6);
    expect(out[4]).toBe(11);
  });
  it('depthwise_conv_2d: channel c·m + k reads input channel c', () => {
    const net = oneLayer('depthwise_conv_2d', { stride: [1, 1], padding: 'valid', depthMultiplier: 2, weights: { npy: 'w', scales: [1] } },
      [q([1, 1, 1, 2])], q([1, 1, 1, 4]), { w: i8([1, 1, 1, 4], [1, 2, 3, 4]) });
    expect(run(net, [5, -7])).toEqual([5, 10, -21, -28]);
  });
  it('fully_connected: per-tensor weights use the float32 product of the scales', () => {
    const net = oneLayer('fully_connected', { weights: { npy: 'w', scales: [0.3] } }, [q([1, 2], 0.1, 0)], q([1, 1], 0.07, 0),
      { w: i8([1, 2], [1, 1]) });
    const kernel = (net.layers[0].model as { kernel: { numeric: { multiplier: number[] } } }).kernel;
    const f32 = new Float32Array([Math.fround(0.1) * Math.fround(0.3)])[0] / Math.fround(0.07);
    expect(kernel.numeric.multiplier[0]).toBe(Math.round((f32 / 2 ** Math.ceil(Math.log2(f32))) * 2 ** 31));
    // 0.03/0.07 · (100 + 27) = 54.43, but TFLite's double rounding gives 55: multiplier 0.857 · 2^−1, so
    // SRDHM(127, m) = round(108.857) = 109, then 109 / 2 = 54.5, a tie, away from zero
    expect(run(net, [100, 27])).toEqual([55]);
    expect(run(net, [100, 26])).toEqual([54]); // 126 · 0.857 = 108.0 -> 108 / 2 = 54
  });
  it('a weight shape that does not match is refused naming the layer and the params path', () => {
    expect(() => oneLayer('fully_connected', { weights: { npy: 'w', scales: [0.3] } }, [q([1, 3])], q([1, 1]), { w: i8([1, 2], [1, 1]) }))
      .toThrow(/test.json: \$\.layers\[0\]: layer fully_connected_0 \(fully_connected\): the input in0 has 3 elements, not a multiple of the weights' depth 2/);
  });
});
