/**
 * The float64 ONNX evaluator (the import's shape probe and folding, the calibration and the accuracy report's
 * reference) on hand-computed cases and against the suite's independent reference convolution (models.ts).
 */
import { describe, expect, it } from 'vitest';
import { evaluateGraph, type FTensor } from '../../src/onnx/eval/index.ts';
import { make, roundHalfEven } from '../../src/onnx/eval/tensor.ts';
import { Graph } from '../../src/onnx/graph.ts';
import { decodeModel } from '../../src/onnx/proto.ts';
import { attr, DT, model, node, refConv, tensor, value, values } from './models.ts';
import type { NodeProto, TensorProto } from 'onnx-buf';

function evalOne(nodes: NodeProto[], inits: TensorProto[], x: FTensor, opset = 13, out = 'y'): FTensor {
  const bytes = model({ nodes, initializers: inits, inputs: [value('x', DT.FLOAT, x.dims)], outputs: [value(out, DT.FLOAT, [])], opset });
  const g = new Graph(decodeModel(bytes, 'e.onnx').graph!, 'e.onnx');
  const r = evaluateGraph(g, new Map([['x', x]]), { opset, strict: true });
  return r.values.get(out)!;
}

const grid = (dims: number[]) => make(dims, Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => i));

describe('the float64 evaluator', () => {
  it('Conv equals the suite\'s reference convolution (groups, stride, dilation, asymmetric pads)', () => {
    const xs = values(4 * 7 * 9, 3);
    const ws = values(6 * 2 * 3 * 2, 1);
    const bs = values(6, 2);
    const geo = { stride: [2, 1] as [number, number], pads: [1, 0, 2, 1] as [number, number, number, number], dilation: [2, 1] as [number, number], groups: 2 };
    const y = evalOne([node('Conv', ['x', 'w', 'b'], ['y'], 'c', [attr.ints('strides', geo.stride), attr.ints('pads', geo.pads), attr.ints('dilations', geo.dilation), attr.int('group', 2)])],
      [tensor('w', DT.FLOAT, [6, 2, 3, 2], ws), tensor('b', DT.FLOAT, [6], bs)], make([1, 4, 7, 9], xs));
    const ref = refConv(xs, [4, 7, 9], ws, [6, 2, 3, 2], bs, geo);
    expect(y.dims).toEqual([1, ...ref.shape]);
    Array.from(y.data).forEach((v, i) => expect(v).toBeCloseTo(ref.out[i], 12));
  });

  it('MaxPool in ceil mode drops a window that would start in the end padding; AveragePool counts padding only when asked', () => {
    // 1×5 row 0…4, kernel 2 stride 2 ceil: windows [0,1] [2,3] [4] -> 1, 3, 4
    const row = grid([1, 1, 1, 5]);
    const k = [attr.ints('kernel_shape', [1, 2]), attr.ints('strides', [1, 2])];
    expect(Array.from(evalOne([node('MaxPool', ['x'], ['y'], 'p', [...k, attr.int('ceil_mode', 1)])], [], row).data)).toEqual([1, 3, 4]);
    // kernel 2 stride 2, pads 1 at both ends, ceil: windows [-1,0] [1,2] [3,4] (a 4th would start at 5, in the padding: dropped)
    const padded = [...k, attr.ints('pads', [0, 1, 0, 1]), attr.int('ceil_mode', 1)];
    expect(Array.from(evalOne([node('MaxPool', ['x'], ['y'], 'p', padded)], [], row).data)).toEqual([0, 2, 4]);
    expect(Array.from(evalOne([node('AveragePool', ['x'], ['y'], 'p', padded)], [], row).data)).toEqual([0, 1.5, 3.5]);
    expect(Array.from(evalOne([node('AveragePool', ['x'], ['y'], 'p', [...padded, attr.int('count_include_pad', 1)])], [], row).data)).toEqual([0, 1.5, 3.5 * 1]);
    // with count_include_pad the first window [-1, 0] averages over 2: 0 / 2 = 0; a 3-wide window over [-1, 1] is 1/3
    const k3 = [attr.ints('kernel_shape', [1, 3]), attr.ints('strides', [1, 1]), attr.ints('pads', [0, 1, 0, 1])];
    expect(evalOne([node('AveragePool', ['x'], ['y'], 'p', [...k3, attr.int('count_include_pad', 1)])], [], row).data[0]).toBeCloseTo(1 / 3, 15);
    expect(evalOne([node('AveragePool', ['x'], ['y'], 'p', k3)], [], row).data[0]).toBe(0.5);
  });

  it('Gemm (alpha, beta, transB), Softmax, Clip with bounds behind a Cast, LeakyRelu, HardSwish', () => {
    const x = make([1, 2], [1, -2]);
    const gemm = evalOne([node('Gemm', ['x', 'B', 'C'], ['y'], 'g', [attr.float('alpha', 2), attr.float('beta', 0.5), attr.int('transB', 1)])],
      [tensor('B', DT.FLOAT, [3, 2], [1, 0, 0, 1, 1, 1]), tensor('C', DT.FLOAT, [3], [2, 4, 6])], x);
    expect(Array.from(gemm.data)).toEqual([2 * 1 + 1, 2 * -2 + 2, 2 * -1 + 3]);
    const sm = evalOne([node('Softmax', ['x'], ['y'], 's', [attr.int('axis', 1)])], [], make([1, 2], [0, Math.log(3)]));
    expect(sm.data[0]).toBeCloseTo(0.25, 15);
    const clip = evalOne([node('Cast', ['hi'], ['h'], 'c', [attr.int('to', DT.FLOAT)]), node('Clip', ['x', '', 'h'], ['y'], 'k')], [tensor('hi', DT.DOUBLE, [], [0.5])], make([1, 3], [-1, 0.25, 3]));
    expect(Array.from(clip.data)).toEqual([-1, 0.25, 0.5]);
    expect(Array.from(evalOne([node('LeakyRelu', ['x'], ['y'], 'l', [attr.float('alpha', 0.25)])], [], make([1, 2], [-4, 4])).data)).toEqual([-1, 4]);
    expect(Array.from(evalOne([node('HardSwish', ['x'], ['y'], 'h')], [], make([1, 3], [-4, 1, 4])).data)).toEqual([-0, 1 * (1 / 6 + 0.5), 4]);
  });

  it('folds the shape chain PyTorch writes for x.view(N, -1)', () => {
    const nodes = [node('Shape', ['x'], ['s'], 'shape'), node('Gather', ['s', 'zero'], ['n'], 'gather', [attr.int('axis', 0)]),
      node('Unsqueeze', ['n', 'axes'], ['u'], 'unsq'), node('Concat', ['u', 'minus1'], ['target'], 'cat', [attr.int('axis', 0)]), node('Reshape', ['x', 'target'], ['y'], 'r')];
    const y = evalOne(nodes, [tensor('zero', DT.INT64, [], [0]), tensor('axes', DT.INT64, [1], [0]), tensor('minus1', DT.INT64, [1], [-1])], grid([1, 2, 3, 4]));
    expect(y.dims).toEqual([1, 24]);
  });

  it('QuantizeLinear rounds half to even; DequantizeLinear per axis', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2]);
    const q = evalOne([node('QuantizeLinear', ['x', 's', 'z'], ['y'], 'q')], [tensor('s', DT.FLOAT, [], [0.5]), tensor('z', DT.INT8, [], [1])], make([1, 4], [0.25, 0.75, 100, -100]));
    expect(Array.from(q.data)).toEqual([1, 3, 127, -128]);
    expect(q.type).toBe(DT.INT8);
    const d = evalOne([node('DequantizeLinear', ['x', 's'], ['y'], 'd', [attr.int('axis', 1)])], [tensor('s', DT.FLOAT, [2], [0.5, 2])], make([1, 2], [3, 3]));
    expect(Array.from(d.data)).toEqual([1.5, 6]);
  });
});
