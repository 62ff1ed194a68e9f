/**
 * The blocked family's block functions as IR: per function, its accumulators (seeded, split or in bit lanes), its
 * rows of loads and MACs inside the channel (and row) loop, and its outputs through the output stage.
 */
import type { KernelModel } from '../../ops/conv_2d/spec/index.ts';
import type { IsaFeatures } from '../../targets/index.ts';
import type { AccumulatorPlan } from '../../codegen/accumulator.ts';
import {
  add, assign, bin, call, cast, constDecl, decl, id, int, lit, loop, paren, ptr, scalar, unused, upTo,
} from '../../ir/expr.ts';
import type { AccRepr, CScalar, Expr, Func, HalfSel, Load as IrLoad, Mac, OutputVia, Stmt } from '../../ir/kernel-ir.ts';
import { scheduledMacOf, scheduledTaps } from './asm-arm9.ts';
import { LANE2_SHIFT, weightSlots } from './forms.ts';
import type { BlockedKernel } from './kernel-plan.ts';
import { quadAsmRows } from './asm-m.ts';
import { anchorsInput, PIN_MAX_ACC_REGISTERS, PIN_REGISTERS } from './measured.ts';
import { loadReach } from '../../targets/load-reach.ts';
import type { BlockFn, Def8, Halves, Load, PlanMac, Row, WeightLoad } from './plan.ts';

/** What every block function of a kernel shares: names, types, and the kernel-wide decisions. */
export interface FnContext {
  m: KernelModel;
  k: BlockedKernel;
  acc: AccumulatorPlan;
  isa: IsaFeatures;
  cType: CScalar;
  weightType: CScalar;
  /** The output stage takes the channel (per-channel requantization tables). */
  withO: boolean;
}

const LANE_UP = 32 - LANE2_SHIFT;

const load = (l: IrLoad): Stmt => ({ k: 'load', load: l });

/** taps8's lane registers of one value: a word and its used unpacks, one LDRSB, or two packed (PKHBT). */
function lanes8(id8: string, d: Def8, p: Expr, offset: number): Stmt[] {
  const st = load;
  if (d.kind === 'word')
    return [
      st({ k: 'word', name: id8, base: p, at: int(offset) }),
      ...(d.even ? [st({ k: 'sxtb16', name: `${id8}e`, src: id8, rotate: 0, addPair: false })] : []),
      ...(d.odd ? [st({ k: 'sxtb16', name: `${id8}o`, src: id8, rotate: 8, addPair: false })] : []),
    ];
  if (d.kind === 'byte') return [st({ k: 'elem', name: `${id8}e`, type: 'int32_t', base: p, at: int(offset), cast: false })];
  return [st({ k: 'pack8', name: `${id8}e`, base: p, at: int(offset), at2: int(offset + 2) })];
}

export function blockFunction(c: FnContext, f: BlockFn): Func {
  const { m, k } = c;
  const st = m.numeric.storage;
  const opt = k.opt;
  const acc64 = c.acc.accType === 'int64_t';
  const offsetNeeded = m.numeric.inputOffset !== 0;
  const paired = opt.macForm === 'taps' || opt.macForm === 'halves';
  const repr: AccRepr = k.split ? 'split' : acc64 ? 'int64' : 'int32';
  // Only the interior (every tap inside the input) may use folded seeds; border taps add the offset per input.
  const folds = k.folded !== null && f.kind === 'unrolled';
  const column = f.kind === 'column';
  const seedFn = k.qf ? `${m.name}_q_seed_of` : folds ? `${m.name}_interior_seed_of` : `${m.name}_seed`;
  const finishFn = k.qf ? `${m.name}_q_finish` : f.outlineFinish ? `${m.name}_finish_call` : `${m.name}_finish`;
  const via: OutputVia = k.storeBits ? { k: 'store', fn: `${m.name}_q_store` }
    : { k: 'call', fn: finishFn, withO: c.withO, ...(k.qf ? { cast: c.cType } : {}) };
  const pin = k.pin && 2 * f.accs.length <= PIN_MAX_ACC_REGISTERS;
  // the ARM9 cores: taps as assembly with each weight loaded ahead of its multiplies (asm-arm9.ts)
  const scheduled = scheduledMacOf(k.tune, c.isa, m, f, repr);
  // their accumulators pinned (as split halves are): left free, GCC moved them between registers at every asm
  const scheduledPin = scheduled !== null && f.accs.length <= PIN_REGISTERS.length;

  /* one kernel row (or column group): its loads, then each tap's weights and MACs */
  const kernelRow = (r: Row, i: number, inName: string, wt: string): Stmt[] => {
    const out: Stmt[] = [];
    const last = r.loads.length ? r.loads[r.loads.length - 1].offset : 0;
    const rebase = (f.macForm === 'single' || f.macForm === 'lane2' || f.macForm === 'lane2w') && f.kind !== 'rowloop'
      && last * (st.bits / 8) > loadReach[c.isa.state](st.bits);
    // A kernel column's loads are rows apart: based on its middle one, twice as many reach their immediates.
    const base = !rebase ? 0 : column ? r.loads[Math.floor((r.loads.length - 1) / 2)].offset : r.loads[0].offset;
    const rowBase = rebase ? `row${i}` : null;
    if (rowBase) {
      out.push(decl(ptr(c.cType, { const: true }), rowBase, add(inName, base)));
      out.push({ k: 'opaque', e: id(rowBase), comment: 'one address for the row: its loads\' offsets fit the immediate' });
    }
    const inp = id(inName);
    const wp = id(wt);
    const add8 = offsetNeeded && !folds;
    const inputs = r.loads.map((l) => ({ id: l.id, stmts: inputLoad(c, l, l.offset - base, inp, rowBase ? id(rowBase) : inp, add8, paired) }));
    if (scheduled) return [...out, ...scheduledTaps(r.taps, inputs, wt, scheduled)];
    for (const l of inputs) out.push(...l.stmts);
    for (const t of r.taps) {
      const body: Stmt[] = [];
      for (const w of t.weights) body.push(...weightLoad(c, w, wp));
      for (const mac of t.macs) body.push(...macStmts(c, f, mac, repr));
      out.push({ k: 'block', body });
    }
    return out;
  };
  // rows are numbered within their body (the row pointers' names); the interior's are braced blocks with a label
  const rowsOf = (rows: Row[], inName: string, wt: string, braced: boolean): Stmt[] =>
    rows.flatMap((r, i) => (braced ? [{ k: 'block', body: kernelRow(r, i, inName, wt), comment: rowLabel(r) } as Stmt] : kernelRow(r, i, inName, wt)));

  const accValue = (a: string): Expr => (k.split ? cast('int64_t', paren(bin('|', paren(bin('<<', cast('uint64_t', `${a}h`), 32)), `${a}l`))) : id(a));
  const accDecls = (seedArg: (j: number) => Expr): Stmt[] => f.accs.flatMap((a, i) => {
    const seed = call(seedFn, seedArg(a.j));
    if (!k.split) return [scheduledPin && i < PIN_REGISTERS.length
      ? { k: 'decl', type: scalar(c.acc.accType), name: a.id, init: seed, register: PIN_REGISTERS[i] } : decl(c.acc.accType, a.id, seed)];
    const regs = pin && 2 * i + 1 < PIN_REGISTERS.length ? { lo: PIN_REGISTERS[2 * i], hi: PIN_REGISTERS[2 * i + 1] } : null;
    return [
      constDecl('int64_t', `${a.id}s`, seed),
      { k: 'decl', type: scalar('uint32_t'), name: `${a.id}l`, init: cast('uint32_t', `${a.id}s`), ...(regs ? { register: regs.lo } : {}) },
      { k: 'decl', type: scalar('uint32_t'), name: `${a.id}h`, init: cast('uint32_t', paren(bin('>>', cast('uint64_t', `${a.id}s`), 32))),
        ...(regs ? { register: regs.hi } : {}) },
    ];
  });
  const at = (p: number): [Expr, Expr] => (column ? [add('oy', p), id('ox')] : [id('oy'), add('ox', p)]);
  const pixelStep = column ? 'COLUMN_STRIDE' : 'PIXEL_STRIDE';
  const along = column ? 'oy' : 'ox';
  const pixelLoop = (body: Stmt[], hanging: boolean): Stmt => loop('k', 0, upTo('k', 'count'), 'inc', body,
    { also: [assign('px0', bin('*', f.pb, pixelStep), '+='), assign(along, f.pb, '+=')], hanging });

  if (f.dw) {
    const dw = f.dw;
    const dwLoop = (rows: Row[], weights: WeightLoad[]): Stmt[] => [
      ...weights.map((w): Stmt => load(w.word ? { k: 'word', name: w.id, base: id('wbase'), at: int(w.index) }
        : { k: 'elem', name: w.id, type: 'int32_t', base: id('wbase'), at: int(w.index), cast: false })),
      pixelLoop([
        decl(ptr(c.cType, { const: true, restrict: true }), 'px', 'px0'),
        { k: 'opaque', e: id('px'), comment: 'one input pointer: its loads reach every row by immediate offsets' },
        ...accDecls((j) => add('o0', j)),
        ...rowsOf(rows, 'px', 'wbase', true),
        ...f.accs.map((a): Stmt => {
          const [y, x] = at(a.p);
          return { k: 'output', o: id('o0'), y, x, acc: accValue(a.id), via };
        }),
      ], false),
    ];
    const body: Stmt[] = [unused('rows')];
    if (dw.odd)
      body.push({
        k: 'if', cond: bin('!=', bin('&', cast('uintptr_t', 'wbase'), lit('2u')), 0), braces: true,
        comment: 'weights from an odd element (the array is word aligned): taps (1, 2), (3, 4), ... pair',
        then: [...dwLoop(dw.odd.rows, dw.odd.weights), { k: 'return' }],
      });
    body.push(...dwLoop(f.rows, dw.weights));
    return fnShell(c, f, body);
  }

  const body: Stmt[] = [
    decl(ptr(c.cType, { const: true, restrict: true }), 'px', 'px0'),
    decl(ptr(c.weightType, { const: true, restrict: true }), 'w', 'wbase'),
    { k: 'opaque', e: id('w') },
    ...accDecls((j) => add('o0', j)),
    ...f.laneAccs.map((a): Stmt => ({
      k: 'decls', type: scalar('uint32_t'), vars: [{ name: `${a.id}l`, init: int(0) }, { name: `${a.id}h`, init: int(0) }],
      comment: a.j1 !== undefined
        ? `channels ${a.j}${a.j1 ? ` and ${a.j1}` : ''} of pixel ${a.p0} in bit lanes; the seeds are added after`
        : `pixels ${a.p0} and ${a.p1} in bit lanes; the seed is added after`,
    })),
  ];
  // widened quad's rows as inline assembly where the plan says so and they fit (asm-m.ts); they move the weight
  // pointer themselves. Border functions add the input offset (SXTAB16), the interior's seeds hold it.
  const asmOf = (input: string, weights: string) => (opt.asmRows && f.macForm === 'quad' && repr === 'int32'
    ? quadAsmRows(f.rows, (r) => (f.kind === 'rowloop' ? undefined : rowLabel(r)),
      { input, weights, offsetPair: offsetNeeded && !folds ? 'OFFSET_PAIR' : null }) : null);
  if (f.hasTaps && f.kind === 'rowloop') {
    const asmRow = asmOf('pr', 'wr');
    const rowStep = m.kW * weightSlots(f.macForm, f.ob) * opt.weightStride - (asmRow?.consumed ?? 0);
    body.push(loop('ci', 0, upTo('ci', 'IN_PER_GROUP'), f.unit, [
      decl(ptr(c.cType, { const: true }), 'pr', 'px'),
      decl(ptr(c.weightType, { const: true }), 'wr', 'w'),
      loop('r', 0, upTo('r', 'rows'), 'inc', asmRow ? asmRow.stmts : rowsOf(f.rows, 'pr', 'wr', false),
        { also: [assign('pr', 'ROW_STRIDE', '+='), ...(!asmRow ? [assign('wr', rowWeights(c, f), '+=')] : rowStep > 0 ? [assign('wr', rowStep, '+=')] : [])] }),
    ], { also: [assign('px', bin('*', f.unit, 'CI_STRIDE'), '+='), assign('w', f.weightsPerCi, '+=')] }));
  } else if (f.hasTaps) {
    body.push(unused('rows'));
    const asmRows = asmOf('px', 'w');
    const advance = asmRows ? asmRows.consumed : f.wAdvance;
    // The interior's weight step per iteration, less what its LDRDs already moved the pointer (nothing if nothing is left).
    const wStep = advance === 0 ? bin('*', f.ciStep, f.weightsPerCi) : f.ciStep * f.weightsPerCi === advance ? null
      : int(f.ciStep * f.weightsPerCi - advance);
    body.push(loop('ci', 0, upTo('ci', 'IN_PER_GROUP'), bin('*', f.ciStep, f.unit), [
      ...(anchorsInput(c.k.tune, f.macForm, st.bits)
        ? [{ k: 'opaque', e: id('px'), comment: 'this channel\'s rows at small positive offsets: short load immediates reach them' } as Stmt] : []),
      ...(f.pairHis.length ? [{ k: 'decls', type: scalar('int32_t'), vars: f.pairHis.map((name) => ({ name })),
        comment: 'second words of LDRD pairs: later taps read them' } as Stmt] : []),
      ...(asmRows ? asmRows.stmts : rowsOf(f.rows, 'px', 'w', true)),
    ], { also: [assign('px', bin('*', bin('*', f.ciStep, f.unit), 'CI_STRIDE'), '+='), ...(wStep ? [assign('w', wStep, '+=')] : [])] }));
  } else body.push(unused('px'), unused('w'), unused('rows'));

  for (const a of f.accs) {
    const [y, x] = at(a.p);
    body.push({ k: 'block', body: [constDecl('int', 'o', add('o0', a.j)), { k: 'output', o: id('o'), y, x, acc: accValue(a.id), via }] });
  }
  for (const a of f.laneAccs) body.push(laneOutputs(c, a, at, seedFn, via));
  return fnShell(c, f, [pixelLoop(body, true)]);
}

/** `KERNEL_W * <weight slots>` (or `* ob * stride` for the strided forms): a row loop's weight step per kernel row. */
function rowWeights(c: FnContext, f: BlockFn): Expr {
  const ws = c.k.opt.weightStride;
  return ws === 1 ? bin('*', 'KERNEL_W', weightSlots(f.macForm, f.ob)) : bin('*', bin('*', 'KERNEL_W', f.ob), ws);
}

function rowLabel(r: Row): string {
  if (r.column) return `kernel column ${r.ky}`;
  if (r.inputRow) return `input row +${r.ky}`;
  return r.channel ? `input channel +${r.channel}, kernel row ${r.ky}` : `kernel row ${r.ky}`;
}

function fnShell(c: FnContext, f: BlockFn, body: Stmt[]): Func {
  return {
    name: `${c.m.name}_${f.fn}`, linkage: 'static', ret: scalar('void'), wrapAfter: 3,
    params: [
      { type: ptr(c.cType, { const: true, restrict: true }), name: 'px0' }, { type: ptr(c.weightType, { const: true, restrict: true }), name: 'wbase' },
      { type: ptr(c.cType, { restrict: true }), name: 'output' },
      ...['o0', 'oy', 'ox', 'rows', 'count'].map((name) => ({ type: scalar('int'), name })),
    ],
    body,
  };
}

/** One input value (or word, or lanes) of a row. */
function inputLoad(c: FnContext, l: Load, off: number, inp: Expr, rb: Expr, add8: boolean, paired: boolean): Stmt[] {
  const opt = c.k.opt;
  const N = c.m.name.toUpperCase();
  const offsetAdd = add8 ? id(`${N}_INPUT_OFFSET`) : undefined;
  const one = (l2: IrLoad): Stmt[] => [load(l2)];
  if (opt.macForm === 'taps8') return lanes8(l.id, l.b8!, inp, off);
  if (opt.macForm === 'quad')
    return [
      ...one({ k: 'word', name: l.id, base: inp, at: int(off) }),
      ...one({ k: 'sxtb16', name: `${l.id}e`, src: l.id, rotate: 0, addPair: add8 }),
      ...one({ k: 'sxtb16', name: `${l.id}o`, src: l.id, rotate: 8, addPair: add8 }),
    ];
  if (opt.dual) return one({ k: 'pair16', name: l.id, base: inp, at: int(off) });
  if (l.lane !== undefined)
    return one({ k: 'lanes', name: l.id, base: rb, at: int(off), at2: int(l.lane - (l.offset - off)), ...(offsetAdd ? { add: offsetAdd } : {}), shift: LANE2_SHIFT });
  if (paired) return one(l.word ? { k: 'word', name: l.id, base: inp, at: int(off) } : { k: 'elem', name: l.id, type: 'int32_t', base: inp, at: int(off), cast: false });
  if (l.word) return one({ k: 'word', name: l.id, base: inp, at: int(off) });
  return one({ k: 'elem', name: l.id, type: c.acc.productType, base: rb, at: int(off), cast: true, ...(offsetAdd ? { add: offsetAdd } : {}) });
}

/** One weight register (or lanes, or an LDRD pair) of a tap. */
function weightLoad(c: FnContext, w: WeightLoad, wp: Expr): Stmt[] {
  const opt = c.k.opt;
  const st = c.m.numeric.storage;
  const idx = w.rel ?? w.index;
  const one = (l2: IrLoad): Stmt[] => [load(l2)];
  const elem = (name: string, at: Expr, type: CScalar = 'int32_t'): Stmt[] => one({ k: 'elem', name, type, base: wp, at, cast: false });
  if (opt.lanes8) {
    const d = w.b8!;
    if (d.kind === 'word')
      return [...(d.even ? elem(`${w.id}e`, int(idx)) : []), ...(d.odd ? elem(`${w.id}o`, bin('+', idx, 1)) : [])];
    return elem(`${w.id}e`, int(idx));
  }
  if (opt.macForm === 'taps8') return lanes8(w.id, w.b8!, wp, w.index);
  if (opt.macForm === 'quad' && !opt.widened)
    return [
      ...one({ k: 'word', name: w.id, base: wp, at: int(idx) }),
      ...one({ k: 'sxtb16', name: `${w.id}e`, src: w.id, rotate: 0, addPair: false }),
      ...one({ k: 'sxtb16', name: `${w.id}o`, src: w.id, rotate: 8, addPair: false }),
    ];
  if (opt.widened) return [...elem(`${w.id}e`, int(idx)), ...elem(`${w.id}o`, bin('+', idx, 1))];
  if (w.pair) return one({ k: 'ldrd', lo: w.id, hi: w.pair.hi, ptr: (wp as { name: string }).name, pre: w.pair.pre, step: w.pair.step * (st.bits / 8) });
  if (w.word) return one({ k: 'word', name: w.id, base: wp, at: int(idx) });
  return elem(w.id, int(idx), opt.dual || opt.macForm === 'quad' ? 'int32_t' : c.acc.productType);
}

/**
 * Whether every input (offset added) and weight a single MAC multiplies fits a signed 16-bit half: 8-bit storage
 * (|x + offset| <= 255), or 16-bit storage without an offset. SMLABB's product of the bottom halves is then MLA's.
 */
const fits16 = (m: KernelModel): boolean => m.numeric.storage.bits === 8 || (m.numeric.storage.bits === 16 && m.numeric.inputOffset === 0);

/** The IR MAC of a planned one: halves d is the dual form; SMLAxy picks halves; lanes, quad, dual or single otherwise. */
function macStmts(c: FnContext, f: BlockFn, mac: PlanMac, repr: AccRepr): Stmt[] {
  const opt = c.k.opt;
  const x = id(mac.x);
  const w = id(mac.w);
  const h: Halves | undefined = mac.halves;
  let m: Mac;
  if (h === 'd') m = { form: 'dual', acc: mac.acc, repr, x, w };
  else if (h) m = { form: 'halves', sel: h as HalfSel, acc: mac.acc, repr, x, w };
  else if (c.k.split) m = { form: opt.dual ? 'dual' : 'single', acc: mac.acc, repr, x, w };
  // The packed operand (lane2's pixel pair, lane2w's weight pair) spans all four bytes; where the multiplier terminates
  // early on Rs (the core's row) the other operand, a byte, goes there.
  else if (f.laneAccs.length > 0) m = { form: 'lane', acc: mac.acc, x, w, rs: f.macForm === 'lane2w' && c.k.tune.earlyTerminationRs ? 'x' : 'w' };
  else if (opt.macForm === 'quad') m = { form: 'quad', acc: mac.acc, repr, x: [id(`${mac.x}e`), id(`${mac.x}o`)], w: [id(`${mac.w}e`), id(`${mac.w}o`)] };
  else if (opt.dual) m = { form: 'dual', acc: mac.acc, repr, x, w };
  else if (repr === 'int32' && c.isa.dspv5te && c.k.tune.smlabbSingle && fits16(c.m))
    m = { form: 'halves', sel: 'bb', acc: mac.acc, repr, x, w };
  else m = { form: 'single', acc: mac.acc, repr, x, w };
  return [{ k: 'mac', mac: m }];
}

/** A lane pair's outputs: its lanes' sums taken apart (sign extension, the borrow), each plus its seed. */
function laneOutputs(c: FnContext, a: BlockFn['laneAccs'][number], at: (p: number) => [Expr, Expr], seedFn: string, via: OutputVia): Stmt {
  const low = bin('>>', cast('int32_t', 't'), LANE_UP);
  // the bits above the low lane, plus the borrow the low lane's sign took from them
  const high = cast('int32_t', paren(bin('|', paren(bin('<<', `${a.id}h`, LANE_UP)), paren(bin('>>', `${a.id}l`, LANE2_SHIFT)))));
  const borrow = cast('int32_t', paren(bin('>>', 't', 31)));
  const t = constDecl('uint32_t', 't', bin('<<', `${a.id}l`, LANE_UP));
  if (a.j1 !== undefined) {
    const [y, x] = at(a.p0);
    const text = a.j1
      ? { style: 'hang' as const, lines: [`Channel ${a.j}'s sum is the low ${LANE2_SHIFT} bits (sign-extended); channel ${a.j1}'s the bits above (the`,
        `64-bit sum shifted right), plus the borrow channel ${a.j}'s sign took from it.`] }
      : { style: 'line' as const, lines: [`Channel ${a.j}'s sum is the low ${LANE2_SHIFT} bits (sign-extended).`] };
    return {
      k: 'block', body: [
        { k: 'comment', text },
        t,
        constDecl('int', 'o', add('o0', a.j)),
        { k: 'output', o: id('o'), y, x, acc: add(call(seedFn, 'o'), low), via },
        ...(a.j1 ? [
          constDecl('int', 'o1', add('o0', a.j1)),
          { k: 'output', o: id('o1'), y, x, acc: add(add(call(seedFn, 'o1'), high), borrow), via } as Stmt,
        ] : [{ k: 'expr', e: cast('void', `${a.id}h`) } as Stmt]),
      ],
    };
  }
  return {
    k: 'block', body: [
      { k: 'comment', text: { style: 'hang', lines: [`Pixel ${a.p0}'s sum is the low ${LANE2_SHIFT} bits (sign-extended); pixel ${a.p1}'s the bits above (the`,
        `64-bit sum shifted right), plus the borrow pixel ${a.p0}'s sign took from it.`] } },
      constDecl('int', 'o', add('o0', a.j)),
      t,
      constDecl(c.acc.accType, 'seed', call(seedFn, 'o')),
      { k: 'output', o: id('o'), y: id('oy'), x: add('ox', a.p0), acc: add('seed', low), via },
      { k: 'output', o: id('o'), y: id('oy'), x: add('ox', a.p1), acc: add(add('seed', high), borrow), via },
    ],
  };
}
