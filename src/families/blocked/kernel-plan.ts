/**
 * The blocked family's plan as a whole: the staging buffer (if any), the blocking search's result, and the decisions
 * about how the accumulators and the output stage are held (split 64-bit halves, pinned registers, folded seeds, the
 * seeded Q stage, the bits-store), each from measured rows (measured.ts). lower.ts spells it as IR.
 */
import type { KernelModel } from '../../ops/conv_2d/spec/index.ts';
import type { IsaFeatures } from '../../targets/index.ts';
import type { AccumulatorPlan } from '../../codegen/accumulator.ts';
import { cInt } from '../../codegen/clit.ts';
import { qFinish, qFinishGains, type QFinish } from '../../codegen/qfinish.ts';
import type { OptimizeGoal, PlanContext } from '../family.ts';
import { foldedSeeds } from '../seeds.ts';
import { noScheduleReason, STAGE_BYTES } from './measured.ts';
import { tuningOf, type CoreTuning } from '../../tuning/cores.ts';
import { estimatedCycles, formVariant } from './cost.ts';
import { scheduledNoSchedule } from './asm-arm9.ts';
import type { BlockedPlan, MacForm } from './plan.ts';
import { planBlocked } from './search.ts';
import { stagingFor, type Staging } from './staging.ts';

/** The Q stage stored as the bits of its clamped value (store-bits): see storeBits. */
export interface StoreBits {
  bits: number;
  shift: number;
  lo: string;
  hi: string;
  uType: 'uint16_t';
  loBits: string;
  hiWord: string;
}

export interface BlockedKernel {
  /** The staging buffer, or null (regions read the input directly). */
  staging: Staging | null;
  /** The model as the planner saw it: the staging buffer's (HWC, padded, one output row) when staged, else the spec's. */
  pm: KernelModel;
  opt: BlockedPlan;
  optimize: OptimizeGoal;
  /** The core's tuning row the plan was made with. */
  tune: CoreTuning;
  /** `--optimize speed` asked for and default's plan taken, estimated faster on this core: the header says why. */
  speedFallback: string | null;
  /** Interior seeds with the input offset folded in, or null. */
  folded: bigint[] | null;
  /** The seeded Q stage (rounding in the seeds), where it saves anything, or null: the common stage. */
  qf: QFinish | null;
  /** 64-bit accumulators as two 32-bit halves updated by inline assembly. */
  split: boolean;
  /** Split accumulators may be pinned to callee-saved registers on this core (its tuning row). */
  pin: boolean;
  storeBits: StoreBits | null;
  /** Why GCC's early scheduling is off for the file, or null. */
  noSchedule: string | null;
}

/**
 * dwpair (ARMv5TE: no SSAT): the output stage stores the clamped value's bits, its bounds as immediates, where the
 * shifted accumulator fits int32 and the clamp is the storage type's whole range (no activation). Measured on bench
 * d q15 (arm926ej-s): the two bounds held in registers made GCC spill and reload them per pixel block.
 */
function storeBits(form: MacForm, qf: QFinish | null, st: { bits: number }, isa: IsaFeatures): StoreBits | null {
  const half = 1n << BigInt(st.bits - 1);
  if (form !== 'dwpair' || !qf || !qf.narrow || isa.saturate || st.bits !== 16 || qf.lo !== -half || qf.hi !== half - 1n) return null;
  return { bits: st.bits, shift: qf.shift, lo: cInt(qf.lo, 'int32_t'), hi: cInt(qf.hi, 'int32_t'), uType: 'uint16_t',
    loBits: half.toString(16).toUpperCase(), hiWord: ((~Number(half)) >>> 0).toString(16).toUpperCase() };
}

/** Plans per model object: the family table asks whether the plan fits before the family plans on the same model. */
const searched = new WeakMap<KernelModel, Map<string, { staging: Staging | null; opt: BlockedPlan }>>();

/**
 * The staging decision and blocking search for a goal, computed once per model, ISA, accumulator and goal (with the
 * ISA's own tuning row; another row, which only tests pass, is searched afresh).
 */
function searchFor(m: KernelModel, isa: IsaFeatures, accType: string, optimize: OptimizeGoal, tune?: CoreTuning) {
  // Staged: the planner and the input side see the staging buffer (HWC, padded, one output row); outputs stay m's.
  const search = () => {
    const staging = stagingFor(m, isa, optimize);
    return { staging, opt: planBlocked(staging?.model ?? m, isa, accType, optimize, staging ? STAGE_BYTES : 0, tune) };
  };
  if (tune && tune !== tuningOf(isa)) return search();
  const key = `${JSON.stringify(isa)}|${accType}|${optimize}`;
  let byKey = searched.get(m);
  if (!byKey) searched.set(m, (byKey = new Map()));
  let found = byKey.get(key);
  if (!found) byKey.set(key, (found = search()));
  return found;
}

const codeFits = (opt: BlockedPlan) => opt.codeBytes <= opt.codeBudget;

/** Whether the family's smallest (default) plan keeps its code budget: kernels of 11x11 and so on do not. */
export function blockedFits(m: KernelModel, isa: IsaFeatures, accType: string): boolean {
  return codeFits(searchFor(m, isa, accType, 'default').opt);
}

/** The default plan's estimated code bytes and budget (the loops family's header line says why it was chosen). */
export function blockedCode(m: KernelModel, isa: IsaFeatures, accType: string): { bytes: number; budget: number } {
  const { opt } = searchFor(m, isa, accType, 'default');
  return { bytes: opt.codeBytes, budget: opt.codeBudget };
}

/**
 * Why speed's plan gives way to default's, or null: speed takes its own plan only where the core's cycle estimate
 * puts it ahead by more than the row's margin (issue 19: `--optimize speed` is never slower in cycles than default).
 * Plans that estimate alike (same variant, blocking and staging) are the same code: nothing to choose.
 */
export function speedFallback(speed: { staging: Staging | null; opt: BlockedPlan }, dflt: { staging: Staging | null; opt: BlockedPlan },
  tune: CoreTuning): string | null {
  const s = speed.opt;
  const d = dflt.opt;
  if (formVariant(s) === formVariant(d) && s.ob === d.ob && s.pb === d.pb && s.estimate === d.estimate && !speed.staging === !dflt.staging)
    return null;
  const cs = estimatedCycles(s, tune);
  const cd = estimatedCycles(d, tune);
  if (cs <= cd * (1 - tune.speedMargin)) return null;
  return `default's plan, estimated faster on this core (${cd.toFixed(2)} cycles/MAC against ${cs.toFixed(2)} for ${formVariant(s)}` +
    `${tune.speedMargin > 0 ? `, which must win by ${Math.round(tune.speedMargin * 100)}% here` : ''})`;
}

export function planKernel(m: KernelModel, ctx: PlanContext): BlockedKernel {
  const { isa } = ctx;
  const plan: AccumulatorPlan = ctx.acc;
  const tune = ctx.tune ?? tuningOf(isa);
  // A speed plan over the code budget gives way to the default plan (which fits: the family applies only then), and
  // so does one the core's cycle estimate puts behind it.
  const speed = ctx.optimize === 'speed' ? searchFor(m, isa, plan.accType, 'speed', tune) : null;
  const fallback = speed && codeFits(speed.opt) ? speedFallback(speed, searchFor(m, isa, plan.accType, 'default', tune), tune) : null;
  const optimize = speed && !codeFits(speed.opt) ? 'default' : ctx.optimize;
  const { staging, opt } = searchFor(m, isa, plan.accType, fallback ? 'default' : optimize, tune);
  const pm = staging?.model ?? m;
  // Only the unrolled interior reads folded seeds: without one (every output touches the padding) there is no table.
  const folded = opt.fns.some((f) => f.kind === 'unrolled') ? foldedSeeds(pm, plan.accType) : null;
  const acc64 = plan.accType === 'int64_t';
  // SMLALxy has no ACLE intrinsic: one instruction of inline assembly per halves pair (int32 uses ACLE's SMLAxy).
  // int64 as two 32-bit halves where the state's register pairs cost moves and spills (the core's row: splitLong).
  // The single form keeps int64 accumulators (GCC schedules SMLAL well) except in depthwise-like kernels (one input
  // channel per group), where GCC's even register pairs spilled (arm926ej-s bench d q15 4.31 -> 3.66, arm920t
  // 3.71 -> 3.66; as halves elsewhere measured slower: arm920t bench a q15 2.08 -> 2.86).
  // dwpair's border functions are single's, its interior MACs halves (SMLALxy on the same split halves).
  const splitForms = tune.splitLong;
  const depthwiseForm = opt.macForm === 'single' || opt.macForm === 'dwpair';
  const splitPlain = depthwiseForm && acc64 && m.inPerGroup === 1 && splitForms.includes('single');
  const split = splitPlain || (acc64 && !depthwiseForm && splitForms.includes(opt.macForm));
  // Q formats: the rounding constant in every seed and, where provable, a 32-bit clamp (qfinish.ts). Border and
  // interior share the seeds: the output is the same function of the accumulator everywhere.
  const q = qFinish(m, plan);
  const qf = q && qFinishGains(q) ? q : null;
  return {
    staging, pm, opt, optimize, tune, speedFallback: fallback, folded, qf, split,
    // Split accumulators pinned to callee-saved registers (GCC local register variables, which asm operands honour):
    // left free, GCC 12 moved them between registers every few MACs when the registers ran short (arm926ej-s bench a
    // q15 1.79 -> 1.59 instructions/MAC, d q15 on both A32 cores 3.66 -> 3.50).
    pin: split && tune.pinSplit,
    storeBits: storeBits(opt.macForm, qf, m.numeric.storage, isa),
    noSchedule: noScheduleReason(opt.macForm, split, acc64 && m.inPerGroup === 1) ?? scheduledNoSchedule(tune, isa, pm, opt, plan.accType),
  };
}
