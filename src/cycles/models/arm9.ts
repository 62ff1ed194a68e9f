/**
 * ARM9 cores: the ARM920T (ARM9TDMI integer core, S3C2410 class) and the ARM926EJ-S (ARM9EJ-S, the ARM9E-S timing
 * with Jazelle). Both have the five-stage fetch/decode/execute/memory/write pipeline with forwarding, caches that are
 * assumed to hit and memory without wait states. They differ in the multiplier: the ARM9TDMI's 8-bit Booth array
 * iterates once per significant byte of Rs; the ARM9E-S has a 32x16 array with fixed timings and a result latency.
 */
import { ALWAYS, type Insn } from '../insn.ts';
import { classCounts, loadedRegs, reads, type CycleModel, type Exec, type ModelContext, type Breakdown, type TimingRow } from '../model.ts';

const S3C = 'S3C2410A user manual, ch. 3 "ARM Instruction Set"';
// The ARM9TDMI TRM's own table (ARM DDI 0180A ch. 7) was not at hand: these rows are the rules issue 19 states for
// the ARM9TDMI pipeline, which are the ARM9EJ-S TRM's for the same five-stage load/store path.
const TDMI = 'ARM9TDMI pipeline rule as issue 19 states it; the same in ARM9EJ-S TRM (ARM DDI 0222B) Table 8.2';
const EJS = 'ARM9EJ-S TRM (ARM DDI 0222B) §8.1 Table 8.2';
const E_S = 'ARM9E-S TRM (ARM DDI 0165B) ch. 8';

const arm920tRows = {
  alu: { what: 'Data processing (ALU, move, compare)', cycles: '1', source: `${S3C}, data processing: 1S; ${TDMI}`, value: 1 },
  regShift: { what: '… with a register-specified shift', cycles: '+1', source: `${S3C}, data processing: +1I for a register shift`, value: 1 },
  aluPc: { what: '… writing the PC', cycles: '+2 (3 in all)', source: `${S3C}, data processing: +1S+1N when the PC is written`, value: 2 },
  branch: { what: 'B, BL, BX taken', cycles: '3', source: `${S3C}, B/BL and BX: 2S+1N`, value: 3 },
  notTaken: { what: 'Any instruction whose condition fails (branches included)', cycles: '1', source: `${S3C}, "Instruction cycle times": 1S`, value: 1 },
  load: { what: 'LDR, LDRB, LDRH, LDRSB, LDRSH', cycles: '1', source: TDMI, value: 1 },
  loadPc: { what: 'LDR into the PC', cycles: '5', source: TDMI, value: 5 },
  loadUseWord: { what: 'Word loaded, used by the next instruction', cycles: '+1 (interlock)', source: TDMI, value: 1 },
  loadUseByte: { what: 'Byte or halfword loaded, used by the next instruction', cycles: '+2 (interlock)', source: TDMI, value: 2 },
  loadUseByte2: { what: 'Byte or halfword loaded, used by the instruction after next (single-cycle instruction between)', cycles: '+1 (interlock)', source: TDMI, value: 1 },
  store: { what: 'STR, STRB, STRH', cycles: '1', source: TDMI, value: 1 },
  ldm: { what: 'LDM/STM of n registers', cycles: 'max(n, 2)', source: TDMI },
  ldmPc: { what: 'LDM loading the PC', cycles: '+4', source: TDMI, value: 4 },
  ldmUse: { what: 'Last register of an LDM used by the next instruction', cycles: '+1 (interlock)', source: TDMI, value: 1 },
  mul: { what: 'MUL', cycles: '1 + m', source: `${S3C}, MUL/MLA "Instruction cycle times": 1S+mI`, value: 1 },
  mla: { what: 'MLA', cycles: '2 + m', source: `${S3C}, MUL/MLA: 1S+(m+1)I`, value: 2 },
  mull: { what: 'SMULL, UMULL', cycles: '2 + m', source: `${S3C}, MULL/MLAL "Instruction cycle times": 1S+(m+1)I`, value: 2 },
  mlal: { what: 'SMLAL, UMLAL', cycles: '3 + m', source: `${S3C}, MULL/MLAL: 1S+(m+2)I`, value: 3 },
  m: {
    what: 'm, the multiplier array cycles: 1, 2, 3 if bits [31:8], [31:16], [31:24] of Rs are all zero or all one (MUL, MLA, SMULL, SMLAL; all zero for UMULL, UMLAL), else 4',
    cycles: '1–4', source: `${S3C}, MUL/MLA and MULL/MLAL, definition of m`,
  },
  other: { what: 'Other instructions (SWP, MRS, MSR, SWI, coprocessor)', cycles: '1', source: 'approximation (not on kernel paths)', value: 1 },
} satisfies Record<string, TimingRow>;

const arm926Rows = {
  alu: { what: 'Data processing (ALU, move, compare, CLZ, QADD)', cycles: '1', source: EJS, value: 1 },
  regShift: { what: '… with a register-controlled shift', cycles: '+1 (2 in all)', source: EJS, value: 1 },
  aluPc: { what: '… writing the PC, arithmetic result (ADD, SUB, RSB, ADC, SBC)', cycles: '+2 (3 in all)', source: EJS, value: 2 },
  aluPcLogical: { what: '… writing the PC, logical result (MOV, ORR, EOR, BIC, …)', cycles: '+3 (4 in all)', source: EJS, value: 3 },
  branch: { what: 'B, BL, BX, BLX taken', cycles: '3', source: `${EJS}; ${E_S}`, value: 3 },
  notTaken: { what: 'Any instruction whose condition fails', cycles: '1', source: E_S, value: 1 },
  load: { what: 'LDR, LDRB, LDRH, LDRSB, LDRSH', cycles: '1', source: EJS, value: 1 },
  scaled: { what: '… with a shifted register offset (loads and stores)', cycles: '+1', source: EJS, value: 1 },
  loadPc: { what: 'LDR into the PC', cycles: '5', source: EJS, value: 5 },
  ldrd: { what: 'LDRD, STRD', cycles: '2', source: EJS, value: 2 },
  loadUseWord: { what: 'Word loaded, used by the next instruction (also as STR data or MLA accumulator)', cycles: '+1 (interlock)', source: `${EJS}; ${E_S}`, value: 1 },
  loadUseByte: { what: 'Byte, halfword or unaligned word loaded, used by the next instruction', cycles: '+2 (interlock)', source: `${EJS}; ${E_S}`, value: 2 },
  loadUseByte2: { what: '… used by the instruction after next (single-cycle instruction between)', cycles: '+1 (interlock)', source: E_S, value: 1 },
  store: { what: 'STR, STRB, STRH', cycles: '1', source: EJS, value: 1 },
  ldm: { what: 'LDM/STM of n registers', cycles: 'n (2 for one register)', source: EJS },
  ldmPc: { what: 'LDM loading the PC', cycles: '+4', source: EJS, value: 4 },
  ldmUse: { what: 'Last register of an LDM (or LDRD) used by the next instruction', cycles: '+1 (interlock)', source: EJS, value: 1 },
  mul: { what: 'MUL, MLA', cycles: '2', source: `${EJS}; ${E_S}`, value: 2 },
  muls: { what: 'MULS, MLAS', cycles: '4', source: E_S, value: 4 },
  mull: { what: 'SMULL, UMULL, SMLAL, UMLAL', cycles: '3', source: `${EJS}; ${E_S}`, value: 3 },
  mulls: { what: 'SMULLS, UMULLS, SMLALS, UMLALS', cycles: '5', source: E_S, value: 5 },
  mulxy: { what: 'SMULxy, SMLAxy, SMULWy, SMLAWy', cycles: '1', source: `${EJS}; ${E_S}`, value: 1 },
  mlalxy: { what: 'SMLALxy', cycles: '2', source: `${EJS}; ${E_S}`, value: 2 },
  mulUse: {
    what: 'Multiply result used by the next instruction (not as the accumulator of a following multiply-accumulate; not after a flag-setting multiply)',
    cycles: '+1 (interlock)', source: E_S, value: 1,
  },
  other: { what: 'Other instructions (SWP, MRS, MSR, SWI, coprocessor)', cycles: '1', source: 'approximation (not on kernel paths)', value: 1 },
} satisfies Record<string, TimingRow>;

type Rows = typeof arm920tRows | typeof arm926Rows;
const n = (r: TimingRow): number => r.value!;

/** Instructions that take more than one cycle on their own: no load interlock reaches past them. */
function multiCycle(i: Insn | undefined): boolean {
  return !!i && (i.cls === 'mul' || i.cls === 'ldm' || i.cls === 'stm' || !!i.regShift || i.writesPc || i.op === 'ldrd' || i.op === 'strd');
}

/** Load interlocks after a load that passed `times` times (shared by both cores: the same load path). */
function loadInterlock(e: Exec, ctx: ModelContext, rows: Rows): number {
  const i = e.insn;
  if (i.writesPc || e.pass === 0) return 0;
  const got = loadedRegs(i);
  const next = ctx.next(i);
  if (!next) return 0;
  if (i.cls === 'ldm' || i.op === 'ldrd') return reads(next, got.slice(-1)) ? e.pass * n(rows.ldmUse) : 0;
  const narrow = (i.bytes ?? 4) < 4;
  if (reads(next, got)) return e.pass * n(narrow ? rows.loadUseByte : rows.loadUseWord);
  if (!narrow || multiCycle(next)) return 0;
  const after = ctx.next(next);
  if (!reads(after, got)) return 0;
  const ne = ctx.exec(next.pc);
  const fallThrough = ne && ne.n > 0 ? (ne.n - ne.taken) / ne.n : 1;
  return e.pass * fallThrough * n(rows.loadUseByte2);
}

function watchArm9(i: Insn): { cond: number; ra: number; rb: number } | undefined {
  if (i.cls === 'mul') return { cond: i.cond, ra: i.rs ?? -1, rb: -1 }; // only Rs sets the ARM9TDMI's timing
  // Conditional instructions whose cost differs between pass and fail (a failed one takes one cycle).
  if (i.cond !== ALWAYS && (i.cls === 'load' || i.cls === 'ldm' || i.cls === 'stm' || i.regShift || (i.writesPc && i.cls !== 'branch')))
    return { cond: i.cond, ra: -1, rb: -1 };
  return undefined;
}

/** The parts both cores cost the same way (loads, stores, branches, ALU); multiplies are each core's own. */
function commonCost(e: Exec, ctx: ModelContext, rows: Rows, arm926: boolean): Partial<Breakdown> {
  const i = e.insn;
  const failed = e.n - e.pass;
  const out: Partial<Breakdown> = { execute: failed * n(rows.notTaken) };
  const add = (k: keyof Breakdown, v: number) => (out[k] = (out[k] ?? 0) + v);
  const refill = e.taken * (n(rows.branch) - 1);
  switch (i.cls) {
    case 'alu':
      add('execute', e.pass * (n(rows.alu) + (i.regShift ? n(rows.regShift) : 0)));
      if (i.writesPc) {
        const logical = arm926 && !['add', 'sub', 'rsb', 'adc', 'sbc'].includes(i.op);
        add('branch', e.taken * n(logical ? arm926Rows.aluPcLogical : rows.aluPc));
      }
      break;
    case 'load':
    case 'store': {
      const pair = i.op === 'ldrd' || i.op === 'strd';
      const base = pair && arm926 ? n((rows as typeof arm926Rows).ldrd) : n(rows.load);
      const scaled = arm926 && i.scaledOffset ? 1 : 0;
      add('execute', e.pass * (base + scaled));
      if (i.writesPc) add('branch', e.taken * (n(rows.loadPc) - 1));
      if (i.cls === 'load') add('interlock', loadInterlock(e, ctx, rows));
      break;
    }
    case 'ldm':
    case 'stm': {
      const regs = i.nregs ?? 1;
      add('execute', e.pass * (arm926 ? (regs === 1 ? 2 : regs) : Math.max(regs, 2)));
      if (i.writesPc) add('branch', e.taken * n(rows.ldmPc));
      if (i.cls === 'ldm') add('interlock', loadInterlock(e, ctx, rows));
      break;
    }
    case 'branch':
      // Condition failed or not, a branch issues in one cycle; a taken one refills the pipeline.
      add('execute', e.pass * 1);
      add('branch', refill);
      break;
    default:
      add('execute', e.pass * n(rows.other));
  }
  return out;
}

export const arm9tdmi: CycleModel = {
  id: 'arm9tdmi',
  core: 'ARM920T (ARM9TDMI core)',
  kind: 'model',
  notes: [
    'Every instruction is costed from its table row; caches always hit and memory has no wait states, as on a ' +
      'kernel whose code and data fit the 16 KiB caches.',
    'Multiplies cost by the significant bytes of the Rs operand, read from the register at each execution (m = 1..4).',
    'Load-use interlocks look at the next instruction in memory (and the one after, for byte and halfword loads): a ' +
      'load never branches, so that is the instruction that runs next.',
    'A condition-failed instruction costs one cycle; the plugin evaluates the condition of every conditional ' +
      'instruction whose cost depends on it. Taken branches and other writes to the PC are counted exactly.',
  ],
  rows: arm920tRows,
  watch: watchArm9,
  cost(e, ctx) {
    const i = e.insn;
    if (i.cls !== 'mul') return commonCost(e, ctx, arm920tRows, false);
    const unsigned = i.op === 'umull' || i.op === 'umlal';
    const m = classCounts(e.mul, 'a', unsigned ? 'unsigned' : 'signed');
    const recorded = m.reduce((a, b) => a + b, 0);
    const base = i.op === 'mul' ? 1 : i.op === 'mla' || i.op === 'smull' || i.op === 'umull' ? 2 : 3;
    // m from the recorded classes; executions without a record (none expected) at the worst case m = 4.
    const cycles = m.reduce((a, c, k) => a + c * (base + k + 1), 0) + (e.pass - recorded) * (base + 4);
    return { execute: (e.n - e.pass) * 1, multiply: cycles };
  },
};

export const arm9es: CycleModel = {
  id: 'arm9e-s',
  core: 'ARM926EJ-S (ARM9EJ-S core, ARM9E-S timing)',
  kind: 'model',
  notes: [
    'The same pipeline rules as the ARM920T (caches hit, no wait states, load-use interlocks from the next ' +
      'instructions in memory) with the ARM9E-S multiplier: fixed multiply timings that do not depend on operand ' +
      'values, single-cycle 16-bit MACs (SMLAxy), and a one-cycle interlock when the next instruction uses a ' +
      'multiply result other than as the accumulator of a following multiply-accumulate.',
  ],
  rows: arm926Rows,
  watch(i) {
    if (i.cond !== ALWAYS && (i.cls === 'mul' || i.cls === 'load' || i.cls === 'ldm' || i.cls === 'stm' || i.regShift ||
      (i.writesPc && i.cls !== 'branch') || i.scaledOffset)) return { cond: i.cond, ra: -1, rb: -1 };
    return undefined;
  },
  cost(e, ctx) {
    const i = e.insn;
    if (i.cls !== 'mul') return commonCost(e, ctx, arm926Rows, true);
    const r = arm926Rows;
    const xy = /^smul[bt][bt]$|^smla[bt][bt]$|^smulw[bt]$|^smlaw[bt]$/.test(i.op);
    const lxy = /^smlal[bt][bt]$/.test(i.op);
    const each = xy ? n(r.mulxy) : lxy ? n(r.mlalxy) : i.long ? n(i.setsFlags ? r.mulls : r.mull) : n(i.setsFlags ? r.muls : r.mul);
    const next = ctx.next(i);
    // A following multiply-accumulate may take this result as its accumulator without waiting.
    const asAccumulator = !!next && next.cls === 'mul' && !!next.acc && i.defs.every((d) => next.acc!.includes(d)) &&
      !reads({ ...next, uses: next.uses.filter((u) => !next.acc!.includes(u)) }, i.defs);
    const interlock = !i.setsFlags && reads(next, i.defs) && !asAccumulator ? e.pass * n(r.mulUse) : 0;
    return { execute: e.n - e.pass, multiply: e.pass * each, interlock };
  },
};
