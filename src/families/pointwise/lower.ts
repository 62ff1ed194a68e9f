/**
 * The pointwise family's plan as IR: the helpers its forms use, the blocked weight tables, seeds and output stages,
 * one block function per (block class, pixels per block) and the run over the pixels (run.ts).
 */
import type { KernelModel } from '../../ops/conv_2d/spec/index.ts';
import { isaStateNames, type IsaFeatures } from '../../targets/index.ts';
import { cArrayRows, cInt } from '../../codegen/clit.ts';
import { qFinishStages } from '../../codegen/qfinish.ts';
import {
  add, assign, bin, call, cast, cond, constDecl, decl, id, index, int, intrinsic, loop, mul, paren, ptr, ret, scalar, stmt, sub, unused, upTo, lit, block,
} from '../../ir/expr.ts';
import type { CScalar, Expr, Item, KernelIR, PerChannel, Stmt } from '../../ir/kernel-ir.ts';
import { visitStmts } from '../../ir/walk.ts';
import { biasSeed, channelQuantity, commonStage, stageTakesChannel } from '../../ir/output-stage.ts';
import type { PlanContext } from '../family.ts';
import { bannerHead, biasTable, comment, define, numericDocs, tensorMacros } from '../shared.ts';
import { LANE2_SHIFT } from '../lanes.ts';
import { tuningOf } from '../../tuning/cores.ts';
import { CODE_BUDGET, isaRows, postLoads, rawWeights, widenedPays } from './forms.ts';
import { wordsPerStep, type BlockFn, type PointwisePlan } from './plan.ts';
import { accName, advance, stepFence, stepStmts, type StepContext } from './steps.ts';
import { runItems } from './run.ts';
import { recordOf, recordPointer, smmlarItems, type SmmlarStage } from './smmlar-stage.ts';
import { lane2wAsmStmt, lane2wScratch, laneAsmScratch, laneAsmStmt, laneHi, laneLo, quadAsmStmt, quadScratch } from './lane-asm.ts';

/** What the block functions call: the seed, the output stage, whether the stage takes the channel. */
export interface Stage {
  seedFn: string;
  finishFn: string;
  finishO: boolean;
  /** The common stage takes the channel (the bias-only outputs call it). */
  commonO: boolean;
  /** The 32-bit stage: the finish takes the channel's record (smmlar-stage.ts). */
  smmlar: SmmlarStage | null;
  /** The folded seeds' table, read through an opaque pointer in the pixel loop around the assembly (with the 32-bit
   *  stage: bench c speed on Cortex-M4 1.590 -> 1.571 cycles/MAC; hoisted they were spilled). */
  seedTable?: string;
}

const blank: Item = { k: 'blank' };

/** Helpers of the forms the block functions use, each only where used (as the C compilers warn about unused ones). */
function helperItems(m: KernelModel, p: PointwisePlan, acc64: boolean, called: Set<string>): Item[] {
  const st = m.numeric.storage;
  const cType = st.cType as CScalar;
  const ci = m.layout === 'hwc' ? 1 : m.inH * m.inW;
  const callsTo = (fn: string) => called.has(fn);
  const items: Item[] = [];
  if (acc64 && p.classes.some((c) => c.form.form === 'halves' || c.form.form === 'halves-pixels')) {
    const sels = ['BB', 'BT', 'TB', 'TT'];
    // The halves of x and w each SMLALxy multiplies, as C (B: bottom, T: top).
    const products: Record<string, string> = {
      BB: '(int32_t)(int16_t)(x) * (int16_t)(w)', BT: '(int32_t)(int16_t)(x) * ((int32_t)(w) >> 16)',
      TB: '((int32_t)(x) >> 16) * (int32_t)(int16_t)(w)', TT: '((int32_t)(x) >> 16) * ((int32_t)(w) >> 16)',
    };
    items.push(blank, { k: 'comment', text: comment('hang',
      'SMLALBB / SMLALBT: a 16x16 product of x\'s low half and w\'s low (high) half added to a 64-bit sum held as two',
      'words, one instruction (ACLE has no intrinsic for them; GCC extracts the halves first and wants even register',
      'pairs for 64-bit values, which this tile cannot spare).') },
    { k: 'pp-if', cond: 'defined(__GNUC__) && defined(__ARM_FEATURE_DSP)',
      then: sels.map((s) => define(`SMLAL${s}`, `__asm__("smlal${s.toLowerCase()} %0, %1, %2, %3" : "+r"(lo), "+r"(hi) : "r"(x), "r"(w))`, ['lo', 'hi', 'x', 'w'])),
      else: [
        define('SMLAL_SPLIT', 'do { const int64_t t_ = (int64_t)(hi) * 4294967296 + (lo) + (p); \\\n' +
          '    (lo) = (uint32_t)t_; (hi) = (int32_t)((t_ - (int64_t)(uint32_t)t_) / 4294967296); } while (0)', ['lo', 'hi', 'p']),
        ...sels.map((s) => define(`SMLAL${s}`, `SMLAL_SPLIT(lo, hi, ${products[s]})`, ['lo', 'hi', 'x', 'w'])),
      ] });
  }
  if (callsTo(`${m.name}_load32`))
    items.push({ k: 'func', doc: comment('line', 'A 32-bit load at any alignment (one LDR on these cores).'), fn: {
      name: `${m.name}_load32`, linkage: 'static inline', ret: scalar('int32_t'), params: [{ type: ptr(cType, { const: true }), name: 'p' }],
      body: [decl('int32_t', 'v'), stmt(call('memcpy', { k: 'addr', e: id('v') }, 'p', { k: 'sizeof', e: id('v') })), ret('v')],
    } });
  if (callsTo(`${m.name}_load_next`)) {
    const post = postLoads[st.bits];
    items.push({ k: 'helper', helper: { k: 'load-next', prefix: m.name, elem: cType, insn: post.op }, doc: comment('hang',
      `*p, then p one channel plane on: ${post.op} post-indexed by a register (no add of its own; A32 immediate`,
      `offsets of ${post.op} reach ${post.reach} bytes, a plane is ${ci * (st.bits / 8)}).`) });
  }
  if (callsTo(`${m.name}_load_word_next`))
    items.push({ k: 'helper', helper: { k: 'load-word-next', prefix: m.name, elem: cType }, doc: comment('hang',
      'The word at p (two adjacent pixels, p word-aligned), then p one channel plane on: LDR post-indexed by a',
      'register.') });
  if (callsTo('PKHBT'))
    items.push({ k: 'comment', text: comment('line', 'PKHBT / PKHTB: the low (high) halves of two words side by side.') },
      define('PKHBT', '((int32_t)(((uint32_t)(a) & 0xffffu) | ((uint32_t)(b) << 16)))', ['a', 'b']),
      define('PKHTB', '((int32_t)(((uint32_t)(a) & 0xffff0000u) | ((uint32_t)(b) >> 16)))', ['a', 'b']));
  if (callsTo(`${m.name}_sxtb16_ror8`))
    items.push({ k: 'helper', helper: { k: 'sxtb16-ror8-portable', prefix: m.name },
      doc: comment('line', 'SXTB16 of bytes 1 and 3: one instruction with its rotate operand (GCC\'s builtin does not fold the rotation).') });
  return items;
}

/** KEEP_LOADS_IN_LOOP, NOINLINE and STEP_FENCE: GCC's, nothing elsewhere. */
const pragmaItems = (): Item[] => [
  { k: 'comment', text: comment('block',
    'Weights are re-read for every pixel block: hoisting them out of the pixel loop would exceed the registers and',
    'spill. An empty asm hides the pointer\'s value from the optimizer.') },
  { k: 'pp-if', cond: 'defined(__GNUC__)', then: [
    define('KEEP_LOADS_IN_LOOP', '__asm__("" : "+r"(p))', ['p']),
    { k: 'comment', text: comment('hang', 'A block function keeps its own registers: inlined into the run loop, the run\'s pointers would crowd out the',
      'accumulators.') },
    define('NOINLINE', '__attribute__((noinline))'),
    { k: 'comment', text: comment('hang', 'A scheduling fence between channel steps (no instruction): GCC\'s first scheduling pass would otherwise hoist',
      'every step\'s loads to the top of an unrolled body and spill what it hoisted.') },
    define('STEP_FENCE', '__asm__ __volatile__("")', []),
  ], else: [define('STEP_FENCE', '((void)0)', []), define('KEEP_LOADS_IN_LOOP', '((void)0)', ['p']), define('NOINLINE', '')] },
];

/** Where the block functions take the assembly: GCC (clang's allocator cannot give one asm statement fourteen
 *  registers), optimizing (at -O0 GCC cannot either). */
const LANE_ASM_COND = 'defined(__GNUC__) && !defined(__clang__) && defined(__OPTIMIZE__)';

/** FREE_FRAME_POINTER: a block function with the assembly omits the frame pointer whatever the flags
 *  (-fno-omit-frame-pointer would keep r11, or r7 in Thumb, from its operands). Nothing elsewhere. */
const framePointerItems = (): Item[] => [
  { k: 'pp-if', cond: LANE_ASM_COND, then: [define('FREE_FRAME_POINTER', '__attribute__((optimize("omit-frame-pointer")))')],
    else: [define('FREE_FRAME_POINTER', '')] },
];

/** GCC's scheduled assembly (lane-asm.ts) for one loop iteration; the C steps for other compilers (clang's register
 *  allocator cannot give one asm statement the fourteen registers it takes). */
function laneAsmItems(f: BlockFn, inStep: number, inPixel: number, stepLoop: (body: Stmt[]) => Stmt[], cSteps: Stmt[]): Stmt {
  const shape = { n: f.size, pb: f.pb, steps: f.unroll, inPixel, inStep: f.advance ? 0 : inStep, advance: f.advance ? inStep : 0 };
  const then: Stmt[] = [];
  // The 64-bit lane sums go into the loop as 32-bit halves and come back out after it (no instructions where they
  // stay in registers).
  let sums: string[] = [];
  let asmStmt: Stmt;
  if (f.form === 'quad-widened') {
    asmStmt = quadAsmStmt(shape, Array.from({ length: f.size }, (_, j) => Array.from({ length: f.pb }, (_, q) => accName(j, q))));
  } else if (f.form === 'lane2') {
    sums = Array.from({ length: f.size }, (_, j) => accName(j, 0));
    asmStmt = laneAsmStmt(shape, sums);
  } else {
    // lane2w: pair i's sum is a<i>_<q>; halves: channels 2i and 2i+1 have 32-bit sums of their own (named from a<2i>_<q>).
    const pairAcc = (i: number, q: number) => (f.form === 'lane2w' ? accName(i, q) : accName(2 * i, q));
    const accs = Array.from({ length: f.size / 2 }, (_, i) => Array.from({ length: f.pb }, (_, q) => pairAcc(i, q)));
    if (f.form === 'lane2w') sums = accs.flat();
    asmStmt = lane2wAsmStmt(shape, accs, f.form === 'lane2w' ? 'smlal' : 'smla');
  }
  then.push({ k: 'decls', type: scalar('int32_t'), vars: (f.form === 'lane2' ? laneAsmScratch : f.form === 'quad-widened' ? quadScratch(shape)
    : lane2wScratch(shape)).map((name) => ({ name })),
    comment: 'the assembly\'s scratch registers' });
  for (const a of sums) then.push(decl('uint32_t', laneLo(a), cast('uint32_t', a)), decl('int32_t', laneHi(a), cast('int32_t', bin('>>', a, 32))));
  then.push(...stepLoop([asmStmt]));
  for (const a of sums) then.push(stmt(assign(a, add(mul(cast('int64_t', laneHi(a)), 4294967296), laneLo(a)))));
  return { k: 'pp-if', cond: LANE_ASM_COND, then, else: stepLoop(cSteps) };
}

/** One block function: `count` consecutive pixel blocks of a run, `size` output channels each. */
function blockFunction(m: KernelModel, f: BlockFn, sc: StepContext, stage: Stage, accType: CScalar): Item {
  const cType = m.numeric.storage.cType as CScalar;
  const hwc = m.layout === 'hwc';
  const ci = sc.ci;
  const unit = f.classForm.unit;
  const split = sc.acc64 && (f.form === 'halves' || f.form === 'halves-pixels');
  const lanes = f.form === 'lane2';
  const o = (j: number) => add('o0', j);
  const cSteps: Stmt[] = [];
  for (let s = 0; s < f.unroll; s++) {
    cSteps.push(...stepStmts(sc, f.form, f.size, f.pb, f.advance ? 0 : s * unit * ci, s * wordsPerStep(f.classForm.form, f.size), 'main',
      f.post && f.form !== 'halves-pixels'));
    if (f.advance && !f.post) cSteps.push(...advance(unit * ci));
    if (s + 1 < f.unroll) cSteps.push(stepFence());
  }
  const stepLoop = (body: Stmt[]): Stmt[] => (f.unroll > 0 ? [loop('s', 0, upTo('s', f.iters), 'inc', body, {
    also: [assign('px', f.advance ? 0 : f.unroll * unit * ci, '+='), assign('w', f.unroll * wordsPerStep(f.classForm.form, f.size), '+=')] })] : []);
  const tail: Stmt[] = [];
  for (let t = 0; t < f.kTail; t++) {
    tail.push(...stepStmts(sc, 'plain', f.size, f.pb, f.advance ? 0 : t * ci, t * f.size, 'tail'));
    if (f.advance && t + 1 < f.kTail) tail.push(...advance(ci));
    if (t + 1 < f.kTail) tail.push(stepFence());
  }
  const seeds: Stmt[] = [];
  const outputs: Stmt[] = [];
  const outOff = (j: number, q: number) => j * (hwc ? 1 : m.outH * m.outW) + q * (hwc ? m.outC : 1);
  const smmlar = stage.smmlar;
  // Around the assembly statement only: in the C steps' loop the hoisted seeds measured faster (bench c default).
  const seedsInLoop = stage.seedTable !== undefined && f.laneAsm && f.unroll > 0 && !lanes && !split;
  const finish = (v: Expr, j: number) => call(stage.finishFn, v, ...(smmlar ? [recordOf(smmlar, j)] : stage.finishO ? [o(j)] : []));
  // The channel records are loaded inside the pixel loop (recordPointer).
  if (smmlar) outputs.push(...recordPointer(m.name, smmlar));
  const store = (off: number, v: Expr, j: number) => stmt(assign(index('out0', off), cast(cType, finish(v, j))));
  /** One lane accumulator's two outputs: lane 0 (channel j0, pixel q0) and lane 1 (channel j1, pixel q1). */
  const laneOutputs = (a: string, j0: number, q0: number, j1: number, q1: number) => {
    seeds.push(decl('int64_t', a, 0));
    const up = 32 - LANE2_SHIFT;
    const seedOf = (j: number) => (j0 === j1 ? 'seed' : call(stage.seedFn, o(j)));
    outputs.push(block([
      { k: 'comment', text: comment('hang', `${f.form === 'lane2' ? 'Pixel 0' : 'The first channel'}'s sum is the low ${LANE2_SHIFT} bits (sign-extended); ` +
        `${f.form === 'lane2' ? 'pixel 1' : 'the second'}'s the rest, plus the borrow`, 'the low lane\'s sign took from it.') },
      constDecl('uint32_t', 't', bin('<<', cast('uint32_t', a), up)),
      ...(j0 === j1 ? [constDecl('int32_t', 'seed', call(stage.seedFn, o(j0)))] : []),
      store(outOff(j0, q0), add(seedOf(j0), bin('>>', cast('int32_t', 't'), up)), j0),
      store(outOff(j1, q1), add(add(seedOf(j1), cast('int32_t', bin('>>', a, LANE2_SHIFT))), cast('int32_t', bin('>>', 't', 31))), j1),
    ]));
  };
  if (f.form === 'lane2w')
    for (let i = 0; i < f.size / 2; i++) for (let q = 0; q < f.pb; q++) laneOutputs(accName(i, q), 2 * i, q, 2 * i + 1, q);
  else for (let j = 0; j < f.size; j++)
    if (lanes) for (let q = 0; q < f.pb / 2; q++) laneOutputs(accName(j, q), j, 2 * q, j, 2 * q + 1);
    else
      for (let q = 0; q < f.pb; q++) {
        const a = accName(j, q);
        if (split) {
          seeds.push(constDecl('int64_t', `${a}_seed`, call(stage.seedFn, o(j))),
            decl('uint32_t', `${a}_lo`, cast('uint32_t', `${a}_seed`)),
            decl('int32_t', `${a}_hi`, cast('int32_t', bin('/', sub(`${a}_seed`, cast('int64_t', `${a}_lo`)), 4294967296))));
          outputs.push(store(outOff(j, q), add(mul(cast('int64_t', `${a}_hi`), 4294967296), `${a}_lo`), j));
        } else {
          seeds.push(decl(accType, a, seedsInLoop ? index('sd', j) : call(stage.seedFn, o(j))));
          outputs.push(store(outOff(j, q), id(a), j));
        }
      }
  const inPtr = (t: CScalar, name: string) => ({ type: ptr(t, { const: true, restrict: true }), name });
  const pixels: Stmt[] = [
    decl(ptr(cType, { const: true, restrict: true }), 'px', 'px0'),
    decl(ptr(sc.wType, { const: true, restrict: true }), 'w', 'wb'),
    { k: 'opaque', e: id('w') },
    ...(seedsInLoop ? [decl(ptr('int32_t', { const: true, restrict: true }), 'sd', add(stage.seedTable ?? '', 'o0')),
      { k: 'opaque', e: id('sd'), comment: 'the seeds too: hoisted, they would be spilled' } as Stmt] : []),
    ...seeds,
    ...(f.laneAsm && f.unroll > 0 ? [laneAsmItems(f, unit * ci, sc.inPixel, stepLoop, cSteps)] : stepLoop(cSteps)),
    f.kTail > 0 ? block([decl(ptr(cType, { const: true, restrict: true }), 'wk', 'wkb'), { k: 'opaque', e: id('wk') }, ...tail]) : unused('wkb'),
    ...outputs,
  ];
  return {
    k: 'func', doc: comment('line', `${f.size} output channel(s) x ${f.pb} pixel(s), ${f.form}: \`count\` consecutive pixel blocks of a run.`),
    fn: {
      name: `${m.name}_${f.name}`, linkage: 'static', specifier: 'NOINLINE', ...(f.laneAsm && f.unroll > 0 ? { attribute: 'FREE_FRAME_POINTER' } : {}),
      ret: scalar('void'), wrapAfter: 2,
      params: [inPtr(cType, 'px0'), { type: ptr(cType, { restrict: true }), name: 'out0' }, inPtr(sc.wType, 'wb'), inPtr(cType, 'wkb'),
        { type: scalar('int'), name: 'o0' }, { type: scalar('int'), name: 'count' }],
      body: [
        ...(f.post ? [
          { k: 'comment', text: comment('line', 'The channel plane in bytes, held in a register (a constant would be rematerialized at every load).') } as Stmt,
          decl('int32_t', 'plane', ci * (m.numeric.storage.bits / 8)), { k: 'opaque', e: id('plane') } as Stmt,
        ] : []),
        loop('k', 0, upTo('k', 'count'), 'inc', pixels, { also: [assign('px0', mul(f.pb, 'IN_PIXEL'), '+='), assign('out0', mul(f.pb, 'OUT_PIXEL'), '+=')] }),
      ],
    },
  };
}

/**
 * The family's fused int8 output stage (plan.ts pointwiseFinish): `<name>_pw_finish(acc, o)` and its per-channel
 * quantities (channelQuantity: a constant when every channel shares it, else a table of the narrowest type): the
 * multiplier M, the shift s = e - 1, and c = k·2^s, a constant or k shifted by the channel's s (no table: measured on
 * kws's 1x1 layers, 0.3% fewer instructions on Cortex-M4 than loading c, 0.01% more on ARM920T).
 */
function rqItems(m: KernelModel, fin: Extract<PointwisePlan['finish'], { kind: 'rq' }>, isa: IsaFeatures): Item[] {
  const N = m.name.toUpperCase();
  const mq = channelQuantity(fin.m, `${m.name}_rq_m`);
  const sq = channelQuantity(fin.s, `${m.name}_rq_s`, 16);
  const at = (p: PerChannel): Expr => (p.k === 'const' ? int(p.value) : index(p.table, 'o'));
  const tables: Item[] = [mq, sq].flatMap((p): Item[] => (p.k === 'table'
    ? [{ k: 'table', table: { name: p.table, elem: p.cType, dims: [`${N}_OUT_C`], body: { k: 'flat', lines: p.lines } } }] : []));
  const c0 = sq.k === 'const' ? int(fin.k * 2 ** sq.value) : cast('int32_t', bin('<<', cast('uint32_t', fin.k < 0 ? paren(int(fin.k)) : int(fin.k)), 's'));
  const x = fin.q > 0 ? add('x', fin.q) : id('x');
  return [
    { k: 'comment', text: comment('block',
      `The output stage of the interior, the same result as ${m.name}_finish in one 64-bit multiply-add: with`,
      't = x*M + 2^30 (SRDHM is floor(t / 2^31)), the rounding divide by 2^e plus the output offset is',
      'floor((t + c*2^31) / 2^(31+e)) where c = 2^(e-1) + offset*2^e - [t < 0], and t < 0 exactly when',
      'x + floor(2^30 / M) < 0. Per output channel: M and s = e - 1 (constants where every channel shares them);',
      'c without the sign term is (2*offset + 1) * 2^s.') },
    ...tables,
    blank,
    { k: 'func', doc: comment('line', 'Returns the clamped value as int32_t: the store narrows it (a narrow return type costs a sign extension).'), fn: {
      name: `${m.name}_pw_finish`, linkage: 'static inline', ret: scalar('int32_t'),
      params: [{ type: scalar('int32_t'), name: 'acc' }, { type: scalar('int'), name: 'o' }],
      body: [
        ...(tables.length ? [] : [unused('o')]),
        fin.left > 0 ? constDecl('int32_t', 'x', mul('acc', bin('<<', cast('int32_t', 1), fin.left)), '|acc| * 2^left <= INT32_MAX is proved')
          : constDecl('int32_t', 'x', 'acc'),
        constDecl('int', 's', at(sq)),
        constDecl('int32_t', 'c', sub(c0, cast('int32_t', bin('>>', cast('uint32_t', x), 31)))),
        { k: 'comment', text: comment('line', '2^30 + c * 2^31 as a 64-bit value: its low word and its high word.') },
        constDecl('int64_t', 'add', add(mul(cast('int64_t', bin('>>', 'c', 1)), 4294967296),
          cast('int64_t', bin('|', lit('0x40000000u'), paren(bin('<<', cast('uint32_t', 'c'), 31)))))),
        constDecl('int32_t', 'v', bin('>>', cast('int32_t', bin('>>', paren(add(mul(cast('int64_t', at(mq)), 'x'), 'add')), 32)), 's')),
        // The full int8 range is SSAT's (one instruction where the two compares take six; GCC 12 does not find it in
        // the C clamp here). GCC's builtin returns it unsigned.
        ...(isa.saturate && fin.lo === -128 && fin.hi === 127 ? [ret(cast('int32_t', intrinsic('__builtin_arm_ssat', 'v', 8)))] : [
          constDecl('int32_t', 'lo', cond(bin('<', 'v', fin.lo), fin.lo, 'v')),
          ret(cond(bin('>', 'lo', fin.hi), fin.hi, 'lo')),
        ]),
      ],
    } },
  ];
}

export function lowerPointwise(m: KernelModel, p: PointwisePlan, ctx: PlanContext): KernelIR {
  const { acc: plan, isa } = ctx;
  const st = m.numeric.storage;
  const cType = st.cType as CScalar;
  const accType = plan.accType as CScalar;
  const hwc = m.layout === 'hwc';
  const ci = hwc ? 1 : m.inH * m.inW;
  const acc64 = plan.accType === 'int64_t';
  const fin = p.finish;
  const g = p.geo;
  const N = m.name.toUpperCase();
  const common = commonStage(m, plan, true);
  const commonO = stageTakesChannel(common);
  const stage: Stage = {
    seedFn: p.folded ? `${m.name}_interior_seed_of` : fin?.kind === 'q' ? `${m.name}_pw_seed_of` : `${m.name}_seed`,
    finishFn: fin ? `${m.name}_pw_finish` : `${m.name}_finish`,
    finishO: fin ? fin.kind === 'rq' || fin.kind === 'rq-smmlar' : commonO,
    commonO,
    smmlar: fin?.kind === 'rq-smmlar' ? fin : null,
    ...(fin?.kind === 'rq-smmlar' && p.folded && accType === 'int32_t' ? { seedTable: `${m.name}_interior_seed` } : {}),
  };
  const fns = p.fns.map((f) => blockFunction(m, f, {
    m, p: m.name, productType: plan.productType as CScalar, wType: rawWeights(f.classForm.form) ? cType : 'int32_t', acc64,
    longMultiply: isa.longMultiply, inPixel: g.inPixel, ci, ids: { n: 0 },
  }, stage, accType));
  // The names the block functions call: which helpers to define.
  const called = new Set<string>();
  for (const f of fns) if (f.k === 'func') visitStmts(f.fn.body, { expr: (e) => { if (e.k === 'call') called.add(e.fn); } });
  const needsSeed = (p.folded === null && fin?.kind !== 'q') || g.hasBorder;
  const weightDoc = numericDocs(m).weightDoc;
  const items: Item[] = [
    ...helperItems(m, p, acc64, called),
    blank,
    ...pragmaItems(),
    ...(p.fns.some((f) => f.laneAsm && f.unroll > 0) ? framePointerItems() : []),
    blank,
    define('CI_STRIDE', ci), define('IN_PIXEL', g.inPixel), define('OUT_PIXEL', hwc ? m.outC : 1), define('OUT_CHANNEL', hwc ? 1 : m.outH * m.outW),
    blank,
    ...tensorMacros(m),
    blank,
  ];
  p.classes.forEach((c, i) => {
    const doc = `${c.blocks} block(s) of ${c.size} output channel(s) from ${c.first}, ${c.form.form}: ` +
      `[block][${c.steps} step(s) of ${c.form.unit} input channel(s)][${c.form.form === 'halves' || c.form.form === 'halves-pixels' || c.form.form === 'lane2w' ? 'channel pair' : 'channel'}]` +
      `${c.form.form === 'quad-widened' ? '[2 int16 pairs]' : ''}` +
      (c.kTail ? `, the last ${c.kTail} input channel(s) in ${m.name}_weights_tail${i} [block][channel][output channel]` : '');
    items.push({ k: 'table', doc: comment('line', `Weights (${weightDoc}): ${doc}.`), table: {
      name: `${m.name}_weights${i}`, elem: rawWeights(c.form.form) ? cType : 'int32_t', dims: [c.weights.length],
      body: { k: 'flat', lines: cArrayRows(c.weights, 16) } } });
    if (c.kTail > 0)
      items.push({ k: 'table', table: { name: `${m.name}_weights_tail${i}`, elem: cType, dims: [c.kTailWeights.length],
        body: { k: 'flat', lines: cArrayRows(c.kTailWeights, 16) } } });
    items.push(blank);
  });
  // The bias in the spec's type (as the template had it: a narrower table was not measured here).
  if (needsSeed) items.push(...biasTable(m, true));
  if (p.folded) {
    const seedDoc = comment('hang', 'Seeds of outputs that see the input: bias + input offset x the channel\'s weight sum, so that the loops multiply',
      'raw inputs.');
    const seedLines = cArrayRows(p.folded.map((v) => cInt(v, plan.accType)), 8);
    const fn = `${m.name}_interior_seed_of`;
    const table = `${m.name}_interior_seed`;
    // Block functions that read the table directly (stage.seedTable) may leave the accessor unused: table and
    // accessor as separate items, so that pruning drops whichever nothing reads.
    if (stage.seedTable)
      items.push(blank, { k: 'table', doc: seedDoc, table: { name: table, elem: accType, dims: [`${N}_OUT_C`], body: { k: 'flat', lines: seedLines } } },
        blank, { k: 'func', fn: { name: fn, linkage: 'static inline', ret: scalar(accType), params: [{ type: scalar('int'), name: 'o' }],
          body: [ret(index(table, 'o'))] } });
    else
      items.push(blank, { k: 'stage', stage: {
        k: 'seed-table', prefix: m.name, fn, table, NAME: N, accType: plan.accType, elem: accType, lines: seedLines, doc: seedDoc,
      } });
  }
  items.push(blank);
  if (!fin || g.hasBorder) items.push({ k: 'stage', stage: common });
  if (fin?.kind === 'rq') items.push(blank, ...rqItems(m, fin, isa));
  if (fin?.kind === 'rq-smmlar') items.push(blank, ...smmlarItems(m.name, N, fin, isa.saturate));
  if (fin?.kind === 'q') {
    const q = qFinishStages(m, fin, plan, isa, false, 'pw');
    items.push(blank, { k: 'stage', stage: q.seeds }, blank, { k: 'stage', stage: q.stage });
  }
  items.push(blank);
  if (needsSeed) items.push({ k: 'stage', stage: biasSeed(m, plan) });
  for (const f of fns) items.push(blank, f);
  items.push(blank, ...runItems(m, p, stage));

  const isaName = isaStateNames[isa.state];
  const weightBytes = p.classes.reduce((a, c) => a + c.weights.length * (rawWeights(c.form.form) ? st.bits / 8 : 4) + c.kTailWeights.length * (st.bits / 8), 0);
  const rawBytes = m.weights.length * (st.bits / 8);
  const t = p.tile;
  const banner = [
    bannerHead(m, `optimized variant (pointwise family) for ${isaName}`),
    'A 1x1 convolution is a GEMM: out[o][p] = seed[o] + sum over c of w[o][c] * x[c][p].',
    `MAC form: ${p.form.form}: ${p.form.doc}.`,
    `Register tile: ${t.ob} output channel(s) x ${t.pb} pixel(s) (${t.registers} registers of a budget of ${isaRows[isa.state].budget}),`,
    `${t.u} step(s) per loop iteration; ${t.cost.toFixed(2)} instructions per MAC estimated.`,
    `Pixels: ${g.flat ? `one run of ${g.span} pixels (the whole plane)` : `per output row, ${g.span} inside column(s)`}` +
      `${g.hasBorder ? '; outputs whose input lies in the padding are bias-only' : ''}.`,
    `Weights (${weightBytes} bytes, optimize '${ctx.optimize}'): ${weightBytes === rawBytes ? 'the same bytes as the raw weights'
      : `${p.form.form === 'lane2w' ? 'two output channels\' weights packed in each word' : 'pre-widened to int16 pairs'}, ${weightBytes} bytes where the raw weights take ${rawBytes}`}, blocked in the order the loops read${fin?.kind === 'rq-smmlar' && fin.doubled ? '; doubled, as are the seeds (the output stage takes twice the sum)' : ''}.`,
    `Code: about ${t.codeBytes} bytes estimated (budget ${CODE_BUDGET}).`,
  ];
  return {
    name: m.name, NAME: N, entry: `${m.name}_run`, banner: comment('block', ...banner), items,
    memory: { weightBytes, scratchBytes: 0, staticBytes: 0, staticDoc: '' },
    isaName,
    ...(p.estimate ? { optimizeLine: p.speedFallback
      ? `speed: default's plan, estimated faster on this core (${p.estimate.default.toFixed(2)} cycles/MAC against ${p.estimate.speed.toFixed(2)} `
        + 'for the best tile of weights pre-widened to int16 pairs)'
      : `speed: estimated ${p.estimate.speed.toFixed(2)} cycles/MAC on this core against default's ${p.estimate.default.toFixed(2)}` }
    : ctx.optimize === 'speed' && p.form.form === 'quad' && !widenedPays(isa, m)
      ? { optimizeLine: 'speed: default\'s form (quad: SXTB16 unpacks the weights in the loop), measured faster on this core than weights '
        + `pre-widened to int16 pairs where the output plane has over ${tuningOf(isa).pointwiseWidenedMaxPixels} pixel(s) (its tuning row)` } : {}),
  };
}
