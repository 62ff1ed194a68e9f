/**
 * The `pointwise` kernel family: a 1x1 convolution is a GEMM, out[o][p] = seed[o] + Σ_c w[o][c]·x[c][p]. Decided at
 * generation time, per ISA state and feature set:
 * - the MAC form (a table of rows, first match wins): SXTB16 + SMLAD on four int8 channels (v7E-M, HWC), SMLAD on
 *   pairs of int16 channels (v7E-M; CHW pairs two channel rows with PKHBT/PKHTB), SMLAxy on int16 weights packed
 *   as halfword pairs of two output channels (ARMv5TE; halves-pixels also loads two adjacent CHW pixels as one aligned
 *   word), SMLAL on two int8 pixels packed in bit lanes of one register (lane2: two MACs per multiply), or a plain
 *   multiply-accumulate (MLA/SMLAL, Thumb-1 MULS); A32 CHW steps the channel pointer with post-indexed loads;
 * - the register tile (output channels x pixels) from a small cost model within a register budget per ISA state;
 * - the weight layout: blocked in the order the loops read, the same bytes as the raw weights;
 * - the pixel runs: one run over the whole plane when stride is 1 and nothing is padded, otherwise one run per
 *   output row over the columns whose input is inside; padded 1x1 outputs see no input and are bias-only.
 * int8's input offset is folded into per-channel seeds (bias + offset·Σw), so the loops multiply raw inputs.
 * The C text is templates/pointwise/kernel.c.hbs; the output stage is the family's own where pointwiseFinish finds a
 * cheaper exact form (int8: one 64-bit multiply-add; Q: rounding folded into the seeds), else the common finish.
 */
import type { KernelModel } from '../ops/conv_2d/spec/index.ts';
import { isaStateNames, type IsaFeatures } from '../targets/index.ts';
import { planAccumulator, type AccumulatorPlan } from './accumulator.ts';
import type { TemplateContext as FamilyContext, TemplateFamily } from '../families/family.ts';
import { cArrayRows, cInt } from './clit.ts';
import { qFinish, qFinishView, type QFinish } from './qfinish.ts';
import { foldedSeeds } from '../families/seeds.ts';
import { channelQuantity } from '../ir/output-stage.ts';
import type { PerChannel } from '../ir/kernel-ir.ts';
import { LANE2_SHIFT, lane2Fits } from '../families/lanes.ts';
import { interiorRange } from './geometry.ts';

export type MacForm = 'plain' | 'lane2' | 'halves' | 'halves-pixels' | 'dual' | 'quad' | 'quad-widened';

/** Forms whose weights are the raw values in the order the loops read (one element per weight). */
const rawWeights = (f: MacForm) => f === 'plain' || f === 'lane2';

/** Per instruction-set state: registers left for accumulators and operands once the input, weight and loop
 *  pointers are taken; code bytes per instruction (for the code estimate); whether a CHW channel step needs its own
 *  pointer add (A32 LDRSH/LDRSB offsets are 8 bits, a channel plane is further away). */
const isaRows: Record<IsaFeatures['state'], { budget: number; bytesPerInstr: number; chwStepAdd: number; postIndex: boolean }> = {
  // A32: LDRSH/LDRSB post-indexed by a register step the channel pointer for free (one register holds the stride).
  a32: { budget: 11, bytesPerInstr: 4, chwStepAdd: 1, postIndex: true },
  thumb2: { budget: 11, bytesPerInstr: 3, chwStepAdd: 0, postIndex: false },
  thumb1: { budget: 5, bytesPerInstr: 2, chwStepAdd: 1, postIndex: false },
  host: { budget: 12, bytesPerInstr: 4, chwStepAdd: 0, postIndex: false },
};
/** A32's post-indexed load for each storage width, and how far its immediate offset reaches. q31 data needs LDR: an
 *  LDRSH there read the low half of each input (wrong on every A32 core). */
const postLoads: Record<number, { op: string; reach: number }> = {
  8: { op: 'ldrsb', reach: 255 },
  16: { op: 'ldrsh', reach: 255 },
  32: { op: 'ldr', reach: 4095 },
};
/** A fully unrolled channel loop needs no loop register: one more for the tile. */
const FULL_UNROLL_REGISTER = 1;

export interface FormRow {
  form: MacForm;
  /** Input channels one step consumes. */
  unit: number;
  doc: string;
  when(isa: IsaFeatures, m: KernelModel, optimize: FamilyContext['optimize']): boolean;
}

/** MAC forms by ISA feature, most specific first; `plain` always applies. */
export const formRows: readonly FormRow[] = [
  {
    // optimize 'speed' only: the weights take twice their raw bytes.
    form: 'quad-widened', unit: 4, doc: 'SXTB16 unpacks four adjacent int8 input channels into two int16 pairs for SMLAD; weights pre-widened to those pairs (twice the raw bytes)',
    when: (isa, m, optimize) => optimize === 'speed' && isa.simd32 && isa.unaligned && m.numeric.storage.bits === 8 && m.layout === 'hwc' && m.inC >= 4,
  },
  {
    form: 'quad', unit: 4, doc: 'SXTB16 unpacks four adjacent int8 input channels (and four weights) into two int16 pairs for SMLAD',
    when: (isa, m) => isa.simd32 && isa.unaligned && m.numeric.storage.bits === 8 && m.layout === 'hwc' && m.inC >= 4,
  },
  {
    form: 'dual', unit: 2, doc: 'SMLAD/SMLALD on pairs of int16 input channels (CHW: two channel rows paired with PKHBT/PKHTB)',
    when: (isa, m) => isa.simd32 && isa.unaligned && m.numeric.storage.bits === 16 && m.inC >= 2,
  },
  {
    // Two adjacent pixels of a channel plane are one aligned word when the input is: the run checks the input's
    // alignment and, when it is off by a halfword, takes the first pixel alone (halves) and pairs from the second.
    form: 'halves-pixels', unit: 1, doc: 'SMLALxy/SMLAxy with both operands packed: a word of two adjacent pixels (CHW) and a word of two output channels\' int16 weights, four MACs per two loads',
    when: (isa, m) => isa.dspv5te && isa.state === 'a32' && m.numeric.storage.bits === 16 && m.outC >= 2 && m.layout === 'chw' &&
      geometry(m).flat && geometry(m).span >= 2 && (m.inH * m.inW) % 2 === 0, // every plane as aligned as the first
  },
  {
    form: 'halves', unit: 1, doc: 'SMLAxy/SMLALxy on int16 weights packed as halfword pairs of two output channels (no unpacking)',
    when: (isa, m) => isa.dspv5te && isa.state !== 'thumb1' && m.numeric.storage.bits === 16 && m.outC >= 2,
  },
  {
    // x0 + x1*2^23 times w is x0*w + (x1*w)*2^23: with every channel's sum inside 2^22 the low 23 bits hold pixel
    // 0's sum and the rest pixel 1's, exactly, so one SMLAL makes two MACs. The input offset is in the seeds.
    form: 'lane2', unit: 1, doc: 'SMLAL on two pixels of one int8 channel packed in a register (x0 + x1*2^23): two MACs per multiply, the 64-bit sum holds the two pixels\' sums in separate bit lanes',
    when: (isa, m) => isa.longMultiply && isa.state !== 'thumb1' && isa.state !== 'host' && lane2Fits(m, false) && geometry(m).span >= 2 &&
      planAccumulator(m).accType === 'int32_t',
  },
  {
    form: 'plain', unit: 1, doc: 'one multiply-accumulate per MAC (MLA, SMLAL; MULS on Thumb-1)',
    when: () => true,
  },
];

export function formFor(m: KernelModel, isa: IsaFeatures, optimize: FamilyContext['optimize'] = 'default'): FormRow {
  return formRows.find((r) => r.when(isa, m, optimize))!;
}

/** Registers one step keeps live: accumulators, the operands it holds, a temporary (A32 CHW plain: and the
 *  post-indexed loads' stride). */
function registersNeeded(form: MacForm, ob: number, pb: number, accWords: number, postStride = 0): number {
  const accs = ob * pb * accWords + (form === 'plain' ? postStride : 0);
  if (form === 'lane2') return ob * pb + pb / 2 + 2;
  // The pixel word, the weight word, the plane stride.
  if (form === 'halves-pixels') return accs + 3;
  return form === 'quad' || form === 'quad-widened' ? accs + 2 * pb + 2 : accs + pb + 1;
}

/** Instructions of one step (unit input channels x ob x pb). */
function stepInstructions(form: MacForm, m: KernelModel, isa: IsaFeatures, ob: number, pb: number, accWords: number, inPixel: number): number {
  const chw = m.layout === 'chw';
  const macs = ob * pb;
  if (form === 'quad') return 3 * pb + 3 * ob + 2 * macs;
  // Two weight words per output channel (GCC pairs them into LDRD only sometimes: counted as two).
  if (form === 'quad-widened') return 3 * pb + 2 * ob + 2 * macs;
  if (form === 'dual') {
    const x = chw ? (inPixel === 1 ? 2 * pb + (pb % 2) : 3 * pb) : pb;
    return x + ob + macs;
  }
  const advance = chw ? isaRows[isa.state].chwStepAdd : 0;
  // Two loads and an add per pixel pair.
  if (form === 'lane2') return 1.5 * pb + ob + (ob * pb) / 2 + advance;
  if (form === 'halves') return pb + Math.ceil(ob / 2) + macs + (isaRows[isa.state].postIndex ? 0 : advance);
  if (form === 'halves-pixels') return pb / 2 + ob / 2 + macs;
  // Thumb-1: MULS overwrites its operand (a copy), then a 32-bit add, or a sign extension and a 64-bit add.
  const mac = isa.state === 'thumb1' ? (accWords === 2 ? 5 : 3) : 1;
  // A32 CHW: the post-indexed load steps the pointer (no add).
  return pb + ob + macs * mac + (isaRows[isa.state].postIndex ? 0 : advance);
}

/** Instructions per output for its seed, output stage and store (lane2: and taking its lane out of the sum). */
function perOutput(m: KernelModel, accWords: number, form: MacForm): number {
  return (m.numeric.kind === 'int8' ? 16 : 6 + 3 * accWords) + (form === 'lane2' ? 3 : 0);
}

export interface Tile {
  ob: number;
  pb: number;
  /** Steps per loop iteration. */
  u: number;
  cost: number;
  registers: number;
  codeBytes: number;
}

export interface Geometry {
  /** Stride 1 and no padding: the whole plane is one run of pixels (both layouts store pixels consecutively). */
  flat: boolean;
  /** Pixels per run: the plane (flat) or the inside columns of a row. */
  span: number;
  yLo: number;
  yHi: number;
  xLo: number;
  xHi: number;
  /** Some outputs see only padding (bias-only). */
  hasBorder: boolean;
  /** Input elements between consecutive pixels of a run. */
  inPixel: number;
}

export function geometry(m: KernelModel): Geometry {
  const chans = m.layout === 'hwc' ? m.inC : 1;
  const noPad = m.pad.top === 0 && m.pad.left === 0 && m.pad.bottom === 0 && m.pad.right === 0;
  if (noPad && m.strideH === 1 && m.strideW === 1)
    return { flat: true, span: m.outH * m.outW, yLo: 0, yHi: m.outH - 1, xLo: 0, xHi: m.outW - 1, hasBorder: false, inPixel: chans };
  const [yLo, yHi] = interiorRange(m.outH, m.inH, 1, m.strideH, 1, m.pad.top);
  const [xLo, xHi] = interiorRange(m.outW, m.inW, 1, m.strideW, 1, m.pad.left);
  const span = yLo <= yHi && xLo <= xHi ? xHi - xLo + 1 : 0;
  const hasBorder = span === 0 || yLo > 0 || yHi < m.outH - 1 || xLo > 0 || xHi < m.outW - 1;
  return { flat: false, span, yLo, yHi, xLo, xHi, hasBorder, inPixel: m.strideW * chans };
}

const CODE_BUDGET = 3600;
const FIXED_BYTES = 420;

/** Steps per loop iteration: the fewest that give >= 16 MACs per iteration (longer bodies only let the scheduler
 *  hoist loads and spill; the loop's own cost is then small). */
function unrollFor(steps: number, macsPerStep: number): number {
  for (let u = 1; u <= steps; u++) if (steps % u === 0 && u * macsPerStep >= 16) return u;
  return Math.max(1, steps);
}

export function chooseTile(m: KernelModel, isa: IsaFeatures, accType: string, form: FormRow, geo: Geometry): Tile | null {
  const accWords = accType === 'int64_t' ? 2 : 1;
  const row = isaRows[isa.state];
  const K = m.inC;
  const steps = Math.floor(K / form.unit);
  const kTail = K - steps * form.unit;
  const options: Tile[] = [];
  for (let ob = 1; ob <= Math.min(8, m.outC); ob++)
    for (let pb = 1; pb <= Math.min(8, Math.max(1, geo.span)); pb++) {
      if ((form.form === 'halves' || form.form === 'halves-pixels') && ob % 2 !== 0) continue;
      if (form.form === 'halves-pixels' && pb !== 2) continue;
      if (form.form === 'lane2' && pb % 2 !== 0) continue;
      const registers = registersNeeded(form.form, ob, pb, accWords, m.layout === 'chw' && row.postIndex ? 1 : 0);
      const step = stepInstructions(form.form, m, isa, ob, pb, accWords, geo.inPixel);
      const tailStep = stepInstructions('plain', m, isa, ob, pb, accWords, geo.inPixel);
      // Functions: full and tail channel blocks x full and remainder pixel blocks.
      const fns = (m.outC % ob ? 2 : 1) * (geo.span % pb ? 2 : 1);
      for (const u of [unrollFor(steps, ob * pb * form.unit), Math.max(1, steps)]) {
        const full = u >= steps;
        if (registers > row.budget + (full ? FULL_UNROLL_REGISTER : 0) && ob * pb > 1) continue;
        const iters = Math.max(1, steps / u);
        const body = iters * (step * u + (full ? 0 : 3)) + kTail * tailStep;
        const cost = (body + ob * pb * perOutput(m, accWords, form.form) + 4) / (K * ob * pb);
        const fnInstr = u * step + kTail * tailStep + ob * pb * perOutput(m, accWords, form.form) + 24;
        const codeBytes = FIXED_BYTES + fns * fnInstr * row.bytesPerInstr;
        options.push({ ob, pb, u, cost, registers, codeBytes });
      }
    }
  const fits = options.filter((o) => o.codeBytes <= CODE_BUDGET);
  if (fits.length === 0) return null;
  // Cheapest; among equals the smaller code.
  fits.sort((a, b) => a.cost - b.cost || a.codeBytes - b.codeBytes);
  return fits[0];
}

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
 * exactly one kind flag, so the template spells every kind once.
 */

type OpKind = 'fence' | 'adv' | 'x' | 'xlane' | 'xpost' | 'xlanepost' | 'w' | 'wk' | 'x32' | 'pkbt' | 'pktb' | 'xpair' | 'sx' | 'sxr'
  | 'mla' | 'smlal' | 'smlabb' | 'smlabt' | 'smlalbb' | 'smlalbt' | 'smlad' | 'smlald'
  | 'xwpost' | 'smlatb' | 'smlatt' | 'smlaltb' | 'smlaltt';

export interface Op {
  kind: OpKind;
  id: string;
  /** Element offset from the input or weight pointer. */
  off?: number;
  off2?: number;
  a?: string;
  b?: string;
}

interface Counter { n: number }

function macOp(kind: OpKind, acc: string, x: string, w: string): Op {
  return { kind, id: acc, a: x, b: w };
}

/** The ops of one step of `form` at input offset base (elements), weights at wBase. */
function stepOps(form: MacForm, m: KernelModel, acc64: boolean, n: number, pb: number, inPixel: number, ci: number,
  base: number, wBase: number, ids: Counter, longMul: boolean): Op[] {
  const ops: Op[] = [];
  const id = (p: string) => `${p}${ids.n++}`;
  const accId = (j: number, p: number) => `a${j}_${p}`;
  if (form === 'lane2') {
    // Pixel pairs packed into one register each; one SMLAL per (channel, pair).
    const xs = Array.from({ length: pb / 2 }, (_, q) => {
      const x = id('x');
      ops.push({ kind: 'xlane', id: x, off: base + 2 * q * inPixel, off2: base + (2 * q + 1) * inPixel });
      return x;
    });
    for (let j = 0; j < n; j++) {
      const w = id('w');
      ops.push({ kind: 'w', id: w, off: wBase + j });
      for (let q = 0; q < pb / 2; q++) ops.push(macOp('smlal', accId(j, q), xs[q], w));
    }
  } else if (form === 'plain') {
    const xs = Array.from({ length: pb }, (_, p) => {
      const x = id('x');
      ops.push({ kind: 'x', id: x, off: base + p * inPixel });
      return x;
    });
    // SMLAL where the core has it; elsewhere the 32-bit product (proved to fit) is added to the 64-bit sum.
    const mac: OpKind = acc64 && longMul ? 'smlal' : 'mla';
    for (let j = 0; j < n; j++) {
      const w = id('w');
      ops.push({ kind: 'w', id: w, off: wBase + j });
      for (let p = 0; p < pb; p++) ops.push(macOp(mac, accId(j, p), xs[p], w));
    }
  } else if (form === 'halves') {
    const xs = Array.from({ length: pb }, (_, p) => {
      const x = id('x');
      ops.push({ kind: 'x', id: x, off: base + p * inPixel });
      return x;
    });
    for (let i = 0; i < n / 2; i++) {
      const w = id('w');
      ops.push({ kind: 'w', id: w, off: wBase + i });
      for (let p = 0; p < pb; p++) {
        ops.push(macOp(acc64 ? 'smlalbb' : 'smlabb', accId(2 * i, p), xs[p], w));
        ops.push(macOp(acc64 ? 'smlalbt' : 'smlabt', accId(2 * i + 1, p), xs[p], w));
      }
    }
  } else if (form === 'halves-pixels') {
    // One word of pixels p, p+1 (bottom, top halves), stepping px to the next plane; weights: channel 2i bottom,
    // 2i+1 top.
    const x = id('x');
    ops.push({ kind: 'xwpost', id: x, off: base });
    for (let i = 0; i < n / 2; i++) {
      const w = id('w');
      ops.push({ kind: 'w', id: w, off: wBase + i });
      ops.push(macOp(acc64 ? 'smlalbb' : 'smlabb', accId(2 * i, 0), x, w));
      ops.push(macOp(acc64 ? 'smlalbt' : 'smlabt', accId(2 * i + 1, 0), x, w));
      ops.push(macOp(acc64 ? 'smlaltb' : 'smlatb', accId(2 * i, 1), x, w));
      ops.push(macOp(acc64 ? 'smlaltt' : 'smlatt', accId(2 * i + 1, 1), x, w));
    }
  } else if (form === 'dual') {
    const xs: string[] = [];
    if (m.layout === 'hwc') {
      for (let p = 0; p < pb; p++) {
        const x = id('x');
        ops.push({ kind: 'x32', id: x, off: base + p * inPixel });
        xs.push(x);
      }
    } else {
      for (let p = 0; p < pb; p++) {
        if (inPixel === 1 && p + 1 < pb) {
          // Two pixels of channel c and of channel c+1: one word each, then the halves exchanged.
          const r0 = id('r');
          const r1 = id('r');
          ops.push({ kind: 'x32', id: r0, off: base + p }, { kind: 'x32', id: r1, off: base + p + ci });
          const x0 = id('x');
          const x1 = id('x');
          ops.push({ kind: 'pkbt', id: x0, a: r0, b: r1 }, { kind: 'pktb', id: x1, a: r1, b: r0 });
          xs.push(x0, x1);
          p++;
        } else {
          const x = id('x');
          ops.push({ kind: 'xpair', id: x, off: base + p * inPixel });
          xs.push(x);
        }
      }
    }
    for (let j = 0; j < n; j++) {
      const w = id('w');
      ops.push({ kind: 'w', id: w, off: wBase + j });
      for (let p = 0; p < pb; p++) ops.push(macOp(acc64 ? 'smlald' : 'smlad', accId(j, p), xs[p], w));
    }
  } else {
    const xe: string[] = [];
    const xo: string[] = [];
    for (let p = 0; p < pb; p++) {
      const r = id('r');
      ops.push({ kind: 'x32', id: r, off: base + p * inPixel });
      const e = id('x');
      const o = id('x');
      ops.push({ kind: 'sx', id: e, a: r }, { kind: 'sxr', id: o, a: r });
      xe.push(e);
      xo.push(o);
    }
    for (let j = 0; j < n; j++) {
      const we = id('w');
      const wo = id('w');
      if (form === 'quad-widened') ops.push({ kind: 'w', id: we, off: wBase + 2 * j }, { kind: 'w', id: wo, off: wBase + 2 * j + 1 });
      else {
        const r = id('r');
        ops.push({ kind: 'w', id: r, off: wBase + j });
        ops.push({ kind: 'sx', id: we, a: r }, { kind: 'sxr', id: wo, a: r });
      }
      for (let p = 0; p < pb; p++) ops.push(macOp(acc64 ? 'smlald' : 'smlad', accId(j, p), xe[p], we));
      for (let p = 0; p < pb; p++) ops.push(macOp(acc64 ? 'smlald' : 'smlad', accId(j, p), xo[p], wo));
      // Pre-widened weights need no unpacking, so nothing keeps the scheduler from hoisting every channel's loads.
      if (form === 'quad-widened' && j + 1 < n) ops.push({ kind: 'fence', id: '' });
    }
  }
  return ops;
}

/** Words one step of a block of n channels takes in the main weight array. */
function wordsPerStep(form: MacForm, n: number): number {
  return form === 'halves' || form === 'halves-pixels' ? n / 2 : form === 'quad-widened' ? 2 * n : n;
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
}

export interface PointwisePlan {
  form: FormRow;
  tile: Tile;
  geo: Geometry;
  classes: BlockClass[];
  /** Pixel counts of the block functions: the tile's and the run's remainder. */
  pixelSizes: { pb: number; count: number; skip: number }[];
  folded: bigint[] | null;
}

export function planPointwise(m: KernelModel, plan: AccumulatorPlan, isa: IsaFeatures, optimize: FamilyContext['optimize'] = 'default'): PointwisePlan {
  const geo = geometry(m);
  const form = formFor(m, isa, optimize);
  const tile = chooseTile(m, isa, plan.accType, form, geo);
  if (!tile) throw new Error('planPointwise: no tile fits (applies should have refused)');
  const plainRow = formRows[formRows.length - 1];
  const sizes: { size: number; blocks: number; first: number }[] = [];
  const full = Math.floor(m.outC / tile.ob);
  if (full > 0) sizes.push({ size: tile.ob, blocks: full, first: 0 });
  if (m.outC % tile.ob) sizes.push({ size: m.outC % tile.ob, blocks: 1, first: full * tile.ob });
  const classes = sizes.map(({ size, blocks, first }) => {
    // Halfword pairs of output channels need an even block; an odd tail block multiplies plainly.
    const f = (form.form === 'halves' || form.form === 'halves-pixels') && size % 2 !== 0 ? plainRow : form;
    const steps = Math.floor(m.inC / f.unit);
    const kTail = m.inC - steps * f.unit;
    const weights: number[] = [];
    const kTailWeights: number[] = [];
    for (let b = 0; b < blocks; b++) {
      const o0 = first + b * size;
      weights.push(...packBlock(f.form, m, o0, size, steps, f.unit));
      for (let c = steps * f.unit; c < m.inC; c++) for (let j = 0; j < size; j++) kTailWeights.push(m.weights[(o0 + j) * m.inC + c]);
    }
    return {
      size, blocks, first, form: f, steps, kTail, weights, kTailWeights,
      wordsPerBlock: steps * wordsPerStep(f.form, size), kTailPerBlock: kTail * size,
    };
  });
  const pixelSizes: PointwisePlan['pixelSizes'] = [];
  const pb = Math.min(tile.pb, Math.max(1, geo.span));
  if (geo.span >= pb && geo.span > 0) pixelSizes.push({ pb, count: Math.floor(geo.span / pb), skip: 0 });
  if (geo.span % pb) pixelSizes.push({ pb: geo.span % pb, count: 1, skip: Math.floor(geo.span / pb) * pb });
  return { form, tile, geo, classes, pixelSizes, folded: foldedSeeds(m, plan.accType) };
}

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
  | ({ kind: 'q' } & QFinish);

export function pointwiseFinish(m: KernelModel, plan: AccumulatorPlan, isa: IsaFeatures, folded: bigint[] | null): PointwiseFinish | null {
  // Thumb-1 multiplies 64-bit through a library call either way.
  if (!isa.longMultiply || isa.state === 'thumb1') return null;
  const st = plan.stage;
  const nf = m.numeric;
  if (st.kind === 'requantize' && nf.kind === 'int8') {
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

/**
 * The fused stage's per-channel quantities as the template spells them (channelQuantity: a constant when every channel
 * shares it, else a table of the narrowest type): the multiplier M, the shift s = e - 1, and c = k·2^s, a constant or
 * k shifted by the channel's s (no table: measured on kws's 1x1 layers, 0.3% fewer instructions on Cortex-M4 than
 * loading c, 0.01% more on ARM920T).
 */
function rqView(name: string, fin: Extract<PointwiseFinish, { kind: 'rq' }>) {
  const m = channelQuantity(fin.m, `${name}_rq_m`);
  const s = channelQuantity(fin.s, `${name}_rq_s`, 16);
  const at = (p: PerChannel) => (p.k === 'const' ? String(p.value) : `${p.table}[o]`);
  return {
    tables: [m, s].flatMap((p) => (p.k === 'table' ? [p] : [])),
    mAt: at(m), sAt: at(s), perChannel: m.k === 'table' || s.k === 'table',
    cAt: s.k === 'const' ? String(fin.k * 2 ** s.value) : `(int32_t)((uint32_t)${fin.k < 0 ? `(${fin.k})` : fin.k} << s)`,
    q: fin.q, left: fin.left, hasLeft: fin.left > 0, hasQ: fin.q > 0, lo: fin.lo, hi: fin.hi,
  };
}

const opKinds: readonly OpKind[] = ['fence', 'adv', 'x', 'xlane', 'xpost', 'xlanepost', 'w', 'wk', 'x32', 'pkbt', 'pktb', 'xpair', 'sx', 'sxr',
  'mla', 'smlal', 'smlabb', 'smlabt', 'smlalbb', 'smlalbt', 'smlad', 'smlald', 'xwpost', 'smlatb', 'smlatt', 'smlaltb', 'smlaltt'];
/** Every kind flag present (the templates compile in strict mode), the op's own set. */
const opFlags = (op: Op) => ({ ...Object.fromEntries(opKinds.map((k) => [k, false])), ...op, [op.kind]: true });

function usesOp(fns: Record<string, unknown>[], kind: OpKind): boolean {
  return fns.some((f) => [...(f.ops as Op[]), ...(f.tailOps as Op[])].some((op) => op.kind === kind));
}

export function pointwiseView(m: KernelModel, plan: AccumulatorPlan, isa: IsaFeatures, ctx: FamilyContext) {
  const p = planPointwise(m, plan, isa, ctx.optimize);
  const fin = pointwiseFinish(m, plan, isa, p.folded);
  const st = m.numeric.storage;
  const hwc = m.layout === 'hwc';
  const ci = hwc ? 1 : m.inH * m.inW;
  const acc64 = plan.accType === 'int64_t';
  const fns: Record<string, unknown>[] = [];
  const classes = p.classes.map((c, ci2) => {
    const wType = rawWeights(c.form.form) ? st.cType : 'int32_t';
    const warr = `${m.name}_weights${ci2}`;
    const wkarr = `${m.name}_weights_tail${ci2}`;
    const built = new Map<number, string>();
    const buildFn = (pb: number): string => {
      if (built.has(pb)) return built.get(pb)!;
      const fn = `block${fns.length}_o${c.size}_p${pb}`;
      built.set(pb, fn);
      const ids: Counter = { n: 0 };
      // An odd pixel remainder has no pair to pack: it multiplies plainly (lane2) or with halfword loads (halves-pixels),
      // in the same weight layout.
      const form: MacForm = c.form.form === 'lane2' && pb % 2 !== 0 ? 'plain' : c.form.form === 'halves-pixels' && pb % 2 !== 0 ? 'halves' : c.form.form;
      const lanes = form === 'lane2';
      const u = Math.min(p.tile.u, c.steps) || 1;
      const unrollSteps = c.steps > 0 ? (c.steps % u === 0 ? u : 1) : 0;
      // A32 and Thumb-1 load offsets are short: step the input pointer channel by channel instead of reaching
      // a channel plane away (CHW), which would need an address register per load.
      const advance = !hwc && isaRows[isa.state].chwStepAdd > 0;
      // Post-indexed loads replace the plain form's px[0] load of a unit-channel step (CHW). Not lane2: its packing
      // temporary and the stride register outgrow the register file (measured: spills cost more than the adds).
      const post = advance && isaRows[isa.state].postIndex && (form === 'plain' || form === 'halves' || form === 'halves-pixels') && c.form.unit === 1;
      const body: Op[] = [];
      for (let s = 0; s < unrollSteps; s++) {
        const stepStart = body.length;
        body.push(...stepOps(form, m, acc64, c.size, pb, p.geo.inPixel, ci, advance ? 0 : s * c.form.unit * ci,
          s * wordsPerStep(c.form.form, c.size), ids, isa.longMultiply));
        if (advance && post && form !== 'halves-pixels') {
          // The step's load of px[0] goes last and steps px on to the next channel plane.
          const step = body.splice(stepStart);
          const first = step.findIndex((op) => (op.kind === 'x' || op.kind === 'xlane') && op.off === 0);
          const [op] = step.splice(first, 1);
          const lastX = step.reduce((a, o, i) => (o.kind === 'x' || o.kind === 'xlane' ? i : a), -1);
          step.splice(lastX + 1, 0, { ...op, kind: op.kind === 'x' ? 'xpost' : 'xlanepost' });
          body.push(...step);
        } else if (advance && !post) body.push({ kind: 'adv', id: 'px', off: c.form.unit * ci });
        if (s + 1 < unrollSteps) body.push({ kind: 'fence', id: '' });
      }
      const tail: Op[] = [];
      for (let t = 0; t < c.kTail; t++) {
        tail.push(...stepOps('plain', m, acc64, c.size, pb, p.geo.inPixel, ci, advance ? 0 : t * ci, t * c.size, ids, isa.longMultiply)
          .map((op) => (op.kind === 'w' ? { ...op, kind: 'wk' as const } : op)));
        if (advance && t + 1 < c.kTail) tail.push({ kind: 'adv', id: 'px', off: ci });
        if (t + 1 < c.kTail) tail.push({ kind: 'fence', id: '' });
      }
      const accs = [];
      const laneAccs = [];
      const outOff = (j: number, q: number) => j * (hwc ? 1 : m.outH * m.outW) + q * (hwc ? m.outC : 1);
      for (let j = 0; j < c.size; j++)
        if (lanes) for (let q = 0; q < pb / 2; q++) laneAccs.push({ id: `a${j}_${q}`, j, outOff0: outOff(j, 2 * q), outOff1: outOff(j, 2 * q + 1) });
        else for (let q = 0; q < pb; q++) accs.push({ id: `a${j}_${q}`, j, outOff: outOff(j, q) });
      fns.push({
        fn, size: c.size, pb, wType, split: acc64 && (form === 'halves' || form === 'halves-pixels'), hasLoop: unrollSteps > 0, iters: unrollSteps > 0 ? c.steps / unrollSteps : 0,
        pxStep: advance ? 0 : unrollSteps * c.form.unit * ci, wStep: unrollSteps * wordsPerStep(c.form.form, c.size),
        ops: body.map(opFlags), hasKTail: c.kTail > 0, tailOps: tail.map(opFlags), accs, lanes, laneAccs,
        laneShift: LANE2_SHIFT, laneUp: 32 - LANE2_SHIFT, laneScale: 2 ** LANE2_SHIFT,
        seedFn: p.folded ? `${m.name}_interior_seed_of` : fin?.kind === 'q' ? `${m.name}_pw_seed_of` : `${m.name}_seed`,
        finishFn: fin ? `${m.name}_pw_finish` : `${m.name}_finish`,
        finishO: fin ? fin.kind === 'rq' : ctx.finishNeedsO,
        post,
        formDoc: form,
      });
      return fn;
    };
    const call = (pb: number, count: number, skip: number) =>
      ({ fn: buildFn(pb), inOff: skip * p.geo.inPixel, outOff: skip * (hwc ? m.outC : 1), count });
    const calls = c.form.form === 'halves-pixels' ? [] : p.pixelSizes.map(({ pb, count, skip }) => call(pb, count, skip));
    // halves-pixels: pairs from pixel 0 when the input is word-aligned, from pixel 1 when it is off by a halfword.
    const span = p.geo.span;
    const alignedCalls = c.form.form !== 'halves-pixels' ? [] : [call(2, Math.floor(span / 2), 0), ...(span % 2 ? [call(1, 1, span - 1)] : [])];
    const shiftedCalls = c.form.form !== 'halves-pixels' ? [] : [call(1, 1, 0), ...(span > 2 ? [call(2, Math.floor((span - 1) / 2), 1)] : []),
      ...((span - 1) % 2 ? [call(1, 1, span - 1)] : [])];
    return {
      index: ci2, size: c.size, blocks: c.blocks, first: c.first, wType, warr, wkarr,
      weightCount: c.weights.length, weightLines: cArrayRows(c.weights, 16),
      hasKTail: c.kTail > 0, kTailCount: c.kTailWeights.length, kTailLines: cArrayRows(c.kTailWeights, 16),
      wordsPerBlock: c.wordsPerBlock, kTailPerBlock: c.kTailPerBlock, calls,
      wordPairs: c.form.form === 'halves-pixels', alignedCalls, shiftedCalls,
      doc: `${c.blocks} block(s) of ${c.size} output channel(s) from ${c.first}, ${c.form.form}: ` +
        `[block][${c.steps} step(s) of ${c.form.unit} input channel(s)][${c.form.form === 'halves' || c.form.form === 'halves-pixels' ? 'channel pair' : 'channel'}]${c.form.form === 'quad-widened' ? '[2 int16 pairs]' : ''}` +
        (c.kTail ? `, the last ${c.kTail} input channel(s) in ${m.name}_wk${ci2} [block][channel][output channel]` : ''),
    };
  });
  const weightBytes = p.classes.reduce((a, c) => a + c.weights.length * (rawWeights(c.form.form) ? st.bits / 8 : 4) + c.kTailWeights.length * (st.bits / 8), 0);
  const rawBytes = m.weights.length * (st.bits / 8);
  const g = p.geo;
  return {
    isaName: isaStateNames[isa.state],
    pw: {
      formName: p.form.form,
      formDoc: p.form.doc,
      ob: p.tile.ob,
      pb: p.tile.pb,
      u: p.tile.u,
      estimateText: p.tile.cost.toFixed(2),
      registers: p.tile.registers,
      budget: isaRows[isa.state].budget,
      codeBytes: p.tile.codeBytes,
      codeBudget: CODE_BUDGET,
      weightBytes,
      rawBytes,
      weightsDoc: weightBytes === rawBytes ? 'the same bytes as the raw weights' : `pre-widened to int16 pairs, ${weightBytes} bytes where the raw weights take ${rawBytes}`,
      optimize: ctx.optimize,
      classes,
      fns,
      needsAcle: p.classes.some((c) => !rawWeights(c.form.form)),
      needsSmlal16: acc64 && p.classes.some((c) => c.form.form === 'halves' || c.form.form === 'halves-pixels'),
      needsWordPost: usesOp(fns, 'xwpost'),
      // Helpers are emitted only where some op uses them (clang warns about unused static functions).
      needsLoad32: usesOp(fns, 'x32'),
      needsPost: usesOp(fns, 'xpost') || usesOp(fns, 'xlanepost'),
      postLoad: postLoads[st.bits].op,
      postReach: postLoads[st.bits].reach,
      postStride: ci * (st.bits / 8),
      needsRor8: usesOp(fns, 'sxr'),
      needsPack: usesOp(fns, 'x32') || usesOp(fns, 'xpair'),
      needsSeed: (p.folded === null && fin?.kind !== 'q') || g.hasBorder,
      // The common output stage: what the blocks call unless they have their own, and the padded outputs' stage.
      needsFinish: !fin || g.hasBorder,
      rq: fin?.kind === 'rq' ? rqView(m.name, fin) : null,
      qf: fin?.kind === 'q' ? qFinishView(fin, plan, isa, false) : null,
      foldOffset: p.folded !== null && g.span > 0,
      interiorSeedLines: p.folded ? cArrayRows(p.folded.map((v) => cInt(v, plan.accType)), 8) : [],
      finishNeedsO: ctx.finishNeedsO,
      ciStride: ci,
      inPixel: g.inPixel,
      outPixel: hwc ? m.outC : 1,
      outChannel: hwc ? 1 : m.outH * m.outW,
      flat: g.flat,
      hasBorder: g.hasBorder,
      hasInside: g.span > 0,
      yLo: g.yLo,
      yHi: g.yHi,
      xLo: g.xLo,
      xHi: g.xHi,
      ixLo: g.xLo * m.strideW - m.pad.left,
      leftCols: g.xLo,
      rightCols: m.outW - 1 - g.xHi,
      pixelsDoc: g.flat ? `one run of ${g.span} pixels (the whole plane)` : `per output row, ${g.span} inside column(s)`,
    },
  };
}

export const pointwiseFamily: TemplateFamily = {
  kind: 'template',
  name: 'pointwise',
  summary: '1x1 convolution as a register-tiled GEMM (output channels x pixels), MAC form per ISA feature, blocked weights',
  template: 'pointwise/kernel.c.hbs',
  applies: (m, plan, isa) => pointwiseApplies(m, plan, isa),
  view: (m, plan, isa, ctx) => pointwiseView(m, plan, isa, ctx),
};
