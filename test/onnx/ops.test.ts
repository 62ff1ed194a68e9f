/**
 * Every ONNX op the whole-graph import maps, each in a small model: the network layer it becomes (op and params),
 * and the network's golden model against the float64 run of the ONNX model on samples from the calibration
 * distribution. A mapping mistake (a transposed layout, a lost pad, a wrong bias) leaves an SNR near 0 dB; int8
 * quantization alone stays above 25 dB on these single layers. Then every network imported here as C, bit-exact
 * with its golden model on the host (poisoned memory): the C of each mapping, not only its numbers.
 */
import { describe, expect, it } from 'vitest';
import type { NpyArray } from '../../src/npy/index.ts';
import { runNetwork } from '../../src/network/golden.ts';
import { networkTestInputs } from '../../src/network/inputs.ts';
import { verifyNetwork } from '../../src/network/verify.ts';
import { pool } from '../../src/pool.ts';
import { findTarget } from '../../src/targets/index.ts';
import { buildNetwork, type Network } from '../../src/network/network.ts';
import { clipRange } from '../../src/numerics/index.ts';
import { evaluateGraph } from '../../src/onnx/eval/index.ts';
import { importOnnxNetwork } from '../../src/onnx/net/index.ts';
import { syntheticSamples } from '../../src/onnx/net/calibrate.ts';
import { networkInput, realValues } from '../../src/onnx/net/layout.ts';
import { prepare } from '../../src/onnx/net/prepare.ts';
import type { RawNetwork } from '../../src/network/schema.ts';
import { accuracyReport, type AccuracyReport } from '../../src/quantize/network.ts';
import type { ConvModel } from '../../src/ops/conv_2d/kernel.ts';
import { attr, DT, ints, model, node, tensor, value, values } from './models.ts';
import type { NodeProto, TensorProto } from 'onnx-buf';

const FLOAT = 1;

interface Imported {
  spec: RawNetwork;
  arrays: Map<string, NpyArray>;
  net: Network;
  rep: AccuracyReport;
  notes: string[];
}

function npyOf(samples: { data: Float64Array }[], dims: number[]): NpyArray {
  return { dtype: 'float32', shape: [samples.length, ...dims.slice(1)], data: Float32Array.from(samples.flatMap((s) => Array.from(s.data))) };
}

/** Import with 64 calibration samples (normal, or uniform in `range`), build, and measure on 16 fresh ones. */
function run(bytes: Uint8Array, range?: [number, number]): Imported {
  const prep = prepare(bytes, 'm.onnx');
  const dims = prep.input.dims;
  const r = importOnnxNetwork(bytes, 'm.onnx', { calibration: { file: 'cal.npy', array: npyOf(syntheticSamples(dims, FLOAT, 64, range, 3), dims) } });
  const net = buildNetwork(r.imported.spec, 'm.json', (ref) => r.imported.arrays.get(ref.npy)!);
  const rep = accuracyReport(net, prep, syntheticSamples(dims, FLOAT, 16, range, 4));
  imported.push(net);
  return { spec: r.imported.spec, arrays: r.imported.arrays, net, rep, notes: r.notes };
}

/** Every network the tests below import (the last describe runs them all as C). */
const imported: Network[] = [];

function graph(nodes: NodeProto[], inits: TensorProto[], inDims: number[], outDims: (number | string)[] = [1, 'c', 'h', 'w'], opset = 13): Uint8Array {
  return model({ nodes, initializers: inits, inputs: [value('x', DT.FLOAT, inDims)], outputs: [value('y', DT.FLOAT, outDims)], opset });
}

const ops = (i: Imported) => i.spec.layers.map((l) => l.op);
const params = (i: Imported, k = 0) => i.spec.layers[k].params;
function closeEverywhere(i: Imported, db = 25): void {
  expect(i.rep.layers.length).toBeGreaterThan(0);
  for (const l of i.rep.layers) expect(l.snrDb, `${l.layer}: ${l.snrDb} dB`).toBeGreaterThan(db);
}
const w = (name: string, dims: number[], seed: number, scale = 0.5) => tensor(name, DT.FLOAT, dims, values(dims.reduce((a, b) => a * b, 1), seed, -scale, scale), true);

describe('convolutions', () => {
  it('Conv: groups, dilation, stride and asymmetric pads carried over; OIHW weights become OHWI', () => {
    const i = run(graph([node('Conv', ['x', 'w', 'b'], ['y'], '/c/Conv', [attr.ints('kernel_shape', [3, 2]), attr.ints('strides', [2, 1]),
      attr.ints('pads', [1, 0, 2, 1]), attr.ints('dilations', [2, 1]), attr.int('group', 2)])], [w('w', [6, 2, 3, 2], 1), w('b', [6], 2)], [1, 4, 7, 9]));
    expect(ops(i)).toEqual(['conv_2d']);
    expect(params(i)).toMatchObject({ stride: [2, 1], dilation: [2, 1], padding: [1, 0, 2, 1], activation: 'none' });
    expect(i.arrays.get('c_conv_weights.npy')!.shape).toEqual([6, 3, 2, 2]);
    closeEverywhere(i, 30);
  });

  it('Conv with group = channels and 2 outputs each: depthwise_conv_2d with depthMultiplier 2', () => {
    const i = run(graph([node('Conv', ['x', 'w'], ['y'], '/dw/Conv', [attr.ints('pads', [1, 1, 1, 1]), attr.int('group', 3)])], [w('w', [6, 1, 3, 3], 3)], [1, 3, 6, 6]));
    expect(ops(i)).toEqual(['depthwise_conv_2d']);
    expect(params(i)).toMatchObject({ depthMultiplier: 2, padding: [1, 1, 1, 1] });
    expect(i.arrays.get('dw_conv_weights.npy')!.shape).toEqual([1, 3, 3, 6]);
    closeEverywhere(i, 30);
  });

  it('Conv + BatchNormalization + Clip(−1.5, 2.5): folded, and the clip is the output clamp at TFLite\'s quantized bounds', () => {
    const i = run(graph([
      node('Conv', ['x', 'w'], ['c'], '/c/Conv'),
      node('BatchNormalization', ['c', 's', 'b', 'm', 'v'], ['n'], '/bn/BatchNormalization'),
      node('Clip', ['n', 'lo', 'hi'], ['y'], '/act/Clip'),
    ], [w('w', [4, 2, 3, 3], 4), tensor('s', DT.FLOAT, [4], [1.5, 0.5, 2, 1]), tensor('b', DT.FLOAT, [4], [0.1, -0.2, 0.3, 0]),
      tensor('m', DT.FLOAT, [4], [0.2, 0.1, -0.1, 0]), tensor('v', DT.FLOAT, [4], [0.5, 2, 1, 1.5]),
      tensor('lo', DT.FLOAT, [], [-1.5]), tensor('hi', DT.FLOAT, [], [2.5])], [1, 2, 6, 6]));
    expect(ops(i)).toEqual(['conv_2d']);
    expect(params(i).activation).toEqual({ min: -1.5, max: 2.5 });
    expect(i.spec.layers[0].from).toBe("Conv '/c/Conv' + BatchNormalization '/bn/BatchNormalization' + Clip '/act/Clip'");
    const k = (i.net.layers[0].model as ConvModel).kernel;
    const out = i.net.tensors.get(i.net.layers[0].outputs[0])!;
    expect([k.actMin, k.actMax]).toEqual(clipRange(-1.5, 2.5, out.scale, out.zeroPoint));
    closeEverywhere(i, 30);
  });

  it('Conv + Add(a per-channel constant) + Relu: the constant joins the bias', () => {
    const i = run(graph([node('Conv', ['x', 'w'], ['c'], '/c/Conv'), node('Add', ['c', 'k'], ['a'], '/c/Add'), node('Relu', ['a'], ['y'], '/c/Relu')],
      [w('w', [3, 2, 1, 1], 5), tensor('k', DT.FLOAT, [1, 3, 1, 1], [0.5, -0.25, 1])], [1, 2, 4, 4]));
    expect(ops(i)).toEqual(['conv_2d']);
    expect(params(i)).toMatchObject({ activation: 'relu', bias: { npy: 'c_conv_bias.npy' } });
    closeEverywhere(i, 30);
  });

  it('a lone BatchNormalization is a 1×1 depthwise convolution', () => {
    const i = run(graph([node('BatchNormalization', ['x', 's', 'b', 'm', 'v'], ['y'], '/bn/BatchNormalization')],
      [tensor('s', DT.FLOAT, [3], [2, -1, 0.5]), tensor('b', DT.FLOAT, [3], [0.1, 0.2, 0.3]), tensor('m', DT.FLOAT, [3], [0, 1, -1]), tensor('v', DT.FLOAT, [3], [1, 4, 0.25])], [1, 3, 4, 4]));
    expect(ops(i)).toEqual(['depthwise_conv_2d']);
    expect(params(i)).toMatchObject({ depthMultiplier: 1, padding: 'valid' });
    closeEverywhere(i, 30);
  });
});

describe('matrix products', () => {
  it('Gemm with transB 0, alpha and beta: weights [units, depth] = alpha·Bᵀ, bias beta·C', () => {
    const i = run(graph([node('Gemm', ['x', 'B', 'C'], ['y'], '/fc/Gemm', [attr.float('alpha', 0.5), attr.float('beta', 2)])],
      [w('B', [8, 5], 6), w('C', [1, 5], 7)], [1, 8], [1, 5]));
    expect(ops(i)).toEqual(['fully_connected']);
    expect(i.arrays.get('fc_gemm_weights.npy')!.shape).toEqual([5, 8]);
    closeEverywhere(i, 25);
  });

  it('Flatten of (C, H, W) then Gemm: the columns follow the network\'s H·W·C order', () => {
    const i = run(graph([node('Flatten', ['x'], ['f'], '/flatten/Flatten'), node('Gemm', ['f', 'B'], ['y'], '/fc/Gemm', [attr.int('transB', 1)])],
      [w('B', [4, 18], 8)], [1, 2, 3, 3], [1, 4]));
    expect(ops(i)).toEqual(['reshape', 'fully_connected']);
    expect(i.spec.tensors.f.sourceLayout).toEqual({ flattenedNchw: [2, 3, 3] });
    closeEverywhere(i, 30);
  });

  it('MatMul + Add(bias) as one fully connected layer; a 3-D input keeps its dimensions', () => {
    const a = run(graph([node('MatMul', ['x', 'B'], ['m'], '/fc/MatMul'), node('Add', ['m', 'bias'], ['y'], '/fc/Add')], [w('B', [8, 5], 9), w('bias', [5], 10)], [1, 8], [1, 5]));
    expect(ops(a)).toEqual(['fully_connected']);
    expect(a.spec.layers[0].from).toBe("MatMul '/fc/MatMul' + Add '/fc/Add'");
    closeEverywhere(a, 30);
    const b = run(model({ nodes: [node('MatMul', ['x', 'B'], ['y'], '/fc/MatMul')], initializers: [w('B', [8, 5], 9)],
      inputs: [value('x', DT.FLOAT, [1, 4, 8])], outputs: [value('y', DT.FLOAT, [1, 4, 5])] }));
    expect(params(b)).toMatchObject({ keepNumDims: true });
    expect(b.net.tensors.get(b.net.outputs[0])!.shape).toEqual([1, 4, 5]);
    closeEverywhere(b, 30);
  });
});

describe('pooling', () => {
  it('MaxPool 3×3 stride 2 with pads 1 (a ResNet stem): explicit padding, windows clipped', () => {
    const i = run(graph([node('MaxPool', ['x'], ['y'], '/pool/MaxPool', [attr.ints('kernel_shape', [3, 3]), attr.ints('strides', [2, 2]), attr.ints('pads', [1, 1, 1, 1])])], [], [1, 3, 8, 8]));
    expect(ops(i)).toEqual(['max_pool_2d']);
    expect(params(i)).toMatchObject({ filter: [3, 3], stride: [2, 2], padding: [1, 1, 0, 0] });
    expect(i.net.tensors.get('y')!.shape).toEqual([1, 4, 4, 3]);
    // data movement: the output is exactly the input's values (the same quantization, a max of them)
    expect(i.rep.layers[0].snrDb).toBeGreaterThan(35);
  });

  it('MaxPool and AveragePool in ceil mode: the extra windows as end padding', () => {
    for (const op of ['MaxPool', 'AveragePool']) {
      const i = run(graph([node(op, ['x'], ['y'], `/pool/${op}`, [attr.ints('kernel_shape', [2, 2]), attr.ints('strides', [2, 2]), attr.int('ceil_mode', 1)])], [], [1, 2, 5, 7]));
      expect(params(i).padding, op).toEqual([0, 0, 1, 1]);
      expect(i.net.tensors.get('y')!.shape).toEqual([1, 3, 4, 2]);
      closeEverywhere(i, 25);
    }
  });

  it('AveragePool with count_include_pad: a PAD of zeros, then a valid pool; without: windows clipped', () => {
    const attrs = [attr.ints('kernel_shape', [3, 3]), attr.ints('strides', [1, 1]), attr.ints('pads', [1, 1, 1, 1])];
    const inc = run(graph([node('AveragePool', ['x'], ['y'], '/pool/AveragePool', [...attrs, attr.int('count_include_pad', 1)])], [], [1, 2, 5, 5]), [0, 2]);
    expect(ops(inc)).toEqual(['pad', 'average_pool_2d']);
    expect(params(inc, 1).padding).toEqual([0, 0, 0, 0]);
    closeEverywhere(inc, 30);
    const exc = run(graph([node('AveragePool', ['x'], ['y'], '/pool/AveragePool', attrs)], [], [1, 2, 5, 5]), [0, 2]);
    expect(ops(exc)).toEqual(['average_pool_2d']);
    closeEverywhere(exc, 30);
    // the two differ at the borders: the PAD's zeros count
    expect(inc.rep.layers.at(-1)!.maxAbsReference).not.toBe(exc.rep.layers.at(-1)!.maxAbsReference);
  });

  it('GlobalAveragePool and ReduceMean over H and W: mean over the network\'s axes 1 and 2', () => {
    const g = run(graph([node('GlobalAveragePool', ['x'], ['y'], '/gap/GlobalAveragePool')], [], [1, 4, 3, 5]));
    expect(ops(g)).toEqual(['mean']);
    expect(params(g)).toEqual({ axes: [1, 2], keepDims: true });
    closeEverywhere(g, 30);
    const r = run(graph([node('ReduceMean', ['x'], ['y'], '/mean/ReduceMean', [attr.ints('axes', [2, 3]), attr.int('keepdims', 0)])], [], [1, 4, 3, 5], [1, 4]));
    expect(params(r)).toEqual({ axes: [1, 2], keepDims: false });
    expect(r.net.tensors.get('y')!.shape).toEqual([1, 4]);
    closeEverywhere(r, 30);
  });
});

describe('elementwise', () => {
  it('Add of two tensors + Relu: one add layer with the relu fused', () => {
    const i = run(graph([node('Conv', ['x', 'w1'], ['a'], '/a/Conv'), node('Conv', ['x', 'w2'], ['b'], '/b/Conv', [attr.ints('pads', [1, 1, 1, 1])]), node('Add', ['a', 'b'], ['s'], '/add/Add'),
      node('Relu', ['s'], ['y'], '/add/Relu')], [w('w1', [3, 2, 1, 1], 11), w('w2', [3, 2, 3, 3], 12)], [1, 2, 5, 5]));
    expect(ops(i)).toEqual(['conv_2d', 'conv_2d', 'add']);
    expect(params(i, 2)).toEqual({ activation: 'relu' });
    closeEverywhere(i, 28);
  });

  it('a Relu or Clip no producer absorbs (after a mean), a Clip with Cast bounds: lookup tables', () => {
    const i = run(graph([node('GlobalAveragePool', ['x'], ['g'], '/gap/GlobalAveragePool'), node('Relu', ['g'], ['r'], '/relu/Relu'),
      node('Cast', ['hi64'], ['hi'], '/Cast', [attr.int('to', DT.FLOAT)]), node('Clip', ['r', '', 'hi'], ['y'], '/clip/Clip')],
    [tensor('hi64', DT.DOUBLE, [], [0.3])], [1, 4, 3, 3]));
    expect(ops(i)).toEqual(['mean', 'lut', 'lut']);
    expect(params(i, 1)).toEqual({ function: 'clip', min: 0 });
    expect(params(i, 2)).toEqual({ function: 'clip', max: 0.3 });
    closeEverywhere(i, 25);
  });

  const activations: [string, Record<string, unknown>, ReturnType<typeof attr.float>[], [number, number] | null][] = [
    ['LeakyRelu', { function: 'leaky_relu', alpha: Math.fround(0.2) }, [attr.float('alpha', 0.2)], null],
    ['HardSigmoid', { function: 'hard_sigmoid', alpha: Math.fround(0.25), beta: 0.5 }, [attr.float('alpha', 0.25)], null],
    ['HardSwish', { function: 'hard_swish' }, [], null],
    ['Sigmoid', { function: 'sigmoid' }, [], [1 / 256, -128]],
    ['Tanh', { function: 'tanh' }, [], [1 / 128, 0]],
  ];
  for (const [op, p, attrs, fixed] of activations) {
    it(`${op} after a Conv: a lookup table${fixed ? ` with TFLite's fixed output quantization ${fixed[0]}, ${fixed[1]}` : ''}`, () => {
      const i = run(graph([node('Conv', ['x', 'w'], ['c'], '/c/Conv'), node(op, ['c'], ['y'], `/act/${op}`, attrs)], [w('w', [3, 2, 3, 3], 13, 1)], [1, 2, 5, 5]));
      expect(ops(i)).toEqual(['conv_2d', 'lut']);
      expect(params(i, 1)).toEqual(p);
      const out = i.net.tensors.get('y')!;
      if (fixed) expect([out.scale, out.zeroPoint]).toEqual(fixed);
      closeEverywhere(i, 25);
    });
  }

  it('x · Sigmoid(x) (SiLU) and x · HardSigmoid(x; 1/6, 1/2) (Hardswish before opset 14): one table each, the Mul claimed', () => {
    for (const [act, attrs, fn] of [['Sigmoid', [], 'silu'], ['HardSigmoid', [attr.float('alpha', 1 / 6), attr.float('beta', 0.5)], 'hard_swish']] as const) {
      const i = run(graph([node('Conv', ['x', 'w'], ['c'], '/c/Conv'), node(act, ['c'], ['s'], `/act/${act}`, [...attrs]), node('Mul', ['c', 's'], ['y'], '/act/Mul')],
        [w('w', [3, 2, 3, 3], 19, 1)], [1, 2, 5, 5]));
      expect(ops(i), act).toEqual(['conv_2d', 'lut']);
      expect(params(i, 1)).toEqual({ function: fn });
      expect(i.spec.layers[1].from).toMatch(new RegExp(`^${act} '/act/${act}' \\+ Mul '/act/Mul'`));
      closeEverywhere(i, 25);
    }
    // another HardSigmoid, or a Mul by something else, is not a Hardswish: the Mul is refused
    const other = graph([node('HardSigmoid', ['x'], ['s'], '/act/HardSigmoid'), node('Mul', ['s', 's'], ['y'], '/act/Mul')], [], [1, 2, 3, 3]);
    expect(() => importOnnxNetwork(other, 'm.onnx')).toThrow(/unsupported: Mul '\/act\/Mul'\. /);
  });

  it('Softmax over a 2-D row and over NCHW channels: softmax at 1/256, −128', () => {
    const a = run(graph([node('Gemm', ['x', 'B'], ['g'], '/fc/Gemm'), node('Softmax', ['g'], ['y'], '/sm/Softmax', [attr.int('axis', 1)])], [w('B', [6, 5], 14, 1)], [1, 6], [1, 5]), [-2, 2]);
    expect(ops(a)).toEqual(['fully_connected', 'softmax']);
    closeEverywhere(a, 25);
    const b = run(graph([node('Softmax', ['x'], ['y'], '/sm/Softmax', [attr.int('axis', 1)])], [], [1, 4, 2, 3]));
    expect(ops(b)).toEqual(['softmax']);
    expect([b.net.tensors.get('y')!.scale, b.net.tensors.get('y')!.zeroPoint]).toEqual([1 / 256, -128]);
    closeEverywhere(b, 25);
  });
});

describe('data movement', () => {
  it('Flatten, Reshape and Squeeze of a (C, 1, 1) tensor: a reshape (bytes in the same order)', () => {
    for (const [op, extra, inits] of [
      ['Flatten', [] as string[], [] as TensorProto[]],
      ['Reshape', ['shape'], [tensor('shape', DT.INT64, [2], [1, -1])]],
      ['Squeeze', ['axes'], [tensor('axes', DT.INT64, [2], [2, 3])]],
    ] as const) {
      const i = run(graph([node('GlobalAveragePool', ['x'], ['g'], '/gap/GlobalAveragePool'), node(op, ['g', ...extra], ['y'], `/r/${op}`)], [...inits], [1, 5, 2, 2], [1, 5]));
      expect(ops(i), op).toEqual(['mean', 'reshape']);
      expect(params(i, 1)).toEqual({ shape: [1, 5] });
      expect(i.spec.tensors.y.sourceLayout).toBeUndefined();
      closeEverywhere(i, 30);
    }
  });

  it('refuses a reshape that would move data in NHWC, naming why', () => {
    const bytes = graph([node('Reshape', ['x', 'shape'], ['y'], '/r/Reshape')], [tensor('shape', DT.INT64, [4], [1, 2, 6, 2])], [1, 2, 2, 6], [1, 2, 6, 2]);
    expect(() => importOnnxNetwork(bytes, 'm.onnx')).toThrow(/Reshape '\/r\/Reshape' \(reshapes \(1, 2, 2, 6\) to \(1, 2, 6, 2\), which moves data in convgen's NHWC layout \(a transpose\)\)/);
  });

  it('Concat of two convolutions along the channels: their outputs take the concatenation\'s quantization (no requantization)', () => {
    const i = run(graph([node('Conv', ['x', 'w1'], ['a'], '/a/Conv'), node('Conv', ['x', 'w2'], ['b'], '/b/Conv', [attr.ints('pads', [1, 1, 1, 1])]), node('Concat', ['a', 'b'], ['y'], '/cat/Concat', [attr.int('axis', 1)])],
      [w('w1', [3, 2, 1, 1], 15), w('w2', [2, 2, 3, 3], 16, 2)], [1, 2, 5, 5]));
    expect(ops(i)).toEqual(['conv_2d', 'conv_2d', 'concatenation']);
    expect(params(i, 2)).toEqual({ axis: 3 });
    const q = (id: string) => [i.net.tensors.get(id)!.scale, i.net.tensors.get(id)!.zeroPoint];
    expect(q('a')).toEqual(q('y'));
    expect(q('b')).toEqual(q('y'));
    // a's values use the concatenation's wider range (b's weights are 4 times larger): fewer steps, a lower SNR
    closeEverywhere(i, 18);
  });

  it('Concat of a max pool (which keeps its input\'s quantization) and a conv: an explicit requantization', () => {
    const i = run(graph([node('MaxPool', ['x'], ['p'], '/p/MaxPool', [attr.ints('kernel_shape', [1, 1])]), node('Conv', ['x', 'w'], ['c'], '/c/Conv'),
      node('Concat', ['p', 'c'], ['y'], '/cat/Concat', [attr.int('axis', 1)])], [w('w', [3, 2, 1, 1], 17, 3)], [1, 2, 4, 4]));
    expect(ops(i)).toEqual(['max_pool_2d', 'conv_2d', 'quantize', 'concatenation']);
    expect(i.notes.join('\n')).toMatch(/requantized: p requantized for cat_concat/);
    closeEverywhere(i, 25);
  });

  it('Pad with zeros before a Conv becomes the convolution\'s padding; another value stays a pad layer', () => {
    const pads = tensor('pads', DT.INT64, [8], [0, 0, 1, 2, 0, 0, 1, 0]);
    const fused = run(graph([node('Pad', ['x', 'pads'], ['p'], '/pad/Pad'), node('Conv', ['p', 'w'], ['y'], '/c/Conv')], [pads, w('w', [2, 2, 3, 3], 18)], [1, 2, 5, 5]));
    expect(ops(fused)).toEqual(['conv_2d']);
    expect(params(fused).padding).toEqual([1, 2, 1, 0]);
    closeEverywhere(fused, 30);
    const kept = run(graph([node('Pad', ['x', 'pads', 'v'], ['y'], '/pad/Pad')], [pads, tensor('v', DT.FLOAT, [], [0.5])], [1, 2, 3, 3]));
    expect(ops(kept)).toEqual(['pad']);
    expect(params(kept)).toMatchObject({ paddings: [[0, 0], [1, 1], [2, 0], [0, 0]] });
    closeEverywhere(kept, 30);
  });

  it('Identity and Dropout are the same tensor', () => {
    const i = run(graph([node('Identity', ['x'], ['a'], '/id'), node('Dropout', ['a'], ['d'], '/drop'), node('Relu', ['d'], ['y'], '/relu')], [], [1, 2, 3, 3]));
    expect(ops(i)).toEqual(['lut']);
    expect(i.spec.layers[0].inputs).toEqual(['x']);
  });
});

describe('quantized models: QDQ and QOperator', () => {
  const s = (name: string, v: number) => tensor(name, DT.FLOAT, [], [v]);
  const z8 = (name: string, v: number) => tensor(name, DT.INT8, [], [v]);
  const zu8 = (name: string, v: number) => tensor(name, DT.UINT8, [], [v]);

  it('QDQ: the int8 weights, per-channel scales, int32 bias and activation scales are taken as given', () => {
    const wq = ints(3 * 2 * 9, 21, -127, 127);
    const bytes = graph([
      node('QuantizeLinear', ['x', 'xs', 'xz'], ['xq'], '/x/QuantizeLinear'), node('DequantizeLinear', ['xq', 'xs', 'xz'], ['xd'], '/x/DequantizeLinear'),
      node('DequantizeLinear', ['wq', 'ws'], ['wd'], '/w/DequantizeLinear', [attr.int('axis', 0)]),
      node('DequantizeLinear', ['bq', 'bs'], ['bd'], '/b/DequantizeLinear', [attr.int('axis', 0)]),
      node('Conv', ['xd', 'wd', 'bd'], ['c'], '/c/Conv', [attr.ints('pads', [1, 1, 1, 1])]), node('Relu', ['c'], ['r'], '/c/Relu'),
      node('QuantizeLinear', ['r', 'ys', 'yz'], ['yq'], '/y/QuantizeLinear'), node('DequantizeLinear', ['yq', 'ys', 'yz'], ['y'], '/y/DequantizeLinear'),
    ], [s('xs', 0.02), z8('xz', 3), tensor('wq', DT.INT8, [3, 2, 3, 3], wq, true), tensor('ws', DT.FLOAT, [3], [0.01, 0.02, 0.005]),
      tensor('bq', DT.INT32, [3], [100, -2000, 40]), tensor('bs', DT.FLOAT, [3], [0.02 * 0.01, 0.02 * 0.02, 0.02 * 0.005].map(Math.fround)),
      s('ys', 0.03), z8('yz', -128)], [1, 2, 5, 5]);
    const r = importOnnxNetwork(bytes, 'q.onnx');
    expect(r.warnings).toEqual([]);
    const l = r.imported.spec.layers;
    expect(l.map((x) => x.op)).toEqual(['conv_2d']);
    expect(l[0].params).toMatchObject({ activation: 'relu', weights: { scales: [0.01, 0.02, 0.005].map(Math.fround) } });
    expect(Array.from(r.imported.arrays.get('c_conv_bias.npy')!.data as Int32Array)).toEqual([100, -2000, 40]);
    expect(r.imported.spec.tensors.x).toMatchObject({ scale: Math.fround(0.02), zeroPoint: 3, callerConverts: 'quantize' });
    expect(r.imported.spec.tensors.r).toMatchObject({ scale: Math.fround(0.03), zeroPoint: -128, callerConverts: 'dequantize' });
    // OIHW -> OHWI: weight [o=1][c=1][y=2][x=0] lands at [1][2][0][1]
    expect((r.imported.arrays.get('c_conv_weights.npy')!.data as Int8Array)[((1 * 3 + 2) * 3 + 0) * 2 + 1]).toBe(wq[((1 * 2 + 1) * 3 + 2) * 3 + 0]);
    expect(r.notes.join('\n')).toMatch(/differ by one/);
  });

  /** The network's output and ONNX Runtime's (the evaluator's QLinear ops) on the same int8 inputs: equal or off by one. */
  function vsOnnxRuntime(bytes: Uint8Array) {
    const r = importOnnxNetwork(bytes, 'q.onnx');
    const net = buildNetwork(r.imported.spec, 'q.json', (ref) => r.imported.arrays.get(ref.npy)!);
    imported.push(net);
    const prep = prepare(bytes, 'q.onnx');
    const outT = net.tensors.get(net.outputs[0])!;
    let diff = 0;
    let n = 0;
    for (const x of syntheticSamples(prep.input.dims, FLOAT, 8, [-2, 2], 5)) {
      const ref = evaluateGraph(prep.g, new Map([['x', x]]), { opset: 13, known: prep.constants, strict: true }).values.get(outT.sourceName!)!;
      const want = realValues(outT, ref);
      const got = runNetwork(net, [networkInput(net.tensors.get(net.inputs[0])!, x)]).outputs[0];
      got.forEach((q, k) => {
        const d = Math.round(Math.abs(outT.scale * (q - outT.zeroPoint) - want[k]) / outT.scale);
        expect(d).toBeLessThanOrEqual(1);
        diff += d;
        n++;
      });
    }
    return { r, net, diff, n };
  }

  it('QLinearConv between QuantizeLinear and DequantizeLinear (uint8 activations): the model\'s scales, uint8 as int8 − 128', () => {
    const bytes = graph([
      node('QuantizeLinear', ['x', 'xs', 'xz'], ['xq'], '/x/QuantizeLinear'),
      node('QLinearConv', ['xq', 'xs', 'xz', 'wq', 'ws', 'wz', 'ys', 'yz', 'b'], ['yq'], '/c/QLinearConv', [attr.ints('pads', [1, 1, 1, 1]), attr.ints('strides', [2, 2])]),
      node('DequantizeLinear', ['yq', 'ys', 'yz'], ['y'], '/y/DequantizeLinear'),
    ], [s('xs', 0.016), zu8('xz', 128), tensor('wq', DT.INT8, [4, 3, 3, 3], ints(108, 22, -127, 127), true), s('ws', 0.004), z8('wz', 0),
      s('ys', 0.05), zu8('yz', 120), tensor('b', DT.INT32, [4], [300, -500, 0, 1000])], [1, 3, 7, 7]);
    const { r, diff, n } = vsOnnxRuntime(bytes);
    // the QuantizeLinear fixes the input's quantization: the caller quantizes floats with it, as int8 (zero point 128 − 128)
    expect(r.imported.spec.tensors.x).toMatchObject({ scale: Math.fround(0.016), zeroPoint: 0, callerConverts: 'quantize' });
    expect(r.imported.spec.tensors.yq).toMatchObject({ scale: Math.fround(0.05), zeroPoint: -8 });
    expect(r.imported.spec.tensors.yq.callerConverts).toBeUndefined();
    expect(diff / n).toBeLessThan(0.05);
  });

  it('QLinearMatMul: b [depth, units] becomes weights [units, depth]', () => {
    const bytes = graph([
      node('QuantizeLinear', ['x', 'xs', 'xz'], ['xq'], '/x/QuantizeLinear'),
      node('QLinearMatMul', ['xq', 'xs', 'xz', 'bq', 'bs', 'bz', 'ys', 'yz'], ['yq'], '/m/QLinearMatMul'),
      node('DequantizeLinear', ['yq', 'ys', 'yz'], ['y'], '/y/DequantizeLinear'),
    ], [s('xs', 0.02), z8('xz', -3), tensor('bq', DT.INT8, [12, 5], ints(60, 23, -127, 127), true), s('bs', 0.01), z8('bz', 0), s('ys', 0.08), z8('yz', 5)], [1, 12], [1, 5]);
    const { r, diff, n } = vsOnnxRuntime(bytes);
    expect(r.imported.spec.layers.map((l) => l.op)).toEqual(['fully_connected']);
    expect(r.imported.arrays.get('m_qlinearmatmul_weights.npy')!.shape).toEqual([5, 12]);
    expect(diff / n).toBeLessThan(0.05);
  });
});

describe('every network imported above as C', () => {
  // Run after the tests above (vitest runs a file's tests in order); run alone, it has nothing to check and says so.
  // Outputs only (one build each; a mismatch is traced to its first layer): the networks are one to four layers.
  it('is bit-exact with its golden model on the host, on random and extreme inputs', async () => {
    expect(imported.length, 'no network imported: run the whole file').toBeGreaterThan(30);
    const host = findTarget('host')!;
    const results = await pool(imported, 2, (net) => verifyNetwork(net, host, { inputs: networkTestInputs(net, 3, 2), timeoutSeconds: 60 }));
    const failed = results.flatMap((r, k) => (r.status === 'pass' ? [] : [`network ${k} (${imported[k].layers.map((l) => l.name).join(', ')}): ${r.status} ${r.error ?? JSON.stringify(r.firstLayer)}`]));
    expect(failed).toEqual([]);
  }, 300_000);
});
