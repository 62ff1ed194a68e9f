/**
 * The pointwise family's plan: the MAC form and tile (forms.ts), the blocks of output channels with their packed
 * weights, the block functions (one per block class and pixel count) with their unrolling and pointer stepping, the
 * calls each run makes, and the output stage (the family's own where a cheaper exact form exists).
 */
import type { KernelModel } from '../../ops/conv_2d/spec/index.ts';
import type { IsaFeatures } from '../../targets/index.ts';
import type { AccumulatorPlan } from '../../codegen/accumulator.ts';
import { qFinish, type QFinish } from '../../codegen/qfinish.ts';
import type { OptimizeGoal } from '../family.ts';
import { foldedSeeds } from '../seeds.ts';
import { tuningOf } from '../../tuning/cores.ts';
import { lane2wAsmFits, laneAsmFits, quadAsmFits } from './lane-asm.ts';
import { LANE2_SHIFT } from '../lanes.ts';
import { smmlarStage, type SmmlarStage } from './smmlar-stage.ts';
import { chooseTile, formFor, formRows, geometry, isaRows, rawWeights, tileOptions, type FormRow, type Geometry, type MacForm, type Tile } from './forms.ts';
import { estimatedCyclesPerMac } from './cost.ts';

/** Whether the pointwise family generates this spec exactly on this ISA (otherwise `blocked` does). */
export function pointwiseApplies(m: KernelModel, plan: AccumulatorPlan, isa: IsaFeatures): boolean {
  if (m.kH !== 1 || m.kW !== 1 || m.groups !== 1) return false;
  // q31 products need 32x32->64 multiplies: Thumb-1 would call __aeabi_lmul per MAC.
  if (m.numeric.storage.bits === 32 && (isa.state === 'thumb1' || !isa.longMultiply)) return false;
  if (m.numeric.inputOffset !== 0 && foldedSeeds(m, plan.accType) === null) return false;
  const geo = geometry(m);
  // Every output in the padding: nothing to multiply, and the GEMM's input and weights would go unused.
  if (geo.span === 0) return false;
  return chooseTile(m, isa, plan.accType, formFor(m, isa), geo) !== null;
}

/* ---------------------------------------------------------------------------------------------------------------
 * Code shapes: one function per (channel block class, pixels per block). A step's C statements are ops, each with

/** Words one step of a block of n channels takes in the main weight array. */
export function wordsPerStep(form: MacForm, n: number): number {
  return form === 'halves' || form === 'halves-pixels' || form === 'lane2w' ? n / 2 : form === 'quad-widened' ? 2 * n : n;
}

/** The main weight array of one block of channels o0..o0+n-1, steps of `unit` channels. */
function packBlock(form: MacForm, m: KernelModel, o0: number, n: number, steps: number, unit: number): number[] {
  const K = m.inC;
  const w = (o: number, c: number) => m.weights[o * K + c];
  const out: number[] = [];
  for (let s = 0; s < steps; s++) {
    const c = s * unit;
    if (rawWeights(form)) for (let j = 0; j < n; j++) out.push(w(o0 + j, c));
    else if (form === 'halves' || form === 'halves-pixels')
      // Low half: channel o (SMLAxB), high half: channel o+1 (SMLAxT).
      for (let i = 0; i < n / 2; i++) out.push((w(o0 + 2 * i, c) & 0xffff) | (w(o0 + 2 * i + 1, c) << 16));
    else if (form === 'lane2w')
      // Channel o in the low lane, o+1 from bit 23 (|w| <= 128: the word stays inside int32).
      for (let i = 0; i < n / 2; i++) out.push(w(o0 + 2 * i, c) + w(o0 + 2 * i + 1, c) * 2 ** LANE2_SHIFT);
    else if (form === 'dual')
      // Low half: input channel c, high half: c+1, as SMLAD pairs the input word.
      for (let j = 0; j < n; j++) out.push((w(o0 + j, c) & 0xffff) | (w(o0 + j, c + 1) << 16));
    else if (form === 'quad-widened')
      // The pairs SXTB16 makes of the input word: (c, c+2), then (c+1, c+3).
      for (let j = 0; j < n; j++) {
        out.push((w(o0 + j, c) & 0xffff) | (w(o0 + j, c + 2) << 16));
        out.push((w(o0 + j, c + 1) & 0xffff) | (w(o0 + j, c + 3) << 16));
      }
    else
      // The four int8 weights of channels c..c+3 as they lie in memory (little-endian), unpacked like the input.
      for (let j = 0; j < n; j++)
        out.push((w(o0 + j, c) & 0xff) | ((w(o0 + j, c + 1) & 0xff) << 8) | ((w(o0 + j, c + 2) & 0xff) << 16) | (w(o0 + j, c + 3) << 24));
  }
  return out;
}

export interface BlockClass {
  /** Channels per block and how many blocks; the first channel. */
  size: number;
  blocks: number;
  first: number;
  form: FormRow;
  steps: number;
  kTail: number;
  weights: number[];
  kTailWeights: number[];
  wordsPerBlock: number;
  kTailPerBlock: number;
  /** The block functions the run calls over its pixels, in order. */
  calls: BlockCall[];
  /** halves-pixels: the calls when the input is word-aligned, and when it is off by a halfword (calls is empty). */
  wordPairs: { aligned: BlockCall[]; shifted: BlockCall[] } | null;
}

/** One block function: `size` output channels x `pb` pixels of a block class. */
export interface BlockFn {
  name: string;
  size: number;
  pb: number;
  /** The class's form, or the form an odd pixel remainder takes in the same weight layout (lane2: plain,
   *  halves-pixels: halves). */
  form: MacForm;
  /** The class's form (its unit and weight words per step). */
  classForm: FormRow;
  /** Steps per loop iteration (0: no loop) and the loop's iterations. */
  unroll: number;
  iters: number;
  /** Input channels after the steps, multiplied plainly. */
  kTail: number;
  /** The input pointer steps channel by channel (CHW where load offsets are short: A32, Thumb-1). */
  advance: boolean;
  /** The step's pixel-0 load goes last, post-indexed by the channel plane (A32). */
  post: boolean;
  /** lane2 (one pixel pair), lane2w, int8 halves or quad-widened: each loop iteration's steps as inline assembly,
   *  loads ahead of their use or back to back (lane-asm.ts). */
  laneAsm: boolean;
}

/** A call of a block function over `count` consecutive pixel blocks from pixel `skip` of the run. */
export interface BlockCall {
  fn: BlockFn;
  /** Elements from the run's first input and output pixel. */
  inOff: number;
  outOff: number;
  count: number;
}

export interface PointwisePlan {
  form: FormRow;
  tile: Tile;
  geo: Geometry;
  classes: BlockClass[];
  /** Pixel counts of the block functions: the tile's and the run's remainder. */
  pixelSizes: { pb: number; count: number; skip: number }[];
  folded: bigint[] | null;
  /** The block functions in the order they are defined. */
  fns: BlockFn[];
  /** The family's own output stage, or null for the common finish. */
  finish: PointwiseFinish | null;
  /** Speed on a core with a cycle estimate (cost.ts): the two goals' estimated cycles per MAC. */
  estimate?: { speed: number; default: number };
  /** Speed's estimate was above default's: this is default's plan. */
  speedFallback?: boolean;
}

/** Tiles of speed's form whose plans the cycle estimate compares (the cheapest by the instruction estimate). */
const SPEED_TILE_CANDIDATES = 8;

export function planPointwise(m: KernelModel, plan: AccumulatorPlan, isa: IsaFeatures, optimize: OptimizeGoal = 'default'): PointwisePlan {
  const geo = geometry(m);
  const form = formFor(m, isa, optimize);
  const defaultForm = formFor(m, isa, 'default');
  if (optimize !== 'speed' || !tuningOf(isa).pointwiseCycles || form === defaultForm) {
    const tile = chooseTile(m, isa, plan.accType, form, geo);
    if (!tile) throw new Error('planPointwise: no tile fits (applies should have refused)');
    return buildPlan(m, plan, isa, form, tile, geo, optimize);
  }
  // Speed on a core with a cycle estimate (cost.ts): the cheapest of its form's tiles by estimated cycles, taken only
  // where that is not above default's plan; otherwise default's plan.
  const defTile = chooseTile(m, isa, plan.accType, defaultForm, geo);
  if (!defTile) throw new Error('planPointwise: no tile fits (applies should have refused)');
  const def = buildPlan(m, plan, isa, defaultForm, defTile, geo, 'default');
  const defCycles = estimatedCyclesPerMac(m, isa, def, plan.accType)!;
  let best: { p: PointwisePlan; cycles: number } | null = null;
  for (const tile of tileOptions(m, isa, plan.accType, form, geo).slice(0, SPEED_TILE_CANDIDATES)) {
    const p = buildPlan(m, plan, isa, form, tile, geo, 'speed');
    const cycles = estimatedCyclesPerMac(m, isa, p, plan.accType)!;
    if (!best || cycles < best.cycles) best = { p, cycles };
  }
  if (best && best.cycles <= defCycles) return { ...best.p, estimate: { speed: best.cycles, default: defCycles } };
  return { ...def, estimate: { speed: best?.cycles ?? defCycles, default: defCycles }, speedFallback: true };
}

function buildPlan(m: KernelModel, plan: AccumulatorPlan, isa: IsaFeatures, form: FormRow, tile: Tile, geo: Geometry, optimize: OptimizeGoal): PointwisePlan {
  const plainRow = formRows[formRows.length - 1];
  const sizes: { size: number; blocks: number; first: number }[] = [];
  const full = Math.floor(m.outC / tile.ob);
  if (full > 0) sizes.push({ size: tile.ob, blocks: full, first: 0 });
  if (m.outC % tile.ob) sizes.push({ size: m.outC % tile.ob, blocks: 1, first: full * tile.ob });
  const pixelSizes: PointwisePlan['pixelSizes'] = [];
  const pb = Math.min(tile.pb, Math.max(1, geo.span));
  if (geo.span >= pb && geo.span > 0) pixelSizes.push({ pb, count: Math.floor(geo.span / pb), skip: 0 });
  if (geo.span % pb) pixelSizes.push({ pb: geo.span % pb, count: 1, skip: Math.floor(geo.span / pb) * pb });
  const fns: BlockFn[] = [];
  const hwc = m.layout === 'hwc';
  const classes = sizes.map(({ size, blocks, first }): BlockClass => {
    // Halfword pairs of output channels need an even block; an odd tail block multiplies plainly.
    const f = (form.form === 'halves' || form.form === 'halves-pixels' || form.form === 'lane2w') && size % 2 !== 0 ? plainRow : form;
    const steps = Math.floor(m.inC / f.unit);
    const kTail = m.inC - steps * f.unit;
    const weights: number[] = [];
    const kTailWeights: number[] = [];
    for (let b = 0; b < blocks; b++) {
      const o0 = first + b * size;
      weights.push(...packBlock(f.form, m, o0, size, steps, f.unit));
      for (let c = steps * f.unit; c < m.inC; c++) for (let j = 0; j < size; j++) kTailWeights.push(m.weights[(o0 + j) * m.inC + c]);
    }
    const built = new Map<number, BlockFn>();
    const fnFor = (pb: number): BlockFn => {
      const had = built.get(pb);
      if (had) return had;
      const fnForm: MacForm = f.form === 'lane2' && pb % 2 !== 0 ? 'plain' : f.form === 'halves-pixels' && pb % 2 !== 0 ? 'halves' : f.form;
      const u = Math.min(tile.u, steps) || 1;
      const unroll = steps > 0 ? (steps % u === 0 ? u : 1) : 0;
      // A32 and Thumb-1 load offsets are short: step the input pointer channel by channel instead of reaching
      // a channel plane away (CHW), which would need an address register per load.
      const advance = !hwc && isaRows[isa.state].chwStepAdd > 0;
      // Post-indexed loads replace the plain form's px[0] load of a unit-channel step (CHW). Not lane2: its packing
      // temporary and the stride register outgrow the register file (measured: spills cost more than the adds).
      const post = advance && isaRows[isa.state].postIndex && (fnForm === 'plain' || fnForm === 'halves' || fnForm === 'halves-pixels') && f.unit === 1;
      const ci = hwc ? 1 : m.inH * m.inW;
      const shape = { n: size, pb, steps: unroll, inPixel: geo.inPixel, inStep: advance ? 0 : f.unit * ci, advance: advance ? f.unit * ci : 0 };
      const halves8 = fnForm === 'halves' && m.numeric.storage.bits === 8 && plan.accType === 'int32_t';
      // Fully unrolled steps only: a loop counter live across the fourteen-register statement leaves GCC no register
      // under -fno-omit-frame-pointer (the attribute that frees the frame pointer does not help there).
      const laneAsm = unroll === steps && ((tuningOf(isa).pointwiseLaneAsm && ((fnForm === 'lane2' && pb === 2 && laneAsmFits(shape)) ||
        ((fnForm === 'lane2w' || halves8) && lane2wAsmFits(shape)))) ||
        (tuningOf(isa).pointwiseQuadAsm && fnForm === 'quad-widened' && quadAsmFits(shape)));
      const fn: BlockFn = {
        name: `block${fns.length}_o${size}_p${pb}`, size, pb, form: fnForm, classForm: f, unroll, iters: unroll > 0 ? steps / unroll : 0, kTail, advance,
        post: post && !laneAsm, laneAsm,
      };
      fns.push(fn);
      built.set(pb, fn);
      return fn;
    };
    const call = (pb: number, count: number, skip: number): BlockCall => ({ fn: fnFor(pb), inOff: skip * geo.inPixel, outOff: skip * (hwc ? m.outC : 1), count });
    const span = geo.span;
    // halves-pixels: pairs from pixel 0 when the input is word-aligned, from pixel 1 when it is off by a halfword.
    const wordPairs = f.form !== 'halves-pixels' ? null : {
      aligned: [call(2, Math.floor(span / 2), 0), ...(span % 2 ? [call(1, 1, span - 1)] : [])],
      shifted: [call(1, 1, 0), ...(span > 2 ? [call(2, Math.floor((span - 1) / 2), 1)] : []), ...((span - 1) % 2 ? [call(1, 1, span - 1)] : [])],
    };
    return {
      size, blocks, first, form: f, steps, kTail, weights, kTailWeights,
      wordsPerBlock: steps * wordsPerStep(f.form, size), kTailPerBlock: kTail * size,
      calls: wordPairs ? [] : pixelSizes.map((s) => call(s.pb, s.count, s.skip)), wordPairs,
    };
  });
  const folded = foldedSeeds(m, plan.accType);
  const finish = pointwiseFinish(m, plan, isa, folded, optimize, fns.some((f) => f.laneAsm && f.unroll > 0));
  // The 32-bit stage doubles the accumulator first (SMMULR(2acc, M)): with pre-widened weights and seeds doubled
  // instead (2w fits int16) the loops make 2acc and the stage saves an instruction per output (bench c on Cortex-M4,
  // speed, 1.571 -> 1.545 cycles/MAC; the row says where). Not with an input-channel tail: its weights stay raw int8.
  if (finish?.kind === 'rq-smmlar' && tuningOf(isa).pointwiseSmmlarStage === 'doubled' && folded &&
    classes.every((c) => c.form.form === 'quad-widened' && c.kTail === 0)) {
    for (const c of classes) c.weights = c.weights.map(doubledPair);
    return { form, tile, geo, classes, pixelSizes, folded: folded.map((v) => 2n * v), fns, finish: { ...finish, doubled: true } };
  }
  return { form, tile, geo, classes, pixelSizes, folded, fns, finish };
}

/** A word of two int16 lanes with each lane doubled (|lane| <= 128 before). */
const doubledPair = (w: number): number => {
  const lo = ((w & 0xffff) ^ 0x8000) - 0x8000;
  const hi = w >> 16;
  return ((2 * lo) & 0xffff) | ((2 * hi) << 16);
};

/**
 * The pointwise output stage, where a cheaper exact form exists (otherwise the common finish):
 * - int8 ('rq'): TFLite's RoundingDivideByPOT(SRDHM(x, M), e) + offset for e >= 1 is one 64-bit multiply-add and one
 *   shift: with t = x*M + 2^30 (SRDHM = floor(t / 2^31)) and s < 0 exactly when t < 0,
 *   RDBPOT(s, e) + offset = floor((t + c*2^31) / 2^(31+e)), c = 2^(e-1) + offset*2^e - [t < 0],
 *   and t < 0 exactly when x + floor(2^30/M) < 0 (M > 0). The 64-bit addend is 2^30 | (c & 1) << 31 (low word),
 *   c >> 1 (high word); the result is the high word shifted right by e-1. test/codegen/pointwise-finish.test.ts
 *   checks this identity against the golden requantization.
 * - Q formats ('q'): the rounding constant is folded into the seeds, and where the shifted accumulator provably fits
 *   int32 it is narrowed before the clamp (a 64-bit accumulator then clamps in 32 bits).
 */
export type PointwiseFinish =
  | { kind: 'rq'; k: number; m: number[]; s: number[]; q: number; left: number; lo: number; hi: number }
  | SmmlarStage
  | ({ kind: 'q' } & QFinish);

export function pointwiseFinish(m: KernelModel, plan: AccumulatorPlan, isa: IsaFeatures, folded: bigint[] | null, optimize: OptimizeGoal = 'default',
  asm = false): PointwiseFinish | null {
  // Thumb-1 multiplies 64-bit through a library call either way.
  if (!isa.longMultiply || isa.state === 'thumb1') return null;
  const st = plan.stage;
  const nf = m.numeric;
  if (st.kind === 'requantize' && nf.kind === 'int8') {
    // In 32 bits where the bound allows it and the core takes it (smmlar-stage.ts), under speed and around the quad
    // assembly: its records take 12 bytes a channel where M and s take 5 (by default keyword spotting's parameters
    // +1,800 B for 1% fewer cycles), and beside C steps it measured slower as often as faster (Cortex-M7 1x1 64 -> 64
    // on 25 x 5 0.911 -> 0.926, Cortex-M4 640 -> 128 on one pixel with a step loop 1.71 -> 1.83).
    const short = optimize === 'speed' && asm ? smmlarStage(m, plan, isa) : null;
    if (short) return short;
    if (st.saturate || plan.accType !== 'int32_t') return null;
    if (!st.left.every((l) => l === st.left[0]) || st.right.some((e) => e < 1) || st.multiplier.some((v) => v <= 0)) return null;
    const qs = st.multiplier.map((v) => Math.floor(2 ** 30 / v));
    if (!qs.every((q) => q === qs[0])) return null;
    const left = st.left[0];
    // x + q must not wrap: |x| <= bound * 2^left (no saturation: proved to fit int32).
    if ((plan.bound << BigInt(left)) + BigInt(qs[0]) >= 2n ** 31n) return null;
    // c = 2^(e-1) + offset·2^e = k·2^(e-1) with k = 2·offset + 1.
    const k = 2 * st.outputOffset + 1;
    if (st.right.some((e) => k * 2 ** (e - 1) - 1 < -(2 ** 31) || k * 2 ** (e - 1) > 2 ** 31 - 1)) return null;
    return {
      kind: 'rq', left, q: qs[0], lo: st.lo, hi: st.hi,
      k, m: st.multiplier, s: st.right.map((e) => e - 1),
    };
  }
  if (folded !== null) return null;
  const q = qFinish(m, plan);
  return q ? { kind: 'q', ...q } : null;
}
