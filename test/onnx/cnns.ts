/**
 * The test suite's PyTorch-shaped CNNs (docs/pytorch.md shows the PyTorch module each one stands for):
 *   residual CNN: conv+BN+ReLU, depthwise+BN+ReLU, pointwise+BN+LeakyReLU, max pool, a residual block (two convs,
 *     the add, ReLU), two average pools, flatten (x.view(N, -1): the Shape/Gather/Concat chain), linear classifier,
 *     named as torch.onnx.export names docs/pytorch.md's module;
 *   depthwise-separable CNN: conv+BN+ReLU6 (Clip bounds behind Casts), two depthwise/pointwise blocks with ReLU6,
 *     global average pool, flatten, linear, softmax.
 *   activations CNN: what the other two leave out: conv+BN+Clip(−1.5, 2.5) (a clamp to real bounds), max pool 3×3
 *     stride 2 with pads 1, Pad with 0.25, conv+HardSwish, two 1×1 branches (Sigmoid, Tanh) concatenated, conv+SiLU
 *     (x · Sigmoid(x)), average pool 3×3 stride 2 with pads 1 (padding not counted), conv+HardSigmoid, global
 *     average pool, flatten, linear (opset 14, for HardSwish).
 * The same builders write the QDQ form of a network when given its quantization.
 */
import { attr, DT, values } from './models.ts';
import { evaluateGraph } from '../../src/onnx/eval/index.ts';
import { make } from '../../src/onnx/eval/tensor.ts';
import { prepare } from '../../src/onnx/net/prepare.ts';
import { Net, type QdqSource } from './builder.ts';

export const RESIDUAL_INPUT = [1, 3, 16, 16];

export function residualCnn(q?: QdqSource, fc?: { weights: number[]; bias: number[] }): Uint8Array {
  const n = new Net(13, q);
  const x = n.input('input');
  let y = n.act(n.conv(x, 3, 8, 3, '/stem/conv/Conv', { pad: 1, bn: !q }), 'Relu', '/stem/act/Relu');
  y = n.act(n.conv(y, 8, 8, 3, '/dw/conv/Conv', { pad: 1, group: 8, bn: !q }), 'Relu', '/dw/act/Relu');
  y = n.act(n.q(n.conv(y, 8, 16, 1, '/pw/conv/Conv', { bn: !q })), 'LeakyRelu', '/pw/act/LeakyRelu', [attr.float('alpha', 0.1)]);
  y = n.pool(y, 'MaxPool', 2, 2, '/pool1/MaxPool');
  let r = n.act(n.conv(y, 16, 16, 3, '/res/conv1/Conv', { pad: 1, bn: !q }), 'Relu', '/res/relu1/Relu');
  r = n.q(n.conv(r, 16, 16, 3, '/res/conv2/Conv', { pad: 1, bn: !q }));
  y = n.act(n.plain('Add', [r, y], '/res/Add'), 'Relu', '/res/relu2/Relu');
  y = n.pool(y, 'AveragePool', 2, 2, '/pool2/AveragePool');
  y = n.pool(y, 'AveragePool', 2, 2, '/pool3/AveragePool');
  y = n.viewFlat(y, '');
  y = n.gemm(y, 64, 10, '/fc/Gemm', fc);
  return n.bytes({ name: 'input', dims: RESIDUAL_INPUT }, y, ['batch', 10]);
}

export const DS_INPUT = [1, 3, 16, 16];

/** `logits`: the same model ending at the classifier's logits (no Softmax), as a Q-format network takes it. */
export function dsCnn(q?: QdqSource, o: { logits?: boolean } = {}): Uint8Array {
  const n = new Net(13, q);
  const x = n.input('input');
  let y = n.clipViaCast(n.conv(x, 3, 8, 3, '/stem/conv/Conv', { stride: 2, pad: 1, bn: !q }), 0, 6, '/stem/act/Clip');
  let c = 8;
  for (const [i, out] of [[1, 16], [2, 24]] as const) {
    y = n.clipViaCast(n.conv(y, c, c, 3, `/block${i}/dw/Conv`, { pad: 1, group: c, stride: i === 2 ? 2 : 1, bn: !q }), 0, 6, `/block${i}/act1/Clip`);
    y = n.clipViaCast(n.conv(y, c, out, 1, `/block${i}/pw/Conv`, { bn: !q }), 0, 6, `/block${i}/act2/Clip`);
    c = out;
  }
  y = n.node('GlobalAveragePool', [y], '/gap/GlobalAveragePool');
  y = n.node('Flatten', [y], '/flatten/Flatten', [attr.int('axis', 1)]);
  y = n.gemm(y, 24, 10, '/fc/Gemm');
  if (!o.logits) y = n.node('Softmax', [y], '/softmax/Softmax', [attr.int('axis', 1)]);
  return n.bytes({ name: 'input', dims: DS_INPUT }, y, ['batch', 10]);
}

export const ACT_INPUT = [1, 3, 16, 16];

export function actCnn(): Uint8Array {
  const n = new Net(14);
  const x = n.input('input');
  const f = (v: number) => n.constant([], [v], DT.FLOAT);
  let y = n.act(n.conv(x, 3, 8, 3, '/stem/conv/Conv', { pad: 1, bn: true }), 'Clip', '/stem/act/Clip', [], [f(-1.5), f(2.5)]);
  y = n.pool(y, 'MaxPool', 3, 2, '/pool1/MaxPool', [1, 1, 1, 1]);
  y = n.node('Pad', [y, n.constant([8], [0, 0, 1, 1, 0, 0, 1, 1]), f(0.25)], '/pad/Pad');
  y = n.act(n.conv(y, 8, 16, 3, '/conv2/Conv'), 'HardSwish', '/act2/HardSwish');
  const a = n.act(n.conv(y, 16, 8, 1, '/branch_a/Conv'), 'Sigmoid', '/branch_a/Sigmoid');
  const b = n.act(n.conv(y, 16, 8, 1, '/branch_b/Conv'), 'Tanh', '/branch_b/Tanh');
  y = n.node('Concat', [a, b], '/cat/Concat', [attr.int('axis', 1)]);
  const c = n.conv(y, 16, 16, 1, '/conv3/Conv');
  y = n.plain('Mul', [c, n.plain('Sigmoid', [c], '/act3/Sigmoid')], '/act3/Mul');
  y = n.pool(y, 'AveragePool', 3, 2, '/pool2/AveragePool', [1, 1, 1, 1]);
  y = n.act(n.conv(y, 16, 16, 3, '/conv4/Conv', { pad: 1 }), 'HardSigmoid', '/act4/HardSigmoid', [attr.float('alpha', 0.2), attr.float('beta', 0.5)]);
  y = n.node('GlobalAveragePool', [y], '/gap/GlobalAveragePool');
  y = n.node('Flatten', [y], '/flatten/Flatten', [attr.int('axis', 1)]);
  y = n.gemm(y, 16, 10, '/fc/Gemm');
  return n.bytes({ name: 'input', dims: ACT_INPUT }, y, ['batch', 10]);
}

export const CONCAT_PAD_INPUT = [1, 3, 16, 16];

/**
 * What the Q-format networks take besides the two CNNs: conv+BN+ReLU, a Pad with 0.25, a valid conv, two 1×1
 * branches (one with ReLU, the other added to itself: their ranges differ) concatenated over the channels, max pool,
 * global average pool, flatten, linear.
 */
export function concatPadCnn(): Uint8Array {
  const n = new Net(13);
  const x = n.input('input');
  let y = n.act(n.conv(x, 3, 8, 3, '/stem/conv/Conv', { pad: 1, bn: true }), 'Relu', '/stem/act/Relu');
  y = n.node('Pad', [y, n.constant([8], [0, 0, 1, 1, 0, 0, 1, 1]), n.constant([], [0.25], DT.FLOAT)], '/pad/Pad');
  y = n.conv(y, 8, 8, 3, '/conv2/Conv');
  const a = n.act(n.conv(y, 8, 8, 1, '/branch_a/Conv'), 'Relu', '/branch_a/Relu');
  const c = n.conv(y, 8, 8, 1, '/branch_b/Conv');
  const b = n.plain('Add', [c, c], '/branch_b/Add');
  y = n.node('Concat', [a, b], '/cat/Concat', [attr.int('axis', 1)]);
  y = n.pool(y, 'MaxPool', 2, 2, '/pool/MaxPool');
  y = n.node('GlobalAveragePool', [y], '/gap/GlobalAveragePool');
  y = n.node('Flatten', [y], '/flatten/Flatten', [attr.int('axis', 1)]);
  y = n.gemm(y, 16, 10, '/fc/Gemm');
  return n.bytes({ name: 'input', dims: CONCAT_PAD_INPUT }, y, ['batch', 10]);
}

/** Standard normal values (Box-Muller over the seeded uniform values). */
function normals(n: number, seed: number): number[] {
  const u = values(2 * n, seed, 0, 1).map((v) => Math.min(1 - 1e-9, Math.max(1e-9, v)));
  return Array.from({ length: n }, (_, i) => Math.sqrt(-2 * Math.log(u[2 * i])) * Math.cos(2 * Math.PI * u[2 * i + 1]));
}

export const CLASSES = 10;
const SIZE = 3 * 16 * 16;

/**
 * The residual CNN's data: ten class prototypes (standard normal images) and samples = prototype + noise of the same
 * size (σ = 1), so that classes overlap as real ones do. Returns N samples (N, 3, 16, 16) and their classes.
 */
export function classData(n: number, seed: number, noise = 0.6): { samples: Float32Array; labels: number[] } {
  const protos = Array.from({ length: CLASSES }, (_, k) => normals(SIZE, 500 + k));
  const labels = values(n, seed, 0, CLASSES).map(Math.floor);
  const eps = normals(n * SIZE, seed + 1);
  const samples = Float32Array.from({ length: n * SIZE }, (_, i) => protos[labels[Math.floor(i / SIZE)]][i % SIZE] + noise * eps[i]);
  return { samples, labels };
}

/**
 * The residual CNN with its classifier fitted as a nearest-class-mean rule on the flattened features (logit_k =
 * (c_k − μ) · (f − μ) − |c_k − μ|² / 2 for the mean feature c_k of class k, μ the mean of those, over 200 samples): a model whose outputs are as decisive
 * as a trained one's, without training. Everything before the classifier keeps its random weights.
 */
export function fittedResidualCnn(): Uint8Array {
  const prep = prepare(residualCnn(), 'fit.onnx');
  const { samples, labels } = classData(200, 77);
  const sums = Array.from({ length: CLASSES }, () => new Float64Array(64));
  const counts = new Array<number>(CLASSES).fill(0);
  labels.forEach((k, i) => {
    const x = make([1, 3, 16, 16], Float64Array.from(samples.subarray(i * SIZE, (i + 1) * SIZE)));
    const f = evaluateGraph(prep.g, new Map([['input', x]]), { opset: 13, known: prep.constants, strict: true }).values.get('/Reshape_output_0')!;
    f.data.forEach((v, j) => { sums[k][j] += v; });
    counts[k]++;
  });
  const centers = sums.map((s, k) => Array.from(s, (v) => v / counts[k]));
  const mean = centers[0].map((_, j) => centers.reduce((a, c) => a + c[j], 0) / CLASSES);
  // Centered: logit_k = d_k · (f − μ) − |d_k|² / 2 with d_k = c_k − μ, the same argmax without a large common offset.
  const d = centers.map((c) => c.map((v, j) => v - mean[j]));
  const weights = d.flat();
  const bias = d.map((dk) => -dk.reduce((a, v, j) => a + v * mean[j], 0) - 0.5 * dk.reduce((a, v) => a + v * v, 0));
  return residualCnn(undefined, { weights, bias });
}
