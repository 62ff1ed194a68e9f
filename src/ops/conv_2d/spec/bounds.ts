/**
 * The worst-case accumulator magnitude, proved from the weights and bias (known at generation time) and the input
 * range (the storage type's, shifted by the input offset for int8). Padded taps add 0, which every tap's range
 * contains, so they never raise the bound. It decides the accumulator width in the golden model and in every C variant.
 */
import type { KernelModel } from './model.ts';

export interface AccumulatorBound {
  /** max over any input of |acc[o]| at every step of the sum (bias included), per output channel. */
  perChannel: bigint[];
  /** The largest of perChannel. */
  max: bigint;
  /** Largest magnitude of one tap's input value x + inputOffset: 2^(bits-1) for Q formats, for int8
   *  max(|inputOffset − 128|, |inputOffset + 127|) (255 at inputOffset 128 or −127). */
  maxAbsInput: bigint;
}

export function accumulatorBound(m: KernelModel): AccumulatorBound {
  const maxAbsInput = BigInt(m.numeric.maxAbsTap);
  const taps = m.inPerGroup * m.kH * m.kW;
  const perChannel: bigint[] = [];
  for (let o = 0; o < m.outC; o++) {
    // Chunks of 4096 |w| ≤ 2^31 stay below 2^53, so each chunk sum is exact as a double.
    let sumAbs = 0n;
    for (let start = o * taps; start < (o + 1) * taps; start += 4096) {
      let chunk = 0;
      for (let t = start; t < Math.min(start + 4096, (o + 1) * taps); t++) chunk += Math.abs(m.weights[t]);
      sumAbs += BigInt(chunk);
    }
    // Partial sums in any order are bounded by the sum of the magnitudes of all terms.
    const biasTerm = m.bias ? abs(m.bias[o]) << BigInt(m.numeric.biasShift) : 0n;
    perChannel.push(sumAbs * maxAbsInput + biasTerm);
  }
  return { perChannel, max: perChannel.reduce((a, b) => (b > a ? b : a), 0n), maxAbsInput };
}

function abs(v: bigint): bigint {
  return v < 0n ? -v : v;
}

/**
 * The constant added to the accumulator before a rounding right shift (0 for floor or no shift). Only Q formats
 * round inside the accumulator; int8 rounds in its requantization stage, after the accumulator.
 */
export function roundingConstant(m: KernelModel): bigint {
  const nf = m.numeric;
  if (nf.kind !== 'q') return 0n;
  const s = nf.outputShift;
  return s > 0 && nf.rounding === 'nearest' ? 1n << BigInt(s - 1) : 0n;
}
