/**
 * The `optimized` variant's decisions, all made at generation time:
 * - Regions: output rows (columns) are grouped by which kernel rows (columns) fall inside the input. Each region
 *   runs a function that computes exactly its valid taps, so no bounds check runs anywhere and padded taps cost
 *   nothing. The interior runs a fully unrolled function; border regions run a "row loop" function that unrolls one
 *   kernel row (its valid columns x pixels x channels) and loops over the valid kernel rows, so one function serves
 *   every border band with the same columns.
 * - Register blocking: output channels x output pixels per inner loop, chosen by a small cost model within the
 *   ISA's register budget and the code budget (an upper bound of the real .text, see codeCost). For int8 the planner
 *   may also call one out-of-line output stage instead of inlining it per accumulator, in the border functions only
 *   or everywhere, when that lets a bigger blocking fit.
 * - Blocked weights: per block of output channels, [in/groups][ky][kx][channel in block]: the order the loops read,
 *   the same number of bytes as the plain order (optimize 'speed' may pack or widen them: lane2w, quad, taps8).
 * - Taps whose weight is zero in every output channel are left out of the unrolled code (they stay in the table).
 * The C text is templates/optimized/kernel.c.hbs.
 */
import type { KernelModel } from '../spec/index.ts';
import type { IsaFeatures } from '../targets/index.ts';
import { axisBands, type AxisBand } from './geometry.ts';
import { planAccumulator } from './accumulator.ts';

/** Registers a compiler can keep values in, per instruction-set state, after sp, pc and the loop's pointers. */
const registerBudget: Record<IsaFeatures['state'], number> = { a32: 10, thumb2: 9, thumb1: 4, host: 10 };

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
const codeBudget: Record<IsaFeatures['state'], number> = { a32: 4096, thumb2: CODE_BUDGET, thumb1: CODE_BUDGET, host: CODE_BUDGET };
const REGION_ROW_BYTES = 12;
/** Extra code bytes charged per column or band function (see fnBytes). */
const BORDER_FN_MARGIN = 128;
/** Instructions a call of the out-of-line output stage adds per output (argument moves, call, return, result). */
const CALL_INSTRUCTIONS = 9;
/** MACs per output from which the interior inlines the output stage while the border functions call it. */
const MIN_MACS_FOR_BORDER_CALLS = 16;
const RUN_BYTES = 260;
/** MACs per iteration of the interior's channel loop that amortize its upkeep. */
const UNROLL_MACS = 24;
/**
 * Unroll targets tried per MAC form, most first where the code budget allows. halves: GCC spills two of the
 * 2 x 2 blocking's 64-bit accumulators once per iteration (A32 has 14 registers for 8 accumulator halves, pointers,
 * inputs and weights), so longer iterations pay off (measured on ARM926EJ-S: bench a 2.22 -> 1.85, b 2.85 -> 2.36 instructions/MAC).
 */
const unrollTargets: Record<MacForm, number[]> = { single: [UNROLL_MACS], dual: [UNROLL_MACS], quad: [UNROLL_MACS], taps: [UNROLL_MACS], taps8: [UNROLL_MACS], halves: [144, UNROLL_MACS], lane2: [UNROLL_MACS], lane2w: [UNROLL_MACS], dwpair: [UNROLL_MACS] };
/**
 * lane2: code instructions per (lo, hi) pair beyond its MACs: zeroing, extraction, the seeds' adds, and the pairs kept
 * live across the output stage's calls (measured upper bound, A32 bench a and e at 4 x 2 with every output called).
 */
const LANE2_PAIR_CODE = 18;
/**
 * lane2w: the same per (lo, hi) pair (zeroing, extraction, the seeds' adds); smaller than lane2's as its functions'
 * pairs are fewer per output stage call (an upper bound on the bench specs' speed plans, test/codegen/code-size.test.ts;
 * at 18 the model put bench e q7's 2 x 3 on A32 ~870 B over its real 3232 B .text and over budget: 2 x 2 ran, 1.34
 * instructions/MAC against 2 x 3's 1.25).
 */
const laneCode = (form: MacForm) => (form === 'lane2w' ? LANE2W_PAIR_CODE : LANE2_PAIR_CODE);
const LANE2W_PAIR_CODE = 9;
/**
 * lane2 blockings GCC 12 compiles well, per state (measured on the bench specs): at least `minOb` output channels (one
 * channel's weight load serves only pb/2 SMLALs: 1 x 4 measured slower than single on bench e) and `minPairs` lane
 * pairs (A32: with two, GCC moves the (lo, hi) pairs between registers every iteration: bench a 2 x 2 2.48
 * instructions/MAC against single's 2.17). extraRegs: Thumb-2's budget keeps one register more for pointers than
 * lane2 needs (4 x 2 measured without spills on Cortex-M3: 1.89 on bench a).
 */
const lane2Blocks: Record<IsaFeatures['state'], { minOb: number; minPairs: number; extraRegs: number }> = {
  a32: { minOb: 2, minPairs: 3, extraRegs: 0 },
  thumb2: { minOb: 2, minPairs: 2, extraRegs: 1 },
  thumb1: { minOb: Infinity, minPairs: Infinity, extraRegs: 0 },
  host: { minOb: Infinity, minPairs: Infinity, extraRegs: 0 },
};
const lane2ShapeOk = (ob: number, pb: number, state: IsaFeatures['state']) => pb % 2 === 0 && ob >= lane2Blocks[state].minOb
  && (ob * pb) / 2 >= lane2Blocks[state].minPairs;
/**
 * lane2w blockings per state: at least `minOb` output channels (one pair of channels per packed weight word), at
 * most `maxPairs` (lo, hi) lane pairs, and `extraRegs` over the budget the estimate's count may take. Measured forced
 * on the bench specs (instructions/MAC, arm920t / cortex-m3): 2 x 3 is best for q7 (a 1.41 / 1.06, e 1.25 / 1.18);
 * with four lane pairs GCC spills: 4 x 2 (11 registers by this count) a q7 1.49 / 1.15, b q7 1.95 / 1.57, and 2 x 4
 * (10) a q7 1.63 / 1.39, b int8 2.97 on arm920t against 2 x 3's 2.53 (with the output stage called); 4 x 1 slower
 * everywhere (a q7 1.66 / 1.40).
 */
const lane2wBlocks: Record<IsaFeatures['state'], { minOb: number; maxPairs: number; extraRegs: number }> = {
  a32: { minOb: 2, maxPairs: 3, extraRegs: 0 },
  thumb2: { minOb: 2, maxPairs: 3, extraRegs: 0 },
  thumb1: { minOb: Infinity, maxPairs: 0, extraRegs: 0 },
  host: { minOb: Infinity, maxPairs: 0, extraRegs: 0 },
};
/**
 * Where lane2w (weights of two output channels packed into one int32 word at generation) may replace lane2, per
 * optimize mode: its weight flash is 4 bytes per two weights, twice the raw bytes, so only where speed may grow it.
 */
const packedWeightPairs: Record<'default' | 'speed', boolean> = { default: false, speed: true };
/**
 * Where the output stage may be called (int8), the placements a form takes (the others: every one). lane2w: called
 * from every function; inlined in the interior, GCC's registers for its lane pairs and the inlined stage cost more
 * than the calls (measured at 2 x 3, instructions/MAC arm920t / cortex-m3: bench a int8 1.70 / 1.60 -> 1.39 / 1.30,
 * b 2.89 / 2.70 -> 2.53 / 2.55).
 */
const calledPlacements: Partial<Record<MacForm, readonly FinishPlacement[]>> = { lane2w: ['all'] };
/** lane2: instructions per output beyond single's: zeroing its lanes, extracting them (shifts, the borrow), the seed's add. */
const LANE2_OUTPUT_INSTRUCTIONS = 4;
/** quad's weights are two unpacked halves held across taps; one more register than the estimate counts fits. */
const QUAD_EXTRA_REGS = 1;
/**
 * taps8: the estimate counts every lane live at once; with the weights' single columns loaded by LDRSB (the word
 * dies after one unpack) and GCC's early scheduling off, blockings up to this many registers over it fit with few spills.
 */
const TAPS8_EXTRA_REGS = 4;

export interface Load {
  id: string;
  /** Offset in elements from the input of the function's first tap (first valid row and column), pixel 0. */
  offset: number;
  /** taps/halves: a 32-bit load of elements offset and offset+1 (both used); otherwise one element. */
  word?: boolean;
  /** taps8: how the value is made (see Def8). */
  b8?: Def8;
  /** lane2: the element packed above it (x[offset] + x[lane]*2^23: two loads and an add). */
  lane?: number;
}

/**
 * taps8: a 32-bit register holding two int16 lanes of 8-bit elements two apart, (e, e+2).
 * word: one unaligned LDR of elements offset..offset+3; `even` SXTB16 gives (offset, offset+2), `odd` SXTB16 of
 * the word rotated by 8 gives (offset+1, offset+3) (only the used ones are emitted).
 * byte: one LDRSB (its value in the bottom lane). pack: two LDRSBs of offset and offset+2 packed into lanes (PKHBT),
 * where no word can be read without reading outside the elements the function may touch.
 */
export interface Def8 {
  kind: 'word' | 'byte' | 'pack';
  even: boolean;
  odd: boolean;
}

/** taps/halves: which 16-bit halves a MAC multiplies (x then w; b = bottom, t = top), or d: both pairs (SMLALD). */
export type Halves = 'bb' | 'bt' | 'tb' | 'tt' | 'd';

export interface Mac {
  acc: string;
  x: string;
  w: string;
  halves?: Halves;
}

/**
 * halves with LDRD: this word and the next one (index + 2, `hi`) in one LDRD through the moving weight pointer, which
 * sits `at` elements into the iteration before the load. post: load at the pointer, then move it on by `step`
 * elements (to the next pair); pre: move it by `step` first, then load there.
 */
export interface PairLoad {
  hi: string;
  pre: boolean;
  step: number;
}

export interface WeightLoad {
  id: string;
  /** Weight-array element from the block's weights at this tap (the interior: at the iteration's start). */
  index: number;
  word?: boolean;
  b8?: Def8;
  pair?: PairLoad;
  /** Functions whose loads move the weight pointer (LDRD): the element relative to where it then points. */
  rel?: number;
}

export interface Tap {
  weights: WeightLoad[];
  macs: Mac[];
}

export interface Row {
  /** The kernel row (a column function: the kernel column) whose taps this group holds; +1000 per unrolled channel. */
  ky: number;
  /** A column function's group: one kernel column, its inputs down the pixels and kernel rows. */
  column?: boolean;
  /** dwpair: the group of one input row (ky: rows from the function's first), every MAC that reads it. */
  inputRow?: boolean;
  loads: Load[];
  taps: Tap[];
}

export interface BlockFn {
  fn: string;
  doc: string;
  /**
   * unrolled: the interior, every kernel row and column; rowloop: a border band, one kernel row looped over its valid
   * rows; column: a side band with every kernel row valid, its pixels stacked down the band (vertical blocks), unrolled;
   * band: a top or bottom band with every kernel column valid, unrolled over its valid kernel rows.
   */
  kind: 'unrolled' | 'rowloop' | 'column' | 'band';
  ob: number;
  pb: number;
  accs: { id: string; j: number; p: number }[];
  /**
   * lane2: (lo, hi) sums of channel j's pixels p0 and p1 in bit lanes (accs is then empty). lane2w: channel j's (low
   * lane) and j1's (upper lane, null: a zero-weight partner) at pixel p0 = p1.
   */
  laneAccs: { id: string; j: number; p0: number; p1: number; j1?: number | null }[];
  /** unrolled: every kernel row; rowloop: one row, its offsets relative to the row. */
  rows: Row[];
  /** Weight-array elements per unit of input channels in the blocked array: KH x KW x ob x weight stride. */
  weightsPerCi: number;
  /** Weight-array elements per kernel row: KW x ob x weight stride. */
  rowWeights: number;
  macForm: MacForm;
  /** Units (channels, or channel pairs when dual) per loop iteration: the unrolled interior repeats its body. */
  ciStep: number;
  /** Input channels per unit: 2 when dual, 4 when quad. */
  unit: number;
  hasTaps: boolean;
  /** Calls the out-of-line output stage rather than inlining it per accumulator. */
  outlineFinish: boolean;
  /** halves with LDRD: elements the paired loads move the weight pointer per iteration (0: none paired). */
  wAdvance: number;
  /** The second words of LDRD pairs (declared once per iteration: a later tap reads them). */
  pairHis: string[];
  /**
   * dwpair: the channel's weights, loaded once per call before the pixel loop (the taps load none); `odd`: the body
   * and weights for a weight pointer on an odd element (the other pairing of the taps), or null: every call is even.
   */
  dw: { weights: WeightLoad[]; odd: { rows: Row[]; weights: WeightLoad[] } | null } | null;
}

export interface Region {
  y: AxisBand;
  x: AxisBand;
  pb: number;
  /** Function names per channel-block size: for pb pixels, and for the remainder (tailPb pixels per call). */
  main: Record<number, string>;
  tail: Record<number, string>;
  /** Pixels per call of the tail function: the whole remainder of a row where BLOCK_TAIL_FORMS allow, else 1. */
  tailPb: number;
  /** First valid kernel row and column: the window points at its input. */
  kyMin: number;
  kxMin: number;
  rows: number;
  /**
   * halves: the main function loads inputs as aligned words, so it must start on a word: a row whose first pixel
   * block would start on an odd element first runs one pixel through the tail function.
   */
  lead: boolean;
  /** Pixel blocks run down each column of the band (column functions) rather than along each row. */
  vertical: boolean;
}

/**
 * How the inner loop multiplies, per input-channel unit:
 * - single: one MAC per input value (MLA, or SMLAL for 64-bit accumulators);
 * - dual: q15, two input channels per SMLAD/SMLALD, weights stored as packed int16 pairs;
 * - quad: 8-bit HWC, four consecutive input channels are one word: SXTB16 of the word and of the word rotated by
 *   8 give channel pairs (0,2) and (1,3), the same for a word of four weights, then two SMLADs per four MACs.
 * - taps: q15 CHW, stride and dilation 1 along W: consecutive kernel columns read consecutive inputs, so a word of
 *   two inputs (x[p+c], x[p+c+1]) meets a word of two weights (w[c], w[c+1]) of one channel's kernel row in one
 *   SMLALD; the taps left over (a kernel row's ends) take SMLALxy with the halves the words already hold. Weights
 *   are stored [ci][ky][channel in block][kx] (each channel's kernel row contiguous; words loaded unaligned).
 * - halves: q15 with SMLAxy/SMLALxy but no SMLAD (ARMv5TE): one aligned word holds the weights of two output
 *   channels at one tap, and SMLALBB/SMLALBT multiply the input by either half (no LDRSH per weight).
 * - taps8: the 8-bit analogue of taps (q7 CHW, stride and dilation 1 along W): one unaligned word of 4 inputs,
 *   SXTB16 of it and of it rotated by 8 give lanes (x[e], x[e+2]) and (x[e+1], x[e+3]); kernel columns c, c+2 of
 *   one channel (lanes (w[c], w[c+2]) the same way from a word of its kernel row) meet in one SMLAD; the columns
 *   left over take SMLAxy with the lanes already unpacked. Weights stored as taps (the raw bytes).
 * - lane2: 8-bit data on a core with a long multiply: x[a] + x[a+s]*2^23 (two LDRSB and one ADD, s the stride) times
 *   w is x[a]*w + (x[a+s]*w)*2^23, so one SMLAL into a (lo, hi) pair makes the MACs of two adjacent output pixels.
 *   With every channel's |sum of products| < 2^22 (lane2Fits) the 64-bit sum holds pixel 0's sum in its low 23 bits
 *   (recovered by sign extension) and pixel 1's above them (plus the borrow); the seed is added after extraction.
 *   A packed value serves every tap and channel that reads it. Only the unrolled interior's even pixel blocks take
 *   it; the row loops and single pixels multiply as single does (same weight order).
 * - lane2w (optimize 'speed', where lane2 applies): the other way round, the weights of two output channels (a, b) of a
 *   block at one tap packed at generation into one int32 word w_a + w_b*2^23, so x times it is x*w_a + (x*w_b)*2^23:
 *   one LDRSB per input, one LDR per channel pair, one SMLAL into a (lo, hi) pair per channel pair and pixel, lanes =
 *   channels a and b (lane2's bound, extraction and seeds). No pixel pairs: every function (borders, columns,
 *   bands) takes it. A block's odd last channel is packed with a zero weight (its upper lane unused).
 * - dwpair: q15 depthwise (one input and one output channel per group) with SMLAxy/SMLALxy but no SMLAD (ARMv5TE):
 *   the interior loads its inputs as aligned words of two adjacent elements (the caller's lead keeps px on a word)
 *   and the channel's weights as aligned words of two consecutive taps (the raw order; a block at an odd element
 *   runs a second copy of the body with the other pairing), and SMLALxy picks the halves: about half the loads and
 *   no extraction. The other functions multiply as single does (same weight order).
 */
export type MacForm = 'single' | 'dual' | 'quad' | 'taps' | 'taps8' | 'halves' | 'lane2' | 'lane2w' | 'dwpair';

/** lane2: bit position of the second pixel in the packed register (the pointwise family's lane2 uses it too). */
export const LANE2_SHIFT = 23;

/**
 * lane2's bound, proved in exact integers: every output channel's sum of |weight| x the largest |value| multiplied
 * stays under 2^22 (LANE2_SHIFT - 1 bits). The values are the raw int8 inputs (interior with folded seeds, |x| <= 128)
 * or input + offset (interior without folding): the larger of the two is taken, so it holds either way. The upper
 * pixel's value x 2^23 must also fit an int32 (|value| < 256).
 */
export function lane2Fits(m: KernelModel): boolean {
  if (m.numeric.storage.bits !== 8) return false;
  const off = BigInt(m.numeric.inputOffset);
  const abs = (v: bigint) => (v < 0n ? -v : v);
  const maxX = [128n, abs(-128n + off), abs(127n + off)].reduce((a, b) => (a > b ? a : b));
  if (maxX >= 256n) return false;
  const limit = 1n << BigInt(LANE2_SHIFT - 1);
  const per = m.inPerGroup * m.kH * m.kW;
  for (let o = 0; o < m.outC; o++) {
    let sumAbs = 0n;
    for (let t = o * per; t < (o + 1) * per; t++) sumAbs += abs(BigInt(m.weights[t]));
    if (sumAbs * maxX >= limit) return false;
  }
  return true;
}

/** Code bytes the staging copy (stage_rows) and its row loop add, an upper bound as fnBytes is (code-size.test.ts). */
export const STAGE_BYTES = 200;
/**
 * The staging buffer's RAM against the input tensor's: by default at most half (the kernel then needs at most a
 * quarter more RAM than its input and output where they are the same size); 'speed' up to the input's size.
 */
const stageMaxInputFraction: Record<'default' | 'speed', number> = { default: 0.5, speed: 1 };

/** A staged kernel: what the planner sees (the staging buffer as its input) and the buffer's shape. */
export interface Staging {
  /** The model as seen through the buffer: HWC, `rows` x `width`, no padding, one output row per call. */
  model: KernelModel;
  rows: number;
  width: number;
  bytes: number;
}

/**
 * Staging: 16-bit CHW input on cores whose dual MAC (SMLAD/SMLALD) takes two input channels from one word. Before
 * each output row the input rows it reads are copied channel-interleaved (HWC) and zero-padded into a static buffer:
 * a pair of input channels is then one load (CHW needs two and a PKHBT, or kernel-column pairs that waste a lane of
 * an odd-width kernel), and every tap is inside the buffer, so the kernel is one interior function with no borders.
 * Zero padding contributes nothing only without an input offset. The copy costs a few instructions per input element
 * per call (each row is copied once) against kernel taps x output channels MACs per element: where the buffer stays small
 * next to the input tensor (stageMaxInputFraction) and the staged model multiplies in the dual form.
 */
export function stagingFor(m: KernelModel, isa: IsaFeatures, optimize: 'default' | 'speed'): Staging | null {
  if (m.layout !== 'chw' || m.numeric.storage.bits !== 16 || m.numeric.inputOffset !== 0 || !isa.unaligned) return null;
  const rows = (m.kH - 1) * m.dilH + 1;
  const width = m.inW + m.pad.left + m.pad.right;
  const bytes = 2 * rows * width * m.inC * (m.numeric.storage.bits / 8); // a ring of rows, each stored twice
  if (bytes > stageMaxInputFraction[optimize] * m.inC * m.inH * m.inW * (m.numeric.storage.bits / 8)) return null;
  const model: KernelModel = { ...m, layout: 'hwc', inH: rows, inW: width, outH: 1, pad: { top: 0, left: 0, bottom: 0, right: 0 } };
  if (chooseMacForm(model, isa) !== 'dual') return null;
  return { model, rows, width, bytes };
}

/**
 * MAC forms by ISA feature, best first: the first row whose features the ISA has and whose spec test passes wins.
 * ISA differences live in this table, never in checks of target names.
 */
export const macForms: readonly { form: MacForm; needs: (keyof IsaFeatures)[]; lacks?: (keyof IsaFeatures)[]; states?: IsaFeatures['state'][]; accepts: (m: KernelModel) => boolean; why: string }[] = [
  {
    form: 'quad', needs: ['simd32', 'unaligned'],
    accepts: (m) => m.numeric.storage.bits === 8 && m.layout === 'hwc' && m.inPerGroup % 4 === 0,
    why: '8-bit HWC, input channels per group a multiple of 4 (one unaligned word load per 4 channels)',
  },
  {
    form: 'taps', needs: ['simd32', 'unaligned'],
    accepts: (m) => m.numeric.storage.bits === 16 && m.numeric.inputOffset === 0 && m.layout === 'chw'
      && m.strideW === 1 && m.dilW === 1 && m.kW >= 2 && m.kW <= 4,
    // Wider rows keep more words live than GCC 12 allocates without spills under Cortex-M7 tuning (measured on
    // the 5x5 bench: slower than dual there), so they stay with dual.
    why: 'q15 CHW, stride and dilation 1 along W, kernel 2 to 4 wide (pairs of kernel columns)',
  },
  {
    form: 'taps8', needs: ['simd32', 'unaligned'],
    accepts: (m) => m.numeric.storage.bits === 8 && m.numeric.inputOffset === 0 && m.layout === 'chw'
      && m.strideW === 1 && m.dilW === 1 && m.kW >= 3 && m.kW <= 5 && planAccumulator(m).accType === 'int32_t'
      // depthwise-like (one input channel per group): single measured faster (bench d q7 instructions/MAC: cortex-m4
      // 2.62 -> 2.46, cortex-m7 2.62 -> 2.44, cortex-m55 2.78 -> 2.44)
      && m.inPerGroup > 1,
    why: '8-bit CHW without input offset, stride and dilation 1 along W, kernel 3 to 5 wide (columns c, c+2 pair), 32-bit accumulators, several input channels per group',
  },
  {
    form: 'dual', needs: ['simd32'],
    accepts: (m) => m.numeric.storage.bits === 16 && m.numeric.inputOffset === 0 && m.inPerGroup % 2 === 0,
    why: 'q15, an even number of input channels per group',
  },
  {
    form: 'halves', needs: ['dspv5te'],
    accepts: (m) => m.numeric.storage.bits === 16 && m.numeric.inputOffset === 0 && m.outPerGroup % 2 === 0,
    why: 'q15, an even number of output channels per group (blocks of whole channel pairs)',
  },
  {
    form: 'dwpair', needs: ['dspv5te'], lacks: ['simd32'],
    accepts: (m) => m.numeric.storage.bits === 16 && m.numeric.inputOffset === 0 && m.layout === 'chw' && m.inPerGroup === 1
      && m.outPerGroup === 1,
    why: 'q15 CHW depthwise (one input and one output channel per group): words of two inputs and of two taps\' weights, SMLALxy',
  },
  {
    // Thumb-1 has no SMLAL; the host runs no inline ARM assembly. Measured on cores without SIMD32 only (ARM920T,
    // ARM926EJ-S, Cortex-M3): the SIMD cores keep single where quad and taps8 do not apply.
    form: 'lane2', needs: ['longMultiply'], lacks: ['simd32'], states: ['a32', 'thumb2'],
    accepts: (m) => lane2Fits(m) && planAccumulator(m).accType === 'int32_t',
    why: '8-bit, every channel\'s |sum of products| < 2^22 (two pixels in bit lanes of one SMLAL), 32-bit accumulators',
  },
  { form: 'single', needs: [], accepts: () => true, why: 'every spec' },
];

export function chooseMacForm(m: KernelModel, isa: IsaFeatures): MacForm {
  return macForms.find((r) => r.needs.every((f) => isa[f] === true) && !(r.lacks ?? []).some((f) => isa[f] === true) && (!r.states || r.states.includes(isa.state)) && r.accepts(m))!.form;
}

/** taps and taps8 store weights [ci][ky][channel in block][kx] (each channel's kernel row contiguous); the others [ci][ky][kx][channel]. */
export const rowContiguousWeights = (f: MacForm): boolean => f === 'taps' || f === 'taps8';

/** Input channels one MAC unit covers. */
export const unitOf: Record<MacForm, number> = { single: 1, dual: 2, quad: 4, taps: 1, taps8: 1, halves: 1, lane2: 1, lane2w: 1, dwpair: 1 };

export interface OptimizedPlan {
  macForm: MacForm;
  /** Two input channels per multiply (SMLAD/SMLALD): weights stored as packed int16 pairs of consecutive channels. */
  dual: boolean;
  /** quad: weights pre-widened to int16 pairs (0,2),(1,3) (optimize 'speed': twice the weight flash, no unpacking). */
  widened: boolean;
  /**
   * taps8 with optimize 'speed': weight element e stored as the int32 word of int16 lanes (w[e], w[e+2]) (4x the raw
   * weight flash), so every weight lane register is one plain LDR (odd lanes: the word at e+1), no SXTB16.
   */
  lanes8: boolean;
  /** Weight-array elements per (unit, tap, output channel): single/dual 1, quad 4 (bytes) or 2 (widened words). */
  weightStride: number;
  ob: number;
  pb: number;
  estimate: number;
  fullBlocks: number;
  tailSize: number;
  fns: BlockFn[];
  regions: Region[];
  /** Blocked weights: per group, per block, [ci][ky][kx][channel in block]. Same count as the model's. */
  weights: Int32Array;
  ciStride: number;
  rowStride: number;
  codeBytes: number;
  codeBudget: number;
  droppedTaps: number;
  /** Some function calls the output stage (one copy) rather than inlining it per accumulator. */
  outlineFinish: boolean;
}

function strides(m: KernelModel) {
  return m.layout === 'hwc'
    ? { ci: 1, row: m.inW * m.inC, col: m.inC }
    : { ci: m.inH * m.inW, row: m.inW, col: 1 };
}

/** Kernel positions with a non-zero weight in some channel. */
function liveTaps(m: KernelModel): Set<string> {
  const live = new Set<string>();
  const per = m.inPerGroup * m.kH * m.kW;
  for (let o = 0; o < m.outC; o++)
    for (let ci = 0; ci < m.inPerGroup; ci++)
      for (let ky = 0; ky < m.kH; ky++)
        for (let kx = 0; kx < m.kW; kx++) if (m.weights[o * per + (ci * m.kH + ky) * m.kW + kx] !== 0) live.add(`${ky},${kx}`);
  return live;
}

function distinctColumns(m: KernelModel, kxs: number[], pb: number, step = m.strideW): number {
  const s = new Set<number>();
  for (let p = 0; p < pb; p++) for (const kx of kxs) s.add(p * step + kx * m.dilW);
  return s.size;
}

const allColumns = (m: KernelModel) => Array.from({ length: m.kW }, (_, i) => i);

/**
 * Registers live in the inner loop: accumulators, a kernel row's inputs (streamed: ~2 at once), the weights (quad
 * keeps two unpacked halves per output channel, or two words when widened).
 */
function registersNeeded(ob: number, pb: number, accWords: number, form: MacForm, kW = 1): number {
  // taps: the row's input words (pb + kW - 1 inputs), one channel's two weight words at a time;
  // halves: an input at a time, the words of a tap's channel pairs.
  if (form === 'taps') return ob * pb * accWords + Math.ceil((pb + kW - 1) / 2) + 2;
  if (form === 'halves') return ob * pb * accWords + 1 + ob / 2;
  // dwpair: the channel's weight words (held across the pixel loop: about one per two taps) and an input word.
  if (form === 'dwpair') return pb * accWords + Math.ceil(kW / 2) + 1;
  // taps8: the unpacked input lanes (about one per pixel, one more from 4 columns), one channel's weight lanes.
  if (form === 'taps8') return ob * pb * accWords + pb + (kW >= 4 ? 1 : 0) + (kW === 5 ? 3 : 2) - TAPS8_EXTRA_REGS;
  // lane2 (even blocks): a (lo, hi) pair per channel and pixel pair, a packed input per pair (streamed: made just
  // before its taps), a weight; odd blocks are single's.
  if (form === 'lane2' && pb % 2 === 0) return ob * pb + pb / 2 + 1;
  // lane2w: a (lo, hi) pair per channel pair and pixel, a weight word per channel pair, an input (streamed).
  if (form === 'lane2w') return 2 * Math.ceil(ob / 2) * pb + Math.ceil(ob / 2) + 1;
  return ob * pb * accWords + 2 + (form === 'quad' ? 2 : 1) * ob;
}

/** Instructions that make a value: one load, plus taps8's unpacks (a pack is two loads and a PKHBT). */
function def8Cost(d: Def8 | undefined): number {
  if (!d) return 1;
  if (d.kind === 'pack') return 3;
  return d.kind === 'byte' ? 1 : 1 + (d.even ? 1 : 0) + (d.odd ? 1 : 0);
}

/** Instructions per MAC of an interior function as built (taps/halves: counted from its loads and MACs). */
function countedEstimate(m: KernelModel, f: BlockFn, accWords: number, lanes8 = false): number {
  // lanes8: a weight lane register is one LDR of the pre-unpacked word
  const wCost = (d: Def8 | undefined) => !lanes8 || !d ? def8Cost(d) : d.kind === 'word' ? (d.even ? 1 : 0) + (d.odd ? 1 : 0) : 1;
  let body = 0;
  for (const r of f.rows) {
    body += r.loads.reduce((a, l) => a + def8Cost(l.b8), 0);
    for (const t of r.taps) body += t.weights.reduce((a, l) => a + wCost(l.b8), 0) + t.macs.length;
  }
  const iterations = m.inPerGroup / f.ciStep;
  // LDRD pairs that move the weight pointer by a whole iteration leave the loop no add for it
  const loopUpkeep = 3 + accWords - (f.wAdvance > 0 && f.wAdvance === f.ciStep * f.weightsPerCi ? 1 : 0);
  const perOutput = 10 * accWords * f.ob * f.pb;
  return (iterations * (body + loopUpkeep) + perOutput) / (m.inPerGroup * m.kH * m.kW * f.ob * f.pb);
}

/** Instructions per MAC of the interior: input and weight loads, MACs, loop upkeep, seeding and finishing. */
function estimate(m: KernelModel, ob: number, pb: number, accWords: number, form: MacForm, widened: boolean): number {
  const taps = m.kH * m.kW;
  if (form === 'lane2' && pb % 2 === 0) {
    // Per kernel row: a load per element read, an add per packed value (pair start); per tap a load per weight and
    // an SMLAL per channel and pixel pair. Per output: single's seeding and finishing, the lanes' zeroing and
    // extraction (~4 more).
    const packed = m.kH * distinctColumns(m, allColumns(m), pb / 2, 2 * m.strideW);
    const loads = m.kH * distinctColumns(m, allColumns(m), pb);
    const perOutput = ((10 * accWords + LANE2_OUTPUT_INSTRUCTIONS) * ob * pb) / m.inPerGroup;
    return (loads + packed + taps * ob + (taps * ob * pb) / 2 + 3 + accWords + perOutput) / (taps * ob * pb);
  }
  if (form === 'lane2w') {
    // Per kernel row a load per element read; per tap a load per channel pair and an SMLAL per channel pair and
    // pixel. Per output: single's seeding and finishing and the lanes' extraction, as lane2.
    const pairs = Math.ceil(ob / 2);
    const loads = m.kH * distinctColumns(m, allColumns(m), pb);
    const perOutput = ((10 * accWords + LANE2_OUTPUT_INSTRUCTIONS) * ob * pb) / m.inPerGroup;
    return (loads + taps * pairs + taps * pairs * pb + 3 + accWords + perOutput) / (taps * ob * pb);
  }
  // single and dual: per input channel (dual's pairs are not modelled; its choices were measured that way)
  const unit = form === 'quad' ? 4 : 1;
  // Per unit of input channels: a load per input (quad: + 2 unpacks), a load per weight (quad: + 2 unpacks
  // unless widened, then 2 loads), one MAC instruction per product (quad: 2 per 4 products).
  const perInput = form === 'quad' ? 3 : 1;
  const perWeight = form === 'quad' ? (widened ? 2 : 3) : 1;
  const macInstr = form === 'quad' ? 2 : 1;
  const inputLoads = m.kH * distinctColumns(m, allColumns(m), pb) * perInput;
  const macs = taps * ob * pb * unit;
  const weightLoads = taps * ob * perWeight;
  const loopUpkeep = 3 + accWords;
  const perOutput = (10 * accWords * ob * pb * unit) / m.inPerGroup;
  return (inputLoads + weightLoads + macInstr * taps * ob * pb + loopUpkeep + perOutput) / macs;
}

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
const anchorInputPointer: Record<IsaFeatures['state'], readonly string[]> = {
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
const ANCHOR_LANE2_MARGIN = 16;

/**
 * Code-size model of one block function, per instruction-set state (bytes): `instr` per emitted load, MAC or
 * unpack (A32 is 4 bytes an instruction plus address arithmetic; Thumb-1 needs moves around its 8 low registers),
 * `fn` per function (its loops, seeding, call and spills), `accInt8`/`accQ` per accumulator word (the output
 * stage is inlined per accumulator: int8's per-channel multiply, rounding shift and clamp is ~40 A32 instructions;
 * `accCall` when that stage is one out-of-line function instead, `finishBody` its one copy).
 * Fitted by least squares on measured .text, then rounded up so that every measured kernel is at or under it.
 */
const codeCost: Record<IsaFeatures['state'], { instr: number; fn: number; accInt8: number; accQ: number; accCall: number; finishBody: number }> = {
  // A32: the least total over-estimate (a linear program) that is still at or above the real .text of every bench
  // spec and example x every register-feasible blocking x every output-stage placement, on arm920t, arm926ej-s and
  // cortex-a9 (489 kernels; the smallest margin is 87 bytes, the mean ~590).
  a32: { instr: 5, fn: 405, accInt8: 186, accQ: 34, accCall: 16, finishBody: 0 },
  host: { instr: 5, fn: 400, accInt8: 170, accQ: 40, accCall: 40, finishBody: 240 },
  thumb2: { instr: 5, fn: 150, accInt8: 160, accQ: 70, accCall: 40, finishBody: 200 },
  thumb1: { instr: 9, fn: 100, accInt8: 260, accQ: 180, accCall: 40, finishBody: 300 },
};

/** Estimated code bytes of one function (an upper bound of what arm-none-eabi-gcc -O2 makes of it). */
function fnBytes(f: BlockFn, accWords: number, m: KernelModel, state: IsaFeatures['state']): number {
  const c = codeCost[state];
  // quad: a load and two unpacks per input and weight word, two SMLADs per MAC entry
  const k = f.macForm === 'quad' ? 3 : 1;
  // Border functions add the input offset to every input they load (the interior folds it into its seeds).
  const add = m.numeric.inputOffset !== 0 && f.kind !== 'unrolled' ? 1 : 0;
  let n = f.laneAccs.length * laneCode(f.macForm);
  // dwpair: its weights once per call, and the second body
  if (f.dw) n += f.dw.weights.length + (f.dw.odd ? f.dw.odd.weights.length : 0);
  for (const r of [...f.rows, ...(f.dw?.odd?.rows ?? [])]) {
    // lane2: two loads (each with the offset's add) and the packing add per value
    n += f.macForm === 'taps8' ? r.loads.reduce((a, l) => a + def8Cost(l.b8), 0)
      : r.loads.reduce((a, l) => a + (l.lane === undefined ? k + add : 3 + 2 * add), 0);
    for (const t of r.taps) n += (f.macForm === 'quad' ? 2 : 1) * t.macs.length
      + (f.macForm === 'taps8' ? t.weights.reduce((a, l) => a + def8Cost(l.b8), 0) : k * t.weights.length);
  }
  const perAcc = f.outlineFinish ? c.accCall : m.numeric.kind === 'int8' ? c.accInt8 : c.accQ;
  // Column and band functions: their loads reach further (rows apart) and their blocks spill more than the fitted
  // kinds (measured up to 33 B over the model on cortex-m7 bench f q15 and 113 B on arm920t bench a int8 without it): a margin of their own.
  return c.instr * n + c.fn + (f.kind === 'column' || f.kind === 'band' ? BORDER_FN_MARGIN : 0) + f.ob * f.pb * accWords * perAcc
    + (f.laneAccs.length > 0 && anchorsInput(state, f.macForm, m.numeric.storage.bits) ? ANCHOR_LANE2_MARGIN : 0);
}

/**
 * Where the output stage is one out-of-line function (int8's is large) rather than inlined per accumulator: nowhere,
 * in the border (row-loop) functions only, which run for few outputs, or everywhere.
 */
type FinishPlacement = 'inline' | 'border' | 'all';

interface Shape {
  ob: number;
  pb: number;
  /** MACs the unrolled interior's channel loop aims at per iteration (its body repeats over input channels). */
  unroll: number;
  outline: FinishPlacement;
  /**
   * Pixels per block of the column functions that side bands with every kernel row valid run (vertical pixel
   * blocks), or 0: those bands run row loops.
   */
  columnPb: number;
  /** Top and bottom bands with every kernel column valid run band functions (unrolled), not row loops. */
  bands: boolean;
}

const outlinedIn = (p: FinishPlacement, kind: BlockFn['kind']) => p === 'all' || (p === 'border' && kind !== 'unrolled');

function build(m: KernelModel, shape: Shape, accWords: number, live: Set<string>, form: MacForm, weightStride: number, state: IsaFeatures['state'],
  ldrd = false, blockTails = true) {
  const { ob, pb } = shape;
  const pairBase = ldrd && ldrdBaseAligned(m, form, ob);
  const s = strides(m);
  const yBands = axisBands(m.outH, m.inH, m.kH, m.strideH, m.dilH, m.pad.top);
  const xBands = axisBands(m.outW, m.inW, m.kW, m.strideW, m.dilW, m.pad.left);
  const sizes = m.outPerGroup % ob > 0 ? [ob, m.outPerGroup % ob] : [ob];
  const fns: BlockFn[] = [];
  const names = new Map<string, string>();
  const leadOk = (pixels: number) => wordInputs(m, form, pixels);
  const fnFor = (kind: BlockFn['kind'], kxs: number[], size: number, pixels: number, doc: string, kys: number[] = [],
    aligned = kind === 'unrolled' && leadOk(pixels)): string => {
    // A row loop's code depends only on how many columns it has (offsets are relative to its first column), so
    // column sets of the same length share one function (GCC would merge the copies and confuse stack analysis).
    // So does a column function's: it depends on its columns' live kernel rows, relative to its first column.
    // A band function's on its rows' live kernel columns, relative to its first row.
    const liveMask = (ky: number) => Array.from({ length: m.kW }, (_, kx) => (live.has(`${ky},${kx}`) ? 1 : 0)).join('');
    const liveRows = (kx: number) => Array.from({ length: m.kH }, (_, ky) => (live.has(`${ky},${kx}`) ? 1 : 0)).join('');
    const shapeKey = kind === 'rowloop' ? String(kxs.length) : kind === 'column' ? kxs.map(liveRows).join('|')
      : kind === 'band' ? kys.map(liveMask).join('|') : kxs.join(',');
    const key = `${kind}|${shapeKey}|${size}|${pixels}|${aligned}`;
    let name = names.get(key);
    if (!name) {
      name = `${{ unrolled: 'interior', rowloop: 'rows', column: 'column', band: 'band' }[kind]}${fns.length}_o${size}_p${pixels}`;
      names.set(key, name);
      fns.push({ ...blockFn(m, s, kind, kxs, size, pixels, name, doc, live, form, weightStride, aligned, shape.unroll, kys, pairBase),
        outlineFinish: outlinedIn(shape.outline, kind) });
    }
    return name;
  };
  const regions: Region[] = [];
  for (const y of yBands)
    for (const x of xBands) {
      const width = x.hi - x.lo + 1;
      const height = y.hi - y.lo + 1;
      const interior = y.valid.length === m.kH && x.valid.length === m.kW;
      // A side band (all kernel rows valid, narrower than tall) runs down its columns: a row loop there makes one
      // pixel per call with a loop per kernel row, several times the interior's instructions per MAC.
      const vertical = shape.columnPb > 0 && !interior && y.valid.length === m.kH && x.valid.length > 0 && height > width
        && !rowContiguousWeights(form);
      // A top or bottom band (every kernel column valid) unrolls its valid kernel rows: a row loop there pays its
      // loop and a reload of the row's inputs per kernel row. (taps8 reads weight words around its taps: not here.)
      const band = shape.bands && !interior && !vertical && x.valid.length === m.kW && y.valid.length > 0 && form !== 'taps8';
      const kind: BlockFn['kind'] = interior ? 'unrolled' : vertical ? 'column' : band ? 'band' : 'rowloop';
      const length = vertical ? height : width;
      // halves: row-loop bands one pixel at a time (their pixel-block copies would not fit the code budget).
      const regionPb = vertical ? (length >= shape.columnPb ? shape.columnPb : 1)
        : length >= pb && (interior || band || form !== 'halves') ? pb : 1;
      // dwpair: its band functions load input words too, so their rows take the lead pixel as the interior's do; its
      // column functions load words where every call's input is on the parity of the band's first (proved here), and
      // run every pixel through the tail if that one is off a word (checked at run time: `lead`); that tail is a row
      // loop (halfwords; the corners' function where the column count is theirs).
      const columnLead = kind === 'column' && form === 'dwpair' && columnWords(m, x);
      const lead = ((interior || (band && form === 'dwpair')) && leadOk(regionPb)) || columnLead;
      const doc = interior ? 'interior: every tap inside the input'
        : vertical ? `side band: ${x.valid.length} consecutive kernel column(s), every kernel row, pixels down the column`
          : band ? `top or bottom band: every kernel column, kernel rows ${y.valid.join(', ')} relative to the first`
            : `border: ${x.valid.length} consecutive kernel column(s), any kernel rows`;
      const main: Record<number, string> = {};
      const tail: Record<number, string> = {};
      // The pixels a row has left after its blocks: one block of that many (its input read as the plain form does)
      // where the form allows, rather than one call per pixel.
      const rest = length % regionPb;
      const tailPb = blockTails && rest >= 2 && !lead && !vertical && BLOCK_TAIL_FORMS.includes(form) ? rest : 1;
      for (const size of sizes) {
        main[size] = fnFor(kind, x.valid, size, regionPb, doc, y.valid, lead);
        if (columnLead) tail[size] = fnFor('rowloop', x.valid, size, 1, 'border, or a side band whose input is off a word');
        else if (rest !== 0) tail[size] = fnFor(kind, x.valid, size, tailPb, doc, y.valid, false);
        // A row's lead pixel (only when its input starts off a word): a row loop is enough, and much smaller.
        else if (lead) tail[size] = fnFor('rowloop', x.valid, size, 1, 'border, or the lead pixel of an interior row');
      }
      regions.push({
        y, x, pb: regionPb, main, tail, tailPb,
        kyMin: y.valid.length ? y.valid[0] : 0,
        kxMin: x.valid.length ? x.valid[0] : 0,
        rows: y.valid.length,
        lead,
        vertical,
      });
    }
  const bytes = RUN_BYTES + REGION_ROW_BYTES * regions.length + (fns.some((f) => f.outlineFinish) ? codeCost[state].finishBody : 0)
    + fns.reduce((a, f) => a + fnBytes(f, accWords, m, state), 0);
  return { fns, regions, bytes, sizes };
}

/**
 * halves, dwpair: interior pixel blocks keep the word alignment of their input (an even number of elements apart, and
 * every group's input plane starts on the parity of the first), so a row's lead pixel puts them on words (with an even
 * step along W no pixel does: such a row runs every pixel through the tail, see the run function).
 */
function wordInputs(m: KernelModel, form: MacForm, pixels: number): boolean {
  const s = strides(m);
  return (form === 'halves' || form === 'dwpair') && pixels % 2 === 0 && (pixels * m.strideW * s.col) % 2 === 0
    && (m.groups === 1 || (m.inPerGroup * s.ci) % 2 === 0);
}

/**
 * dwpair's column functions (pixels down one output column): every call's first input is on an even element when the
 * rows and the groups' planes are an even number of elements apart and every column of the band reads from an even
 * input column (one column, or an even stride).
 */
function columnWords(m: KernelModel, x: AxisBand): boolean {
  const s = strides(m);
  if (s.col !== 1 || s.row % 2 !== 0 || (m.groups > 1 && (m.inPerGroup * s.ci) % 2 !== 0) || x.valid.length === 0) return false;
  if (x.lo !== x.hi && m.strideW % 2 !== 0) return false;
  return (x.lo * m.strideW - m.pad.left + x.valid[0] * m.dilW) % 2 === 0;
}

/**
 * Forms whose remainder of a row runs as one block of that many pixels (the others, with pixel pairs, lanes or
 * aligned-word leads, keep single pixels there).
 */
const BLOCK_TAIL_FORMS: readonly MacForm[] = ['single', 'dual', 'quad', 'taps', 'lane2w'];

/** int16 elements in the 8 bytes an ARMv5TE LDRD needs its address aligned to. */
const LDRD_ELEMENTS = 4;
/** LDRD's immediate offset reaches ±255 bytes: ±127 int16 elements. */
const LDRD_REACH = 127;

/**
 * halves: whether every call of an interior function (blocks of `ob` channels) gets an 8-byte aligned weight pointer:
 * the array is aligned(8) and every base it is called with, group x GROUP_WEIGHTS + block x BLOCK_WEIGHTS (the tail
 * block's too) at tap 0 (the interior's first tap), is a multiple of LDRD_ELEMENTS. (The iteration stride is checked
 * per function.)
 */
function ldrdBaseAligned(m: KernelModel, form: MacForm, ob: number): boolean {
  const per = m.inPerGroup * m.kH * m.kW;
  return form === 'halves' && (m.groups === 1 || (m.outPerGroup * per) % LDRD_ELEMENTS === 0) && (ob * per) % LDRD_ELEMENTS === 0;
}

/**
 * halves: pairs of weight words loaded by one LDRD each. A word at element e (e a multiple of LDRD_ELEMENTS from the
 * iteration's start, whose pointer is 8-byte aligned) pairs with the word at e + 2 when both are loaded; the pair
 * loads where e's word did and the second word stays live until its tap. The loads move the weight pointer (post- or
 * pre-indexed: no address register per pair, no immediate beyond LDRD's reach); every other weight is read relative
 * to where the pointer then is. Returns the rows unchanged when nothing pairs or an LDRD offset would not fit.
 */
function pairWeightWords(rows: Row[], stride: number): { rows: Row[]; wAdvance: number; pairHis: string[] } {
  const none = { rows, wAdvance: 0, pairHis: [] };
  const order = rows.flatMap((r) => r.taps.flatMap((t) => t.weights));
  const pos = new Map(order.map((w, i) => [w, i]));
  const wordAt = new Map(order.filter((w) => w.word).map((w) => [w.index, w]));
  const hiOf = new Map<WeightLoad, WeightLoad>();
  const his = new Set<WeightLoad>();
  for (const w of order) {
    const hi = wordAt.get(w.index + 2);
    if (!w.word || w.index % LDRD_ELEMENTS !== 0 || his.has(w) || !hi || his.has(hi) || pos.get(hi)! < pos.get(w)!) continue;
    hiOf.set(w, hi);
    his.add(hi);
  }
  if (hiOf.size === 0) return none;
  const los = order.filter((w) => hiOf.has(w));
  const made = new Map<WeightLoad, WeightLoad>();
  let cursor = 0;
  for (const w of order) {
    if (his.has(w)) continue;
    const hi = hiOf.get(w);
    if (!hi) {
      made.set(w, { ...w, rel: w.index - cursor });
      continue;
    }
    const next = los[los.indexOf(w) + 1];
    const pre = cursor !== w.index;
    const step = pre ? w.index - cursor : (next ? next.index : stride) - w.index;
    if (Math.abs(step) > LDRD_REACH) return none;
    cursor = pre ? w.index : w.index + step;
    made.set(w, { ...w, rel: 0, pair: { hi: hi.id, pre, step } });
  }
  return {
    rows: rows.map((r) => ({ ...r, taps: r.taps.map((t) => ({ ...t, weights: t.weights.filter((w) => !his.has(w)).map((w) => made.get(w)!) })) })),
    wAdvance: cursor,
    pairHis: [...his].map((w) => w.id),
  };
}

/**
 * Blockings the paired forms allow. halves: every block (and the tail block) whole channel pairs, so that each
 * weight word a block reads is aligned (the weight array is word aligned and every block starts on a word).
 */
function pairedShapeOk(m: KernelModel, form: MacForm, ob: number): boolean {
  if (form !== 'halves') return true;
  return ob % 2 === 0 && (m.outPerGroup % ob) % 2 === 0;
}

/** Dual 16-bit multiply-accumulate: q15 data on a core with the DSP extension, an even number of inputs per group. */
export function usesDual(m: KernelModel, isa: IsaFeatures): boolean {
  return chooseMacForm(m, isa) === 'dual';
}

export function planOptimized(m: KernelModel, isa: IsaFeatures, accType: string, optimize: 'default' | 'speed' = 'default',
  extraBytes = 0): OptimizedPlan {
  const accWords = accType === 'int64_t' ? 2 : 1;
  const macForm = chooseMacForm(m, isa);
  const dual = macForm === 'dual';
  const quad = macForm === 'quad';
  const widened = quad && optimize === 'speed';
  const lanes8 = macForm === 'taps8' && optimize === 'speed';
  const unit = unitOf[macForm];
  const weightStride = quad ? (widened ? 2 : 4) : 1;
  const budget = registerBudget[isa.state];
  const live = liveTaps(m);
  const xBands = axisBands(m.outW, m.inW, m.kW, m.strideW, m.dilW, m.pad.left);
  const widest = Math.max(...xBands.map((b) => b.hi - b.lo + 1));
  // Cheapest blocking whose registers fit the ISA and whose code fits the budget (1 x 1 always qualifies).
  // int8's output stage may also be called rather than inlined: a call per output, much less code per accumulator.
  // Calls only in the border costs the interior nothing (the estimate is the interior's): at equal cost the stable
  // sort keeps inline first, then border. With few MACs per output (depthwise) an interior with the stage inlined
  // measured no faster on arm920t and slower on arm926ej-s than one calling it, so there it is all or nothing.
  const macsPerOutput = m.inPerGroup * m.kH * m.kW;
  const outlines: FinishPlacement[] = m.numeric.kind !== 'int8' ? ['inline']
    : macsPerOutput >= MIN_MACS_FOR_BORDER_CALLS ? ['inline', 'border', 'all'] : ['inline', 'all'];
  // A form's own placements where it has some and the stage may be called at all (int8).
  const placementsOf = (form: MacForm) => (outlines.length > 1 && calledPlacements[form]) || outlines;
  const paired = macForm === 'taps' || macForm === 'taps8' || macForm === 'halves';
  const interiorOf = (ob: number, pb: number, unroll: number, form = macForm) => blockFn(m, strides(m), 'unrolled', allColumns(m), ob, pb, 'estimate', '', live, form, weightStride,
    form === 'halves' ? pb % 2 === 0 : wordInputs(m, form, pb), unroll, [], isa.ldrd && ldrdBaseAligned(m, form, ob));
  const options: (Shape & { cost: number; form: MacForm })[] = [];
  // lane2: every blocking also as single (what the interior multiplies with when lane2 does not win or fit there).
  // dwpair: likewise (its border functions are single's).
  const base: MacForm = macForm === 'lane2' || macForm === 'dwpair' ? 'single' : macForm;
  // Column functions for the side bands cost the interior nothing: at equal cost every shape with them comes first
  // (with the border's output stage called if that is what fits), largest vertical blocks first, then the shapes
  // without (a row loop per side band).
  const columnBlocks = rowContiguousWeights(macForm) ? [0] : [4, 3, 2, 1, 0];
  // Band functions for the top and bottom bands likewise, with each column choice first with them, then without.
  // Not with one input channel per group (depthwise): with no channel loop GCC hoists every load of the body and
  // spills (measured on arm920t bench d q15: 5.43 -> 5.64 instructions/MAC with bands).
  // dwpair's band functions hold their weights and load input words like its interior: with bands first.
  const bandChoices = macForm === 'taps8' || (m.inPerGroup === 1 && macForm !== 'dwpair') ? [false] : [true, false];
  for (const column of columnBlocks)
  for (const bands of bandChoices)
  for (const outline of outlines)
    for (const unroll of unrollTargets[macForm])
      // taps8: one output channel per block measured slower than two on every bench spec (its weight lanes are
      // unpacked for as few MACs as pixels; the single-pixel tails build their lanes with PKHBT), so from 2 when possible.
      for (let ob = macForm === 'taps8' ? Math.min(2, m.outPerGroup) : 1; ob <= Math.min(4, m.outPerGroup); ob++)
        // column functions at most as many pixels per block as the interior (the same registers)
        for (let pb = Math.max(1, column); pb <= Math.min(4, widest); pb++) {
          const call = outline === 'all' ? CALL_INSTRUCTIONS / macsPerOutput : 0;
          const border = { columnPb: column, bands };
          // A column function multiplies in the base form (single or halves: lane2 packs only the interior's pairs),
          // so its blocking must fit the registers in that form (more spills and code otherwise: lane2's 4 x 2 with
          // 4 x 2 single column blocks measured 389 B over the code model on arm920t).
          if (column > 1 && (macForm === 'dwpair' ? column > 2 && registersNeeded(ob, column, accWords, 'dwpair', live.size) > budget
            : registersNeeded(ob, column, accWords, base, m.kW) > budget)) continue;
          if (paired ? pairedShapeOk(m, macForm, ob) && (ob * pb <= 2 || registersNeeded(ob, pb, accWords, macForm, m.kW) <= budget)
            : ob * pb === 1 || registersNeeded(ob, pb, accWords, base) <= budget + (quad ? QUAD_EXTRA_REGS : 0))
            options.push({ ob, pb, outline, unroll, ...border, form: base, cost: (paired ? countedEstimate(m, interiorOf(ob, pb, unroll), accWords, lanes8) : estimate(m, ob, pb, accWords, base, widened))
              + call });
          if (macForm === 'lane2' && lane2ShapeOk(ob, pb, isa.state) && registersNeeded(ob, pb, accWords, 'lane2') <= budget + lane2Blocks[isa.state].extraRegs)
            options.push({ ob, pb, outline, unroll, ...border, form: 'lane2', cost: estimate(m, ob, pb, accWords, 'lane2', false) + call });
          if (macForm === 'lane2' && packedWeightPairs[optimize] && ob >= lane2wBlocks[isa.state].minOb
            && Math.ceil(ob / 2) * pb <= lane2wBlocks[isa.state].maxPairs
            && placementsOf('lane2w').includes(outline)
            && registersNeeded(ob, pb, accWords, 'lane2w') <= budget + lane2wBlocks[isa.state].extraRegs)
            options.push({ ob, pb, outline, unroll, ...border, form: 'lane2w', cost: estimate(m, ob, pb, accWords, 'lane2w', false) + call });
          // dwpair: up to 2 pixels whatever the weights need (spilled weights reload from the stack as they would from
          // the array); more only where every weight stays in a register (bench d q15 on arm926ej-s: 4 x 1 with its
          // weights spilled measured 3.65 instructions/MAC against 2 x 1's 3.15).
          if (macForm === 'dwpair' && ob === 1 && (pb <= 2 || registersNeeded(ob, pb, accWords, 'dwpair', live.size) <= budget))
            options.push({ ob, pb, outline, unroll, ...border, form: 'dwpair', cost: countedEstimate(m, interiorOf(ob, pb, unroll, 'dwpair'), accWords) + call });
        }
  options.sort((a, b) => a.cost - b.cost);
  let chosen = options[options.length - 1];
  let built = build(m, chosen, accWords, live, chosen.form, weightStride, isa.state, isa.ldrd, false);
  // Each blocking first with its rows' remainders as blocks, then with single pixels there (less code), before the
  // next blocking: block tails never cost the interior its blocking (measured: bench d q7 on arm920t 3.44 -> 3.61
  // when they did).
  choose: for (const o of options)
    for (const blockTails of [true, false]) {
      const b = build(m, o, accWords, live, o.form, weightStride, isa.state, isa.ldrd, blockTails);
      if (b.bytes + extraBytes <= codeBudget[isa.state]) {
        chosen = o;
        built = b;
        break choose;
      }
    }
  const { ob } = chosen;
  const per = m.inPerGroup * m.kH * m.kW;
  const weights: number[] = [];
  for (let g = 0; g < m.groups; g++)
    for (let start = 0; start < m.outPerGroup; start += ob) {
      const size = Math.min(ob, m.outPerGroup - start);
      const o0 = g * m.outPerGroup + start;
      const taps = m.kH * m.kW;
      for (let ci = 0; ci < m.inPerGroup; ci += unit) {
        // lane2w: per tap, channels (2k, 2k+1) of the block as one word w_2k + w_2k+1 x 2^23 (an odd last channel
        // with a zero partner); exact in int32 as |w| <= 128.
        if (chosen.form === 'lane2w') {
          for (let t = 0; t < taps; t++)
            for (let j = 0; j < size; j += 2) {
              const at = (jj: number) => (jj < size ? m.weights[(o0 + jj) * per + ci * taps + t] : 0);
              weights.push(at(j) + at(j + 1) * 2 ** LANE2_SHIFT);
            }
          continue;
        }
        // taps: each channel's kernel row contiguous, [ci][ky][channel in block][kx]
        if (rowContiguousWeights(macForm)) {
          for (let ky = 0; ky < m.kH; ky++)
            for (let j = 0; j < size; j++)
              for (let kx = 0; kx < m.kW; kx++) weights.push(m.weights[(o0 + j) * per + ci * taps + ky * m.kW + kx]);
          continue;
        }
        for (let t = 0; t < taps; t++)
          for (let j = 0; j < size; j++) {
            const at = (c: number) => m.weights[(o0 + j) * per + c * taps + t];
            const pair = (lo: number, hi: number) => (at(lo) & 0xffff) | (at(hi) << 16);
            // A dual word holds channel ci in its low half and ci+1 in its high half, as SMLAD pairs them.
            if (dual) weights.push(pair(ci, ci + 1));
            // Widened quad: the halves SXTB16 would give, (ci, ci+2) and (ci+1, ci+3).
            else if (widened) weights.push(pair(ci, ci + 2), pair(ci + 1, ci + 3));
            // Quad: the four channels' bytes in order, one word (the raw bytes, reordered).
            else if (quad) weights.push(at(ci), at(ci + 1), at(ci + 2), at(ci + 3));
            else weights.push(at(ci));
          }
      }
    }
  // lanes8: the same element indices, each element with the one two further in its top lane (0 past the end).
  const stored = lanes8 ? weights.map((v, e) => (v & 0xffff) | ((weights[e + 2] ?? 0) << 16)) : weights;
  const s = strides(m);
  return {
    macForm: chosen.form,
    dual,
    widened,
    lanes8,
    weightStride,
    ob, pb: chosen.pb, estimate: chosen.cost,
    fullBlocks: Math.floor(m.outPerGroup / ob),
    tailSize: m.outPerGroup % ob,
    fns: built.fns,
    regions: built.regions,
    weights: Int32Array.from(stored),
    ciStride: s.ci,
    rowStride: m.dilH * s.row,
    codeBytes: built.bytes + extraBytes,
    codeBudget: codeBudget[isa.state],
    droppedTaps: m.kH * m.kW - live.size,
    outlineFinish: built.fns.some((f) => f.outlineFinish),
  };
}

/** Input channels per iteration of the interior's loop: enough MACs per iteration to amortize the loop (~24). */
function ciUnroll(inPerGroup: number, macsPerCi: number, unroll = UNROLL_MACS): number {
  const want = Math.min(8, Math.ceil(unroll / Math.max(1, macsPerCi)));
  for (let u = want; u > 1; u--) if (inPerGroup % u === 0) return u;
  return 1;
}

function blockFn(m: KernelModel, s: { ci: number; row: number; col: number }, kind: BlockFn['kind'], kxs: number[],
  ob: number, pb: number, fn: string, doc: string, live: Set<string>, form: MacForm, weightStride: number, alignedInput = false,
  unroll = UNROLL_MACS, kys: number[] = [], ldrdBase = false): BlockFn {
  // lane2 packs pixel pairs where its bound is proved (the interior) and the block is pairs; elsewhere single.
  const lanes = form === 'lane2' && kind === 'unrolled' && pb % 2 === 0;
  if (form === 'lane2' && !lanes) form = 'single';
  // dwpair: the unrolled interior only (its pixel blocks keep px on a word); the border functions multiply as single.
  if (form === 'dwpair' && kind === 'rowloop') form = 'single';
  if (form === 'dwpair') return dwpairFn(m, s, kind, kxs, kind === 'unrolled' ? Array.from({ length: m.kH }, (_, i) => i) : kys, pb, fn, doc, live, alignedInput);
  const unit = unitOf[form];
  const kxMin = kxs.length ? kxs[0] : 0;
  // The unrolled interior (and a band, over its valid rows) drops taps that are zero everywhere; a row loop serves
  // any row, so it keeps them all.
  const unrolledRows = kind === 'unrolled' || kind === 'band';
  const rowsToEmit = kind === 'unrolled' ? Array.from({ length: m.kH }, (_, i) => i) : kind === 'band' ? kys : [0];
  // A band's pointers sit on its first valid kernel row.
  const kyBase = kind === 'band' ? kys[0] : 0;
  const colsOf = (ky: number) => (unrolledRows ? kxs.filter((kx) => live.has(`${ky},${kx}`)) : kxs);
  // Weight-array elements per tap: lane2w's words hold two channels each.
  const wob = weightSlots(form, ob);
  const macsPerCi = rowsToEmit.reduce((a, ky) => a + colsOf(ky).length, 0) * ob * pb;
  const ciStep = kind === 'unrolled' ? ciUnroll(m.inPerGroup / unit, macsPerCi * unit, unroll) : 1;
  const rows: Row[] = [];
  let loadId = 0;
  let weightId = 0;
  if (kind === 'column') rows.push(...columnGroups(m, s, kxs, ob, pb, live, form, weightStride));
  else for (let u = 0; u < ciStep; u++)
    for (const ky of rowsToEmit) {
      const cols = colsOf(ky);
      if (cols.length === 0) continue;
      const rowOffset = u * unit * s.ci + (unrolledRows ? (ky - kyBase) * m.dilH * s.row : 0);
      const xAt = (p: number, kx: number) => rowOffset + (p * m.strideW + (kx - kxMin) * m.dilW) * s.col;
      // Weight-array element of (channel j of the block, kernel column kx) in this row, in units of weightStride: the
      // row-contiguous order ([ci][ky][j][kx]) or the blocked one ([ci][ky][kx][j]); a row loop's pointer already sits
      // on its row's first valid column.
      const wIndex = (j: number, kx: number) => rowContiguousWeights(form)
        ? (unrolledRows ? ((u * m.kH + ky - kyBase) * ob + j) * m.kW + kx : j * m.kW + (kx - kxMin))
        : (unrolledRows ? (u * m.kH * m.kW + (ky - kyBase) * m.kW + kx) * wob + j : (kx - kxMin) * wob + j);
      const xId = () => `x${loadId++}`;
      const wId = () => `w${weightId++}`;
      // Weight elements taps8 may read in a call: the interior's whole iteration, a row loop's one kernel row.
      const wSafe = kind === 'unrolled' ? (lo: number, hi: number) => lo >= 0 && hi < ciStep * m.kH * ob * m.kW
        : (lo: number, hi: number) => lo >= -kxMin && hi < ob * m.kW - kxMin;
      // taps/halves: px sits on a word (the caller's lead) and stays there: input words start at even offsets.
      const xWords = form === 'taps' || (alignedInput && (ciStep * s.ci) % 2 === 0);
      const r = form === 'taps8' ? taps8Row(cols.map((kx) => kx - kxMin), ob, pb, rowOffset, (j, c) => wIndex(j, c + kxMin), wSafe, xId, wId)
        : form === 'taps' || form === 'halves' ? pairedRow(form, cols, ob, pb, xAt, wIndex, xWords, xId, wId)
          : lanes ? lane2Row(cols, ob, pb, xAt, wIndex, xId, wId)
            : form === 'lane2w' ? lane2wGroup(cols, ob, pb, xAt, wIndex, xId, wId)
            : plainRow(cols, ob, pb, xAt, wIndex, weightStride, xId, wId);
      rows.push({ ky: ciStep > 1 ? ky + u * 1000 : ky, loads: r.loads, taps: r.taps });
    }
  const accs = [];
  const laneAccs = [];
  if (lanes) for (let j = 0; j < ob; j++) for (let q = 0; q < pb / 2; q++) laneAccs.push({ id: `l${j}_${q}`, j, p0: 2 * q, p1: 2 * q + 1 });
  else if (form === 'lane2w') for (let k = 0; k < wob; k++) for (let p = 0; p < pb; p++)
    laneAccs.push({ id: `l${k}_${p}`, j: 2 * k, p0: p, p1: p, j1: 2 * k + 1 < ob ? 2 * k + 1 : null });
  else for (let j = 0; j < ob; j++) for (let p = 0; p < pb; p++) accs.push({ id: `a${j}_${p}`, j, p });
  const weightsPerCi = m.kH * m.kW * wob * weightStride;
  // LDRD pairs: the interior only (its calls start at tap 0), where every iteration keeps the pointer 8-byte aligned.
  const paired = kind === 'unrolled' && form === 'halves' && ldrdBase && (ciStep * weightsPerCi) % LDRD_ELEMENTS === 0
    ? pairWeightWords(rows, ciStep * weightsPerCi) : { rows, wAdvance: 0, pairHis: [] };
  return {
    fn, doc, kind, ob, pb, accs, laneAccs, rows: paired.rows, weightsPerCi, rowWeights: m.kW * wob * weightStride,
    ciStep, unit, macForm: form, hasTaps: rows.length > 0, outlineFinish: false, wAdvance: paired.wAdvance, pairHis: paired.pairHis,
    dw: null,
  };
}

/**
 * A column function's taps, one group per kernel column (the transpose of the interior's kernel rows): pixel p of the
 * block sits p output rows down, so the inputs of a kernel column (pixels x kernel rows) are loaded once and shared
 * by every tap and pixel that reads them. The weight pointer sits on tap (kernel row 0, the first valid column).
 * Taps whose weights are zero in every channel are left out, as in the interior.
 */
function columnGroups(m: KernelModel, s: { ci: number; row: number; col: number }, kxs: number[], ob: number, pb: number,
  live: Set<string>, form: MacForm, weightStride: number): Row[] {
  const kxMin = kxs[0];
  const groups: Row[] = [];
  let loadId = 0;
  let weightId = 0;
  for (const kx of kxs) {
    const kys = Array.from({ length: m.kH }, (_, i) => i).filter((ky) => live.has(`${ky},${kx}`));
    if (kys.length === 0) continue;
    const xAt = (p: number, ky: number) => (p * m.strideH + ky * m.dilH) * s.row + (kx - kxMin) * m.dilW * s.col;
    const wIndex = (j: number, ky: number) => (ky * m.kW + kx - kxMin) * weightSlots(form, ob) + j;
    if (form === 'halves') {
      // Inputs one halfword each (a column's are a row apart); each tap's channel pairs are one aligned weight word.
      const r = pairedRow('halves', kys, ob, pb, xAt, wIndex, false, () => `x${loadId++}`, () => `w${weightId++}`);
      groups.push({ ky: kx, column: true, loads: r.loads, taps: r.taps });
      continue;
    }
    const r = form === 'lane2w' ? lane2wGroup(kys, ob, pb, xAt, wIndex, () => `x${loadId++}`, () => `w${weightId++}`)
      : plainRow(kys, ob, pb, xAt, wIndex, weightStride, () => `x${loadId++}`, () => `w${weightId++}`);
    groups.push({ ky: kx, column: true, loads: r.loads, taps: r.taps });
  }
  return groups;
}

/**
 * One group of taps in the plain forms (single, dual, quad): for each kernel position of the group (a row's columns,
 * or a column's rows), the block's weights there and a MAC per (pixel, channel); each input element is loaded once
 * however many taps and pixels read it (loads in address order).
 */
function plainRow(positions: number[], ob: number, pb: number, xAt: (p: number, k: number) => number,
  wIndex: (j: number, k: number) => number, weightStride: number, xId: () => string, wId: () => string): { loads: Load[]; taps: Tap[] } {
  const ids = new Map<number, string>();
  const loads: Load[] = [];
  const xFor = (p: number, k: number): string => {
    const off = xAt(p, k);
    let id = ids.get(off);
    if (!id) {
      id = xId();
      ids.set(off, id);
      loads.push({ id, offset: off });
    }
    return id;
  };
  const taps: Tap[] = positions.map((k) => {
    const weights = Array.from({ length: ob }, (_, j) => ({ id: wId(), index: wIndex(j, k) * weightStride }));
    const macs: Mac[] = [];
    for (let p = 0; p < pb; p++) {
      const x = xFor(p, k);
      for (let j = 0; j < ob; j++) macs.push({ acc: `a${j}_${p}`, x, w: weights[j].id });
    }
    return { weights, macs };
  });
  loads.sort((a, b) => a.offset - b.offset);
  return { loads, taps };
}

/**
 * Which elements load as one 32-bit word (both halves used) and which as one sign-extended halfword (its value in
 * the bottom half). `words`: words the SMLALDs need; `singles`: elements the SMLALxy need, taken from a loaded word
 * when one holds them, else paired into a word when `canPair` allows one starting there. Nothing outside the
 * elements asked for is ever read.
 */
function resolveWords(words: number[], singles: number[], canPair: (e: number) => boolean, newId: () => string) {
  const loads: { id: string; offset: number; word: boolean }[] = [];
  const at = new Map<number, { id: string; half: 'b' | 't' }>();
  const wordAt = new Map<number, string>();
  for (const o of [...new Set(words)].sort((a, b) => a - b)) {
    const id = newId();
    loads.push({ id, offset: o, word: true });
    wordAt.set(o, id);
    if (!at.has(o)) at.set(o, { id, half: 'b' });
    if (!at.has(o + 1)) at.set(o + 1, { id, half: 't' });
  }
  const rest = [...new Set(singles)].filter((e) => !at.has(e)).sort((a, b) => a - b);
  for (const e of rest) {
    if (at.has(e)) continue;
    const id = newId();
    const word = rest.includes(e + 1) && canPair(e);
    loads.push({ id, offset: e, word });
    at.set(e, { id, half: 'b' });
    if (word) at.set(e + 1, { id, half: 't' });
  }
  loads.sort((a, b) => a.offset - b.offset);
  return { loads, at, wordAt };
}

/**
 * One kernel row of the taps or halves form.
 * taps: per channel and pixel, kernel columns c, c+1 pair into one SMLALD where x[p+c] starts a word of the row's
 * input words (p + c even: the words are shared by all pixels and channels); the other columns take SMLALxy with the
 * halves of the words already loaded. Words load unaligned, so every pairing is allowed.
 * halves: at each tap the weights of channels j, j+1 are one aligned word; inputs load as aligned words where the
 * caller keeps px on a word (xWords), else as halfwords.
 */
function pairedRow(form: 'taps' | 'halves', cols: number[], ob: number, pb: number, xAt: (p: number, kx: number) => number,
  wIndex: (j: number, kx: number) => number, xWords: boolean, xId: () => string, wId: () => string): { loads: Load[]; taps: Tap[] } {
  type Plan = { acc: string; p: number; j: number; kx: number; pair: boolean };
  const plans: Plan[] = [];
  const colSet = new Set(cols);
  for (let j = 0; j < ob; j++)
    for (let p = 0; p < pb; p++)
      for (let i = 0; i < cols.length; i++) {
        const kx = cols[i];
        const pair = form === 'taps' && (p + kx) % 2 === 0 && colSet.has(kx + 1);
        plans.push({ acc: `a${j}_${p}`, p, j, kx, pair });
        if (pair) i++;
      }
  const x = resolveWords(plans.filter((q) => q.pair).map((q) => xAt(q.p, q.kx)), plans.filter((q) => !q.pair).map((q) => xAt(q.p, q.kx)),
    (e) => form === 'taps' || (xWords && e % 2 === 0), xId);
  const half = (h: { half: 'b' | 't' }) => h.half;
  const taps: Tap[] = [];
  const groups = form === 'taps' ? Array.from({ length: ob }, (_, j) => plans.filter((q) => q.j === j))
    : cols.map((kx) => plans.filter((q) => q.kx === kx));
  for (const g of groups) {
    if (g.length === 0) continue;
    const w = resolveWords(g.filter((q) => q.pair).map((q) => wIndex(q.j, q.kx)), g.filter((q) => !q.pair).map((q) => wIndex(q.j, q.kx)),
      (e) => form === 'taps' || e % 2 === 0, wId);
    const macs: Mac[] = g.map((q) => {
      if (q.pair) return { acc: q.acc, x: x.wordAt.get(xAt(q.p, q.kx))!, w: w.wordAt.get(wIndex(q.j, q.kx))!, halves: 'd' };
      const xa = x.at.get(xAt(q.p, q.kx))!;
      const wa = w.at.get(wIndex(q.j, q.kx))!;
      return { acc: q.acc, x: xa.id, w: wa.id, halves: `${half(xa)}${half(wa)}` as Halves };
    });
    taps.push({ weights: w.loads.map((l) => ({ id: l.id, index: l.offset, word: l.word })), macs });
  }
  return { loads: x.loads, taps };
}

/**
 * taps8's lanes of one array: (v[e], v[e+2]) registers made from unaligned words where `safe` allows the read, single
 * elements (in either lane of a register already made, else one LDRSB), reading nothing outside `safe`.
 */
class Lanes8 {
  readonly defs: (Def8 & { id: string; offset: number })[] = [];
  private readonly pairs = new Map<number, { def: Def8 & { id: string }; lane: 'even' | 'odd' }>();
  /**
   * preferBytes: a single element not in a lane already used loads as one LDRSB rather than unpacking a word's other
   * lane (the same instruction count, one register less live: the word dies after its first unpack).
   */
  constructor(private readonly safe: (lo: number, hi: number) => boolean, private readonly newId: () => string,
    private readonly preferBytes = false) {}

  private use(p: { def: Def8 & { id: string }; lane: 'even' | 'odd' }): string {
    p.def[p.lane] = true;
    return `${p.def.id}${p.lane === 'even' ? 'e' : 'o'}`;
  }

  /** A register whose lanes are (v[e], v[e+2]). */
  pair(e: number): string {
    const have = this.pairs.get(e);
    if (have) return this.use(have);
    const start = this.safe(e, e + 3) ? e : this.safe(e - 1, e + 2) ? e - 1 : null;
    if (start === null) {
      const def = { id: this.newId(), offset: e, kind: 'pack' as const, even: true, odd: false };
      this.defs.push(def);
      this.pairs.set(e, { def, lane: 'even' });
      return `${def.id}e`;
    }
    const def = { id: this.newId(), offset: start, kind: 'word' as const, even: false, odd: false };
    this.defs.push(def);
    if (!this.pairs.has(start)) this.pairs.set(start, { def, lane: 'even' });
    if (!this.pairs.has(start + 1)) this.pairs.set(start + 1, { def, lane: 'odd' });
    return this.use(this.pairs.get(e)!);
  }

  /** v[e] in the bottom (b) or top (t) lane of a register: one already used first, then an unused lane, then LDRSB. */
  single(e: number): { ref: string; half: 'b' | 't' } {
    const bottom = this.pairs.get(e);
    const top = this.pairs.get(e - 2);
    const usedLane = (p: typeof bottom) => p !== undefined && p.def[p.lane];
    if (usedLane(bottom)) return { ref: this.use(bottom!), half: 'b' };
    if (usedLane(top)) return { ref: this.use(top!), half: 't' };
    if (!this.preferBytes && bottom) return { ref: this.use(bottom), half: 'b' };
    if (!this.preferBytes && top) return { ref: this.use(top), half: 't' };
    const def = { id: this.newId(), offset: e, kind: 'byte' as const, even: true, odd: false };
    this.defs.push(def);
    this.pairs.set(e, { def, lane: 'even' });
    return { ref: `${def.id}e`, half: 'b' };
  }
}

/**
 * One kernel row of taps8. cs: the row's kernel columns relative to its first valid one; per pixel p, columns c and
 * c+2 pair into one SMLAD of lanes (x[p+c], x[p+c+2]) and (w[c], w[c+2]); the rest take SMLAxy. Inputs are read
 * within the elements the row uses; weights within `wSafe` (the whole unrolled iteration, or a row loop's row).
 */
function taps8Row(cs: number[], ob: number, pb: number, rowOffset: number, wIndex: (j: number, c: number) => number,
  wSafe: (lo: number, hi: number) => boolean, xId: () => string, wId: () => string): { loads: Load[]; taps: Tap[] } {
  const sorted = [...cs].sort((a, b) => a - b);
  const pairs: number[] = [];
  const singles: number[] = [];
  const used = new Set<number>();
  for (const c of sorted) {
    if (used.has(c)) continue;
    used.add(c);
    if (sorted.includes(c + 2) && !used.has(c + 2)) {
      used.add(c + 2);
      pairs.push(c);
    } else singles.push(c);
  }
  const lo = sorted[0];
  const hi = pb - 1 + sorted[sorted.length - 1];
  const x = new Lanes8((a, b) => a >= lo && b <= hi, xId);
  const xPair = new Map<number, string>();
  for (const c of pairs) for (let p = 0; p < pb; p++) xPair.set(p + c, x.pair(p + c));
  const xSingle = new Map<number, { ref: string; half: 'b' | 't' }>();
  for (const c of singles) for (let p = 0; p < pb; p++) if (!xSingle.has(p + c)) xSingle.set(p + c, x.single(p + c));
  const taps: Tap[] = [];
  for (let j = 0; j < ob; j++) {
    const w = new Lanes8(wSafe, wId, true);
    const macs: Mac[] = [];
    const wPair = new Map(pairs.map((c) => [c, w.pair(wIndex(j, c))]));
    const wSingle = new Map(singles.map((c) => [c, w.single(wIndex(j, c))]));
    for (let p = 0; p < pb; p++) {
      for (const c of pairs) macs.push({ acc: `a${j}_${p}`, x: xPair.get(p + c)!, w: wPair.get(c)!, halves: 'd' });
      for (const c of singles) {
        const xs = xSingle.get(p + c)!;
        const ws = wSingle.get(c)!;
        macs.push({ acc: `a${j}_${p}`, x: xs.ref, w: ws.ref, halves: `${xs.half}${ws.half}` as Halves });
      }
    }
    taps.push({ weights: w.defs.map((d) => ({ id: d.id, index: d.offset, b8: { kind: d.kind, even: d.even, odd: d.odd } })), macs });
  }
  const loads = x.defs.map((d) => ({ id: d.id, offset: rowOffset + d.offset, b8: { kind: d.kind, even: d.even, odd: d.odd } }))
    .sort((a, b) => a.offset - b.offset);
  return { loads, taps };
}

/**
 * One kernel row of lane2: per pixel pair q and kernel column kx, the packed value of the pair's two inputs (pixels
 * 2q and 2q+1 read elements a and a + stride), made once and shared by every tap and channel that reads it; per
 * tap, a weight per channel and an SMLAL per channel and pair.
 */
function lane2Row(cols: number[], ob: number, pb: number, xAt: (p: number, kx: number) => number,
  wIndex: (j: number, kx: number) => number, xId: () => string, wId: () => string): { loads: Load[]; taps: Tap[] } {
  const ids = new Map<number, string>();
  const loads: Load[] = [];
  const packed = (q: number, kx: number): string => {
    const offset = xAt(2 * q, kx);
    let id = ids.get(offset);
    if (!id) {
      id = xId();
      ids.set(offset, id);
      loads.push({ id, offset, lane: xAt(2 * q + 1, kx) });
    }
    return id;
  };
  const taps: Tap[] = cols.map((kx) => {
    const weights = Array.from({ length: ob }, (_, j) => ({ id: wId(), index: wIndex(j, kx) }));
    const macs: Mac[] = [];
    for (let q = 0; q < pb / 2; q++) {
      const x = packed(q, kx);
      for (let j = 0; j < ob; j++) macs.push({ acc: `l${j}_${q}`, x, w: weights[j].id });
    }
    return { weights, macs };
  });
  loads.sort((a, b) => a.offset - b.offset);
  return { loads, taps };
}

/**
 * One group of lane2w taps (a row's columns or a column's rows): each input element loaded once (plain, no packing),
 * per kernel position a word per channel pair (k: channels 2k, 2k+1) and an SMLAL per pair and pixel.
 */
function lane2wGroup(positions: number[], ob: number, pb: number, xAt: (p: number, k: number) => number,
  wIndex: (k: number, pos: number) => number, xId: () => string, wId: () => string): { loads: Load[]; taps: Tap[] } {
  const plain = plainRow(positions, weightSlots('lane2w', ob), pb, xAt, wIndex, 1, xId, wId);
  // plainRow names the accumulators a<k>_<p>; lane2w's are lane pairs l<k>_<p>.
  return { loads: plain.loads, taps: plain.taps.map((t) => ({ ...t, macs: t.macs.map((mac) => ({ ...mac, acc: `l${mac.acc.slice(1)}` })) })) };
}

/** Weight-array elements per tap of a block of `ob` channels: lane2w packs two channels per word. */
export const weightSlots = (form: MacForm, ob: number) => (form === 'lane2w' ? Math.ceil(ob / 2) : ob);

/**
 * dwpair's unrolled functions, one channel and pb pixels: the interior (every tap), a band (its valid kernel rows, every
 * column) or a column function (its valid kernel columns, every row; pixels down the column). Per input row, its
 * inputs as aligned words where they start on an even element (px sits on a word when `xWords`), else halfwords, then
 * every MAC that reads the row. The channel's weights (raw order: tap (ky, kx) at element ky x KW + kx, relative to the
 * function's first valid tap) as aligned words of two consecutive elements starting on an element of the pointer's
 * parity, the rest as halfwords, all loaded once per call (the same for every pixel block). Weight pointers on both
 * parities (an odd number of taps per channel, a border's first tap) run a second body that pairs the other way.
 */
function dwpairFn(m: KernelModel, s: { ci: number; row: number; col: number }, kind: BlockFn['kind'], kxs: number[], kys: number[],
  pb: number, fn: string, doc: string, live: Set<string>, xWords: boolean): BlockFn {
  const per = m.kH * m.kW;
  const down = kind === 'column';
  const kyBase = kys[0];
  const kxBase = kxs[0];
  const taps: { ky: number; kx: number }[] = [];
  for (const ky of kys) for (const kx of kxs) if (live.has(`${ky},${kx}`)) taps.push({ ky, kx });
  // in rows (units of the input row) and columns from the function's first input
  const rowOf = (p: number, ky: number) => (down ? p * m.strideH : 0) + (ky - kyBase) * m.dilH;
  const colOf = (p: number, kx: number) => (down ? 0 : p * m.strideW) + (kx - kxBase) * m.dilW;
  const inRows = [...new Set(taps.flatMap((t) => Array.from({ length: pb }, (_, p) => rowOf(p, t.ky))))].sort((a, b) => a - b);
  const body = (parity: number, prefix: string): { rows: Row[]; weights: WeightLoad[] } => {
    let loadId = 0;
    let weightId = 0;
    const w = resolveWords([], taps.map((t) => (t.ky - kyBase) * m.kW + t.kx - kxBase), (e) => (e + parity) % 2 === 0, () => `${prefix}w${weightId++}`);
    const rows: Row[] = [];
    for (const r of inRows) {
      const reads = taps.flatMap((t) => Array.from({ length: pb }, (_, p) => ({ ...t, p })).filter((q) => rowOf(q.p, q.ky) === r));
      const xAt = (q: { p: number; kx: number }) => r * s.row + colOf(q.p, q.kx) * s.col;
      const x = resolveWords([], reads.map(xAt), (e) => xWords && e % 2 === 0, () => `${prefix}x${loadId++}`);
      const macs: Mac[] = reads.map((q) => {
        const xa = x.at.get(xAt(q))!;
        const wa = w.at.get((q.ky - kyBase) * m.kW + q.kx - kxBase)!;
        return { acc: `a0_${q.p}`, x: xa.id, w: wa.id, halves: `${xa.half}${wa.half}` as Halves };
      });
      rows.push({ ky: r, inputRow: true, loads: x.loads, taps: [{ weights: [], macs }] });
    }
    return { rows, weights: w.loads.map((l) => ({ id: l.id, index: l.offset, word: l.word })) };
  };
  const even = body(0, '');
  // The interior's pointers are o x per (odd ones only with an odd per); a border's add its first tap: either parity.
  const odd = kind !== 'unrolled' || (per % 2 === 1 && m.outC > 1) ? body(1, 'v') : null;
  return {
    fn, doc, kind, ob: 1, pb, accs: Array.from({ length: pb }, (_, p) => ({ id: `a0_${p}`, j: 0, p })), laneAccs: [],
    rows: even.rows, weightsPerCi: per, rowWeights: m.kW, ciStep: 1, unit: 1, macForm: 'dwpair', hasTaps: even.rows.length > 0,
    outlineFinish: false, wAdvance: 0, pairHis: [], dw: { weights: even.weights, odd },
  };
}
