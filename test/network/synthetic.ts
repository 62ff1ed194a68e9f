/**
 * Small networks built in memory for the C module's tests: every op of the op table, the memory plan's sharing
 * (in place, alias), windows clipped by padding (run-time counts), two inputs of one layer that are the same tensor.
 * `ops` has no convolution (its C is all the IR lowerings: committed as a golden file); `mixed` adds the conv
 * families.
 */
import type { NpyArray } from '../../src/npy/index.ts';
import { buildNetwork, type Network } from '../../src/network/network.ts';
import { Mulberry32 } from '../../src/tensors/random.ts';

interface T {
  shape: number[];
  scale: number;
  zeroPoint: number;
}

type L = { name: string; op: string; inputs: string[]; outputs: string[]; params: Record<string, unknown> };

function network(name: string, tensors: Record<string, T>, layers: L[], constants: Record<string, NpyArray>, input: string, output: string): Network {
  return buildNetwork({ format: 'convgen-network', version: 1, name, inputs: [input], outputs: [output], tensors, layers }, `${name}.json`, (ref) => {
    const a = constants[ref.npy];
    if (!a) throw new Error(`no constant ${ref.npy}`);
    return a;
  });
}

const q = (shape: number[], scale: number, zeroPoint: number): T => ({ shape, scale, zeroPoint });

/** pad, max pool (in place), average pool with clipped windows, add of one tensor to itself, quantize, concatenation, mean, reshape (alias), softmax. */
export function opsNetwork(): Network {
  const tensors = {
    x: q([1, 6, 6, 4], 0.05, -3),
    padded: q([1, 8, 8, 4], 0.05, -3),
    maxed: q([1, 4, 4, 4], 0.05, -3),
    averaged: q([1, 2, 2, 4], 0.05, -3),
    summed: q([1, 2, 2, 4], 0.08, 5),
    requantized: q([1, 2, 2, 4], 0.03, -10),
    joined: q([1, 2, 2, 8], 0.03, -10),
    mean: q([1, 1, 1, 8], 0.02, 1),
    flat: q([1, 8], 0.02, 1),
    probs: q([1, 8], 1 / 256, -128),
  };
  const layers: L[] = [
    { name: 'Pad', op: 'pad', inputs: ['x'], outputs: ['padded'], params: { paddings: [[0, 0], [1, 1], [1, 1], [0, 0]] } },
    { name: 'MaxPool', op: 'max_pool_2d', inputs: ['padded'], outputs: ['maxed'], params: { filter: [2, 2], stride: [2, 2], padding: 'valid', activation: 'relu6' } },
    { name: 'avg_pool', op: 'average_pool_2d', inputs: ['maxed'], outputs: ['averaged'], params: { filter: [3, 3], stride: [2, 2], padding: 'same' } },
    { name: 'ADD', op: 'add', inputs: ['averaged', 'averaged'], outputs: ['summed'], params: { activation: 'relu' } },
    { name: 'requantize', op: 'quantize', inputs: ['summed'], outputs: ['requantized'], params: {} },
    { name: 'concat', op: 'concatenation', inputs: ['requantized', 'requantized'], outputs: ['joined'], params: { axis: 3 } },
    { name: 'Mean', op: 'mean', inputs: ['joined'], outputs: ['mean'], params: { axes: [1, 2], keepDims: true } },
    { name: 'flatten', op: 'reshape', inputs: ['mean'], outputs: ['flat'], params: { shape: [1, 8] } },
    { name: 'softmax', op: 'softmax', inputs: ['flat'], outputs: ['probs'], params: { beta: 1 } },
  ];
  return network('OpsNet', tensors, layers, {}, 'x', 'probs');
}

function int8Array(shape: number[], seed: number): NpyArray {
  const rng = new Mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: 'int8', shape, data: Int8Array.from({ length: n }, () => rng.nextSigned(8)) };
}

function int32Array(n: number, seed: number, range: number): NpyArray {
  const rng = new Mulberry32(seed);
  return { dtype: 'int32', shape: [n], data: Int32Array.from({ length: n }, () => rng.nextInRange(-range, range)) };
}

/** conv (per-channel), depthwise, pooling, a residual add in place, fully connected (per-tensor) and softmax. */
export function mixedNetwork(): Network {
  const tensors = {
    image: q([1, 10, 10, 3], 0.02, 7),
    conv: q([1, 10, 10, 8], 0.04, -20),
    dw: q([1, 10, 10, 8], 0.05, -15),
    res: q([1, 10, 10, 8], 0.06, -5),
    pooled: q([1, 5, 5, 8], 0.06, -5),
    flat: q([1, 200], 0.06, -5),
    logits: q([1, 6], 0.1, 3),
    probs: q([1, 6], 1 / 256, -128),
  };
  const constants: Record<string, NpyArray> = {
    'cw.npy': int8Array([8, 3, 3, 3], 1), 'cb.npy': int32Array(8, 2, 2000),
    'dw.npy': int8Array([1, 3, 3, 8], 3), 'db.npy': int32Array(8, 4, 2000),
    'fw.npy': int8Array([6, 200], 5), 'fb.npy': int32Array(6, 6, 3000),
  };
  const scales = (n: number, s: number) => Array.from({ length: n }, (_, i) => s * (1 + i / 8));
  const layers: L[] = [
    { name: 'conv', op: 'conv_2d', inputs: ['image'], outputs: ['conv'], params: { stride: [1, 1], padding: 'same', activation: 'relu', weights: { npy: 'cw.npy', scales: scales(8, 0.01) }, bias: { npy: 'cb.npy' } } },
    { name: 'depthwise', op: 'depthwise_conv_2d', inputs: ['conv'], outputs: ['dw'], params: { stride: [1, 1], padding: 'same', depthMultiplier: 1, weights: { npy: 'dw.npy', scales: scales(8, 0.02) }, bias: { npy: 'db.npy' } } },
    { name: 'residual', op: 'add', inputs: ['dw', 'conv'], outputs: ['res'], params: {} },
    { name: 'pool', op: 'average_pool_2d', inputs: ['res'], outputs: ['pooled'], params: { filter: [2, 2], stride: [2, 2], padding: 'valid' } },
    { name: 'flatten', op: 'reshape', inputs: ['pooled'], outputs: ['flat'], params: { shape: [1, 200] } },
    { name: 'classifier', op: 'fully_connected', inputs: ['flat'], outputs: ['logits'], params: { weights: { npy: 'fw.npy', scales: [0.004] }, bias: { npy: 'fb.npy' } } },
    { name: 'softmax', op: 'softmax', inputs: ['logits'], outputs: ['probs'], params: { beta: 1 } },
  ];
  return network('mixed', tensors, layers, constants, 'image', 'probs');
}

/**
 * The network's output is a reshape of a buffer that an earlier, larger tensor opened (pooling in place over a
 * requantized copy of the input): that buffer must not become the caller's output, which holds only the output.
 */
export function reshapedOutputNetwork(): Network {
  const tensors = {
    x: q([1, 4, 4, 2], 0.05, 0),
    y: q([1, 4, 4, 2], 0.04, 3),
    pooled: q([1, 2, 2, 2], 0.04, 3),
    out: q([1, 8], 0.04, 3),
  };
  const layers: L[] = [
    { name: 'requantize', op: 'quantize', inputs: ['x'], outputs: ['y'], params: {} },
    { name: 'pool', op: 'max_pool_2d', inputs: ['y'], outputs: ['pooled'], params: { filter: [2, 2], stride: [2, 2], padding: 'valid' } },
    { name: 'flatten', op: 'reshape', inputs: ['pooled'], outputs: ['out'], params: { shape: [1, 8] } },
  ];
  return network('reshaped', tensors, layers, {}, 'x', 'out');
}
