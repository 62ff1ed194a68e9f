/** Seeds with the input offset folded in, shared by the families whose interior multiplies raw int8 inputs. */
import type { KernelModel } from '../ops/conv_2d/spec/index.ts';
import { ACC_LIMIT, type AccumulatorPlan } from '../codegen/accumulator.ts';

/** Interior seeds with the input offset folded in (bias + offset x Σw), if the accumulator bound still holds. */
export function foldedSeeds(m: KernelModel, accType: AccumulatorPlan['accType']): bigint[] | null {
  const offset = m.numeric.inputOffset;
  if (offset === 0) return null;
  const per = m.inPerGroup * m.kH * m.kW;
  const seeds: bigint[] = [];
  for (let o = 0; o < m.outC; o++) {
    let sum = 0;
    let sumAbs = 0;
    for (let t = o * per; t < (o + 1) * per; t++) {
      sum += m.weights[t];
      sumAbs += Math.abs(m.weights[t]);
    }
    const bias = m.bias ? m.bias[o] : 0n;
    const bound = (bias < 0n ? -bias : bias) + BigInt(Math.abs(offset) + 2 ** (m.numeric.storage.bits - 1)) * BigInt(sumAbs);
    if (bound > ACC_LIMIT[accType]) return null;
    seeds.push(bias + BigInt(offset) * BigInt(sum));
  }
  return seeds;
}
