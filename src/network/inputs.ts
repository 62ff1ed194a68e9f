/**
 * The inputs a network is checked on: seeded random tensors over the whole range of the input's type (int8, or
 * int16 in a q15 network), then the extremes (all lowest, all highest, alternating) and the input's zero point
 * everywhere (a real-valued zero). The extremes drive every layer's sums toward their bounds and every clamp; random
 * data exercises the rest.
 */
import { Mulberry32 } from '../tensors/random.ts';
import { elemRange, elements, type TensorData } from '../ops/op.ts';
import type { Network } from './network.ts';

export const NETWORK_RANDOM_INPUTS = 2;

export function networkTestInputs(net: Network, seed: number, randomCount = NETWORK_RANDOM_INPUTS): TensorData[] {
  const t = net.tensors.get(net.inputs[0])!;
  const n = elements(t.shape);
  const rng = new Mulberry32(seed);
  const [lo, hi] = elemRange(t.dtype);
  const of = (f: (i: number) => number): TensorData => (t.dtype === 'int16' ? Int16Array.from({ length: n }, (_, i) => f(i)) : Int8Array.from({ length: n }, (_, i) => f(i)));
  const out: TensorData[] = [];
  for (let r = 0; r < randomCount; r++) out.push(of(() => rng.nextSigned(t.dtype === 'int16' ? 16 : 8)));
  out.push(of(() => lo), of(() => hi), of((i) => (i % 2 ? lo : hi)));
  out.push(of(() => t.zeroPoint));
  return out;
}

/** The inputs in words (int8's extremes named; a q15 network's are −32768 and 32767). */
export function describeNetworkInputs(randomCount = NETWORK_RANDOM_INPUTS): string {
  return `${randomCount} random, all -128, all 127, alternating, all zero point`;
}
