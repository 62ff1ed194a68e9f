/**
 * Decides the accumulator and the output stage from the proved bound. The C templates only spell out what is decided
 * here: which type accumulates, and which form the shift-round-saturate-clamp takes.
 */
import { InputError } from '../errors.ts';
import type { KernelModel } from '../spec/index.ts';
import { accumulatorBound, roundingConstant } from '../spec/bounds.ts';
import { cInt, type CIntType } from './clit.ts';

export type AccType = 'int32_t' | 'int64_t';

export interface OutputStage {
  /** 'right': (acc + round) >> shift; 'none': acc as is; 'left': acc * 2^-shift, saturating first. */
  kind: 'right' | 'none' | 'left';
  shift: number;
  /** Rounding constant (0 for floor), as a C literal of the accumulator type. */
  round: string;
  /** Final clamp: storage range intersected with the activation range, as C literals of the accumulator type. */
  lo: string;
  hi: string;
  /** For 'left': accumulators above leftMax (below leftMin) saturate to hi (lo); others shift exactly. */
  leftMax: string;
  leftMin: string;
  leftScale: string;
}

export interface AccumulatorPlan {
  accType: AccType;
  /** The proved worst-case |acc| including bias and the rounding constant. */
  bound: bigint;
  boundLog2: number;
  /** Product of one input and one weight needs this type before it is added. */
  productType: AccType;
  /** bias is multiplied by this power of two (as a C literal) when it seeds the accumulator. */
  biasScale: string;
  stage: OutputStage;
}

const LIMIT: Record<AccType, bigint> = { int32_t: 2n ** 31n - 1n, int64_t: 2n ** 63n - 1n };

export function planAccumulator(m: KernelModel): AccumulatorPlan {
  const bound = accumulatorBound(m).max + roundingConstant(m);
  const accType: AccType | undefined = bound <= LIMIT.int32_t ? 'int32_t' : bound <= LIMIT.int64_t ? 'int64_t' : undefined;
  if (!accType)
    throw new InputError(`${m.source}: $.weights`,
      `the worst-case accumulator |acc| ≤ 2^${log2(bound).toFixed(1)} does not fit 64 bits; reduce the weight or bias magnitudes`);
  const lo = BigInt(Math.max(m.numeric.storage.min, m.actMin));
  const hi = BigInt(Math.min(m.numeric.storage.max, m.actMax));
  const s = m.numeric.outputShift;
  const k = BigInt(Math.max(0, -s));
  const t = accType as CIntType;
  const stage: OutputStage = {
    kind: s > 0 ? 'right' : s === 0 ? 'none' : 'left',
    shift: Math.abs(s),
    round: cInt(roundingConstant(m), t),
    lo: cInt(lo, t),
    hi: cInt(hi, t),
    // floor(hi / 2^k) and ceil(lo / 2^k): the largest and smallest accumulators whose shifted value stays in range
    leftMax: cInt(hi >> k, t),
    leftMin: cInt(-((-lo) >> k), t),
    leftScale: cInt(1n << k, t),
  };
  return {
    accType,
    bound,
    boundLog2: log2(bound),
    productType: m.numeric.storage.bits === 32 ? 'int64_t' : 'int32_t',
    biasScale: cInt(1n << BigInt(m.numeric.biasShift), t),
    stage,
  };
}

function log2(v: bigint): number {
  return v === 0n ? 0 : Math.log2(Number(v));
}
