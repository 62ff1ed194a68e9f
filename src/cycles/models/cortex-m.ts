/**
 * Cortex-M cores. The M0, M3 and M4 tables are the ones ARM publishes in each core's TRM (zero wait-state memory);
 * the M33 publishes none and is costed with the M4 table; the M7 and M55 add what their TRMs describe only in words
 * (dual issue; MVE beats), approximated as the notes say.
 */
import { ALWAYS, type Insn } from '../insn.ts';
import { jointCounts, loadedRegs, reads, type Breakdown, type CycleModel, type Exec, type ModelContext, type TimingRow } from '../model.ts';

const M0 = 'Cortex-M0 TRM (ARM DDI 0432C) §3.3, Table 3-1';
const M3 = 'Cortex-M3 TRM (ARM DDI 0337) §18.2, Table 18-1';
const M4 = 'Cortex-M4 TRM (ARM DDI 0439) §3.3.1, Table 3-1';
const P_NOTE = 'P = pipeline refill, 1–3 cycles by the target\'s alignment and width and whether the address was ' +
  'speculated early; taken as 2';

type Rows = Record<string, TimingRow>;
const v = (r: TimingRow): number => r.value!;

function m3m4Rows(src: string, mac: 'one' | 'm3'): Rows {
  return {
    alu: { what: 'Data processing, shifts, extends, saturation, bit-field, IT', cycles: '1', source: src, value: 1 },
    refill: { what: 'Taken branch, BL, BX, CBZ/CBNZ taken, writes to the PC', cycles: '1 + P', source: `${src}; ${P_NOTE}`, value: 2 },
    load: { what: 'LDR, LDRB, LDRH, LDRSB, LDRSH, STR, STRB, STRH', cycles: '2', source: src, value: 2 },
    pipelined: {
      what: '… right after a single load whose result it does not use for its address: address and data phases overlap (nothing is pipelined after a store)',
      cycles: '1', source: `${src}, note on neighbouring load and store instructions`, value: 1,
    },
    ldrd: { what: 'LDRD, STRD', cycles: '3', source: src, value: 3 },
    ldm: { what: 'LDM, STM, PUSH, POP of N registers', cycles: '1 + N', source: src, value: 1 },
    ...(mac === 'one'
      ? { mul: { what: 'MUL, MLA, MLS, SMULL, UMULL, SMLAL, UMLAL, SMLAxy, SMLAD, SMLALD and the other DSP multiplies', cycles: '1', source: src, value: 1 } }
      : {
        mul: { what: 'MUL', cycles: '1', source: src, value: 1 },
        mla: { what: 'MLA, MLS', cycles: '2', source: src, value: 2 },
        mull: { what: 'SMULL, UMULL: 3 + e', cycles: '3–5', source: `${src}, early termination`, value: 3 },
        mlal: { what: 'UMLAL: 4 + e; SMLAL: 5 + e (the signed form one cycle longer)', cycles: '4–7', source: `${src}, early termination`, value: 4 },
        e: {
          what: 'e, early termination (ARM gives the ranges, not the rule; convgen\'s approximation): 0 if both operands fit in 16 bits (bits [31:16] all equal; all zero for the unsigned forms), 1 if one does, else 2',
          cycles: '0–2', source: 'approximation within the documented ranges', value: 0,
        },
      }),
    div: { what: 'SDIV, UDIV (early termination by operand size; not on kernel paths)', cycles: '2–12, costed 12', source: src, value: 12 },
    notTaken: { what: 'Conditional branch not taken; an IT-block instruction whose condition fails', cycles: '1', source: src, value: 1 },
  };
}

const m0Rows: Rows = {
  alu: { what: 'Data processing, shifts, extends', cycles: '1', source: M0, value: 1 },
  aluPc: { what: 'ADD or MOV writing the PC', cycles: '3', source: M0, value: 3 },
  load: { what: 'LDR, LDRB, LDRH, LDRSB, LDRSH, STR, STRB, STRH (no pipelining)', cycles: '2', source: M0, value: 2 },
  ldm: { what: 'LDM, STM, PUSH, POP of N registers', cycles: '1 + N', source: M0, value: 1 },
  popPc: { what: 'POP with the PC', cycles: '3 + N', source: M0, value: 3 },
  mul: { what: 'MULS (the single-cycle multiplier option of the core)', cycles: '1', source: `${M0}; the 32-cycle option is not modelled`, value: 1 },
  branch: { what: 'B, B<cond> taken, BX, BLX', cycles: '3', source: M0, value: 3 },
  bl: { what: 'BL', cycles: '4', source: M0, value: 4 },
  notTaken: { what: 'B<cond> not taken', cycles: '1', source: M0, value: 1 },
};

/** Shared cost of the M0/M3/M4/M33 tables. */
function thumbCost(e: Exec, ctx: ModelContext, rows: Rows, o: { m0: boolean; pipelining: boolean; mul: (e: Exec) => number }): Partial<Breakdown> {
  const i = e.insn;
  const out: Partial<Breakdown> = { execute: (e.n - e.pass) * 1 };
  const add = (k: keyof Breakdown, x: number) => (out[k] = (out[k] ?? 0) + x);
  const refill = o.m0 ? v(rows.branch) - 1 : v(rows.refill);
  switch (i.cls) {
    case 'alu':
      add('execute', e.pass * v(rows.alu));
      if (i.writesPc) add('branch', e.taken * (o.m0 ? v(rows.aluPc) - 1 : refill));
      break;
    case 'load':
    case 'store': {
      const pair = i.op === 'ldrd' || i.op === 'strd';
      add('execute', e.pass * (pair ? v(rows.ldrd) : v(rows.load)));
      if (!pair && o.pipelining) add('overlap', -pipelinedCount(e, ctx) * (v(rows.load) - v(rows.pipelined)));
      if (i.writesPc) add('branch', e.taken * refill);
      break;
    }
    case 'ldm':
    case 'stm':
      add('execute', e.pass * (v(rows.ldm) + (i.nregs ?? 1)));
      if (i.writesPc) add('branch', e.taken * (o.m0 ? v(rows.popPc) - 1 : refill));
      break;
    case 'mul':
      add('multiply', o.mul(e));
      break;
    case 'branch':
      add('execute', e.n * 1);
      add('branch', e.taken * (o.m0 && i.op === 'bl' ? v(rows.bl) - 1 : refill));
      break;
    default:
      add('execute', e.pass * 1);
  }
  return out;
}

function isSingleLoad(i: Insn | undefined): boolean {
  return !!i && i.cls === 'load' && i.op !== 'ldrd' && !i.writesPc;
}

/** Executions of a single load or store that came right after a single load it can pipeline with. */
function pipelinedCount(e: Exec, ctx: ModelContext): number {
  const prev = ctx.prev(e.insn);
  if (!isSingleLoad(prev) || !ctx.exec(prev!.pc)) return 0;
  // The address may not depend on what the previous load brings.
  if ((e.insn.addr ?? []).some((r) => loadedRegs(prev!).includes(r))) return 0;
  return Math.min(e.fallIn, e.pass);
}

function watchThumb(i: Insn, mulRegs: boolean): { cond: number; ra: number; rb: number } | undefined {
  const operands = mulRegs && i.cls === 'mul' && i.long;
  if (operands) return { cond: i.cond, ra: i.rs ?? -1, rb: i.rs === undefined ? -1 : i.rm ?? -1 };
  if (i.cond !== ALWAYS && i.cls !== 'branch' && i.cls !== 'alu' && i.cls !== 'it' && i.cls !== 'nop') return { cond: i.cond, ra: -1, rb: -1 };
  return undefined;
}

const m3Rows = m3m4Rows(M3, 'm3');
const m4Rows = m3m4Rows(M4, 'one');

export const cortexM0: CycleModel = {
  id: 'cortex-m0',
  core: 'Cortex-M0',
  kind: 'model',
  notes: [
    'The TRM\'s table as it stands: two-cycle loads and stores with no pipelining, taken branches three cycles (BL ' +
      'four), zero wait states. The multiplier is the single-cycle option; a part built with the 32-cycle ' +
      'multiplier would take 31 more cycles per MULS. 64-bit products are libgcc calls and are costed instruction ' +
      'by instruction.',
  ],
  rows: m0Rows,
  watch: (i) => watchThumb(i, false),
  cost: (e, ctx) => thumbCost(e, ctx, m0Rows, { m0: true, pipelining: false, mul: (x) => x.pass * v(m0Rows.mul) }),
};

/** M3 long multiplies: 3 + e or 4 + e (+1 signed accumulate), e from both operands' sizes. */
function m3Multiply(e: Exec): number {
  const i = e.insn;
  if (i.op === 'sdiv' || i.op === 'udiv') return e.pass * v(m3Rows.div);
  if (!i.long) return e.pass * (i.op === 'mul' ? v(m3Rows.mul) : v(m3Rows.mla));
  const unsigned = i.op.startsWith('u');
  const joint = jointCounts(e.mul, unsigned ? 'unsigned' : 'signed');
  const base = i.op.endsWith('mull') ? v(m3Rows.mull) : v(m3Rows.mlal) + (unsigned ? 0 : 1);
  let cycles = 0;
  let recorded = 0;
  for (let a = 0; a < 4; a++) {
    for (let b = 0; b < 4; b++) {
      const small = (a < 2 ? 1 : 0) + (b < 2 ? 1 : 0);
      cycles += joint[a][b] * (base + 2 - small);
      recorded += joint[a][b];
    }
  }
  return cycles + (e.pass - recorded) * (base + 2);
}

export const cortexM3: CycleModel = {
  id: 'cortex-m3',
  core: 'Cortex-M3',
  kind: 'model',
  notes: [
    'The TRM\'s table with zero wait states: two-cycle single loads and stores, one cycle when they follow a ' +
      'single load (pipelined address and data phases), 1 + P for taken branches with P taken as 2.',
    'SMULL/UMULL (3–5 cycles) and SMLAL/UMLAL (4–7) terminate early by operand size; ARM documents the ranges ' +
      'and that the signed accumulate is one cycle longer, not the rule. convgen reads both operands at every ' +
      'execution and charges e = 0, 1 or 2 extra cycles when both, one or neither fits in 16 bits.',
  ],
  rows: m3Rows,
  watch: (i) => watchThumb(i, true),
  cost: (e, ctx) => thumbCost(e, ctx, m3Rows, { m0: false, pipelining: true, mul: m3Multiply }),
};

function m4Multiply(e: Exec): number {
  const i = e.insn;
  return e.pass * (i.op === 'sdiv' || i.op === 'udiv' ? v(m4Rows.div) : v(m4Rows.mul));
}

export const cortexM4: CycleModel = {
  id: 'cortex-m4',
  core: 'Cortex-M4',
  kind: 'model',
  notes: [
    'The TRM\'s table with zero wait states: single-cycle multiplies and MACs (32- and 64-bit accumulates, the DSP ' +
      'dual 16-bit MACs), two-cycle single loads and stores that take one cycle when they follow a single load ' +
      '(pipelined), LDRD/STRD three, LDM/STM 1 + N, and 1 + P for taken branches with P taken as 2.',
  ],
  rows: m4Rows,
  watch: (i) => watchThumb(i, false),
  cost: (e, ctx) => thumbCost(e, ctx, m4Rows, { m0: false, pipelining: true, mul: m4Multiply }),
};

export const cortexM33: CycleModel = {
  ...cortexM4,
  id: 'cortex-m33',
  core: 'Cortex-M33',
  notes: [
    'ARM publishes no instruction timing table for the Cortex-M33. Its integer pipeline is costed with the ' +
      'Cortex-M4 table (single-cycle MACs, pipelined single loads, 1 + P branches), which is what the M33\'s ' +
      'documentation describes in words; the figures are estimates of the same kind as the M4\'s, not measurements.',
  ],
};

// ---------------------------------------------------------------------------------------------------------------
// Cortex-M7: dual issue, approximated

const M7 = 'Cortex-M7 TRM (ARM DDI 0489), ch. 1 "Introduction" (six-stage, in-order, dual-issue superscalar pipeline)';
const m7Rows: Rows = {
  issue: { what: 'Any instruction on its own', cycles: '1', source: M7, value: 1 },
  dual: {
    what: 'Second of a pair issued together: it follows the first in memory and ran right after it, neither is a branch, load/store multiple or divide, not both access memory, not both multiply, and it does not read what the first writes',
    cycles: '0', source: 'approximation of the dual-issue rules (not published as a table)', value: 0,
  },
  loadUse: { what: 'Loaded register used by the next instruction', cycles: '+1 (interlock)', source: 'approximation (two-cycle load-to-use)', value: 1 },
  ldm: { what: 'LDM, STM, PUSH, POP of N registers (64-bit data path)', cycles: '1 + ceil(N / 2)', source: 'approximation', value: 1 },
  branch: { what: 'Taken branch (predicted)', cycles: '+1', source: 'approximation (branch target cache)', value: 1 },
  div: { what: 'SDIV, UDIV', cycles: '12', source: 'approximation (worst case)', value: 12 },
};

function pairable(a: Insn, b: Insn): boolean {
  const heavy = (i: Insn) => i.cls === 'branch' || i.cls === 'ldm' || i.cls === 'stm' || i.cls === 'system' || i.writesPc ||
    i.op === 'sdiv' || i.op === 'udiv' || i.op === 'ldrd' || i.op === 'strd';
  const mem = (i: Insn) => i.cls === 'load' || i.cls === 'store';
  if (heavy(a) || (heavy(b) && b.cls !== 'branch')) return false;
  if (mem(a) && mem(b)) return false;
  if (a.cls === 'mul' && b.cls === 'mul') return false;
  if (reads(b, a.defs)) return false;
  if (a.setsFlags && b.cond !== ALWAYS) return false;
  return true;
}

export const cortexM7: CycleModel = {
  id: 'cortex-m7',
  core: 'Cortex-M7',
  kind: 'model',
  notes: [
    'ARM describes the M7\'s dual issue in words only, so convgen approximates it: two instructions adjacent in ' +
      'memory that run one after the other issue together unless they conflict (both access memory, both multiply, ' +
      'the second reads what the first writes or depends on its flags, either is a load/store multiple or divide, ' +
      'the first is a branch). Pairs are formed greedily along the straight-line code as it usually runs (an ' +
      'instruction reached mostly by a jump starts a new pair). Loads take one cycle plus one when the next ' +
      'instruction uses the loaded value; taken branches cost one extra cycle (assumed predicted).',
  ],
  rows: m7Rows,
  watch: () => undefined,
  cost(e, ctx) {
    const i = e.insn;
    const out: Partial<Breakdown> = {};
    const add = (k: keyof Breakdown, x: number) => (out[k] = (out[k] ?? 0) + x);
    if (i.cls === 'mul') add('multiply', e.n * (i.op === 'sdiv' || i.op === 'udiv' ? v(m7Rows.div) : 1));
    else if (i.cls === 'ldm' || i.cls === 'stm') add('execute', e.n * (v(m7Rows.ldm) + Math.ceil((i.nregs ?? 1) / 2)));
    else add('execute', e.n * v(m7Rows.issue));
    if ((i.cls === 'load' || i.cls === 'ldm') && reads(ctx.next(i), loadedRegs(i))) add('interlock', e.n * v(m7Rows.loadUse));
    add('branch', e.taken * v(m7Rows.branch));
    if (secondOfPair(i, ctx, new Map())) add('overlap', -e.fallIn * 1);
    return out;
  },
};

/** Greedy pairing from the last instruction that is reached mostly by a jump. */
function secondOfPair(i: Insn, ctx: ModelContext, memo: Map<number, boolean>): boolean {
  const hit = memo.get(i.pc);
  if (hit !== undefined) return hit;
  const self = ctx.exec(i.pc);
  const prev = ctx.prev(i);
  const pe = prev && ctx.exec(prev.pc);
  let result = false;
  if (self && prev && pe && self.fallIn > 0 && pe.taken < pe.n && pairable(prev, i)) {
    // The previous instruction can only lead a pair if it was not itself the second of one.
    const prevLeads = pe.entered >= pe.fallIn || !secondOfPair(prev, ctx, memo);
    result = prevLeads;
  }
  memo.set(i.pc, result);
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// Cortex-M55: the M4-style scalar table plus MVE beats

const M55 = 'Cortex-M55 TRM (ARM 101051) and Armv8.1-M Architecture Reference Manual, "beat-wise execution"';
const m55Rows: Rows = {
  ...m4Rows,
  vector: { what: 'MVE instruction on Q registers: four beats at two beats a cycle (dual-beat)', cycles: '2', source: M55, value: 2 },
  overlap: {
    what: '… right after an MVE instruction of the other kind (memory vs. arithmetic): their beats overlap',
    cycles: '1', source: `${M55}; approximation of the overlap rules`, value: 1,
  },
  scalarVector: { what: 'Other vector/FP instructions (no Q register: VMOV to core registers, VCTP, FP scalar)', cycles: '1', source: 'approximation', value: 1 },
  lob: { what: 'LE, LETP, DLS, WLS (low-overhead loops: the loop end costs no refill)', cycles: '1', source: M55, value: 1 },
};

const isBeatwise = (i: Insn | undefined): boolean => !!i && i.cls.startsWith('v') && /\bq\d/.test(i.operands);
const beatKind = (i: Insn): 'mem' | 'alu' => (i.cls === 'vload' || i.cls === 'vstore' ? 'mem' : 'alu');

export const cortexM55: CycleModel = {
  id: 'cortex-m55',
  core: 'Cortex-M55 (MVE)',
  kind: 'model',
  notes: [
    'Scalar code is costed with the Cortex-M4 table. MVE instructions on Q registers execute as four beats on a ' +
      'dual-beat datapath: two cycles each, one when they follow an MVE instruction of the other kind (a load or ' +
      'store after arithmetic or the reverse), whose beats they overlap. The overlap rules (which pairs, and when a ' +
      'dependency stops it) are simplified to that one rule. Low-overhead loop ends (LE, LETP) cost one cycle and ' +
      'no refill.',
  ],
  rows: m55Rows,
  // binutils 2.40 shows MVE encodings as coprocessor instructions unless told the architecture.
  objdumpArgs: ['-m', 'armv8.1-m.main'],
  watch: (i) => watchThumb(i, false),
  cost(e, ctx) {
    const i = e.insn;
    if (/^(le|letp|dls|dlstp|wls|wlstp|lctp)$/.test(i.op)) return { execute: e.n * v(m55Rows.lob) };
    if (!i.cls.startsWith('v')) return thumbCost(e, ctx, m55Rows, { m0: false, pipelining: true, mul: m4Multiply });
    if (!isBeatwise(i)) return { execute: e.n * v(m55Rows.scalarVector) };
    const prev = ctx.prev(i);
    const overlapped = isBeatwise(prev) && beatKind(prev!) !== beatKind(i) ? e.fallIn : 0;
    return { execute: e.n * v(m55Rows.vector), overlap: -overlapped * (v(m55Rows.vector) - v(m55Rows.overlap)) };
  },
};
