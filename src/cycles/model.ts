/**
 * The shape every core's cycle model shares, and the estimator that walks a window's execution profile with one.
 *
 * A model is a table (one row per timing rule, each with the manual section it comes from) and a cost function that
 * reads those rows. The estimator hands the cost function one executed instruction at a time with what the plugin
 * saw of it (how often it ran, passed its condition, left or entered the straight line, and the size classes of its
 * multiply operands) and the neighbours it needs for pipeline effects (the instruction before and after in memory,
 * with their execution figures). Costs are split by cause so that a figure can be explained (docs/cycles.md).
 */
import { ALWAYS, type Insn } from './insn.ts';

/** One timing rule of a core's table. */
export interface TimingRow {
  /** What the rule covers, in words. */
  what: string;
  /** The cycles as the manual states them (a number or a formula). */
  cycles: string;
  /** Where it comes from: document and section. */
  source: string;
  /** The number the cost function uses (the leading figure of `cycles`). */
  value?: number;
}

/** What the plugin watches at one instruction: its condition, and which registers' size classes to record. */
export interface Watch {
  cond: number;
  /** First operand register (ARM's Rs for multiplies), -1 for none. */
  ra: number;
  rb: number;
}

/** What the plugin recorded of one instruction address in one window (firmware/plugin/README.md, "Profile"). */
export interface ExecRecord {
  pc: number;
  n: number;
  taken: number;
  entered: number;
  /** Watched instructions: executions whose condition passed. */
  pass?: number;
  /** Watched multiplies: 16 counts by (class of ra, class of rb) signed, then 16 unsigned; class k = the operand's
   * bits [31:8k] are all equal (signed) or all zero (unsigned), k = 1..4. */
  mul?: number[];
}

/** One executed instruction as a cost function sees it. */
export interface Exec {
  insn: Insn;
  n: number;
  /** Executions that passed their condition (all of them unless the plugin watched the condition). */
  pass: number;
  taken: number;
  entered: number;
  /** Executions reached from the instruction before it in memory. */
  fallIn: number;
  mul?: number[];
}

export interface Breakdown {
  /** Issue cycles of everything but multiplies, as the tables give them for an instruction on its own. */
  execute: number;
  /** Multiply and multiply-accumulate cycles. */
  multiply: number;
  /** Pipeline interlocks: a result used too early (load-use, multiply result). */
  interlock: number;
  /** Extra cycles of taken branches and other writes to the PC (pipeline refill). */
  branch: number;
  /** Cycles saved by overlap: dual issue, pipelined loads, overlapped vector beats (zero or negative). */
  overlap: number;
  /** Addresses the disassembly does not know (charged one cycle per execution). */
  unknown: number;
}

export const emptyBreakdown = (): Breakdown => ({ execute: 0, multiply: 0, interlock: 0, branch: 0, overlap: 0, unknown: 0 });

export interface ModelContext {
  exec(pc: number): Exec | undefined;
  insnAt(pc: number): Insn | undefined;
  /** The instruction right after `i` in memory. */
  next(i: Insn): Insn | undefined;
  /** The instruction right before `i` in memory. */
  prev(i: Insn): Insn | undefined;
}

export interface CycleModel {
  id: string;
  /** The core, as the docs name it. */
  core: string;
  /** 'model': a per-instruction timing model; 'rough': only a rough figure, not a model (said so wherever shown). */
  kind: 'model' | 'rough';
  /** What is modelled and what is approximated, in a few sentences (docs/cycles.md). */
  notes: string[];
  rows: Record<string, TimingRow>;
  /** Extra `objdump` options its disassembly needs (an architecture the ELF attributes do not convey). */
  objdumpArgs?: string[];
  /** What the plugin must record at `i`, if its cost depends on operand values or on its condition. */
  watch(i: Insn): Watch | undefined;
  cost(e: Exec, ctx: ModelContext): Partial<Breakdown>;
}

export interface CycleEstimate {
  cycles: number;
  breakdown: Breakdown;
  /** Cycles per instruction address (for tests and for finding where the time goes). */
  perPc: Map<number, number>;
}

/** Counts of a multiply's executions by the size class (1..4) of one operand. */
export function classCounts(mul: number[] | undefined, operand: 'a' | 'b', flavour: 'signed' | 'unsigned'): number[] {
  const out = [0, 0, 0, 0];
  if (!mul) return out;
  const base = flavour === 'signed' ? 0 : 16;
  for (let a = 0; a < 4; a++) for (let b = 0; b < 4; b++) out[operand === 'a' ? a : b] += mul[base + a * 4 + b];
  return out;
}

/** Joint counts [class a][class b] of a multiply's executions. */
export function jointCounts(mul: number[] | undefined, flavour: 'signed' | 'unsigned'): number[][] {
  const base = flavour === 'signed' ? 0 : 16;
  return [0, 1, 2, 3].map((a) => [0, 1, 2, 3].map((b) => mul?.[base + a * 4 + b] ?? 0));
}

/** Does `reader` read any of `regs`? */
export function reads(reader: Insn | undefined, regs: number[]): boolean {
  return !!reader && reader.uses.some((r) => regs.includes(r));
}

/** The registers a load brings from memory (not a written-back base). */
export function loadedRegs(i: Insn): number[] {
  return i.loaded ?? [];
}

export function buildContext(insns: Map<number, Insn>, window: ExecRecord[], model: CycleModel): ModelContext {
  const execs = new Map<number, Exec>();
  for (const r of window) {
    const insn = insns.get(r.pc);
    if (!insn) continue;
    const watched = model.watch(insn);
    const pass = watched && watched.cond !== ALWAYS && r.pass !== undefined ? r.pass : r.n;
    // An unconditional branch to the next instruction looks like a fall-through to the plugin; it is still taken.
    const taken = insn.cls === 'branch' && insn.cond === ALWAYS && insn.target === insn.pc + insn.size ? r.n : r.taken;
    execs.set(r.pc, { insn, n: r.n, pass, taken, entered: r.entered, fallIn: Math.max(0, r.n - r.entered), mul: r.mul });
  }
  const insnAt = (pc: number) => insns.get(pc);
  return {
    exec: (pc) => execs.get(pc),
    insnAt,
    next: (i) => insnAt(i.pc + i.size),
    prev: (i) => {
      const two = insnAt(i.pc - 2);
      if (two && two.size === 2) return two;
      const four = insnAt(i.pc - 4);
      return four && four.size === 4 ? four : undefined;
    },
  };
}

/** Estimates the cycles of one window: the model's cost of every executed instruction, summed. */
export function estimate(model: CycleModel, insns: Map<number, Insn>, window: ExecRecord[]): CycleEstimate {
  const ctx = buildContext(insns, window, model);
  const total = emptyBreakdown();
  const perPc = new Map<number, number>();
  for (const r of window) {
    if (r.n === 0) continue;
    const e = ctx.exec(r.pc);
    let c: Partial<Breakdown>;
    if (!e) c = { unknown: r.n };
    else c = model.cost(e, ctx);
    let sum = 0;
    for (const k of Object.keys(c) as (keyof Breakdown)[]) {
      total[k] += c[k]!;
      sum += c[k]!;
    }
    perPc.set(r.pc, sum);
  }
  const cycles = Object.values(total).reduce((a, b) => a + b, 0);
  return { cycles: Math.round(cycles), breakdown: total, perPc };
}

/** The watch file for an image: one "PC COND RA RB" line per instruction the model needs watched. */
export function watchFile(model: CycleModel, insns: Map<number, Insn>): string {
  const lines: string[] = [];
  for (const i of insns.values()) {
    const w = model.watch(i);
    if (w) lines.push(`${i.pc.toString(16)} ${w.cond} ${w.ra} ${w.rb}`);
  }
  return lines.join('\n') + (lines.length ? '\n' : '');
}
