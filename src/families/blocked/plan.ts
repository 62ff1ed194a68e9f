/**
 * The blocked family's plan: what the search decided (MAC form, blocking, regions, block functions with their loads
 * and MACs, packed weights), before it is lowered to the IR. Plain data.
 */
import type { AxisBand } from '../../codegen/geometry.ts';

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

/**
 * A MAC form together with how its weights load where `--optimize speed` changes that (quad's weights pre-widened to
 * int16 pairs, taps8's pre-unpacked to lanes): the unit the per-core cycle coefficients are given for
 * (tuning/cores.ts, cyclesPerInstruction).
 */
export type FormVariant = MacForm | 'quad+widened' | 'quad+asm' | 'taps8+lanes8';

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

export interface PlanMac {
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
  macs: PlanMac[];
}

export interface Row {
  /** The kernel row (a column function: the kernel column) whose taps this group holds. */
  ky: number;
  /** The interior's unrolled channel loop: this group's input channel (unit) from the iteration's first. */
  channel?: number;
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

export interface BlockedPlan {
  macForm: MacForm;
  /** Two input channels per multiply (SMLAD/SMLALD): weights stored as packed int16 pairs of consecutive channels. */
  dual: boolean;
  /** quad: weights pre-widened to int16 pairs (0,2),(1,3) (optimize 'speed': twice the weight flash, no unpacking). */
  widened: boolean;
  /** widened quad whose interior rows are inline assembly (asm-m.ts; the core row's quadAsmRows). */
  asmRows: boolean;
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

/**
 * Where the output stage is one out-of-line function (int8's is large) rather than inlined per accumulator: nowhere,
 * in the border (row-loop) functions only, which run for few outputs, or everywhere.
 */
export type FinishPlacement = 'inline' | 'border' | 'all';

export interface Shape {
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
