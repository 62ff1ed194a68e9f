/**
 * The blocked family's measured constants: register and code budgets, the code-size model's coefficients, unroll
 * targets, the blockings GCC compiles well per form, where the input pointer is re-anchored. Each says what was
 * measured (GCC 12.2 -O2 under QEMU, instructions per MAC unless stated). What differs per core (register and code
 * budgets, the code-size model, lane blockings, anchoring, split and pinned accumulators) is the core's row in
 * src/tuning/cores.ts; what stays here holds for every core.
 */
import type { CoreTuning } from '../../tuning/cores.ts';
import type { FinishPlacement, MacForm } from './plan.ts';

export const REGION_ROW_BYTES = 12;

/** Extra code bytes charged per column or band function (see fnBytes). */
export const BORDER_FN_MARGIN = 128;

/** Instructions a call of the out-of-line output stage adds per output (argument moves, call, return, result). */
export const CALL_INSTRUCTIONS = 9;

/** MACs per output from which the interior inlines the output stage while the border functions call it. */
export const MIN_MACS_FOR_BORDER_CALLS = 16;

export const RUN_BYTES = 260;

/** MACs per iteration of the interior's channel loop that amortize its upkeep. */
export const UNROLL_MACS = 24;

/**
 * Unroll targets tried per MAC form, most first where the code budget allows. halves: GCC spills two of the
 * 2 x 2 blocking's 64-bit accumulators once per iteration (A32 has 14 registers for 8 accumulator halves, pointers,
 * inputs and weights), so longer iterations pay off (measured on ARM926EJ-S: bench a 2.22 -> 1.85, b 2.85 -> 2.36 instructions/MAC).
 */
export const unrollTargets: Record<MacForm, number[]> = { single: [UNROLL_MACS], dual: [UNROLL_MACS], quad: [UNROLL_MACS], taps: [UNROLL_MACS], taps8: [UNROLL_MACS], halves: [144, UNROLL_MACS], lane2: [UNROLL_MACS], lane2w: [UNROLL_MACS], dwpair: [UNROLL_MACS] };

/**
 * lane2: code instructions per (lo, hi) pair beyond its MACs: zeroing, extraction, the seeds' adds, and the pairs kept
 * live across the output stage's calls (measured upper bound, A32 bench a and e at 4 x 2 with every output called).
 */
export const LANE2_PAIR_CODE = 18;

/**
 * lane2w: the same per (lo, hi) pair (zeroing, extraction, the seeds' adds); smaller than lane2's as its functions'
 * pairs are fewer per output stage call (an upper bound on the bench specs' speed plans, test/codegen/code-size.test.ts;
 * at 18 the model put bench e q7's 2 x 3 on A32 ~870 B over its real 3232 B .text and over budget: 2 x 2 ran, 1.34
 * instructions/MAC against 2 x 3's 1.25).
 */
export const laneCode = (form: MacForm) => (form === 'lane2w' ? LANE2W_PAIR_CODE : LANE2_PAIR_CODE);

export const LANE2W_PAIR_CODE = 9;

/** A lane2 blocking the core's row says GCC compiles well (tuning/cores.ts, lane2). */
export const lane2ShapeOk = (ob: number, pb: number, t: CoreTuning) => pb % 2 === 0 && ob >= t.lane2.minOb
  && (ob * pb) / 2 >= t.lane2.minPairs;

/**
 * Where lane2w (weights of two output channels packed into one int32 word at generation) may replace lane2, per
 * optimize mode: its weight flash is 4 bytes per two weights, twice the raw bytes, so only where speed may grow it.
 */
export const packedWeightPairs: Record<'default' | 'speed', boolean> = { default: false, speed: true };

/**
 * Where the output stage may be called (int8), the placements a form takes (the others: every one). lane2w: called
 * from every function; inlined in the interior, GCC's registers for its lane pairs and the inlined stage cost more
 * than the calls (measured at 2 x 3, instructions/MAC arm920t / cortex-m3: bench a int8 1.70 / 1.60 -> 1.39 / 1.30,
 * b 2.89 / 2.70 -> 2.53 / 2.55).
 */
export const calledPlacements: Partial<Record<MacForm, readonly FinishPlacement[]>> = { lane2w: ['all'] };

/** lane2: instructions per output beyond single's: zeroing its lanes, extracting them (shifts, the borrow), the seed's add. */
export const LANE2_OUTPUT_INSTRUCTIONS = 4;

/** quad's weights are two unpacked halves held across taps; one more register than the estimate counts fits. */
export const QUAD_EXTRA_REGS = 1;

/**
 * taps8: the estimate counts every lane live at once; with the weights' single columns loaded by LDRSB (the word
 * dies after one unpack) and GCC's early scheduling off, blockings up to this many registers over it fit with few spills.
 */
export const TAPS8_EXTRA_REGS = 4;

/** Code bytes the staging copy (stage_rows) and its row loop add, an upper bound as fnBytes is (code-size.test.ts). */
export const STAGE_BYTES = 200;

/**
 * The staging buffer's RAM against the input tensor's: by default at most half (the kernel then needs at most a
 * quarter more RAM than its input and output where they are the same size); 'speed' up to the input's size.
 */
export const stageMaxInputFraction: Record<'default' | 'speed', number> = { default: 0.5, speed: 1 };

/**
 * Whether the channel loop re-anchors its input pointer each iteration (an empty asm): left free, GCC steps px by a
 * channel's plane first and reaches the channel's rows at negative offsets, which A32's LDRSB/LDRSH and Thumb-2's
 * negative forms (8-bit immediates) cannot encode. Which forms gain is the core's row (anchorInput).
 */
export const anchorsInput = (t: CoreTuning, form: MacForm, bits: number) => t.anchorInput.includes(`${form}/${bits}`);

/**
 * Code bytes an anchored lane2 function may add: its lane pairs leave no register for the pointer kept live, which
 * can cost a spill and reload (measured: arm920t bench a int8's interior grew 24 B; the other forms shrank).
 */
export const ANCHOR_LANE2_MARGIN = 16;

/**
 * Forms whose remainder of a row runs as one block of that many pixels (the others, with pixel pairs, lanes or
 * aligned-word leads, keep single pixels there).
 */
export const BLOCK_TAIL_FORMS: readonly MacForm[] = ['single', 'dual', 'quad', 'taps', 'lane2w'];

/**
 * Why GCC's early scheduling (-fschedule-insns) is turned off for the file, or null: where measured, it hoisted a
 * block's loads ahead of its multiply-accumulates and spilled. Depthwise-like kernels (one input channel per group,
 * so no channel loop) with 64-bit accumulators: bench d q15 4.98 -> 3.71 instructions/MAC on arm920t, 4.38 -> 4.31
 * on arm926ej-s, 2.91 -> 2.89 on cortex-m3; with 32-bit accumulators (q7, int8) slower on arm926ej-s, so not there.
 */
export function noScheduleReason(form: MacForm, split: boolean, depthwiseLong: boolean): string | null {
  if (split) return "GCC's early scheduling would hoist every input load of a loop ahead of its MACs and spill the split accumulators.";
  if (form === 'lane2' || form === 'lane2w' || form === 'taps8') return "GCC's early scheduling would hoist every weight load of a loop ahead of its MACs and spill them.";
  if ((form === 'single' || form === 'dwpair') && depthwiseLong)
    return "One input channel per group and 64-bit accumulators: with no channel loop GCC's early scheduling would hoist every load of a block ahead of its multiplies and spill the accumulators.";
  return null;
}

/**
 * Registers split accumulators may be pinned to: callee-saved only. GCC does not protect a local register variable
 * from code between its uses that clobbers the register, so a call there (a helper not inlined at -O0, memcpy under
 * -fno-builtin) would overwrite an r0-r3 or r12 accumulator silently (measured: pinned to r0..r7, arm926ej-s kernels
 * failed bit-exactness at -O0 and with -fno-builtin; test/qemu/flags.test.ts). r11 is A32's frame pointer at -O0.
 */
export const PIN_REGISTERS = ['r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10'];
/** At most this many accumulator registers in a function for pinning (more leave too few for the rest). */
export const PIN_MAX_ACC_REGISTERS = 8;
