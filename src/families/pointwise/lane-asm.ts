/**
 * The pointwise lane2 steps as A32 inline assembly with every load issued ahead of its use (docs/cycles.md item 2).
 * In C, GCC gives a block's weights one register, so each SMLAL directly follows the LDRSB of its Rs: a 2-cycle
 * byte load-use interlock per multiply on the ARM9 cores. Here two weight registers alternate: the LDRSB of weight
 * j+1 is issued before the SMLAL of weight j (a multi-cycle instruction between a load and its use hides the
 * interlock), and the next step's two input bytes are loaded before the last SMLAL of the step, so the packing ADD
 * never waits either. Every SMLAL has the weight byte as Rs (the ARM9TDMI multiplier terminates early by Rs).
 */
import { id } from '../../ir/expr.ts';
import type { AsmOperand, Stmt } from '../../ir/kernel-ir.ts';
import { LANE2_SHIFT } from '../lanes.ts';
import { loadReach } from '../../targets/load-reach.ts';

/** A32's LDRSB and LDR immediate offset reach (lane2, lane2w), and Thumb-2's LDR (quad-widened). */
const LDRSB_REACH = loadReach.a32(8);
const LDR_REACH = loadReach.a32(32);
const THUMB2_LDR_REACH = loadReach.thumb2(32);
/** r0-r12 and lr: what GCC can give one asm statement's operands once the block function frees the frame pointer
 *  (lower.ts: the assembly only where GCC optimizes, in functions that omit the frame pointer). */
const ASM_REGISTERS = 14;

export interface LaneAsmShape {
  /** Output channels and pixels of the block. */
  n: number;
  pb: number;
  /** Steps (input channels) in one loop iteration. */
  steps: number;
  /** Input bytes between the pair's two pixels, and between consecutive steps' channels. */
  inPixel: number;
  inStep: number;
  /** Bytes the input pointer moves on after each step (CHW: a channel plane), 0 when offsets reach the channels. */
  advance: number;
}

/** An A32 data-processing immediate: an 8-bit value rotated right by an even amount. */
const armImmediate = (v: number): boolean =>
  Array.from({ length: 16 }, (_, r) => ((v << (2 * r)) | (v >>> (32 - 2 * r))) >>> 0).some((x) => x < 256);

/** Whether the steps can be written this way: two or more channels (two weight registers alternate) and every
 *  load offset within LDRSB's reach of the iteration's pointers. */
export function laneAsmFits(s: LaneAsmShape): boolean {
  return s.n >= 2 && s.pb === 2 && 2 * s.n + 6 <= ASM_REGISTERS && s.steps >= 1 && (s.steps - 1) * s.inStep + s.inPixel <= LDRSB_REACH &&
    s.steps * s.n - 1 <= LDRSB_REACH && armImmediate(s.advance);
}

/** The split accumulator halves of channel j (one pixel pair). */
export const laneLo = (acc: string) => `${acc}_lo`;
export const laneHi = (acc: string) => `${acc}_hi`;

/**
 * One loop iteration (`steps` steps of n channels) as one asm statement. accs[j] names channel j's accumulator
 * (its halves `_lo`, `_hi`); the input pointer is `px` (pixel 0 of the pair), the weights `w` ([step][channel]).
 */
export function laneAsmStmt(shape: LaneAsmShape, accs: string[]): Stmt {
  const { n, steps, inPixel, inStep, advance } = shape;
  const step = () => { if (advance) insns.push(`add %[px], %[px], #${advance}`); };
  const insns: string[] = [];
  const ldrsb = (reg: string, base: string, off: number) => insns.push(`ldrsb %[${reg}], [%[${base}], #${off}]`);
  const pack = (into: string, lo: string, hi: string) => insns.push(`add %[${into}], %[${lo}], %[${hi}], lsl #${LANE2_SHIFT}`);
  const w = (s: number, j: number) => s * n + j;
  // Weight registers of the current step: weight j lives in reg[j % 2] (after a rotation per step).
  let reg = ['wa', 'wb'];
  // The first step: both pixels, weights 0 and 1, then the packing (each load two or more instructions before its use).
  ldrsb('x', 'px', 0);
  ldrsb('t', 'px', inPixel);
  ldrsb(reg[0], 'w', w(0, 0));
  ldrsb(reg[1], 'w', w(0, 1));
  pack('x', 'x', 't');
  for (let s = 0; s < steps; s++) {
    const more = s + 1 < steps;
    const r = (j: number) => reg[j % 2];
    for (let j = 0; j < n; j++) {
      // Weight j+1 into the register weight j-1 has left (its SMLAL is done); weight 1 is loaded already.
      if (j >= 1 && j + 1 < n) ldrsb(r(j + 1), 'w', w(s, j + 1));
      if (j === n - 1 && more) {
        // The next step's pixels, a multiply ahead of the ADD that packs them.
        step();
        ldrsb('t', 'px', (s + 1) * inStep + inPixel);
        ldrsb(r(j + 1), 'px', (s + 1) * inStep);
      }
      insns.push(`smlal %[${laneLo(accs[j])}], %[${laneHi(accs[j])}], %[x], %[${r(j)}]`);
    }
    if (more) {
      // Next step's weight 0 into the register the last SMLAL freed, weight 1 into the one the ADD frees.
      const [free, pixel0] = [r(n - 1), r(n)];
      ldrsb(free, 'w', w(s + 1, 0));
      pack('x', pixel0, 't');
      ldrsb(pixel0, 'w', w(s + 1, 1));
      reg = [free, pixel0];
    }
  }
  // The pointer ends past the iteration's last channel, as the C steps leave it.
  step();
  const outputs: AsmOperand[] = accs.flatMap((a) => [laneLo(a), laneHi(a)].map((name) => ({ name, constraint: '+r', e: id(name) })));
  for (const t of ['x', 't', 'wa', 'wb']) outputs.push({ name: t, constraint: '=&r', e: id(`${t}_`) });
  if (advance) outputs.push({ name: 'px', constraint: '+r', e: id('px') });
  return {
    k: 'asm', lines: insns, outputs,
    inputs: [...(advance ? [] : [{ name: 'px', constraint: 'r', e: id('px') }]), { name: 'w', constraint: 'r', e: id('w') }],
    clobbers: ['memory'], needs: ['longMultiply'],
  };
}

/** halves' two 32-bit sums of a channel pair and pixel, `a<2i>_<q>` and `a<2i+1>_<q>`, from the first one's name. */
function halvesAccs(a: string): [string, string] {
  const m = /^a(\d+)_(\d+)$/.exec(a);
  if (!m) throw new Error(`lane-asm: not an accumulator name: ${a}`);
  return [a, `a${Number(m[1]) + 1}_${m[2]}`];
}

/** The scratch registers the asm writes (declared before it: GCC picks their registers). */
export const laneAsmScratch = ['x_', 't_', 'wa_', 'wb_'];

/** lane2w as assembly: an even block of channels, two or more pixels (each pixel's byte is reloaded a multiply
 *  ahead), operands in the register file, offsets within reach. */
export function lane2wAsmFits(s: LaneAsmShape): boolean {
  return s.n >= 2 && s.n % 2 === 0 && s.pb >= 2 && s.n * s.pb + s.pb + s.n / 2 + 2 <= ASM_REGISTERS && s.steps >= 1 &&
    (s.steps - 1) * s.inStep + (s.pb - 1) * s.inPixel <= LDRSB_REACH && (s.steps * s.n / 2 - 1) * 4 <= LDR_REACH && armImmediate(s.advance);
}

/** lane2w's scratch registers: one per pixel byte (x<q>_), one per channel pair's weight word (v<i>_). */
export const lane2wScratch = (s: LaneAsmShape): string[] => [
  ...Array.from({ length: s.pb }, (_, q) => `x${q}_`), ...Array.from({ length: s.n / 2 }, (_, i) => `v${i}_`)];

/**
 * One loop iteration of lane2w (or, with mac 'smla', of halves on int8 data: SMLABB/SMLABT of the byte and the
 * word's int16 halves, one cycle each on the ARM9E-S): per step, SMLAL acc[i][q] += word_i * byte_q (the byte as Rs, m = 1 on the
 * ARM9TDMI) for every channel pair i and pixel q. A register's load for the next step is issued right after the
 * step's last SMLAL reading it, so at least one multiply runs between every load and its use. accs[i][q] names the
 * accumulator of pair i, pixel q.
 */
export function lane2wAsmStmt(shape: LaneAsmShape, accs: string[][], mac: 'smlal' | 'smla' = 'smlal'): Stmt {
  const { n, pb, steps, inPixel, inStep, advance } = shape;
  const pairs = n / 2;
  const insns: string[] = [];
  const byte = (q: number, off: number) => insns.push(`ldrsb %[x${q}], [%[px], #${off}]`);
  const word = (i: number, s: number) => insns.push(`ldr %[v${i}], [%[w], #${(s * pairs + i) * 4}]`);
  let moved = false;
  const pixel = (s: number, q: number) => {
    if (advance && !moved) { insns.push(`add %[px], %[px], #${advance}`); moved = true; }
    byte(q, advance ? q * inPixel : s * inStep + q * inPixel);
  };
  // The first step's operands: a byte waits two instructions, a word one (the first SMLAL reads word 0 and byte 0).
  const words = () => { for (let i = 0; i < pairs; i++) word(i, 0); };
  if (pairs === 1) words();
  for (let q = 0; q < pb; q++) byte(q, q * inPixel);
  if (pairs > 1) words();
  for (let s = 0; s < steps; s++) {
    const more = s + 1 < steps;
    for (let i = 0; i < pairs; i++)
      for (let q = 0; q < pb; q++) {
        if (mac === 'smlal') insns.push(`smlal %[${laneLo(accs[i][q])}], %[${laneHi(accs[i][q])}], %[v${i}], %[x${q}]`);
        else {
          // halves: channel 2i's int16 weight in the word's bottom half, 2i+1's in its top; accs[i][q] names 2i's sum.
          const [lo, hi] = halvesAccs(accs[i][q]);
          insns.push(`smlabb %[${lo}], %[x${q}], %[v${i}], %[${lo}]`, `smlabt %[${hi}], %[x${q}], %[v${i}], %[${hi}]`);
        }
        if (!more) continue;
        // The registers this SMLAL read last in the step: words first (a word waits one instruction, a byte two).
        if (q === pb - 1) word(i, s + 1);
        if (i === pairs - 1) pixel(s + 1, q);
      }
    moved = false;
  }
  // The pointer ends past the iteration's last channel, as the C steps leave it.
  if (advance) insns.push(`add %[px], %[px], #${advance}`);
  const outputs: AsmOperand[] = accs.flat().flatMap((a) => (mac === 'smlal' ? [laneLo(a), laneHi(a)] : halvesAccs(a)))
    .map((name) => ({ name, constraint: '+r', e: id(name) }));
  for (const t of lane2wScratch(shape)) outputs.push({ name: t.slice(0, -1), constraint: '=&r', e: id(t) });
  if (advance) outputs.push({ name: 'px', constraint: '+r', e: id('px') });
  return {
    k: 'asm', lines: insns, outputs,
    inputs: [...(advance ? [] : [{ name: 'px', constraint: 'r', e: id('px') }]), { name: 'w', constraint: 'r', e: id('w') }],
    clobbers: ['memory'], needs: [mac === 'smlal' ? 'longMultiply' : 'dspv5te'],
  };
}

/** quad-widened as assembly (Thumb-2): HWC steps (no pointer advance), operands in the register file, offsets within
 *  LDR's reach. */
export function quadAsmFits(s: LaneAsmShape): boolean {
  return s.advance === 0 && s.pb >= 1 && s.n * s.pb + 2 * s.pb + 4 <= ASM_REGISTERS &&
    (s.steps - 1) * s.inStep + (s.pb - 1) * s.inPixel <= THUMB2_LDR_REACH && (s.steps * s.n * 2 - 1) * 4 <= THUMB2_LDR_REACH;
}

/** quad-widened's scratch registers: each pixel's word (then its odd lanes, r<q>_), its even lanes (e<q>_), and a
 *  channel's two weight words. */
export const quadScratch = (s: LaneAsmShape): string[] => [
  ...Array.from({ length: s.pb }, (_, q) => `r${q}_`), ...Array.from({ length: s.pb }, (_, q) => `e${q}_`), 'wa_', 'wb_'];

/**
 * One loop iteration of quad-widened (four int8 input channels a step, weights pre-widened to int16 pairs) on
 * Thumb-2: each step's pixel words and first channel's weight pair load back to back (every load after the first
 * pipelines on the Cortex-M4: one cycle, not two), then SXTB16 unpacks the pixels and SMLAD multiplies; each further
 * channel loads its pair back to back. accs[j][q] names channel j's sum for pixel q.
 */
export function quadAsmStmt(shape: LaneAsmShape, accs: string[][]): Stmt {
  const { n, pb, steps, inPixel, inStep } = shape;
  const insns: string[] = [];
  for (let s = 0; s < steps; s++) {
    const word = (reg: string, j: number, k: number) => insns.push(`ldr %[${reg}], [%[w], #${((s * n + j) * 2 + k) * 4}]`);
    for (let q = 0; q < pb; q++) insns.push(`ldr %[r${q}], [%[px], #${s * inStep + q * inPixel}]`);
    word('wa', 0, 0);
    word('wb', 0, 1);
    for (let q = 0; q < pb; q++) insns.push(`sxtb16 %[e${q}], %[r${q}]`, `sxtb16 %[r${q}], %[r${q}], ror #8`);
    for (let j = 0; j < n; j++) {
      if (j > 0) { word('wa', j, 0); word('wb', j, 1); }
      for (let q = 0; q < pb; q++) insns.push(`smlad %[${accs[j][q]}], %[e${q}], %[wa], %[${accs[j][q]}]`);
      for (let q = 0; q < pb; q++) insns.push(`smlad %[${accs[j][q]}], %[r${q}], %[wb], %[${accs[j][q]}]`);
    }
  }
  const outputs: AsmOperand[] = accs.flat().map((name) => ({ name, constraint: '+r', e: id(name) }));
  for (const t of quadScratch(shape)) outputs.push({ name: t.slice(0, -1), constraint: '=&r', e: id(t) });
  return {
    k: 'asm', lines: insns, outputs,
    inputs: [{ name: 'px', constraint: 'r', e: id('px') }, { name: 'w', constraint: 'r', e: id('w') }],
    clobbers: ['memory'], needs: ['simd32'],
  };
}
