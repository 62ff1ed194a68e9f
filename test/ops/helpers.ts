/** Build and run one-layer networks in memory (constants from a map, no files). */
import type { NpyArray } from '../../src/npy/index.ts';
import { runNetwork } from '../../src/network/golden.ts';
import { buildNetwork, type Network } from '../../src/network/network.ts';
import type { LayerCode } from '../../src/ops/op.ts';

export interface T {
  shape: number[];
  scale: number;
  zeroPoint: number;
}

/** `probe`: the output's shape is taken from what the op computes (to learn it before declaring it). */
export function oneLayer(op: string, params: Record<string, unknown>, inputs: T[], output: T,
  constants: Record<string, NpyArray> = {}, probe = false): Network {
  if (probe) {
    try {
      return oneLayer(op, params, inputs, output, constants);
    } catch (e) {
      const m = /computes output shape \[([\d, ]+)\]/.exec((e as Error).message);
      if (!m) throw e;
      return oneLayer(op, params, inputs, { ...output, shape: m[1].split(', ').map(Number) }, constants);
    }
  }
  const tensors: Record<string, T> = {};
  inputs.forEach((t, i) => (tensors[`in${i}`] = t));
  tensors.out = output;
  return buildNetwork({
    format: 'convgen-network', version: 1, name: 'n',
    inputs: inputs.map((_, i) => `in${i}`), outputs: ['out'], tensors,
    layers: [{ name: `${op}_0`, op, inputs: inputs.map((_, i) => `in${i}`), outputs: ['out'], params }],
  }, 'test.json', (ref) => {
    const a = constants[ref.npy];
    if (!a) throw new Error(`no constant ${ref.npy}`);
    return a;
  });
}

export function run(net: Network, ...inputs: number[][]): number[] {
  return Array.from(runNetwork(net, inputs.map((v) => Int8Array.from(v))).outputs[0]);
}

export const i8 = (shape: number[], v: number[]): NpyArray => ({ dtype: 'int8', shape, data: Int8Array.from(v) });
export const i32 = (shape: number[], v: number[]): NpyArray => ({ dtype: 'int32', shape, data: Int32Array.from(v) });

/** A layer's C with each of its tables' rows moved up by one, the first last: a misprinted table (off by one row). */
export function rotateTableRows(code: LayerCode): LayerCode {
  if (code.k !== 'ir') return code;
  return {
    ...code,
    items: code.items.map((it) => (it.k === 'table' && it.table.body.k === 'flat'
      ? { ...it, table: { ...it.table, body: { k: 'flat', lines: [...it.table.body.lines.slice(1), it.table.body.lines[0]] } } } : it)),
  };
}
