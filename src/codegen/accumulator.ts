/**
 * Decides the accumulator and the output stage from the proved bound. The C templates only spell out what is decided
 * here: which type accumulates, and which form the shift-round-saturate-clamp takes.
 */
import { InputError } from '../errors.ts';
import type { Int8Format, KernelModel, QFormat } from '../ops/conv_2d/spec/index.ts';
import { accumulatorBound, roundingConstant } from '../ops/conv_2d/spec/bounds.ts';
import { cInt, type CIntType } from './clit.ts';

export type AccType = 'int32_t' | 'int64_t';

/** The output stage of a Q format: shift (rounding), saturate, clamp. */
export interface QOutputStage {
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

/** The output stage of int8: TFLite's MultiplyByQuantizedMultiplier per output channel, + offset, clamp. */
export interface RequantizeStage {
  kind: 'requantize';
  /** Per output channel. */
  multiplier: number[];
  left: number[];
  right: number[];
  /** Whether acc · 2^left can leave int32 for some channel (then it saturates before SRDHM). */
  saturate: boolean;
  outputOffset: number;
  /** The final clamp (activation within int8). */
  lo: number;
  hi: number;
}

export type OutputStage = QOutputStage | RequantizeStage;

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

/** The largest value each accumulator type holds (the bound a plan or a fold must stay under). */
export const ACC_LIMIT: Record<AccType, bigint> = { int32_t: 2n ** 31n - 1n, int64_t: 2n ** 63n - 1n };

export function planAccumulator(m: KernelModel): AccumulatorPlan {
  const bounds = accumulatorBound(m);
  const bound = bounds.max + roundingConstant(m);
  const accType: AccType | undefined = bound <= ACC_LIMIT.int32_t ? 'int32_t' : bound <= ACC_LIMIT.int64_t ? 'int64_t' : undefined;
  if (!accType)
    throw new InputError(`${m.source}: $.weights`,
      `the worst-case accumulator |acc| ≤ 2^${log2(bound).toFixed(1)} does not fit 64 bits; reduce the weight or bias magnitudes`);
  const nf = m.numeric;
  const stage: OutputStage = nf.kind === 'q' ? planQStage(m, nf, accType) : planRequantizeStage(m, nf, bounds.perChannel);
  return {
    accType,
    bound,
    boundLog2: log2(bound),
    productType: nf.storage.bits === 32 ? 'int64_t' : 'int32_t',
    biasScale: cInt(1n << BigInt(nf.biasShift), accType as CIntType),
    stage,
  };
}

/**
 * int8: acc · 2^left needs no saturation where the channel's proved bound times 2^left fits int32 (then the C
 * multiplies in int32, as TFLite does); otherwise it saturates to int32 first.
 */
function planRequantizeStage(m: KernelModel, nf: Int8Format, perChannel: bigint[]): RequantizeStage {
  const left = nf.shift.map((s) => Math.max(0, s));
  const right = nf.shift.map((s) => Math.max(0, -s));
  return {
    kind: 'requantize',
    multiplier: nf.multiplier,
    left,
    right,
    saturate: perChannel.some((b, o) => b << BigInt(left[o]) > ACC_LIMIT.int32_t),
    outputOffset: nf.outputOffset,
    lo: Math.max(nf.storage.min, m.actMin),
    hi: Math.min(nf.storage.max, m.actMax),
  };
}

function planQStage(m: KernelModel, nf: QFormat, accType: AccType): QOutputStage {
  const lo = BigInt(Math.max(nf.storage.min, m.actMin));
  const hi = BigInt(Math.min(nf.storage.max, m.actMax));
  const s = nf.outputShift;
  const k = BigInt(Math.max(0, -s));
  const t = accType as CIntType;
  return {
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
}

function log2(v: bigint): number {
  return v === 0n ? 0 : Math.log2(Number(v));
}
