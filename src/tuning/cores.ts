/**
 * Tuning as rows per core: the numbers the blocked family plans with (register and code budgets, the code-size
 * model's coefficients, the lane blockings GCC compiles well, where the input pointer is re-anchored, which 64-bit
 * accumulators are split and pinned). A target names its row (IsaFeatures.core); boards share their core's row.
 * Every value carries a `measured:` note saying where it came from, so tuning one core apart from another (M7 apart
 * from M4) is an edit of its row. Facts of the instruction set itself (load offsets' reach) stay with the ISA.
 *
 * Figures are GCC 12.2 -O2 under QEMU, instructions per MAC unless they say cycles (docs/cycles.md's models).
 */
import type { FormVariant, MacForm } from '../families/blocked/plan.ts';

export type CoreId = 'arm920t' | 'arm926ej-s' | 'cortex-m0' | 'cortex-m3' | 'cortex-m4' | 'cortex-m7' | 'cortex-m33' | 'cortex-m55'
  | 'cortex-a9' | 'host';

/** The pointwise family's cycle estimate (families/pointwise/cost.ts): cycles per output and per channel of a pixel
 *  block (C steps, and around the assembly statement), and the factor on C steps whose tile outgrows the registers. */
export interface PointwiseCycles { perOutput: number; perChannel: number; perChannelAsm: number; spillFactor: number }

/** Code-size model of one block function, bytes (see fnBytes in families/blocked/cost.ts). */
export interface CodeCost {
  instr: number; fn: number; accInt8: number; accQ: number; accCall: number; finishBody: number;
  /** An int8 accumulator's inlined output stage in the DSP form (dspRequantize), in place of accInt8. */
  accInt8Dsp: number;
}

export interface CoreValues {
  /** Registers a compiler can keep values in, after sp, pc and the loop's pointers. */
  registers: number;
  /** Estimated .text (fnBytes' upper bound) the blocked kernel stays under. */
  codeBudget: number;
  codeCost: CodeCost;
  /** lane2 blockings GCC compiles well: at least minOb channels and minPairs lane pairs, extraRegs over the count. */
  lane2: { minOb: number; minPairs: number; extraRegs: number };
  /** lane2w blockings: at least minOb channels, at most maxPairs lane pairs, extraRegs over the count. */
  lane2w: { minOb: number; maxPairs: number; extraRegs: number };
  /** `form/bits` whose channel loop re-anchors its input pointer each iteration (an empty asm). */
  anchorInput: readonly string[];
  /** Forms whose 64-bit accumulators are kept as two 32-bit halves updated by inline assembly. */
  splitLong: readonly MacForm[];
  /** Split accumulators are pinned to callee-saved registers. */
  pinSplit: boolean;
  /**
   * The multiplier terminates early by the significant bytes of Rs alone (ARM9TDMI), so a multiply's smaller
   * operand goes in Rs; elsewhere the order stays as the forms define it (timing fixed, or both operands count).
   */
  earlyTerminationRs: boolean;
  /**
   * single's 32-bit multiply-accumulates as SMLABB (ARMv5TE, the operands' bottom halves) where both operands fit 16
   * bits: one cycle where MLA takes two (ARM9E-S); the product and sum are MLA's.
   */
  smlabbSingle: boolean;
  /**
   * MAC forms whose taps are emitted as A32 inline assembly with each weight loaded one weight ahead, before the
   * previous weight's multiplies (families/blocked/asm-arm9.ts): in C, GCC puts each multiply right after the load of
   * its weight (the ARM9 cores' byte load-use interlock, 2 cycles). `single`: kernels with a channel loop;
   * `single/depthwise`: one input channel per group. Empty: the forms' C.
   */
  scheduledLoads: readonly ('single' | 'single/depthwise')[];
  /**
   * The pointwise family's `--optimize speed` form: int8 weights pre-widened to int16 pairs (twice the flash) so
   * that no SXTB16 unpacks them in the loop, taken for output planes of at most this many pixels. Where a weight is
   * reused over several pixels its unpack can cost less than the extra loads (Cortex-M7's dual issue).
   */
  pointwiseWidenedMaxPixels: number;
  /**
   * The pointwise family's lane2 steps (two pixels packed, HWC) as inline assembly with every load issued ahead of
   * its use (GCC gives a block's weights one register, so each SMLAL waits on the LDRSB of its Rs).
   */
  pointwiseLaneAsm: boolean;
  /**
   * The pointwise family's `--optimize speed` form on A32: int8 weights of two output channels packed in one word
   * (w0 + w1*2^23, twice the flash) multiplied by the input byte as SMLAL's Rs: no packing ADD per input channel and
   * one word load per two weights.
   */
  pointwiseLane2w: boolean;
  /**
   * The pointwise family's `--optimize speed` form for int8 data on ARMv5TE: two output channels' weights widened to
   * the int16 halves of one word (twice the flash) for SMLABB/SMLABT, one-cycle 16-bit MACs on the ARM9E-S.
   */
  pointwiseHalves8: boolean;
  /**
   * The pointwise family's pre-widened quad steps (`--optimize speed`, Thumb-2) as inline assembly with each step's
   * loads back to back (a load after a load pipelines on the Cortex-M4 model).
   */
  pointwiseQuadAsm: boolean;
  /**
   * The pointwise family's int8 output stage in 32 bits (families/pointwise/smmlar-stage.ts: SMMLAR and a shift, one
   * per-channel record loaded per pixel block) where the accumulator bound allows it, in place of the 64-bit SMLAL
   * form. Thumb-2 DSP cores only. 'doubled': the pre-widened weights and seeds doubled as well, so that the loops
   * make the 2acc the stage multiplies (one instruction less per output).
   */
  pointwiseSmmlarStage: false | 'stage' | 'doubled';
  /**
   * The pointwise family's cycle estimate of a plan (families/pointwise/cost.ts); `--optimize speed` takes its own
   * plan only where that estimate is not above default's. Null: no estimate, speed plans by its form rows.
   */
  pointwiseCycles: PointwiseCycles | null;
  /**
   * `--optimize speed`'s quad (weights pre-widened) prints its interior kernel rows as inline assembly
   * (families/blocked/asm-m.ts): each input word loaded just before its first tap, a channel's two weight words in one
   * LDRD. Thumb-2 DSP cores only.
   */
  quadAsmRows: boolean;
  /**
   * The blocked family's int8 output stage in 32-bit DSP instructions (SMMLAR, SSAT; src/ir/requantize-dsp.ts) where
   * the proved bound allows it, in place of the 64-bit SRDHM and the variable-shift rounding. ARMv7E-M cores only.
   */
  dspRequantize: boolean;
  /**
   * The planner's cycle estimate (families/blocked/cost.ts, estimatedCycles): cycles per instruction of the
   * interior's instruction estimate, per form variant (the MAC form and how its weights load). A variant without a
   * value counts 1 (the estimate stays in instructions).
   */
  cyclesPerInstruction: Partial<Record<FormVariant, number>>;
  /**
   * Cycles per MAC of the multiply instructions themselves, per form variant, from the core's cycle table: where a
   * variant has one, estimatedCycles is these plus cyclesPerInstruction for every other instruction (the loads, loop
   * and output stage), which are much cheaper than a multi-cycle multiply; without, cyclesPerInstruction for all.
   */
  macCycles: Partial<Record<FormVariant, number>>;
  /**
   * Instructions per output the int8 output stage takes beyond the 10 the interior's estimate counts, inlined and
   * called (call included), or null: not counted (estimatedCycles).
   */
  int8StageInstructions: { inline: number; called: number } | null;
  /**
   * `--optimize speed` takes its own plan only where that is estimated faster than default's by more than this
   * fraction (the estimate's error between two plans of one kernel on this core); otherwise default's plan.
   */
  speedMargin: number;
}

export interface CoreTuning extends CoreValues {
  core: CoreId;
  /** Where each value came from. */
  measured: Record<keyof CoreValues, string>;
}

/**
 * Estimated .text the Thumb and host rows stay under: fnBytes() is an upper bound (fitted on the bench specs and
 * examples on every QEMU target, checked by test/codegen/code-size.test.ts), so the real .text stays under 4 KiB with
 * ~200 bytes to spare.
 */
const CODE_BUDGET = 3900;

const noLanes = { lane2: { minOb: Infinity, minPairs: Infinity, extraRegs: 0 }, lane2w: { minOb: Infinity, maxPairs: 0, extraRegs: 0 } };
const noLaneNotes = {
  lane2: 'not applicable: no lane forms on this core (no SMLAL in this state, or SIMD forms win)',
  lane2w: 'not applicable: no lane forms on this core (no SMLAL in this state, or SIMD forms win)',
};

/**
 * Where every base row starts for the per-core switches and cycle coefficients: each form and assembly path off, no
 * cycle coefficients (plans compared in instructions), no margin. A core turns on what it measured, in its own row;
 * each base row's `measured` notes say why the value stays here.
 */
const untuned: Pick<CoreValues, 'earlyTerminationRs' | 'smlabbSingle' | 'scheduledLoads' | 'pointwiseWidenedMaxPixels'
  | 'pointwiseLaneAsm' | 'pointwiseLane2w' | 'pointwiseHalves8' | 'pointwiseQuadAsm' | 'pointwiseSmmlarStage' | 'pointwiseCycles' | 'quadAsmRows'
  | 'dspRequantize' | 'cyclesPerInstruction'
  | 'macCycles' | 'int8StageInstructions' | 'speedMargin'> = {
  earlyTerminationRs: false,
  smlabbSingle: false,
  scheduledLoads: [],
  pointwiseWidenedMaxPixels: Infinity,
  pointwiseLaneAsm: false,
  pointwiseLane2w: false,
  pointwiseHalves8: false,
  pointwiseQuadAsm: false,
  pointwiseSmmlarStage: false,
  pointwiseCycles: null,
  quadAsmRows: false,
  dspRequantize: false,
  cyclesPerInstruction: {},
  macCycles: {},
  int8StageInstructions: null,
  speedMargin: 0,
};

/** The two A32 cores without SIMD (ARMv4T, ARMv5TE): one set of measurements so far, taken on both. */
const a32: Omit<CoreTuning, 'core'> = {
  registers: 10,
  codeBudget: 4096,
  codeCost: { instr: 5, fn: 405, accInt8: 186, accQ: 34, accCall: 16, finishBody: 0, accInt8Dsp: 186 },
  lane2: { minOb: 2, minPairs: 3, extraRegs: 0 },
  lane2w: { minOb: 2, maxPairs: 3, extraRegs: 0 },
  anchorInput: ['single/8', 'lane2/8', 'lane2w/8'],
  splitLong: ['taps', 'halves', 'single'],
  pinSplit: true,
  ...untuned,
  measured: {
    registers: 'carried over from the A32 row of the ISA-state table (r0-r12 and lr less the loop pointers); not re-measured per core',
    codeBudget: 'the full 4 KiB: the A32 code model is itself a tight upper bound (margin in the model, not the budget)',
    codeCost: 'the least total over-estimate (a linear program) at or above the real .text of every bench spec and example x every register-feasible blocking x every output-stage placement on arm920t, arm926ej-s and cortex-a9 (489 kernels; smallest margin 87 B, mean ~590)',
    lane2: 'with two lane pairs GCC moves the (lo, hi) pairs between registers every iteration: bench a 2 x 2 2.48 against single\'s 2.17; one channel (1 x 4) slower than single on bench e',
    lane2w: 'forced blockings on arm920t: 2 x 3 best for q7 (a 1.41, e 1.25); four pairs spill (4 x 2 a q7 1.49, b q7 1.95; 2 x 4 a q7 1.63, b int8 2.97 against 2.53); 4 x 1 a q7 1.66',
    anchorInput: 'arm920t a q7 1.90 -> 1.81, d q7 3.44 -> 3.01, e q7 2.16 -> 1.98, f q7 2.29 -> 2.09, d int8 7.82 -> 7.56; lane2w 2 x 3 a q7 1.57 -> 1.41, a int8 1.85 -> 1.72; not 16-bit (arm920t e q15 2.21 -> 2.42)',
    splitLong: 'GCC 12 keeps int64 in even register pairs and spills them on A32 (taps, halves); single only depthwise-like: arm926ej-s bench d q15 4.31 -> 3.66, arm920t 3.71 -> 3.66',
    pinSplit: 'left free GCC moved split halves between registers every few MACs: arm926ej-s bench a q15 1.79 -> 1.59, d q15 on both A32 cores 3.66 -> 3.50',
    earlyTerminationRs: 'fixed multiply timings on ARM9E-S (ARM926EJ-S) and in the Cortex-A9 model (docs/cycles.md): the order does not matter',
    smlabbSingle: 'ARMv4T has no SMLAxy; Cortex-A9 not measured (only a rough cycle figure)',
    scheduledLoads: 'Cortex-A9 not measured (only a rough cycle figure): the forms\' C',
    pointwiseWidenedMaxPixels: 'the form needs SXTB16: never applies on ARMv4T/ARMv5TE; Cortex-A9 not measured (NEON takes its 1x1 int8 HWC layers), left on',
    pointwiseLaneAsm: 'Cortex-A9 not measured (only a rough cycle figure): the C steps',
    pointwiseLane2w: 'Cortex-A9 not measured (only a rough cycle figure)',
    pointwiseHalves8: 'ARMv4T has no SMLAxy; Cortex-A9 not measured (only a rough cycle figure)',
    pointwiseQuadAsm: 'Thumb-2 assembly; Cortex-A9 not measured (NEON takes its 1x1 int8 HWC layers)',
    pointwiseSmmlarStage: 'Thumb-2 only: no SMMLAR on ARMv4T/ARMv5TE; Cortex-A9 not measured (only a rough cycle figure)',
    pointwiseCycles: 'not fitted on the A32 cores: speed plans by the form rows (measured faster there, docs/cycles.md)',
    quadAsmRows: 'Thumb-2 assembly: not for A32 (Cortex-A9 not measured)',
    dspRequantize: 'no SMMLAR before ARMv6; Cortex-A9 not measured (only a rough cycle figure)',
    cyclesPerInstruction: 'none measured (Cortex-A9: only a rough cycle figure): plans compared in instructions',
    macCycles: 'none: every instruction at cyclesPerInstruction',
    int8StageInstructions: 'not counted: a constant per kernel where every instruction costs alike',
    speedMargin: 'none measured: speed\'s plan wherever its estimate is not above default\'s',
  },
};

/** Thumb-2 cores (Cortex-M3/M4/M7/M33/M55): one set of measurements so far, mostly on Cortex-M3 and M4. */
const thumb2: Omit<CoreTuning, 'core'> = {
  registers: 9,
  codeBudget: CODE_BUDGET,
  codeCost: { instr: 5, fn: 150, accInt8: 160, accQ: 70, accCall: 40, finishBody: 200, accInt8Dsp: 50 },
  lane2: { minOb: 2, minPairs: 2, extraRegs: 1 },
  lane2w: { minOb: 2, maxPairs: 3, extraRegs: 0 },
  anchorInput: ['quad/8', 'taps/16', 'taps8/8'],
  splitLong: ['dual'],
  pinSplit: false,
  ...untuned,
  measured: {
    registers: 'carried over from the Thumb-2 row of the ISA-state table; not re-measured per core',
    codeBudget: 'CODE_BUDGET: fnBytes is an upper bound, so real .text stays under 4 KiB with ~200 B to spare (code-size.test.ts)',
    codeCost: 'fitted by least squares on measured Thumb-2 .text, then rounded up so that every measured kernel is at or under it (code-size.test.ts); accInt8Dsp (the DSP stage inlined): 50, the stage measured about 30 B an accumulator in bench a\'s interior and about 45 B in e\'s border functions; the estimate stayed at or above the real .text on the bench specs and on 186 random int8 HWC blocked kernels on the M4, M33 and M7, both goals (smallest margin 368 B, 2026-12-07)',
    lane2: '4 x 2 without spills on cortex-m3 with one register over the count (1.89 on bench a)',
    lane2w: 'forced blockings on cortex-m3: 2 x 3 best for q7 (a 1.06, e 1.18); 4 x 2 a q7 1.15, b q7 1.57; 2 x 4 a q7 1.39; 4 x 1 a q7 1.40',
    anchorInput: 'cortex-m4 a int8 (quad) 1.66 -> 1.56, b q15 (taps) 2.62 -> 2.45, a q7 (taps8) 1.51 -> 1.46; not single (cortex-m3 d q15 2.89 -> 3.03) nor lane2w (cortex-m3 a q7 2.498 M -> 2.508 M instructions)',
    splitLong: 'dual\'s SMLALD accumulators as halves: HWC q15 3x3 16->16 cortex-m4 1.82 -> 1.52 (i+ld+st)/MAC, bench e q15 4.42 M -> 4.14 M instructions, cortex-m7 5.22 M -> 4.14 M; taps slower as halves',
    pinSplit: 'dual measured slower pinned: cortex-m4 bench a q15 2.76 M -> 2.81 M instructions, f 0.80 M -> 0.93 M',
    earlyTerminationRs: 'Cortex-M3 terminates early by both operands (docs/cycles.md, e counts each); M4/M7/M33/M55 multiply in one cycle: the order does not matter',
    smlabbSingle: 'MLA takes one cycle on the DSP cores (M4, M7, M33, M55; docs/cycles.md), as SMLABB does; the M3 has no SMLAxy',
    scheduledLoads: 'A32 assembly (ARM9 cores) only; the Cortex-M loads pipeline differently (docs/cycles.md item 5)',
    pointwiseLaneAsm: 'the scheduled lane2 steps are A32 assembly; Thumb-2 cores multiply 1x1 int8 HWC with quad (SXTB16 + SMLAD)',
    pointwiseLane2w: 'an A32 form; Thumb-2 cores multiply 1x1 int8 with quad or the MLA form',
    pointwiseHalves8: 'the DSP cores take quad (SXTB16 + SMLAD) for HWC int8; not measured for CHW',
    pointwiseQuadAsm: 'no SXTB16 on the Cortex-M3; Cortex-M55 not measured (the MVE families take its int8 layers)',
    pointwiseSmmlarStage: 'no SMMLAR on the Cortex-M3; Cortex-M55 not measured (the MVE families take its int8 layers)',
    pointwiseCycles: 'fitted on the Cortex-M4 and M33 only (their rows); Cortex-M7 dual-issues (not fitted: it pre-widens on one pixel only), M3 and M55 plan speed as default here',
    pointwiseWidenedMaxPixels: 'estimated cycles/MAC, bench c int8 default (quad) -> speed (pre-widened): cortex-m4 2.04 -> 1.92, cortex-m33 2.10 -> 1.96 (make bench 2026-12-07); cortex-m4 1x1 640 -> 128 on one pixel 2.42 -> 1.75; cortex-m7 has its own value',
    quadAsmRows: 'off where not measured: Cortex-M3 has no SXTB16, Cortex-M55 runs the MVE families, Cortex-M7 keeps its dual-issue-scheduled C until measured',
    dspRequantize: 'off where not measured: the Cortex-M3 has no SMMLAR, Cortex-M55 runs the MVE families',
    cyclesPerInstruction: 'none measured (Cortex-M3: speed plans as default; M55: the MVE families): plans compared in instructions',
    macCycles: 'none: every instruction at cyclesPerInstruction (single-cycle MACs on M4/M7/M33)',
    int8StageInstructions: 'not counted: measured on the ARM9 cores only',
    speedMargin: 'none measured: speed\'s plan wherever its estimate is not above default\'s',
  },
};

const thumb1: Omit<CoreTuning, 'core'> = {
  registers: 4,
  codeBudget: CODE_BUDGET,
  codeCost: { instr: 9, fn: 100, accInt8: 260, accQ: 180, accCall: 40, finishBody: 300, accInt8Dsp: 260 },
  ...noLanes,
  anchorInput: [],
  splitLong: [],
  pinSplit: false,
  ...untuned,
  measured: {
    registers: 'carried over from the Thumb-1 row of the ISA-state table (8 low registers); not re-measured',
    codeBudget: 'CODE_BUDGET, as the Thumb-2 rows',
    codeCost: 'fitted by least squares on measured Thumb-1 .text, then rounded up (moves around the 8 low registers)',
    ...noLaneNotes,
    anchorInput: 'none measured faster',
    splitLong: 'no 64-bit multiply-accumulate instructions (libgcc calls)',
    pinSplit: 'nothing split',
    earlyTerminationRs: 'no SMLAL in Thumb-1',
    smlabbSingle: 'no SMLAxy in Thumb-1',
    scheduledLoads: 'A32 assembly only',
    pointwiseWidenedMaxPixels: 'the form needs SXTB16: never applies in Thumb-1',
    pointwiseLaneAsm: 'no SMLAL in Thumb-1',
    pointwiseLane2w: 'no SMLAL in Thumb-1',
    pointwiseHalves8: 'no SMLAxy in Thumb-1',
    pointwiseQuadAsm: 'no SXTB16 in Thumb-1',
    pointwiseSmmlarStage: 'no SMMLAR in Thumb-1',
    pointwiseCycles: 'none: speed plans as default in Thumb-1',
    quadAsmRows: 'no SXTB16 in Thumb-1',
    dspRequantize: 'no SMMLAR in Thumb-1',
    cyclesPerInstruction: 'none: speed plans as default in Thumb-1 (no form widens)',
    macCycles: 'none: speed plans as default in Thumb-1',
    int8StageInstructions: 'none: speed plans as default in Thumb-1',
    speedMargin: 'none: speed plans as default in Thumb-1',
  },
};

const host: Omit<CoreTuning, 'core'> = {
  registers: 10,
  codeBudget: CODE_BUDGET,
  codeCost: { instr: 5, fn: 400, accInt8: 170, accQ: 40, accCall: 40, finishBody: 240, accInt8Dsp: 170 },
  ...noLanes,
  anchorInput: [],
  splitLong: [],
  pinSplit: false,
  ...untuned,
  measured: {
    registers: 'the A32 figure (the host runs the portable blocked C; only its bit-exactness matters)',
    codeBudget: 'CODE_BUDGET, as the Thumb-2 rows',
    codeCost: 'fitted by least squares on measured .text, then rounded up (the host only needs a plan that builds)',
    ...noLaneNotes,
    anchorInput: 'no inline ARM assembly on the host',
    splitLong: 'no inline ARM assembly on the host',
    pinSplit: 'nothing split',
    earlyTerminationRs: 'no inline ARM assembly on the host',
    smlabbSingle: 'no ARM intrinsics on the host',
    scheduledLoads: 'no inline ARM assembly on the host',
    pointwiseWidenedMaxPixels: 'the form needs SXTB16: never applies on the host',
    pointwiseLaneAsm: 'no inline ARM assembly on the host',
    pointwiseLane2w: 'no SMLAL on the host',
    pointwiseHalves8: 'no ARM intrinsics on the host',
    pointwiseQuadAsm: 'no inline ARM assembly on the host',
    pointwiseSmmlarStage: 'no inline ARM assembly on the host',
    pointwiseCycles: 'no cycle model for the host',
    quadAsmRows: 'no inline ARM assembly on the host',
    dspRequantize: 'no ARM instructions on the host',
    cyclesPerInstruction: 'no cycle model for the host: plans compared in instructions',
    macCycles: 'no cycle model for the host',
    int8StageInstructions: 'no cycle model for the host',
    speedMargin: 'no cycle model for the host',
  },
};

export const coreTuning: Readonly<Record<CoreId, CoreTuning>> = {
  'arm920t': {
    core: 'arm920t', ...a32,
    lane2: noLanes.lane2,
    earlyTerminationRs: true,
    scheduledLoads: ['single', 'single/depthwise'],
    // per MAC: MLA with a byte in Rs 3 cycles, SMLAL with a byte in Rs 4 per two MACs (docs/cycles.md, ARM920T table)
    macCycles: { single: 3, lane2w: 2 },
    int8StageInstructions: { inline: 20, called: 9 },
    cyclesPerInstruction: { single: 1.12, lane2w: 1.62 },
    pointwiseLaneAsm: true,
    pointwiseLane2w: true,
    measured: {
      ...a32.measured,
      macCycles: 'the ARM9TDMI table (docs/cycles.md): MLA 2 + m, SMLAL 3 + m, m = 1 with a byte in Rs',
      int8StageInstructions: 'bench b, int8 against q7 (the same plans; q7\'s stage is within the estimate\'s 10), instructions/MAC x 27 MACs per output (2026-12-07, with the short rounding): single inlined 2.745 - 2.018 = 0.73 (20 per output), lane2w called 2.268 - 1.929 = 0.34 (9); before the short rounding 27 and 16',
      cyclesPerInstruction: 'with macCycles: (estimated cycles/MAC - macCycles) / (instruction estimate - multiplies + the int8 stage), mean over the bench kernels whose speed and default plans differ (measured 2026-12-07, single with its loads scheduled, int8 with the short rounding): single 1.12 (a int8 1.23, a q7 0.87, b int8 1.17, b q7 0.93, e int8 1.23, e q7 1.39, f q7 1.03), lane2w 1.62 (1.47, 1.67, 1.46, 1.49, 1.81, 1.70, 1.74). One coefficient for all instructions (2.28 and 2.67) put b int8\'s lane2w behind single (4.99 against 4.69; measured 4.70 against 5.42)',
      scheduledLoads: 'estimated cycles/MAC, default (single, MLA), C -> weights and new inputs loaded ahead in assembly (2026-12-07): int8 a 4.22 -> 4.12, b 5.57 -> 5.39, d 11.32 -> 9.30, e 4.31 -> 4.00; q7 a 3.74 -> 3.66, b 4.13 -> 3.98, d 5.48 -> 5.31, e 4.27 -> 4.03, f 4.46 -> 3.89 (interlocks e q7 0.38 -> 0.13 cycles/MAC)',
      speedMargin: 'no bench kernel measured speed slower where the estimate put it ahead (b int8: estimated 4.76 against 5.02, measured 4.48 against 5.11)',
      lane2: 'estimated cycles/MAC, default: single (MLA, byte weight as Rs) beats lane2 (each SMLAL right after the LDRSB of its Rs: 2-cycle interlocks): int8 a 4.31 -> 4.22, q7 a 4.19 -> 3.74, q7 b 4.61 -> 4.13; b, e int8 and e, f q7 unchanged (single already). Revisit with the loads scheduled ahead (docs/cycles.md item 2: lane2 3.84 on int8 a)',
      pointwiseLaneAsm: 'estimated cycles/MAC, default, lane2 from C to the scheduled assembly (2026-12-07): bench c int8 5.03 -> 3.70 (interlocks 1.32 -> 0), q7 4.45 -> 3.40; fully unrolled step loops only (1x1 64->64 on 25x5, kws\'s pointwise layers, loops: C, 4.79); GCC only, clang and -O0 compile the C steps',
      pointwiseLane2w: 'estimated cycles/MAC, speed, default\'s scheduled lane2 -> lane2w (2026-12-07): bench c int8 3.70 -> 3.37, q7 3.40 -> 3.02; 1x1 64->64 on 25x5 int8 4.79 -> 3.42; 1x1 128->128 on one pixel (fully connected, C steps) 5.75 -> 3.79',
      earlyTerminationRs: 'S3C2410A manual MUL/MLAL timing (m by Rs); lane2w with the input byte as Rs, estimated cycles/MAC int8 / q7 (docs/cycles.md item 1): a 4.56 -> 3.14 / 4.46 -> 3.03, b 6.13 -> 4.70 / 4.99 -> 3.55, e 4.45 -> 3.09 / 4.21 -> 2.85',
    },
  },
  'arm926ej-s': {
    core: 'arm926ej-s', ...a32,
    lane2: noLanes.lane2,
    smlabbSingle: true,
    scheduledLoads: ['single'],
    // per MAC: SMLABB 1 cycle, SMLAL 3 per two MACs (docs/cycles.md, ARM926EJ-S table)
    macCycles: { single: 1, lane2w: 1.5 },
    int8StageInstructions: { inline: 20, called: 9 },
    pointwiseLaneAsm: true,
    pointwiseHalves8: true,
    cyclesPerInstruction: { single: 1.23, lane2w: 1.81 },
    measured: {
      ...a32.measured,
      scheduledLoads: 'estimated cycles/MAC, default (single, SMLABB), C -> weights and new inputs loaded ahead in assembly (2026-12-07): int8 a 2.28 -> 2.18, b 3.55 -> 3.35, e 2.35 -> 2.16; q7 a 1.78 -> 1.74, b 2.16 -> 2.07, e 2.36 -> 2.20, f 2.17 -> 1.97; not single/depthwise: d int8 6.88 -> 7.04 (d q7 3.53 -> 3.39), weights ahead only',
      pointwiseLaneAsm: 'estimated cycles/MAC, default, lane2 from C to the scheduled assembly (2026-12-07): bench c int8 4.36 -> 3.17, q7 3.94 -> 2.89; the ARM9E-S has the ARM9TDMI\'s byte load-use interlocks; fully unrolled step loops only (1x1 64->64 on 25x5 loops: C, 4.23); speed\'s int8 halves the same way: c int8 2.37 -> 2.19, q7 2.00 -> 1.90',
      pointwiseLane2w: 'halves (pointwiseHalves8) takes these kernels under speed: lane2w measured behind it, bench c int8 2.83 against 2.37, q7 2.54 against 2.00 (2026-12-07)',
      pointwiseHalves8: 'estimated cycles/MAC, speed (2026-12-07): bench c int8 2.19, q7 1.90 (lane2w 2.83, 2.54; default 3.17, 2.89; halves as C steps 2.37, 2.00); 1x1 64->64 on 25x5 int8 2.54 (default 4.23); 1x1 128->128 on one pixel 3.12 -> 2.36, 640->128 2.92 -> 2.16 (one pixel: C steps)',
      smlabbSingle: 'estimated cycles/MAC, default (single, MLA -> SMLABB): int8 a 3.22 -> 2.28, b 4.61 -> 3.55, d 7.89 -> 6.88, e 3.30 -> 2.35; q7 a 2.93 -> 1.78, b 3.15 -> 2.16, d 4.15 -> 3.53, e 3.03 -> 2.36, f 3.49 -> 2.17 (ARM9E-S: SMLAxy 1 cycle, MLA 2; docs/cycles.md)',
      macCycles: 'the ARM9E-S table (docs/cycles.md): SMLABB 1 cycle, SMLAL 3',
      int8StageInstructions: 'the ARM920T\'s figures (the same A32 code)',
      cyclesPerInstruction: 'with macCycles: (estimated cycles/MAC - macCycles) / (instruction estimate - multiplies + the int8 stage), mean over the bench kernels whose speed and default plans differ (single with SMLABB measured 2026-12-07 with its loads scheduled; lane2w make bench 2026-12-06): single 1.23 (a int8 1.29, a q7 0.98, b int8 1.15, b q7 1.00, e int8 1.43, e q7 1.62, f q7 1.12), lane2w 1.81 (1.77, 1.77, 1.44, 1.60, 1.93, 2.14, 2.00; int8 with the stage\'s earlier figures, 27 and 16): lane2w estimates behind single on every bench kernel, as it measures (a q7 2.60 against 1.79)',
      speedMargin: 'none needed: with SMLABB no bench kernel\'s speed plan estimates ahead of default\'s (before it, a 3% margin kept lane2w off bench b q7, estimated 2.4% ahead and measured 0.3% slower)',
      lane2: 'estimated cycles/MAC, default: single (MLA, 2 cycles) beats lane2 (SMLAL 3 cycles after its LDRSB\'s interlock): int8 a 3.80 -> 3.22, q7 a 3.68 -> 2.93, q7 b 4.18 -> 3.15; int8 b, e and q7 e, f unchanged. Revisit with the loads scheduled ahead (docs/cycles.md item 2)',
    },
  },
  'cortex-m0': { core: 'cortex-m0', ...thumb1 },
  'cortex-m3': {
    core: 'cortex-m3', ...thumb2,
    // SMLAL takes 5-7 cycles on the M3 (signed, early termination by both operands), MLA 2: one MLA per MAC beats
    // one SMLAL per two (docs/cycles.md item 4).
    ...noLanes,
    measured: {
      ...thumb2.measured,
      lane2: 'estimated cycles/MAC on int8 a: lane2 4.70, lane2w 4.13, single (MLA, byte weight) 3.77 (docs/cycles.md item 4): no lane forms on the M3',
      lane2w: 'as lane2: single\'s MLA beats lane2w\'s SMLAL in cycles on the M3 (int8 a 3.77 against 4.13)',
    },
  },
  'cortex-m4': {
    core: 'cortex-m4', ...thumb2,
    pointwiseSmmlarStage: 'doubled',
    pointwiseCycles: { perOutput: 7, perChannel: 8, perChannelAsm: 14.5, spillFactor: 1.15 },
    quadAsmRows: true,
    dspRequantize: true,
    cyclesPerInstruction: { quad: 1.42, 'quad+widened': 1.40, 'quad+asm': 1.47, taps8: 1.34, 'taps8+lanes8': 1.39 },
    pointwiseQuadAsm: true,
    measured: {
      ...thumb2.measured,
      pointwiseCycles: 'fitted on estimated cycles/MAC of Cortex-M4 kernels (2026-12-07; the M33 measured within 1% of it): per output 7 (the SMMLAR stage and its store), per channel 8 beside C steps and 14.5 around the assembly (8 x 1, 3 x 2 and 4 x 1 tiles), spill factor 1.15 (C 3 x 2 tiles, 12 registers: bench c 1.13, 1x1 96 -> 24 1.12 and 16 -> 48 1.19 against 1.0). Estimate / measured, default and speed (speed before its weights were doubled): bench c 1.83 / 1.88 and 1.58 / 1.57, 1x1 64 -> 64 on 25 x 5 1.61 / 1.61 and 1.48 / 1.47, 128 -> 128 on one pixel 1.87 / 1.89 and 1.61 / 1.63, 96 -> 24 on 6 x 6 1.60 / 1.58 and 1.27 / 1.28, 33 -> 7 on 3 x 5 1.92 / 2.06 and 1.82 / 1.96, 640 -> 128 on one pixel (a step loop) 1.90 / 2.38 and 1.65 / 1.71; 4 -> 8 on 16 x 16 speed estimated 4.72 against 4.22 (its old plan measured 4.56 against 4.41): default\'s plan',
      pointwiseSmmlarStage: 'estimated cycles/MAC, speed around the quad assembly (2026-12-07), 64-bit SMLAL stage -> SMMLAR stage with its records (and the seeds) loaded in the pixel loop: bench c int8 1.752 -> 1.571 (issue 19\'s 1.585 met; 1.590 with the seeds hoisted), 1x1 128 -> 128 on one pixel 1.688 -> 1.634. Not by default (1.876 -> 1.855 for 12 B of records a channel where M and s take 5: keyword spotting +1,800 B) nor beside C steps (640 -> 128 on one pixel, a step loop, 1.711 -> 1.835). Packing c and e in one word: 1.705 (GCC spilled); M and s tables with c computed: 1.606. Doubled weights and seeds (the loops make 2acc): c 1.571 -> 1.545, 64 -> 64 on 25 x 5 1.465 -> 1.454, 16 -> 48 on 10 x 10 2.011 -> 1.959, 128 -> 128 on one pixel 1.634 -> 1.618',
      pointwiseQuadAsm: 'estimated cycles/MAC, speed, quad-widened from C to the assembly (2026-12-07): bench c int8 1.77 -> 1.75, 1x1 33->7 on 3x5 2.02 -> 1.86, 640->128 on one pixel 1.71 -> 1.64, 128->128 on one pixel 1.86 -> 1.69; 64->64 on 25x5 1.826 -> 1.830 (GCC\'s moves around the fourteen-register statement eat the saving there)',
      quadAsmRows: 'estimated cycles/MAC (instructions/MAC), speed, C rows -> asm rows (2026-12-07): a int8 1.58 (1.29) -> 1.46 (1.21), e int8 1.74 (1.43) -> 1.54 (1.22, now 1 x 3: its third pixel\'s word loaded mid-tap); with the short rounding a 1.42 (1.16), e 1.53 (1.20); ResNet-8 (speed) 18,197,533 -> 15,838,381 instructions. Every weight pair by LDRD measured a 1.54 (1.17), e 1.76 (1.35): fewer instructions, slower',
      dspRequantize: 'estimated cycles/MAC, the short rounding -> SMMLAR + SSAT (2026-12-07): a int8 default 1.81 -> 1.74, speed 1.42 -> 1.29; e int8 default 1.80 -> 1.75, speed 1.53 -> 1.48; b, d int8 unchanged (other families). Its code counted as such (codeCost.accInt8Dsp) the border functions inline it too: a default 1.68 (2 x 2; 1 x 4 excluded, search.ts), speed 1.26; e default 1.74 (1 x 3), speed 1.40; examples/int8_hwc default 2.48 -> 2.36',
      cyclesPerInstruction: 'the ratio of estimated cycles/MAC (make bench 2026-12-06, docs/benchmarks.json) to the planner\'s instruction estimate, mean over the bench kernels whose speed and default plans differ: quad 1.42 (a int8 1.52, e int8 1.31), quad+widened 1.40 (1.44, 1.37), taps8 1.34 (a q7 1.24, b q7 1.27, e q7 1.53), taps8+lanes8 1.39 (1.30, 1.28, 1.60); quad+asm 1.47 (a int8 1.47, e int8 1.47; measured 2026-12-07 with the short rounding, against its own estimate)',
      speedMargin: 'every bench kernel measured speed faster where the estimate put it ahead',
    },
  },
  'cortex-m7': {
    core: 'cortex-m7', ...thumb2,
    dspRequantize: true,
    pointwiseSmmlarStage: 'stage',
    // Dual issue hides quad's SXTB16 beside its loads where a weight serves several pixels; with one pixel (fully
    // connected) every weight is unpacked once per MAC and pre-widened weights win.
    pointwiseWidenedMaxPixels: 1,
    // Dual issue pairs an unpack with a load or MAC; taps8's pre-unpacked lanes leave LDR, SMLAD chains that pair less.
    cyclesPerInstruction: { quad: 0.65, 'quad+widened': 0.70, taps8: 0.75, 'taps8+lanes8': 0.89 },
    speedMargin: 0.01,
    pointwiseQuadAsm: true,
    measured: {
      ...thumb2.measured,
      pointwiseSmmlarStage: 'estimated cycles/MAC, speed around the quad assembly (pre-widened: one pixel only here), 64-bit SMLAL stage -> SMMLAR stage (2026-12-07): 1x1 128 -> 128 on one pixel 0.762 -> 0.725 (with doubled weights and seeds 0.729: not doubled here). Beside the C steps it measured either way (bench c 0.963 -> 0.936, 1x1 64 -> 64 on 25 x 5 0.911 -> 0.926, 640 -> 128 on one pixel 0.826 -> 1.128), so not there',
      pointwiseQuadAsm: 'estimated cycles/MAC, speed (pre-widened on one pixel only, its pointwiseWidenedMaxPixels): 640->128 on one pixel 0.83 -> 0.75, 128->128 0.90 -> 0.76 (2026-12-07)',
      cyclesPerInstruction: 'the ratio of estimated cycles/MAC (make bench 2026-12-06, docs/benchmarks.json) to the planner\'s instruction estimate, mean over the bench kernels whose speed and default plans differ: quad 0.65 (a int8 0.67, e int8 0.64), quad+widened 0.70 (0.72, 0.68), taps8 0.75 (a q7 0.70, b q7 0.71, e q7 0.86), taps8+lanes8 0.89 (0.91, 0.84, 0.91)',
      quadAsmRows: 'estimated cycles/MAC (instructions/MAC), speed, C rows -> asm rows (2026-12-07): a int8 0.79 (1.26) -> 0.82 (1.40), e int8 0.86 (1.43) -> 0.89 (1.58): dual issue pairs GCC\'s scheduled C better, so off',
      dspRequantize: 'estimated cycles/MAC, the short rounding -> SMMLAR + SSAT (2026-12-07): a int8 default 0.83 -> 0.78, speed 0.77 -> 0.72; e int8 default 0.89 -> 0.85, speed 0.87 -> 0.83. Inlined in the border functions too (codeCost.accInt8Dsp): a default 0.74, speed 0.68; e default 0.81 (1 x 3; speed falls back to it, speedMargin); examples/int8_hwc default 1.34 -> 1.15, speed 1.34 -> 1.02 (2 x 2: no 1 x 4 in C, search.ts)',
      pointwiseWidenedMaxPixels: 'estimated cycles/MAC, quad against pre-widened (2026-12-07): bench c int8 (16x16 pixels) 1.05 against 1.12; 1x1 640 -> 128 on one pixel (a fully connected layer) 1.63 against 0.90',
      speedMargin: 'bench e int8 with the DSP stage (2026-12-07): speed\'s 1 x 3 estimated 0.02% ahead of default\'s, measured 0.819 against 0.805 cycles/MAC, so 1%; a int8 (3.3% ahead: 0.68 against 0.74) keeps speed. Before: every bench kernel measured speed faster where the estimate put it ahead (taps8+lanes8 falls back on a, b, e q7: measured 0.99 -> 1.14, 1.22 -> 1.30, 1.01 -> 1.01)',
    },
  },
  'cortex-m33': {
    core: 'cortex-m33', ...thumb2,
    pointwiseSmmlarStage: 'doubled',
    pointwiseCycles: { perOutput: 7, perChannel: 8, perChannelAsm: 14.5, spillFactor: 1.15 },
    quadAsmRows: true,
    dspRequantize: true,
    cyclesPerInstruction: { quad: 1.45, 'quad+widened': 1.45, 'quad+asm': 1.48, taps8: 1.37, 'taps8+lanes8': 1.41 },
    pointwiseQuadAsm: true,
    measured: {
      ...thumb2.measured,
      pointwiseCycles: 'the Cortex-M4\'s coefficients: its cycle model is the M4\'s, and the M33 measured within 1% of the M4 on every fitted kernel (2026-12-07)',
      pointwiseSmmlarStage: 'estimated cycles/MAC, speed around the quad assembly, 64-bit SMLAL stage -> SMMLAR stage (2026-12-07): bench c int8 1.762 -> 1.571, 1x1 128 -> 128 on one pixel 1.681 -> 1.636; doubled weights and seeds: c 1.571 -> 1.545, 128 -> 128 1.636 -> 1.620',
      pointwiseQuadAsm: 'estimated cycles/MAC, speed, quad-widened from C to the assembly (2026-12-07): bench c int8 1.77 -> 1.76, 1x1 33->7 on 3x5 2.06 -> 1.89, 640->128 on one pixel 1.71 -> 1.64, 128->128 on one pixel 1.92 -> 1.68; 64->64 on 25x5 1.844 -> 1.836',
      quadAsmRows: 'estimated cycles/MAC (instructions/MAC), speed, C rows -> asm rows (2026-12-07): a int8 1.63 (1.30) -> 1.48 (1.21), e int8 1.79 (1.43) -> 1.58 (1.24); with the short rounding a 1.43 (1.16), e 1.53 (1.21)',
      dspRequantize: 'estimated cycles/MAC, the short rounding -> SMMLAR + SSAT (2026-12-07): a int8 default 1.87 -> 1.80, speed 1.43 -> 1.30; e int8 default 1.83 -> 1.77, speed 1.53 -> 1.48. Inlined in the border functions too (codeCost.accInt8Dsp): a default 1.74, speed 1.27; e default 1.77, speed 1.41',
      cyclesPerInstruction: 'the ratio of estimated cycles/MAC (make bench 2026-12-06, docs/benchmarks.json) to the planner\'s instruction estimate, mean over the bench kernels whose speed and default plans differ: quad 1.45 (a int8 1.57, e int8 1.34), quad+widened 1.45 (1.48, 1.41), taps8 1.37 (a q7 1.25, b q7 1.29, e q7 1.58), taps8+lanes8 1.41 (1.30, 1.29, 1.64); quad+asm 1.48 (a int8 1.48, e int8 1.47; measured 2026-12-07 with the short rounding, against its own estimate)',
      speedMargin: 'every bench kernel measured speed faster where the estimate put it ahead',
    },
  },
  'cortex-m55': { core: 'cortex-m55', ...thumb2 },
  // Cortex-A9 compiles the A32 blocked forms where NEON does not apply; its .text is in the A32 code model's fit.
  'cortex-a9': { core: 'cortex-a9', ...a32 },
  'host': { core: 'host', ...host },
};

/** The tuning row of the core a target's ISA features name. */
export const tuningOf = (isa: { core: CoreId }): CoreTuning => coreTuning[isa.core];
