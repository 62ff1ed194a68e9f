/**
 * The pointwise family's MAC forms and register tile: which instruction form multiplies on which ISA (first match
 * wins), the registers and instructions one step of a form takes, and the tile (output channels x pixels, steps per
 * loop iteration) the cost model picks within a register and code budget per ISA state. Also the pixel geometry:
 * one run over the whole plane, or one run per output row over the columns whose input is inside.
 */
import type { KernelModel } from '../../ops/conv_2d/spec/index.ts';
import type { IsaFeatures } from '../../targets/index.ts';
import { loadReach } from '../../targets/load-reach.ts';
import { planAccumulator } from '../../codegen/accumulator.ts';
import { interiorRange } from '../../codegen/geometry.ts';
import type { OptimizeGoal } from '../family.ts';
import { lane2Fits } from '../lanes.ts';
import { tuningOf } from '../../tuning/cores.ts';

export type MacForm = 'plain' | 'lane2' | 'lane2w' | 'halves' | 'halves-pixels' | 'dual' | 'quad' | 'quad-widened';

/** Forms whose 64-bit sums hold two outputs in bit lanes (lane2: two pixels; lane2w: two output channels). */
export const laneForm = (f: MacForm) => f === 'lane2' || f === 'lane2w';

/** Forms whose weights are the raw values in the order the loops read (one element per weight). */
export const rawWeights = (f: MacForm) => f === 'plain' || f === 'lane2';

/** Per instruction-set state: registers left for accumulators and operands once the input, weight and loop
 *  pointers are taken; code bytes per instruction (for the code estimate); whether a CHW channel step needs its own
 *  pointer add (A32 LDRSH/LDRSB offsets are 8 bits, a channel plane is further away). */
export const isaRows: Record<IsaFeatures['state'], { budget: number; bytesPerInstr: number; chwStepAdd: number; postIndex: boolean }> = {
  // A32: LDRSH/LDRSB post-indexed by a register step the channel pointer for free (one register holds the stride).
  a32: { budget: 11, bytesPerInstr: 4, chwStepAdd: 1, postIndex: true },
  thumb2: { budget: 11, bytesPerInstr: 3, chwStepAdd: 0, postIndex: false },
  thumb1: { budget: 5, bytesPerInstr: 2, chwStepAdd: 1, postIndex: false },
  host: { budget: 12, bytesPerInstr: 4, chwStepAdd: 0, postIndex: false },
};
/** A32's post-indexed load for each storage width, and how far its immediate offset reaches. q31 data needs LDR: an
 *  LDRSH there read the low half of each input (wrong on every A32 core). */
export const postLoads: Record<number, { op: string; reach: number }> = {
  8: { op: 'ldrsb', reach: loadReach.a32(8) },
  16: { op: 'ldrsh', reach: loadReach.a32(16) },
  32: { op: 'ldr', reach: loadReach.a32(32) },
};
/** A fully unrolled channel loop needs no loop register: one more for the tile. */
const FULL_UNROLL_REGISTER = 1;

export interface FormRow {
  form: MacForm;
  /** Input channels one step consumes. */
  unit: number;
  doc: string;
  when(isa: IsaFeatures, m: KernelModel, optimize: OptimizeGoal): boolean;
}

/** SXTB16 over four adjacent int8 input channels: HWC int8 on a core with the DSP extension and unaligned words. */
export const quadApplies = (isa: IsaFeatures, m: KernelModel): boolean =>
  isa.simd32 && isa.unaligned && m.numeric.storage.bits === 8 && m.layout === 'hwc' && m.inC >= 4;

/** Pre-widened weights pay on this core for this output plane (the core's tuning row). */
export const widenedPays = (isa: IsaFeatures, m: KernelModel): boolean => m.outH * m.outW <= tuningOf(isa).pointwiseWidenedMaxPixels;

/** MAC forms by ISA feature, most specific first; `plain` always applies. */
export const formRows: readonly FormRow[] = [
  {
    // optimize 'speed' only: the weights take twice their raw bytes.
    form: 'quad-widened', unit: 4, doc: 'SXTB16 unpacks four adjacent int8 input channels into two int16 pairs for SMLAD; weights pre-widened to those pairs (twice the raw bytes)',
    when: (isa, m, optimize) => optimize === 'speed' && widenedPays(isa, m) && quadApplies(isa, m),
  },
  {
    form: 'quad', unit: 4, doc: 'SXTB16 unpacks four adjacent int8 input channels (and four weights) into two int16 pairs for SMLAD',
    when: (isa, m) => quadApplies(isa, m),
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
    form: 'halves', unit: 1, doc: 'SMLAxy/SMLALxy on int16 weights (int8 widened, under speed) packed as halfword pairs of two output channels (no unpacking)',
    when: (isa, m, optimize) => isa.dspv5te && isa.state !== 'thumb1' && m.outC >= 2 && (m.numeric.storage.bits === 16 ||
      (m.numeric.storage.bits === 8 && optimize === 'speed' && tuningOf(isa).pointwiseHalves8 && planAccumulator(m).accType === 'int32_t')),
  },
  {
    // optimize 'speed' only: the weights take twice their raw bytes. w0 + w1*2^23 times x is the two channels' products
    // in bit lanes, as lane2's pixels; the input byte is SMLAL's Rs (the ARM9TDMI multiplier terminates early on it).
    form: 'lane2w', unit: 1, doc: 'SMLAL on the weights of two output channels packed in a word (w0 + w1*2^23, twice the raw bytes) times one int8 input: two MACs per multiply, the input byte as Rs',
    when: (isa, m, optimize) => optimize === 'speed' && tuningOf(isa).pointwiseLane2w && isa.longMultiply && isa.state === 'a32' &&
      lane2Fits(m, false) && m.outC >= 2 && planAccumulator(m).accType === 'int32_t',
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

export function formFor(m: KernelModel, isa: IsaFeatures, optimize: OptimizeGoal = 'default'): FormRow {
  return formRows.find((r) => r.when(isa, m, optimize))!;
}

/** Registers one step keeps live: accumulators, the operands it holds, a temporary (A32 CHW plain: and the
 *  post-indexed loads' stride). */
export function registersNeeded(form: MacForm, ob: number, pb: number, accWords: number, postStride = 0, laneAsm = false): number {
  const accs = ob * pb * accWords + (form === 'plain' ? postStride : 0);
  if (form === 'lane2') return ob * pb + pb / 2 + 2;
  // Each pixel's byte and each channel pair's word; as assembly (lane-asm.ts) the operands take the registers GCC
  // otherwise keeps for the pointers and the loop, and lane2wAsmFits counts them all.
  if (form === 'lane2w') return laneAsm ? ob * pb + 3 : ob * pb + pb + ob / 2;
  // The pixel word, the weight word, the plane stride.
  if (form === 'halves-pixels') return accs + 3;
  return form === 'quad' || form === 'quad-widened' ? accs + 2 * pb + 2 : accs + pb + 1;
}

/** Instructions of one step (unit input channels x ob x pb). */
export function stepInstructions(form: MacForm, m: KernelModel, isa: IsaFeatures, ob: number, pb: number, accWords: number, inPixel: number): number {
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
  if (form === 'lane2w') return pb + ob / 2 + (ob * pb) / 2 + advance;
  if (form === 'halves') return pb + Math.ceil(ob / 2) + macs + (isaRows[isa.state].postIndex ? 0 : advance);
  if (form === 'halves-pixels') return pb / 2 + ob / 2 + macs;
  // Thumb-1: MULS overwrites its operand (a copy), then a 32-bit add, or a sign extension and a 64-bit add.
  const mac = isa.state === 'thumb1' ? (accWords === 2 ? 5 : 3) : 1;
  // A32 CHW: the post-indexed load steps the pointer (no add).
  return pb + ob + macs * mac + (isaRows[isa.state].postIndex ? 0 : advance);
}

/** Instructions per output for its seed, output stage and store (lane2: and taking its lane out of the sum). */
function perOutput(m: KernelModel, accWords: number, form: MacForm): number {
  return (m.numeric.kind === 'int8' ? 16 : 6 + 3 * accWords) + (laneForm(form) ? 3 : 0);
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

export const CODE_BUDGET = 3600;
const FIXED_BYTES = 420;

/** Steps per loop iteration: the fewest that give >= 16 MACs per iteration (longer bodies only let the scheduler
 *  hoist loads and spill; the loop's own cost is then small). */
function unrollFor(steps: number, macsPerStep: number): number {
  for (let u = 1; u <= steps; u++) if (steps % u === 0 && u * macsPerStep >= 16) return u;
  return Math.max(1, steps);
}

export function chooseTile(m: KernelModel, isa: IsaFeatures, accType: string, form: FormRow, geo: Geometry): Tile | null {
  return tileOptions(m, isa, accType, form, geo)[0] ?? null;
}

/** Every tile within the register and code budgets, cheapest first by the instruction estimate (among equals the
 *  smaller code). */
export function tileOptions(m: KernelModel, isa: IsaFeatures, accType: string, form: FormRow, geo: Geometry): Tile[] {
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
      if (form.form === 'lane2w' && ob % 2 !== 0) continue;
      const registers = registersNeeded(form.form, ob, pb, accWords, m.layout === 'chw' && row.postIndex ? 1 : 0, tuningOf(isa).pointwiseLaneAsm && pb >= 2);
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
  fits.sort((a, b) => a.cost - b.cost || a.codeBytes - b.codeBytes);
  return fits;
}

