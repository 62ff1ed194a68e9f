/**
 * The inputs a network is checked on: seeded random tensors over the whole int8 range, then the extremes (all -128,
 * all 127, alternating) and the input's zero point everywhere (a real-valued zero). The extremes drive every layer's
 * sums toward their bounds and every clamp; random data exercises the rest.
 */
import { Mulberry32 } from '../tensors/random.ts';
import { elements } from '../ops/op.ts';
import type { Network } from './network.ts';

export const NETWORK_RANDOM_INPUTS = 2;

export function networkTestInputs(net: Network, seed: number, randomCount = NETWORK_RANDOM_INPUTS): Int8Array[] {
  const t = net.tensors.get(net.inputs[0])!;
  const n = elements(t.shape);
  const rng = new Mulberry32(seed);
  const out: Int8Array[] = [];
  for (let r = 0; r < randomCount; r++) out.push(Int8Array.from({ length: n }, () => rng.nextSigned(8)));
  out.push(new Int8Array(n).fill(-128), new Int8Array(n).fill(127), Int8Array.from({ length: n }, (_, i) => (i % 2 ? -128 : 127)));
  out.push(new Int8Array(n).fill(t.zeroPoint));
  return out;
}

export function describeNetworkInputs(randomCount = NETWORK_RANDOM_INPUTS): string {
  return `${randomCount} random, all -128, all 127, alternating, all zero point`;
}
