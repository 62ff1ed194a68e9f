/**
 * What the cycle models need to know of one instruction, read from a line of `arm-none-eabi-objdump -d -M
 * reg-names-raw`: its class, condition, the core registers it reads and writes, and the few operand details timing
 * tables depend on (the multiplier operand, a register-specified shift, a scaled register offset, the number of
 * registers a load/store multiple moves). The disassembler already knows the encodings; this module only reads its
 * unified-syntax text, so ARM, Thumb and Thumb-2 (and the vector mnemonics, by class) go through one parser.
 */

export type InsnClass =
  | 'alu' // data processing, moves, compares, extends, saturation, SIMD-in-GPR
  | 'mul' // integer multiply and multiply-accumulate, divide
  | 'load' // single load (LDR, LDRB, LDRH, LDRSB, LDRSH, LDRD, exclusive and unprivileged forms)
  | 'store' // single store
  | 'ldm' // load multiple, POP
  | 'stm' // store multiple, PUSH
  | 'branch' // B, BL, BLX, BX, CBZ, TBB/TBH, low-overhead loop instructions
  | 'it' // Thumb IT
  | 'vload' // vector/FP load or store (VLDR, VLD1, VSTR, VPUSH, ...)
  | 'vstore'
  | 'vector' // other vector/FP data processing
  | 'system' // SVC, BKPT, MRS, MSR, barriers, coprocessor
  | 'nop';

/** ARM condition codes in encoding order; 14 = always. */
export const CONDITIONS = ['eq', 'ne', 'cs', 'cc', 'mi', 'pl', 'vs', 'vc', 'hi', 'ls', 'ge', 'lt', 'gt', 'le', 'al'] as const;
export const ALWAYS = 14;
const condAliases: Record<string, number> = { hs: 2, lo: 3 };

export interface Insn {
  pc: number;
  /** Bytes: 4 (ARM, Thumb-2 32-bit) or 2 (Thumb 16-bit). */
  size: number;
  thumb: boolean;
  /** The mnemonic as printed, lower case, width qualifier (.w/.n) removed. */
  text: string;
  /** The base mnemonic: no condition, no flag-setting `s`, no data-type suffix (`vldrb` of `vldrb.s16`). */
  op: string;
  /** Data-type suffix of vector mnemonics (`s16` of `vmlava.s16`), '' otherwise. */
  dt: string;
  cls: InsnClass;
  cond: number;
  setsFlags: boolean;
  /** Operand text, comments removed. */
  operands: string;
  /** Core registers written and read (0-15). */
  defs: number[];
  uses: number[];
  /** Multiplies: the multiplier operand whose size ends the ARM multipliers' iterations early (ARM's Rs), and the
   * other multiplicand. */
  rs?: number;
  rm?: number;
  /** Multiply-accumulates: the accumulator registers read. */
  acc?: number[];
  /** Long multiplies (64-bit result): SMULL, UMULL, SMLAL, UMLAL, UMAAL, SMLALxy, SMLALD. */
  long?: boolean;
  /** Data processing with a shift amount taken from a register. */
  regShift?: boolean;
  /** Loads/stores: a register offset shifted by an immediate (`[r1, r2, lsl #2]`). */
  scaledOffset?: boolean;
  /** Loads/stores: bytes per access (1, 2, 4, 8). */
  bytes?: number;
  /** Loads/stores: the registers forming the address (base and offset). */
  addr?: number[];
  /** Loads: the registers filled from memory (not a written-back base). */
  loaded?: number[];
  /** Load/store multiple: number of registers moved. */
  nregs?: number;
  /** Writes the PC (a branch of any kind, a load or data op into PC, POP {.., pc}). */
  writesPc: boolean;
  /** Direct branches: the target address. */
  target?: number;
}

const dataProcessing = new Set([
  'and', 'eor', 'sub', 'rsb', 'add', 'adc', 'sbc', 'rsc', 'tst', 'teq', 'cmp', 'cmn', 'orr', 'mov', 'bic', 'mvn', 'orn',
  'lsl', 'lsr', 'asr', 'ror', 'rrx', 'neg', 'adr', 'movw', 'movt',
]);
const compares = new Set(['tst', 'teq', 'cmp', 'cmn']);
const otherAlu = new Set([
  'clz', 'rbit', 'rev', 'rev16', 'revsh', 'sxtb', 'sxth', 'uxtb', 'uxth', 'sxtb16', 'uxtb16', 'sxtab', 'sxtah', 'sxtab16',
  'uxtab', 'uxtah', 'uxtab16', 'bfi', 'bfc', 'ubfx', 'sbfx', 'ssat', 'usat', 'ssat16', 'usat16', 'pkhbt', 'pkhtb', 'sel',
  'qadd', 'qsub', 'qdadd', 'qdsub', 'usad8', 'usada8',
  ...['add16', 'sub16', 'add8', 'sub8', 'asx', 'sax'].flatMap((o) => ['s', 'q', 'sh', 'u', 'uq', 'uh'].map((p) => p + o)),
]);
const multiplies = new Set([
  'mul', 'mla', 'mls', 'umull', 'umlal', 'smull', 'smlal', 'umaal', 'sdiv', 'udiv',
  'smulbb', 'smulbt', 'smultb', 'smultt', 'smulwb', 'smulwt', 'smlabb', 'smlabt', 'smlatb', 'smlatt', 'smlawb', 'smlawt',
  'smlalbb', 'smlalbt', 'smlaltb', 'smlaltt', 'smlad', 'smladx', 'smlsd', 'smlsdx', 'smuad', 'smuadx', 'smusd', 'smusdx',
  'smlald', 'smlaldx', 'smlsld', 'smlsldx', 'smmul', 'smmulr', 'smmla', 'smmlar', 'smmls', 'smmlsr',
]);
const longMultiplies = new Set(['umull', 'umlal', 'smull', 'smlal', 'umaal', 'smlalbb', 'smlalbt', 'smlaltb', 'smlaltt',
  'smlald', 'smlaldx', 'smlsld', 'smlsldx']);
const loads = new Set(['ldr', 'ldrb', 'ldrh', 'ldrsb', 'ldrsh', 'ldrd', 'ldrex', 'ldrexb', 'ldrexh', 'ldrexd', 'ldrt', 'ldrbt',
  'ldrht', 'ldrsbt', 'ldrsht', 'lda', 'ldab', 'ldah']);
const stores = new Set(['str', 'strb', 'strh', 'strd', 'strex', 'strexb', 'strexh', 'strexd', 'strt', 'strbt', 'strht', 'stl',
  'stlb', 'stlh']);
const loadMultiples = new Set(['ldm', 'ldmia', 'ldmib', 'ldmda', 'ldmdb', 'ldmfd', 'ldmfa', 'ldmed', 'ldmea', 'pop']);
const storeMultiples = new Set(['stm', 'stmia', 'stmib', 'stmda', 'stmdb', 'stmfd', 'stmfa', 'stmed', 'stmea', 'push']);
const branches = new Set(['b', 'bl', 'blx', 'bx', 'bxj', 'cbz', 'cbnz', 'tbb', 'tbh', 'le', 'letp', 'wls', 'wlstp', 'dls', 'dlstp',
  'lctp']);
const systemOps = new Set(['svc', 'swi', 'bkpt', 'mrs', 'msr', 'cpsie', 'cpsid', 'dsb', 'dmb', 'isb', 'wfi', 'wfe', 'sev', 'udf',
  'mcr', 'mrc', 'mcrr', 'mrrc', 'cdp', 'ldc', 'stc', 'swp', 'swpb', 'clrex', 'pld', 'pli', 'setend']);
const nops = new Set(['nop', 'yield']);

function known(op: string): boolean {
  return dataProcessing.has(op) || otherAlu.has(op) || multiplies.has(op) || loads.has(op) || stores.has(op) ||
    loadMultiples.has(op) || storeMultiples.has(op) || branches.has(op) || systemOps.has(op) || nops.has(op) ||
    /^it[te]{0,3}$/.test(op);
}

/** Splits a mnemonic into base, condition and flag-setting `s` (UAL order: base, s, condition). */
export function splitMnemonic(text: string): { op: string; cond: number; setsFlags: boolean } | undefined {
  const tryBase = (m: string): { op: string; setsFlags: boolean } | undefined => {
    if (known(m)) return { op: m, setsFlags: false };
    if (m.endsWith('s') && known(m.slice(0, -1)) && (dataProcessing.has(m.slice(0, -1)) || multiplies.has(m.slice(0, -1))))
      return { op: m.slice(0, -1), setsFlags: true };
    return undefined;
  };
  const whole = tryBase(text);
  if (whole) return { ...whole, cond: ALWAYS };
  if (text.length > 2) {
    const c = text.slice(-2);
    const code = condAliases[c] ?? CONDITIONS.indexOf(c as (typeof CONDITIONS)[number]);
    if (code >= 0) {
      const b = tryBase(text.slice(0, -2));
      if (b) return { ...b, cond: code };
    }
  }
  return undefined;
}

/** Top-level comma split that keeps `[...]` and `{...}` together. */
export function splitOperands(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '[' || ch === '{') depth++;
    if (ch === ']' || ch === '}') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

const regNames: Record<string, number> = { sp: 13, lr: 14, pc: 15, fp: 11, ip: 12, sl: 10, sb: 9 };

/** A core register operand (`r7`, `r13!`, `sp`), or undefined. */
export function coreReg(s: string): number | undefined {
  const t = s.replace(/!$/, '').trim();
  const m = /^r(\d{1,2})$/.exec(t);
  if (m && Number(m[1]) < 16) return Number(m[1]);
  return regNames[t];
}

function regsIn(s: string): number[] {
  const out: number[] = [];
  for (const m of s.matchAll(/\b(r\d{1,2}|sp|lr|pc)\b/g)) {
    const r = coreReg(m[1]);
    if (r !== undefined && !out.includes(r)) out.push(r);
  }
  return out;
}

/** Registers of a `{r4, r5, r8-r11, r14}` list. */
function regList(s: string): number[] {
  const body = /\{([^}]*)\}/.exec(s)?.[1] ?? '';
  const out: number[] = [];
  for (const part of body.split(',').map((p) => p.trim()).filter(Boolean)) {
    const range = /^(\S+)\s*-\s*(\S+)$/.exec(part);
    if (range) {
      const a = coreReg(range[1]);
      const b = coreReg(range[2]);
      if (a !== undefined && b !== undefined) for (let r = a; r <= b; r++) out.push(r);
    } else {
      const r = coreReg(part);
      if (r !== undefined) out.push(r);
    }
  }
  return out;
}

const uniq = (xs: number[]): number[] => [...new Set(xs)];
const r0 = (ops: string[]): number | undefined => (ops[0] !== undefined ? coreReg(ops[0]) : undefined);

function memoryOperand(ops: string[], first: number): { addr: number[]; writeback: boolean; scaled: boolean } {
  const mem = ops.slice(first).join(', ');
  const bracket = /\[([^\]]*)\](!?)/.exec(mem);
  const inside = bracket ? splitOperands(bracket[1]) : [];
  const post = bracket ? mem.slice(mem.indexOf(']') + 1 + bracket[2].length).replace(/^\s*,/, '') : '';
  const addr = uniq([...inside.flatMap(regsIn), ...regsIn(post)]);
  return {
    addr,
    writeback: bracket?.[2] === '!' || post.trim() !== '',
    scaled: inside.length >= 3 && /^(lsl|lsr|asr|ror)\s+#/.test(inside[2]) || /,\s*(lsl|lsr|asr|ror)\s+#/.test(post),
  };
}

const accessBytes: Record<string, number> = { b: 1, sb: 1, h: 2, sh: 2, d: 8 };

/** Decodes one disassembled instruction. `hex` is objdump's encoding column (one group: ARM; else Thumb). */
export function decode(pc: number, hex: string, mnemonic: string, operandText: string): Insn {
  const groups = hex.trim().split(/\s+/);
  const thumb = !(groups.length === 1 && groups[0].length === 8);
  const size = groups.join('').length / 2;
  const text = mnemonic.toLowerCase().replace(/\.(w|n)$/, '');
  const operands = operandText.replace(/\s*[@;].*$/, '').trim();
  const ops = splitOperands(operands);
  const base: Insn = { pc, size, thumb, text, op: text, dt: '', cls: 'system', cond: ALWAYS, setsFlags: false, operands, defs: [], uses: [], writesPc: false };

  if (text.startsWith('v')) {
    // Vector and FP (NEON, MVE, VFP): classified by mnemonic. Their conditions (VFP in ARM state, MVE's VPT
    // predication) are not tracked: every model costs them as executed. A core register first operand is written
    // (VMOV r0, s0; VMLADAV r0, q0, q1; VADDV), every other core register is read (addresses, scalars).
    const [op, ...dtParts] = text.split('.');
    const memory = /^v(ld|st)/.test(op) || op === 'vpush' || op === 'vpop';
    const store = /^vst/.test(op) || op === 'vpush';
    const memOp = ops.find((o) => o.startsWith('['));
    const first = r0(ops);
    let defs: number[] = [];
    if (memory) defs = memOp && /\]!|\],/.test(operands) ? regsIn(memOp) : [];
    else if (first !== undefined) defs = [first];
    const accumulates = /^v(mlav|mladav|rmlaldavh|mlaldav|addv|addlv)a/.test(op);
    const uses = memory ? regsIn(operands) : uniq([...regsIn(ops.slice(defs.length).join(', ')), ...(accumulates ? defs : [])]);
    return {
      ...base, op, dt: dtParts.join('.'), cls: memory ? (store ? 'vstore' : 'vload') : 'vector', defs, uses,
      addr: memory ? regsIn(memOp ?? '') : undefined,
    };
  }

  const split = splitMnemonic(text);
  if (!split) return base; // unknown: the models cost it as one cycle and count it
  const { op, cond, setsFlags } = split;
  const insn: Insn = { ...base, op, cond, setsFlags };
  const r = (i: number): number | undefined => (ops[i] !== undefined ? coreReg(ops[i]) : undefined);

  if (/^it[te]{0,3}$/.test(op)) return { ...insn, cls: 'it', cond: ALWAYS };
  if (nops.has(op)) return { ...insn, cls: 'nop' };
  if (systemOps.has(op)) return { ...insn, cls: 'system', uses: regsIn(operands), defs: op === 'mrs' && r(0) !== undefined ? [r(0)!] : [] };

  if (dataProcessing.has(op) || otherAlu.has(op)) {
    const regShift = ops.some((o) => /^(lsl|lsr|asr|ror)\s+r\d/.test(o)) ||
      (!insn.thumb && ['lsl', 'lsr', 'asr', 'ror'].includes(op) && ops.length === 3 && r(2) !== undefined);
    const defs = compares.has(op) ? [] : r(0) !== undefined ? [r(0)!] : [];
    // Thumb's two-operand forms (`eors r2, r1`, `lsls r0, r1`, `adds r1, #1`) read their destination too.
    const readsDest = op === 'movt' || op === 'bfi' || op === 'bfc' ||
      (dataProcessing.has(op) && ops.length === 2 && !['mov', 'mvn', 'movw', 'adr', 'neg', 'rrx'].includes(op));
    const uses = compares.has(op) ? regsIn(operands) : uniq(ops.slice(1).flatMap(regsIn).concat(readsDest ? defs : []));
    return { ...insn, cls: 'alu', defs, uses, regShift, writesPc: defs.includes(15) };
  }

  if (multiplies.has(op)) {
    const long = longMultiplies.has(op);
    const regs = ops.map((o) => coreReg(o));
    if (long) {
      const [lo, hi, rn, rmul] = regs;
      const accumulates = op !== 'umull' && op !== 'smull';
      return {
        ...insn, cls: 'mul', long, defs: [lo, hi].filter((x) => x !== undefined) as number[],
        uses: uniq([rn, rmul, ...(accumulates ? [lo, hi] : [])].filter((x) => x !== undefined) as number[]),
        rm: rn, rs: rmul, acc: accumulates ? ([lo, hi].filter((x) => x !== undefined) as number[]) : undefined,
      };
    }
    const [rd, rn, rmul, ra] = ops.length === 2 ? [regs[0], regs[1], regs[0], undefined] : regs; // Thumb `muls rd, rn`
    return {
      ...insn, cls: 'mul', long: false, defs: rd !== undefined ? [rd] : [],
      uses: uniq([rn, rmul, ra].filter((x) => x !== undefined) as number[]), rm: rn, rs: rmul, acc: ra !== undefined ? [ra] : undefined,
    };
  }

  if (loads.has(op) || stores.has(op)) {
    const isLoad = loads.has(op);
    const pair = op === 'ldrd' || op === 'strd' || op === 'ldrexd' || op === 'strexd';
    const exclusiveStore = op.startsWith('strex');
    const dataRegs = [r(0), ...(exclusiveStore || pair ? [r(1)] : []), ...(exclusiveStore && pair ? [r(2)] : [])]
      .filter((x) => x !== undefined) as number[];
    // objdump prints ARM-state LDRD/STRD with Rt only: the second register is Rt + 1.
    if (pair && !exclusiveStore && dataRegs.length === 1) dataRegs.push(dataRegs[0] + 1);
    const firstMem = ops.findIndex((o) => o.startsWith('['));
    const mem = memoryOperand(ops, firstMem < 0 ? ops.length : firstMem);
    const suffix = /^(?:ldr|str)(ex)?(sb|sh|b|h|d)?t?$/.exec(op)?.[2] ?? (op.startsWith('lda') || op.startsWith('stl') ? op.slice(3) : '');
    const base0 = mem.addr[0];
    const writeback = mem.writeback && base0 !== undefined ? [base0] : [];
    const defs = isLoad ? uniq([...dataRegs, ...writeback]) : uniq([...(exclusiveStore ? [dataRegs[0]] : []), ...writeback]);
    const uses = isLoad ? mem.addr : uniq([...(exclusiveStore ? dataRegs.slice(1) : dataRegs), ...mem.addr]);
    return {
      ...insn, cls: isLoad ? 'load' : 'store', defs, uses, addr: mem.addr, scaledOffset: mem.scaled, loaded: isLoad ? dataRegs : undefined,
      bytes: accessBytes[suffix] ?? 4, writesPc: isLoad && defs.includes(15),
    };
  }

  if (loadMultiples.has(op) || storeMultiples.has(op)) {
    const isLoad = loadMultiples.has(op);
    const stack = op === 'pop' || op === 'push';
    const baseReg = stack ? 13 : r(0);
    const writeback = stack || /!/.test(ops[0] ?? '');
    const list = regList(operands);
    const defs = isLoad ? uniq([...list, ...(writeback && baseReg !== undefined ? [baseReg] : [])]) : (writeback && baseReg !== undefined ? [baseReg] : []);
    const uses = uniq([...(baseReg !== undefined ? [baseReg] : []), ...(isLoad ? [] : list)]);
    return {
      ...insn, cls: isLoad ? 'ldm' : 'stm', defs, uses, addr: baseReg !== undefined ? [baseReg] : [], nregs: list.length,
      loaded: isLoad ? list : undefined, writesPc: isLoad && list.includes(15),
    };
  }

  if (branches.has(op)) {
    const defs = op === 'bl' || op === 'blx' ? [14] : /^(wls|dls|le|letp|wlstp|dlstp)$/.test(op) ? [14] : [];
    const uses = op === 'b' || op === 'bl' || (op === 'blx' && r(0) === undefined) ? [] : regsIn(operands.replace(/<[^>]*>/, ''));
    const target = /(?:^|,\s*)([0-9a-f]+) </.exec(operands);
    return { ...insn, cls: 'branch', defs, uses, writesPc: true, ...(target ? { target: parseInt(target[1], 16) } : {}) };
  }
  return insn;
}

/** Parses `objdump -d` text into instructions by address. Data (.word, .short) and unparsable lines are skipped. */
export function parseObjdump(text: string): Map<number, Insn> {
  const out = new Map<number, Insn>();
  for (const line of text.split('\n')) {
    const m = /^\s*([0-9a-f]+):\t([0-9a-f]{4}(?: [0-9a-f]{4})?|[0-9a-f]{8})\s*\t(\S+)\s*(.*)$/.exec(line);
    if (!m || m[3].startsWith('.')) continue;
    const pc = parseInt(m[1], 16);
    out.set(pc, decode(pc, m[2], m[3], m[4]));
  }
  return out;
}
