/**
 * The C of what the ONNX importer emits beyond TFLite's ops, bit-exact with the golden model on the host (poisoned
 * memory, every layer compared): the lut op for each function over all 256 inputs, in place after another table;
 * clamps to any real bounds ({ min, max }, either left out) on conv, pools, add and fully connected; pools with explicit
 * asymmetric padding. A table printed one row out of place must be caught.
 */
import { describe, expect, it } from 'vitest';
import { buildNetwork, type Network } from '../../src/network/network.ts';
import { generateNetwork } from '../../src/network/c/module.ts';
import { networkTestInputs } from '../../src/network/inputs.ts';
import { verifyNetwork } from '../../src/network/verify.ts';
import { pool } from '../../src/pool.ts';
import { findTarget } from '../../src/targets/index.ts';
import { i32, i8, oneLayer, rotateTableRows } from './helpers.ts';

const host = findTarget('host')!;
const t = (shape: number[], scale: number, zeroPoint: number) => ({ shape, scale, zeroPoint });
/** Every int8 value once, then the network's usual random and extreme inputs. */
const all = Int8Array.from({ length: 256 }, (_, k) => k - 128);
const inputs = (net: Network) => [all, ...networkTestInputs(net, 11, 2)];

const LUTS: [string, Record<string, unknown>, [number, number]][] = [
  ['sigmoid', { function: 'sigmoid' }, [1 / 256, -128]],
  ['tanh', { function: 'tanh' }, [1 / 128, 0]],
  ['hard_sigmoid', { function: 'hard_sigmoid', alpha: 0.2, beta: 0.5 }, [1 / 256, -128]],
  ['hard_swish', { function: 'hard_swish' }, [0.03, -110]],
  ['silu', { function: 'silu' }, [0.03, -100]],
  ['leaky_relu', { function: 'leaky_relu', alpha: 0.1 }, [0.04, -90]],
  ['clip', { function: 'clip', min: -1.5, max: 2 }, [0.015, -28]],
  ['clip_above', { function: 'clip', max: 0.5 }, [0.05, 70]],
];

describe('lut in C', () => {
  it('every function: each of the 256 entries as the golden table has it', async () => {
    const nets = LUTS.map(([, params, [s, z]]) => oneLayer('lut', params, [t([1, 256], 0.047, 3)], t([1, 256], s, z)));
    const results = await pool(nets, 2, (net) => verifyNetwork(net, host, { inputs: inputs(net), timeoutSeconds: 60, layers: true }));
    results.forEach((r, k) => {
      expect(r.error, LUTS[k][0]).toBeUndefined();
      expect(r.status, LUTS[k][0]).toBe('pass');
    });
  });

  it('a table one row (16 entries) out of place fails, naming the layer', async () => {
    const net = oneLayer('lut', { function: 'tanh' }, [t([1, 256], 0.047, 3)], t([1, 256], 1 / 128, 0));
    const r = await verifyNetwork(net, host, { inputs: [all], timeoutSeconds: 60, layers: true, transformLayer: (_, code) => rotateTableRows(code) });
    expect(r.status).toBe('fail');
    expect(r.firstLayer).toMatchObject({ name: 'lut_0', input: 0 });
  });
});

/** Pools with explicit asymmetric padding and clamps to real bounds, then two tables in place, an add and a classifier. */
function clampNetwork(): Network {
  const w = i8([4, 3, 3, 4], Array.from({ length: 144 }, (_, i) => ((i * 37) % 255) - 127));
  const fw = i8([5, 16], Array.from({ length: 80 }, (_, i) => ((i * 53) % 251) - 125));
  const consts: Record<string, ReturnType<typeof i8>> = { 'w.npy': w, 'b.npy': i32([4], [100, -300, 2000, -50]), 'fw.npy': fw, 'fb.npy': i32([5], [10, -20, 30, -40, 50]) };
  return buildNetwork({
    format: 'convgen-network', version: 1, name: 'clamps', inputs: ['x'], outputs: ['logits'],
    tensors: {
      x: t([1, 7, 7, 4], 0.05, -5),
      conv: t([1, 7, 7, 4], 0.02, -20),
      maxed: t([1, 4, 4, 4], 0.02, -20),
      averaged: t([1, 2, 2, 4], 0.02, -20),
      swished: t([1, 2, 2, 4], 0.015, -60),
      leaky: t([1, 2, 2, 4], 0.015, -60),
      summed: t([1, 2, 2, 4], 0.03, 10),
      flat: t([1, 16], 0.03, 10),
      logits: t([1, 5], 0.1, 2),
    },
    layers: [
      { name: 'conv', op: 'conv_2d', inputs: ['x'], outputs: ['conv'], params: { stride: [1, 1], padding: [1, 1, 1, 1], activation: { min: -0.3, max: 1.7 }, weights: { npy: 'w.npy', scales: [0.01, 0.02, 0.005, 0.03] }, bias: { npy: 'b.npy' } } },
      { name: 'maxpool', op: 'max_pool_2d', inputs: ['conv'], outputs: ['maxed'], params: { filter: [3, 3], stride: [2, 2], padding: [1, 1, 2, 1], activation: { max: 1.2 } } },
      { name: 'avgpool', op: 'average_pool_2d', inputs: ['maxed'], outputs: ['averaged'], params: { filter: [3, 2], stride: [2, 2], padding: [1, 1, 0, 0], activation: { min: -0.1 } } },
      { name: 'swish', op: 'lut', inputs: ['averaged'], outputs: ['swished'], params: { function: 'hard_swish' } },
      { name: 'leaky', op: 'lut', inputs: ['swished'], outputs: ['leaky'], params: { function: 'leaky_relu', alpha: 0.2 } },
      { name: 'add', op: 'add', inputs: ['leaky', 'averaged'], outputs: ['summed'], params: { activation: { min: -1, max: 2.5 } } },
      { name: 'flatten', op: 'reshape', inputs: ['summed'], outputs: ['flat'], params: { shape: [1, 16] } },
      { name: 'fc', op: 'fully_connected', inputs: ['flat'], outputs: ['logits'], params: { activation: { min: -3, max: 4 }, weights: { npy: 'fw.npy', scales: [0.004] }, bias: { npy: 'fb.npy' } } },
    ],
  }, 'clamps.json', (ref) => consts[ref.npy]);
}

describe('clamps to real bounds and explicit pool padding in C', () => {
  const net = clampNetwork();

  it('the clamps are not TFLite\'s fused activations: each bound is an int8 limit inside [−128, 127]', () => {
    const range = (name: string) => {
      const m = net.layers.find((l) => l.name === name)!.model as { actMin?: number; actMax?: number; kernel?: { actMin: number; actMax: number } };
      return m.kernel ? [m.kernel.actMin, m.kernel.actMax] : [m.actMin, m.actMax];
    };
    // conv: −0.3 / 0.02 − 20 = −35, 1.7 / 0.02 − 20 = 65; max pool: 1.2 / 0.02 − 20 = 40; average pool: −0.1 / 0.02 − 20 = −25
    expect(range('conv')).toEqual([-35, 65]);
    expect(range('maxpool')).toEqual([-128, 40]);
    expect(range('avgpool')).toEqual([-25, 127]);
  });

  it('is bit-exact on the host at every layer, the tables in place', async () => {
    const mod = generateNetwork(net, { target: host });
    expect(mod.layers.filter((l) => l.summary.includes('in place')).map((l) => l.name)).toEqual(expect.arrayContaining(['leaky']));
    const r = await verifyNetwork(net, host, { inputs: networkTestInputs(net, 5, 6), timeoutSeconds: 60, layers: true });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('pass');
  });
});
