/**
 * The blocked family's models: registers a blocking keeps live, instructions per MAC of the interior (estimated from
 * the shape, or counted from a built function), and code bytes per function (an upper bound of GCC's .text).
 */
import type { KernelModel } from '../../ops/conv_2d/spec/index.ts';
import type { CoreTuning } from '../../tuning/cores.ts';
import { planAccumulator } from '../../codegen/accumulator.ts';
import { dspRound } from '../../ir/requantize-dsp.ts';
import { allColumns, distinctColumns } from './geometry.ts';
import { anchorsInput, ANCHOR_LANE2_MARGIN, BORDER_FN_MARGIN, LANE2_OUTPUT_INSTRUCTIONS, laneCode, TAPS8_EXTRA_REGS } from './measured.ts';
import type { BlockedPlan, BlockFn, Def8, FormVariant, MacForm } from './plan.ts';

/**
 * Registers live in the inner loop: accumulators, a kernel row's inputs (streamed: ~2 at once), the weights (quad
 * keeps two unpacked halves per output channel, or two words when widened).
 */
export function registersNeeded(ob: number, pb: number, accWords: number, form: MacForm, kW = 1): number {
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
export function def8Cost(d: Def8 | undefined): number {
  if (!d) return 1;
  if (d.kind === 'pack') return 3;
  return d.kind === 'byte' ? 1 : 1 + (d.even ? 1 : 0) + (d.odd ? 1 : 0);
}

/** Instructions per MAC of an interior function as built (taps/halves: counted from its loads and MACs). */
export function countedEstimate(m: KernelModel, f: BlockFn, accWords: number, lanes8 = false): number {
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
export function estimate(m: KernelModel, ob: number, pb: number, accWords: number, form: MacForm, widened: boolean, asmRows = false): number {
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
  // (asm rows: one LDRD per widened channel's two words, and the pointer steps itself)
  const perWeight = form === 'quad' ? (asmRows ? 1 : widened ? 2 : 3) : 1;
  const macInstr = form === 'quad' ? 2 : 1;
  const inputLoads = m.kH * distinctColumns(m, allColumns(m), pb) * perInput;
  const macs = taps * ob * pb * unit;
  const weightLoads = taps * ob * perWeight;
  const loopUpkeep = 3 + accWords - (asmRows ? 1 : 0);
  const perOutput = (10 * accWords * ob * pb * unit) / m.inPerGroup;
  return (inputLoads + weightLoads + macInstr * taps * ob * pb + loopUpkeep + perOutput) / macs;
}

const dspStages = new WeakMap<KernelModel, boolean>();
/** Whether the kernel's int8 output stage is the DSP form on this core (requantize-dsp.ts): much less code inlined. */
export function dspStage(m: KernelModel, tune: CoreTuning): boolean {
  if (!tune.dspRequantize || m.numeric.kind !== 'int8') return false;
  let v = dspStages.get(m);
  if (v === undefined) dspStages.set(m, v = dspRound(planAccumulator(m)) !== null);
  return v;
}

/** Estimated code bytes of one function (an upper bound of what arm-none-eabi-gcc -O2 makes of it). */
export function fnBytes(f: BlockFn, accWords: number, m: KernelModel, tune: CoreTuning): number {
  const c = tune.codeCost;
  // quad: a load and two unpacks per input and weight word, two SMLADs per MAC entry; its widened weights in the
  // assembly rows (asm-m.ts) two loads at most per channel
  const k = f.macForm === 'quad' ? 3 : 1;
  const kw = f.macForm === 'quad' && tune.quadAsmRows && f.rowWeights === m.kW * f.ob * 2 ? 2 : k;
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
      + (f.macForm === 'taps8' ? t.weights.reduce((a, l) => a + def8Cost(l.b8), 0) : kw * t.weights.length);
  }
  // int8's stage inlined: the DSP form (requantize-dsp.ts) is a third of the reference forms' code.
  const perAcc = f.outlineFinish ? c.accCall : m.numeric.kind === 'int8' ? (dspStage(m, tune) ? c.accInt8Dsp : c.accInt8) : c.accQ;
  // Column and band functions: their loads reach further (rows apart) and their blocks spill more than the fitted
  // kinds (measured up to 33 B over the model on cortex-m7 bench f q15 and 113 B on arm920t bench a int8 without it): a margin of their own.
  return c.instr * n + c.fn + (f.kind === 'column' || f.kind === 'band' ? BORDER_FN_MARGIN : 0) + f.ob * f.pb * accWords * perAcc
    + (f.laneAccs.length > 0 && anchorsInput(tune, f.macForm, m.numeric.storage.bits) ? ANCHOR_LANE2_MARGIN : 0);
}

/** A plan's form variant: its MAC form, and how its weights load where speed changes that. */
export const formVariant = (p: Pick<BlockedPlan, 'macForm' | 'widened' | 'lanes8'> & { asmRows?: boolean }): FormVariant =>
  p.asmRows ? 'quad+asm' : p.widened ? 'quad+widened' : p.lanes8 ? 'taps8+lanes8' : p.macForm;

/**
 * Estimated cycles per MAC of a plan's interior on a core: the instruction estimate times the core's cycles per
 * instruction for the plan's form variant (tuning/cores.ts; 1 where the row has none); where the row gives the
 * variant's multiply cycles, those plus the other instructions (and the int8 output stage) at its cycles per instruction. It ranks two plans of one
 * kernel against each other; the bench's cycle model is the measure.
 */
export function estimatedCycles(p: Pick<BlockedPlan, 'macForm' | 'widened' | 'lanes8' | 'estimate' | 'int8Stage'> & { asmRows?: boolean },
  tune: CoreTuning): number {
  const v = formVariant(p);
  const cpi = tune.cyclesPerInstruction[v] ?? 1;
  const mac = tune.macCycles[v];
  if (mac === undefined) return p.estimate * cpi;
  // the multiplies at their own cost; the rest (the int8 output stage included, which the estimate leaves out) at cpi
  const s = tune.int8StageInstructions;
  const stage = p.int8Stage && s ? (p.int8Stage.called ? s.called : s.inline) / p.int8Stage.macsPerOutput : 0;
  const multiplies = p.macForm === 'lane2' || p.macForm === 'lane2w' ? 0.5 : 1;
  return mac + (p.estimate - multiplies + stage) * cpi;
}
