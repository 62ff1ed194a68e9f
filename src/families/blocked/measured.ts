/**
 * The blocked family's measured constants: register and code budgets, the code-size model's coefficients, unroll
 * targets, the blockings GCC compiles well per form, where the input pointer is re-anchored. Each says what was
 * measured (GCC 12.2 -O2 under QEMU, instructions per MAC unless stated). Keyed by ISA state for now; the tuning
 * phase makes them rows per core.
 */
import type { IsaFeatures } from '../../targets/index.ts';
import type { FinishPlacement, MacForm } from './plan.ts';

/** Registers a compiler can keep values in, per instruction-set state, after sp, pc and the loop's pointers. */
export const registerBudget: Record<IsaFeatures['state'], number> = { a32: 10, thumb2: 9, thumb1: 4, host: 10 };

/**
 * Estimated .text the default stays under. fnBytes() is an upper bound of the real size (fitted on the bench specs
 * and examples on every QEMU target, arm-none-eabi-gcc 12.2 -O2, checked by test/codegen/code-size.test.ts), so this
 * keeps the kernel's real .text under 4 KiB with ~200 bytes to spare.
 */
export const CODE_BUDGET = 3900;

/**
 * Per instruction-set state: A32's model is fitted as a tight upper bound (every measured kernel at or under it,
 * forced blockings included), so its margin is in the model and its budget is the full 4 KiB; the others keep
 * CODE_BUDGET's spare bytes.
 */
export const codeBudget: Record<IsaFeatures['state'], number> = { a32: 4096, thumb2: CODE_BUDGET, thumb1: CODE_BUDGET, host: CODE_BUDGET };

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

/**
 * lane2 blockings GCC 12 compiles well, per state (measured on the bench specs): at least `minOb` output channels (one
 * channel's weight load serves only pb/2 SMLALs: 1 x 4 measured slower than single on bench e) and `minPairs` lane
 * pairs (A32: with two, GCC moves the (lo, hi) pairs between registers every iteration: bench a 2 x 2 2.48
 * instructions/MAC against single's 2.17). extraRegs: Thumb-2's budget keeps one register more for pointers than
 * lane2 needs (4 x 2 measured without spills on Cortex-M3: 1.89 on bench a).
 */
export const lane2Blocks: Record<IsaFeatures['state'], { minOb: number; minPairs: number; extraRegs: number }> = {
  a32: { minOb: 2, minPairs: 3, extraRegs: 0 },
  thumb2: { minOb: 2, minPairs: 2, extraRegs: 1 },
  thumb1: { minOb: Infinity, minPairs: Infinity, extraRegs: 0 },
  host: { minOb: Infinity, minPairs: Infinity, extraRegs: 0 },
};

export const lane2ShapeOk = (ob: number, pb: number, state: IsaFeatures['state']) => pb % 2 === 0 && ob >= lane2Blocks[state].minOb
  && (ob * pb) / 2 >= lane2Blocks[state].minPairs;

/**
 * lane2w blockings per state: at least `minOb` output channels (one pair of channels per packed weight word), at
 * most `maxPairs` (lo, hi) lane pairs, and `extraRegs` over the budget the estimate's count may take. Measured forced
 * on the bench specs (instructions/MAC, arm920t / cortex-m3): 2 x 3 is best for q7 (a 1.41 / 1.06, e 1.25 / 1.18);
 * with four lane pairs GCC spills: 4 x 2 (11 registers by this count) a q7 1.49 / 1.15, b q7 1.95 / 1.57, and 2 x 4
 * (10) a q7 1.63 / 1.39, b int8 2.97 on arm920t against 2 x 3's 2.53 (with the output stage called); 4 x 1 slower
 * everywhere (a q7 1.66 / 1.40).
 */
export const lane2wBlocks: Record<IsaFeatures['state'], { minOb: number; maxPairs: number; extraRegs: number }> = {
  a32: { minOb: 2, maxPairs: 3, extraRegs: 0 },
  thumb2: { minOb: 2, maxPairs: 3, extraRegs: 0 },
  thumb1: { minOb: Infinity, maxPairs: 0, extraRegs: 0 },
  host: { minOb: Infinity, maxPairs: 0, extraRegs: 0 },
};

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
 * The (form, storage bits) per state whose channel loop re-anchors its input pointer each iteration (an empty asm).
 * Left free, GCC steps px by a channel's plane first and reaches the channel's rows at negative offsets, which A32's
 * LDRSB/LDRSH and Thumb-2's negative forms (8-bit immediates) cannot encode: a SUB per row, and with A32's lane2 the
 * extra address registers spilled its lane pairs. Measured on the bench specs (instructions/MAC): arm920t a q7
 * 1.90 -> 1.81, d q7 3.44 -> 3.01, e q7 2.16 -> 1.98, f q7 2.29 -> 2.09, d int8 7.82 -> 7.56; cortex-m4 a int8 (quad)
 * 1.66 -> 1.56, b q15 (taps) 2.62 -> 2.45, a q7 (taps8) 1.51 -> 1.46. Not where it measured slower: A32 16-bit
 * (arm920t e q15 2.21 -> 2.42) and Thumb-2 single (cortex-m3 d q15 2.89 -> 3.03). lane2w (speed, 2 x 3): arm920t a q7
 * 1.57 -> 1.41, a int8 1.85 -> 1.72; not on Thumb-2 (cortex-m3 a q7 2.498 M -> 2.508 M instructions, e q7 2.95 M -> 3.00 M).
 */
export const anchorInputPointer: Record<IsaFeatures['state'], readonly string[]> = {
  a32: ['single/8', 'lane2/8', 'lane2w/8'],
  thumb2: ['quad/8', 'taps/16', 'taps8/8'],
  thumb1: [],
  host: [],
};

export const anchorsInput = (state: IsaFeatures['state'], form: MacForm, bits: number) => anchorInputPointer[state].includes(`${form}/${bits}`);

/**
 * Code bytes an anchored lane2 function may add: its lane pairs leave no register for the pointer kept live, which
 * can cost a spill and reload (measured: arm920t bench a int8's interior grew 24 B; the other forms shrank).
 */
export const ANCHOR_LANE2_MARGIN = 16;

/**
 * Code-size model of one block function, per instruction-set state (bytes): `instr` per emitted load, MAC or
 * unpack (A32 is 4 bytes an instruction plus address arithmetic; Thumb-1 needs moves around its 8 low registers),
 * `fn` per function (its loops, seeding, call and spills), `accInt8`/`accQ` per accumulator word (the output
 * stage is inlined per accumulator: int8's per-channel multiply, rounding shift and clamp is ~40 A32 instructions;
 * `accCall` when that stage is one out-of-line function instead, `finishBody` its one copy).
 * Fitted by least squares on measured .text, then rounded up so that every measured kernel is at or under it.
 */
export const codeCost: Record<IsaFeatures['state'], { instr: number; fn: number; accInt8: number; accQ: number; accCall: number; finishBody: number }> = {
  // A32: the least total over-estimate (a linear program) that is still at or above the real .text of every bench
  // spec and example x every register-feasible blocking x every output-stage placement, on arm920t, arm926ej-s and
  // cortex-a9 (489 kernels; the smallest margin is 87 bytes, the mean ~590).
  a32: { instr: 5, fn: 405, accInt8: 186, accQ: 34, accCall: 16, finishBody: 0 },
  host: { instr: 5, fn: 400, accInt8: 170, accQ: 40, accCall: 40, finishBody: 240 },
  thumb2: { instr: 5, fn: 150, accInt8: 160, accQ: 70, accCall: 40, finishBody: 200 },
  thumb1: { instr: 9, fn: 100, accInt8: 260, accQ: 180, accCall: 40, finishBody: 300 },
};

/**
 * Forms whose remainder of a row runs as one block of that many pixels (the others, with pixel pairs, lanes or
 * aligned-word leads, keep single pixels there).
 */
export const BLOCK_TAIL_FORMS: readonly MacForm[] = ['single', 'dual', 'quad', 'taps', 'lane2w'];

/**
 * Bytes an immediate offset reaches in the loads the single form uses for 8/16-bit data (LDRSB/LDRSH; 32-bit data
 * uses LDR): A32's are 8-bit (±255), Thumb-2's 12-bit. Rows of the unrolled interior further away than this load
 * through a row pointer of their own, so the compiler does not add an address per load.
 */
export const loadReach: Record<IsaFeatures['state'], (bits: number) => number> = {
  a32: (bits) => (bits === 32 ? 4095 : 255),
  thumb2: () => 4095,
  thumb1: () => Infinity,
  host: () => Infinity,
};

/**
 * The MAC forms whose 64-bit accumulators are kept as two 32-bit variables (inline SMLAL/SMLALxy/SMLALD on lo, hi)
 * rather than an int64_t, per instruction-set state. Set from measurement (GCC 12): on A32 it keeps int64 values in
 * even register pairs and spills them (taps, halves); on Thumb-2 the dual form's SMLALD accumulators cost two
 * moves per kernel row and pixel (HWC q15 3x3 16->16 on cortex-m4 1.82 -> 1.52 (i+ld+st)/MAC, bench e q15 4.42 M ->
 * 4.14 M instructions, cortex-m7 5.22 M -> 4.14 M; the taps form measured slower as halves there). The single form
 * only in depthwise-like kernels (one input channel per group): see splitPlain.
 */
export const splitLong: Record<IsaFeatures['state'], readonly MacForm[]> = { a32: ['taps', 'halves', 'single'], thumb2: ['dual'], thumb1: [], host: [] };
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
/**
 * The states where pinning was measured to pay: on Thumb-2 the dual form measured slower pinned (cortex-m4 bench a
 * q15 2.76 M -> 2.81 M instructions, f 0.80 M -> 0.93 M).
 */
export const pinSplit: Record<IsaFeatures['state'], boolean> = { a32: true, thumb2: false, thumb1: false, host: false };
