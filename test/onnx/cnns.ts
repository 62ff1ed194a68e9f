/**
 * The test suite's PyTorch-shaped CNNs (docs/pytorch.md shows the PyTorch module each one stands for):
 *   residual CNN: conv+BN+ReLU, depthwise+BN+ReLU, pointwise+BN+LeakyReLU, max pool, a residual block (two convs,
 *     the add, ReLU), two average pools, flatten (x.view(N, -1): the Shape/Gather/Concat chain), linear classifier;
 *   depthwise-separable CNN: conv+BN+ReLU6 (Clip bounds behind Casts), two depthwise/pointwise blocks with ReLU6,
 *     global average pool, flatten, linear, softmax.
 * The same builders write the QDQ form of a network when given its quantization.
 */
import { attr } from './models.ts';
import { Net, type QdqSource } from './builder.ts';

export const RESIDUAL_INPUT = [1, 3, 16, 16];

export function residualCnn(q?: QdqSource): Uint8Array {
  const n = new Net(13, q);
  const x = n.input('input');
  let y = n.act(n.conv(x, 3, 8, 3, '/stem/conv/Conv', { pad: 1, bn: !q }), 'Relu', '/stem/relu/Relu');
  y = n.act(n.conv(y, 8, 8, 3, '/dw/conv/Conv', { pad: 1, group: 8, bn: !q }), 'Relu', '/dw/relu/Relu');
  y = n.act(n.q(n.conv(y, 8, 16, 1, '/pw/conv/Conv', { bn: !q })), 'LeakyRelu', '/pw/act/LeakyRelu', [attr.float('alpha', 0.1)]);
  y = n.pool(y, 'MaxPool', 2, 2, '/pool1/MaxPool');
  let r = n.act(n.conv(y, 16, 16, 3, '/res/conv1/Conv', { pad: 1, bn: !q }), 'Relu', '/res/relu1/Relu');
  r = n.q(n.conv(r, 16, 16, 3, '/res/conv2/Conv', { pad: 1, bn: !q }));
  y = n.act(n.node('Add', [r, y], '/res/Add'), 'Relu', '/res/relu2/Relu');
  y = n.pool(y, 'AveragePool', 2, 2, '/pool2/AveragePool');
  y = n.pool(y, 'AveragePool', 2, 2, '/pool3/AveragePool');
  y = n.viewFlat(y, '/flatten');
  y = n.gemm(y, 64, 10, '/fc/Gemm');
  return n.bytes({ name: 'input', dims: RESIDUAL_INPUT }, y, ['batch', 10]);
}

export const DS_INPUT = [1, 3, 16, 16];

export function dsCnn(q?: QdqSource): Uint8Array {
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
  y = n.node('Softmax', [y], '/softmax/Softmax', [attr.int('axis', 1)]);
  return n.bytes({ name: 'input', dims: DS_INPUT }, y, ['batch', 10]);
}
