/**
 * The cheaper exact Q-format output stage, shared by the pointwise and blocked families (templates/common/qfinish.c.hbs).
 * The spec's stage is v = clamp((acc + r) >> s, lo, hi) with r = 2^(s-1) for round-to-nearest, 0 for floor
 * (finishBigInt, src/ops/conv_2d/spec/golden.ts). Since the accumulator only adds exact integers, r can start in the
 * seed instead: seed = bias·2^biasShift + r, and the stage is clamp(acc >> s, lo, hi). The proved bound
 * (accumulator.ts) already counts r, so every partial sum still fits the accumulator. Where that bound shifted right by
 * s fits int32, a 64-bit accumulator is narrowed after the shift and clamped in 32 bits (on A32: the low word shifted
 * right plus the high word shifted left, one 32-bit clamp instead of a 64-bit add, shift and two-sided compare).
 * Left shifts (s < 0) saturate before the multiply: they keep the common finish.
 * test/codegen/q-finish.test.ts checks the stage against the golden model in BigInt.
 */
import type { KernelModel } from '../ops/conv_2d/spec/index.ts';
import { accumulatorBound, roundingConstant } from '../ops/conv_2d/spec/bounds.ts';
import { ACC_LIMIT as LIMIT, type AccumulatorPlan } from './accumulator.ts';
import type { IsaFeatures } from '../targets/index.ts';
import { cArrayRows, cInt } from './clit.ts';
import type { OutputStage } from '../ir/kernel-ir.ts';

export interface QFinish {
  /** Per output channel: the bias aligned to the product's fraction bits plus the rounding constant. */
  seeds: bigint[];
  /** The right shift (0: none). */
  shift: number;
  /** The rounding constant folded into the seeds (0 for floor or no shift). */
  round: bigint;
  /** The accumulator is 64-bit and the shifted value provably fits int32: clamp in 32 bits. */
  narrow: boolean;
  lo: bigint;
  hi: bigint;
}

export function qFinish(m: KernelModel, plan: AccumulatorPlan): QFinish | null {
  const nf = m.numeric;
  const st = plan.stage;
  if (nf.kind !== 'q' || (st.kind !== 'right' && st.kind !== 'none')) return null;
  const shift = st.kind === 'right' ? st.shift : 0;
  const round = roundingConstant(m);
  // Every partial sum of every channel, seeded with bias + round, must fit the accumulator (the plan's bound says so;
  // checked here per channel so that the fold never rests on how that bound was summed).
  if (accumulatorBound(m).perChannel.some((b) => b + round > LIMIT[plan.accType])) return null;
  const scale = 1n << BigInt(nf.biasShift);
  const seeds = Array.from({ length: m.outC }, (_, o) => (m.bias ? m.bias[o] * scale : 0n) + round);
  // |acc| <= bound, so acc >> shift lies in [-(bound >> shift) - 1, bound >> shift]: int32 when bound >> shift < 2^31.
  const narrow = plan.accType === 'int64_t' && (plan.bound >> BigInt(shift)) < 2n ** 31n;
  return { seeds, shift, round, narrow, lo: BigInt(Math.max(nf.storage.min, m.actMin)), hi: BigInt(Math.min(nf.storage.max, m.actMax)) };
}

/** Whether the stage saves anything over the common finish (a rounding add to drop or a 64-bit clamp to narrow). */
export function qFinishGains(f: QFinish): boolean {
  return f.round !== 0n || f.narrow;
}

/** The stage in BigInt, as the C spells it (the seed already holds the rounding constant). */
export function qFinishModel(f: QFinish, acc: bigint): bigint {
  let v = acc >> BigInt(f.shift);
  if (f.narrow) v = BigInt.asIntN(32, v);
  return v < f.lo ? f.lo : v > f.hi ? f.hi : v;
}

/**
 * The view of templates/common/qfinish.c.hbs. Where the clamp is the whole storage range [-2^(b-1), 2^(b-1)-1] of an
 * int32 value: ACLE's __ssat where the core has SSAT (GCC would make SSAT of the two compares itself, but in a kernel
 * loop it hoists the bounds into registers first and then compares: measured on Cortex-M4), elsewhere the sign test
 * (v >> (b-1) == v >> 31 exactly when v is in range; else (v >> 31) ^ (2^(b-1)-1) is the bound on v's side), which
 * needs no bound in a register (measured: much faster than two compares in the blocked family on ARM920T, e.g. dw3x3
 * q7 -22%; slower in pointwise's GEMM tiles and with the blocked family's split halves, so `signTest` is the caller's).
 */
export function qFinishView(f: QFinish, plan: AccumulatorPlan, isa: IsaFeatures, signTest: boolean) {
  const c = qFinishChoice(f, plan, isa, signTest);
  return {
    seedType: c.seedType,
    seedLines: cArrayRows(f.seeds.map((v) => cInt(v, c.seedType)), 8),
    shift: f.shift,
    hasShift: f.shift > 0,
    narrow: f.narrow,
    ssat: c.ssatBits > 0,
    ssatBits: c.ssatBits,
    signSat: c.signSat,
    signShift: c.signShift,
    vType: c.vType,
    lo: cInt(f.lo, c.vType),
    hi: cInt(f.hi, c.vType),
  };
}

/** The stage's spelling: the value's type, the seeds' type, and which clamp (SSAT, the sign test or two compares). */
function qFinishChoice(f: QFinish, plan: AccumulatorPlan, isa: IsaFeatures, signTest: boolean) {
  const vType = f.narrow ? 'int32_t' : plan.accType;
  const bits = Array.from({ length: 31 }, (_, i) => i + 1).find((b) => f.lo === -(1n << BigInt(b - 1)) && f.hi === (1n << BigInt(b - 1)) - 1n);
  const ssatBits = isa.saturate && vType === 'int32_t' && bits !== undefined ? bits : 0;
  // A 64-bit accumulator's seeds are stored as int32 where they fit (half the flash, the same loads on 32-bit cores).
  const seedType = f.seeds.every((v) => v >= -(2n ** 31n) && v <= LIMIT.int32_t) ? 'int32_t' : plan.accType;
  return {
    vType, seedType, ssatBits,
    signSat: signTest && ssatBits === 0 && vType === 'int32_t' && bits !== undefined,
    signShift: (bits ?? 1) - 1,
  };
}

/** The same stage as IR nodes: its seed table (`<name>_<tag>_seed_of`) and its output stage (`<name>_<tag>_finish`). */
export function qFinishStages(m: KernelModel, f: QFinish, plan: AccumulatorPlan, isa: IsaFeatures, signTest: boolean, tag: string): { seeds: OutputStage; stage: OutputStage } {
  const c = qFinishChoice(f, plan, isa, signTest);
  const NAME = m.name.toUpperCase();
  return {
    seeds: {
      k: 'seed-table', prefix: m.name, fn: `${m.name}_${tag}_seed_of`, table: `${m.name}_${tag}_seed`, NAME, accType: plan.accType, elem: c.seedType,
      lines: cArrayRows(f.seeds.map((v) => cInt(v, c.seedType)), 8),
      doc: { style: 'hang', lines: ['Seeds: bias aligned to the product\'s fraction bits, plus the rounding constant of the output',
        'stage, so that the stage below only shifts and clamps.'] },
    },
    stage: {
      k: 'q-seeded', prefix: m.name, tag, NAME, accType: plan.accType, shift: f.shift, narrow: f.narrow,
      vType: c.vType, ssatBits: c.ssatBits, signSat: c.signSat, signShift: c.signShift, lo: cInt(f.lo, c.vType), hi: cInt(f.hi, c.vType),
    },
  };
}
