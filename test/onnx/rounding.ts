/**
 * The rounding measurement behind the ONNX rounding note (src/onnx/quant.ts, docs/pytorch.md): 20 random QLinearConv
 * models (seeded), each imported as a network and run by its golden model (TFLite's fixed-point requantization:
 * a 31-bit multiplier, SRDHM then a rounding right shift) and by the evaluator as ONNX Runtime computes QLinearConv
 * (round half to even of float32(acc) · float32 scale). Every output that differs is classified: a tie (ONNX
 * Runtime's float product is exactly k + 0.5) or not, and how far the exact real value acc · x_scale · w_scale /
 * y_scale lies from the nearest rounding boundary k + 0.5, against 2^−(right shift + 1).
 */
import { buildNetwork } from '../../src/network/network.ts';
import { runNetwork } from '../../src/network/golden.ts';
import { quantizeMultiplier } from '../../src/numerics/index.ts';
import { evaluateGraph } from '../../src/onnx/eval/index.ts';
import { convGeometry, convolve } from '../../src/onnx/eval/nn.ts';
import { make } from '../../src/onnx/eval/tensor.ts';
import { importOnnxNetwork } from '../../src/onnx/net/index.ts';
import { prepare } from '../../src/onnx/net/prepare.ts';
import { Attributes } from '../../src/onnx/proto.ts';
import { Mulberry32 } from '../../src/tensors/random.ts';
import { attr, DT, model, node, tensor, value } from './models.ts';

export interface RoundingCase {
  outputs: number;
  differing: { got: number; onnx: number; tie: boolean; distance: number; bound: number }[];
}

export function roundingCase(seed: number): RoundingCase {
  const rng = new Mulberry32(seed);
  const int = (lo: number, hi: number) => lo + Math.floor((rng.nextU32() / 2 ** 32) * (hi - lo + 1));
  const real = (lo: number, hi: number) => lo + (rng.nextU32() / 2 ** 32) * (hi - lo);
  const [c, m, h, w, k, stride] = [int(1, 4), int(1, 4), int(4, 9), int(4, 9), int(1, 3), int(1, 2)];
  const pad = int(0, 1);
  const xs = real(0.005, 0.05);
  const ws = Array.from({ length: m }, () => real(0.002, 0.02));
  const xz = int(-20, 20);
  const weights = Array.from({ length: m * c * k * k }, () => int(-127, 127));
  const bias = Array.from({ length: m }, () => int(-3000, 3000));
  // an output scale that puts a typical accumulator (about 5,400·√taps for uniform int8 operands) at 20 to 60 steps
  const ys = xs * ws[0] * 5400 * Math.sqrt(c * k * k) / real(20, 60);
  const yz = int(-10, 10);
  const bytes = model({
    nodes: [node('QLinearConv', ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz', 'b'], ['y'], '/c/QLinearConv',
      [attr.ints('kernel_shape', [k, k]), attr.ints('strides', [stride, stride]), attr.ints('pads', [pad, pad, pad, pad])])],
    initializers: [tensor('xs', DT.FLOAT, [], [xs]), tensor('xz', DT.INT8, [], [xz]), tensor('w', DT.INT8, [m, c, k, k], weights, true),
      tensor('ws', DT.FLOAT, [m], ws), tensor('wz', DT.INT8, [m], new Array(m).fill(0)), tensor('ys', DT.FLOAT, [], [ys]), tensor('yz', DT.INT8, [], [yz]),
      tensor('b', DT.INT32, [m], bias)],
    inputs: [value('x', DT.INT8, [1, c, h, w])], outputs: [value('y', DT.INT8, [1, m, 'h', 'w'])],
  });
  const prep = prepare(bytes, 'rounding.onnx');
  const r = importOnnxNetwork(bytes, 'rounding.onnx');
  const net = buildNetwork(r.imported.spec, 'rounding.json', (ref) => r.imported.arrays.get(ref.npy)!);
  const x = make([1, c, h, w], Array.from({ length: c * h * w }, () => int(-128, 127)), DT.INT8);
  const onnx = evaluateGraph(prep.g, new Map([['x', x]]), { opset: 13, known: prep.constants, strict: true }).values.get('y')!;
  const xNet = Int8Array.from({ length: c * h * w }, (_, i) => {
    const [yy, xx, ch] = [Math.floor(i / (w * c)), Math.floor(i / c) % w, i % c];
    return x.data[(ch * h + yy) * w + xx];
  });
  const got = runNetwork(net, [xNet]).outputs[0];
  // exact accumulators (bias included) in NCHW, to classify each difference
  const n = prep.g.proto.node[0];
  const W = make([m, c, k, k], weights);
  const geo = convGeometry({ node: n, attrs: new Attributes(n, 'rounding'), opset: 13 }, x, W);
  const acc = convolve(x, W, Float64Array.from(bias), geo, xz);
  const [oh, ow] = [geo.outH, geo.outW];
  const f32 = Math.fround;
  const out: RoundingCase = { outputs: m * oh * ow, differing: [] };
  for (let o = 0; o < m; o++)
    for (let p = 0; p < oh * ow; p++) {
      const onnxQ = onnx.data[o * oh * ow + p];
      const mine = got[p * m + o];
      if (mine === onnxQ) continue;
      const a = acc.data[o * oh * ow + p];
      const scale = f32(f32(f32(xs) * f32(ws[o])) / f32(ys));
      const product = f32(f32(a) * scale);
      const exact = a * (f32(xs) * f32(ws[o]) / f32(ys));
      const rshift = -quantizeMultiplier(f32(xs) * f32(ws[o]) / f32(ys)).shift;
      out.differing.push({
        got: mine, onnx: onnxQ, tie: product - Math.floor(product) === 0.5,
        distance: Math.abs(exact - Math.floor(exact) - 0.5), bound: 2 ** -(rshift + 1),
      });
    }
  return out;
}
