/**
 * The NEON family's plan as IR: shape macros, the blocked weight table, the common output stage and seed, the input
 * load, one function per block size (every vector block of one output row), the padded-line copy, the row bands and
 * the entry that walks them.
 */
import type { KernelModel } from '../../ops/conv_2d/spec/index.ts';
import { cArrayRows } from '../../codegen/clit.ts';
import { lineLength, rowBandsView, slabBytes, SLAB_BUDGET } from '../../codegen/lines.ts';
import {
  add, addr, assign, bin, blank, block, call, cond, constDecl, decl, dot, id, index, loop, mul, ptr, ret, scalar,
  stmt, sub, through, upTo,
} from '../../ir/expr.ts';
import type { CScalar, CType, Expr, Item, KernelIR, Stmt } from '../../ir/kernel-ir.ts';
import { biasSeed, commonStage } from '../../ir/output-stage.ts';
import type { PlanContext } from '../family.ts';
import { bannerHead, biasTable, comment, define, numericDocs, shapeDefines, tensorMacros } from '../shared.ts';
import { runFunc } from '../reference/lower.ts';
import { LANES, NEON_CODE_BUDGET, type BlockFn, type NeonPlan } from './plan.ts';

const vec = (name: string, isConst = false): CType => ({ base: { typedef: name }, ...(isConst ? { const: true } : {}) });
/** A NEON intrinsic: a call whose header and ISA feature requirements.ts knows. */
const v = (name: string, ...args: (Expr | number | string)[]) => call(name, ...args);
/** Several vector variables of one type on one line. */
const vecs = (type: CType, vars: [string, Expr][]): Stmt => ({ k: 'decls', type, vars: vars.map(([name, init]) => ({ name, init })) });

/** One block function: seeds, the channel/row/column loops of broadcast MACs, and the scalar output stage per pixel. */
function blockFunction(m: KernelModel, p: NeonPlan, f: BlockFn, cType: CScalar): Item {
  const cb = f.cb;
  const accs = Array.from({ length: cb }, (_, j) => j);
  const seeds: Stmt[] = accs.flatMap((j) => (p.wide
    ? [decl(vec('int64x2_t', true), `s${j}`, v('vdupq_n_s64', call(`${m.name}_seed`, add('o0', j)))),
      vecs(vec('int64x2_t'), [0, 1, 2, 3].map((k) => [`a${j}_${k}`, id(`s${j}`)]))]
    : [decl(vec('int32x4_t'), `a${j}_lo`, v('vdupq_n_s32', call(`${m.name}_seed`, add('o0', j)))),
      decl(vec('int32x4_t'), `a${j}_hi`, `a${j}_lo`)]));
  const chunks: Stmt[] = f.chunks.flatMap((c) => (p.q7
    ? [decl(vec('int16x8_t', true), c.id, v('vmovl_s8', v('vld1_s8', add('wr', c.offset)))),
      ...(c.low ? [decl(vec('int16x4_t', true), `${c.id}l`, v('vget_low_s16', c.id))] : []),
      ...(c.high ? [decl(vec('int16x4_t', true), `${c.id}h`, v('vget_high_s16', c.id))] : [])]
    : [decl(vec('int16x4_t', true), c.id, v('vld1_s16', add('wr', c.offset)))]));
  const taps: Stmt[] = f.taps.map((t) => block([
    decl(vec('int16x8_t', true), 'x', call(`${m.name}_load`, add('pr', t.offset))),
    vecs(vec('int16x4_t', true), [['xl', v('vget_low_s16', 'x')], ['xh', v('vget_high_s16', 'x')]]),
    ...t.sources.flatMap((s, j): Stmt[] => {
      const prod = (half: string, lane: string, n: string, accName?: string) => (s.k === 'lane'
        ? v(lane, ...(accName ? [accName] : []), half, s.vec, s.index) : v(n, ...(accName ? [accName] : []), half, index('wr', s.at)));
      if (!p.wide)
        return [stmt(assign(`a${j}_lo`, prod('xl', 'vmlal_lane_s16', 'vmlal_n_s16', `a${j}_lo`))),
          stmt(assign(`a${j}_hi`, prod('xh', 'vmlal_lane_s16', 'vmlal_n_s16', `a${j}_hi`)))];
      const widen = (k: number, pr: string, half: string) => stmt(assign(`a${j}_${k}`, v('vaddw_s32', `a${j}_${k}`, v(half, pr))));
      return [block([
        vecs(vec('int32x4_t', true), [['pl', prod('xl', 'vmull_lane_s16', 'vmull_n_s16')], ['ph', prod('xh', 'vmull_lane_s16', 'vmull_n_s16')]]),
        widen(0, 'pl', 'vget_low_s32'), widen(1, 'pl', 'vget_high_s32'), widen(2, 'ph', 'vget_low_s32'), widen(3, 'ph', 'vget_high_s32'),
      ])];
    }),
  ]));
  const outputs: Stmt[] = accs.map((j) => block([
    decl(ptr(cType), 'out', addr(call('OUT_AT', add('o0', j), 'oy', 'x0'))),
    ...(p.wide
      ? [{ k: 'decl', type: scalar('int64_t'), name: 'v', dims: [LANES] } as Stmt,
        ...[0, 1, 2, 3].map((k) => stmt(v('vst1q_s64', add('v', 2 * k), `a${j}_${k}`)))]
      : [{ k: 'decl', type: scalar('int32_t'), name: 'v', dims: [LANES] } as Stmt,
        stmt(v('vst1q_s32', 'v', `a${j}_lo`)), stmt(v('vst1q_s32', add('v', 4), `a${j}_hi`))]),
    loop('p', 0, upTo('p', LANES), 'inc', [stmt(assign(index('out', 'p'), call(`${m.name}_finish`, index('v', 'p'))))], { braces: false }),
  ]));
  const rowWeights = mul('KERNEL_W', cb);
  const body: Stmt[] = [loop('b', 0, upTo('b', 'VEC_BLOCKS'), 'inc', [
    constDecl('int', 'x0', cond(bin('<', 'b', sub('VEC_BLOCKS', 1)), mul(LANES, 'b'), 'VEC_LAST')),
    decl(ptr(cType, { const: true }), 'px', add('slab', mul('x0', 'STRIDE_W'))),
    decl(ptr(cType, { const: true }), 'w', add('wb', mul(mul('ky_lo', 'KERNEL_W'), cb))),
    ...seeds,
    loop('ci', 0, upTo('ci', 'IN_PER_GROUP'), 'inc', [
      decl(ptr(cType, { const: true }), 'pr', 'px'),
      decl(ptr(cType, { const: true }), 'wr', 'w'),
      loop('r', 0, upTo('r', 'rows'), 'inc', [...chunks, ...taps],
        { also: [assign('pr', 'LINE', '+='), assign('wr', rowWeights, '+=')] }),
    ], { also: [assign('px', mul('KERNEL_H', 'LINE'), '+='), assign('w', mul(mul('KERNEL_H', 'KERNEL_W'), cb), '+=')] }),
    ...outputs,
  ])];
  return {
    k: 'func',
    doc: comment('block', `${cb} output channel(s) x ${LANES} pixels, every vector block of output row oy.`,
      'slab: the padded input lines; wb: the block\'s weights; rows valid kernel rows from ky_lo.'),
    fn: {
      name: f.name, linkage: 'static', ret: scalar('void'), wrapAfter: 3, body,
      params: [
        { type: ptr(cType, { const: true, restrict: true }), name: 'slab' }, { type: ptr(cType, { const: true, restrict: true }), name: 'wb' },
        { type: ptr(cType, { restrict: true }), name: 'output' },
        ...['o0', 'oy', 'ky_lo', 'rows'].map((name) => ({ type: scalar('int'), name })),
      ],
    },
  };
}

export function lowerNeon(m: KernelModel, p: NeonPlan, ctx: PlanContext): KernelIR {
  const N = m.name.toUpperCase();
  const cType = m.numeric.storage.cType as CScalar;
  const per = m.inPerGroup * m.kH * m.kW;
  const line = lineLength(m);
  const bands = rowBandsView(m);
  const loadDoc = `${p.stride2 ? 'vld2 (even lanes of 16 elements)' : 'vld1'}${p.q7 ? ', widened with vmovl_s8' : ''}`;
  const accDoc = p.wide
    ? 'int64x2 lanes: each int16 x int16 product is exact in int32 (vmull_s16) and is widened into them (vaddw_s32)'
    : 'int32x4 lanes (vmlal_s16): the proved bound fits int32';
  const banner = comment('block',
    bannerHead(m, 'optimized variant (NEON family) for ARMv7-A'),
    `Vectorized along output pixels: ${LANES} consecutive pixels of one output row per vector block, ${p.ob} output`,
    `channel(s) per block; each weight is broadcast to the pixels. Inputs: ${loadDoc}.`,
    `Accumulation: ${accDoc}.`,
    'Output rows are grouped by their valid kernel rows (padded rows are skipped); per output row the valid input rows are',
    `copied once into zero-padded lines (${slabBytes(m)} B of stack) that every channel block reads, so every column runs`,
    `vector blocks (the last one overlapping when the width is not a multiple of ${LANES}).`,
    'Weights are stored in the blocked order the loops read (the same size as the plain order).',
    `Code: about ${p.codeBytes} bytes estimated (budget ${NEON_CODE_BUDGET}).`);

  // The inputs of one tap for 8 pixels: vld1, or vld2's even lanes for stride 2; q7 widened to int16.
  const raw: Expr = p.q7
    ? (p.stride2 ? index(dot(v('vld2_s8', 'p'), 'val'), 0) : v('vld1_s8', 'p'))
    : (p.stride2 ? index(dot(v('vld2q_s16', 'p'), 'val'), 0) : v('vld1q_s16', 'p'));
  const load: Item = {
    k: 'func', doc: comment('line', `The inputs of ${LANES} consecutive output pixels at one tap, as int16.`),
    fn: { name: `${m.name}_load`, linkage: 'static inline', ret: vec('int16x8_t'), params: [{ type: ptr(cType, { const: true }), name: 'p' }],
      body: [ret(p.q7 ? v('vmovl_s8', raw) : raw)] },
  };

  const dst = (e: Expr) => index('dst', e);
  const lines: Item = {
    k: 'func',
    doc: comment('block', 'The group\'s valid input rows for output row oy, [in/groups][kernel row][LINE]: PAD_LEFT zeros, the row, zeros.',
      'Padding taps then multiply exact zeros, so every column runs the vector code.'),
    fn: {
      name: `${m.name}_lines`, linkage: 'static', ret: scalar('void'),
      params: [{ type: ptr(cType, { const: true, restrict: true }), name: 'in' }, { type: ptr(cType, { restrict: true }), name: 'slab' },
        { type: scalar('int'), name: 'iy0' }, { type: scalar('int'), name: 'rows' }],
      body: [loop('ci', 0, upTo('ci', 'IN_PER_GROUP'), 'inc', [loop('r', 0, upTo('r', 'rows'), 'inc', [
        decl(ptr(cType, { const: true }), 'src', add(add('in', mul('ci', 'CI_STRIDE')),
          mul({ k: 'paren', e: add('iy0', mul('r', 'DILATION_H')) }, `${N}_IN_W`))),
        decl(ptr(cType), 'dst', add('slab', mul({ k: 'paren', e: add(mul('ci', 'KERNEL_H'), 'r') }, 'LINE'))),
        loop('i', 0, upTo('i', 'PAD_LEFT'), 'inc', [stmt(assign(dst(id('i')), 0))], { braces: false }),
        loop('i', 0, upTo('i', `${N}_IN_W`), 'inc', [stmt(assign(dst(add('PAD_LEFT', 'i')), index('src', 'i')))], { braces: false }),
        loop('i', add('PAD_LEFT', `${N}_IN_W`), upTo('i', 'LINE'), 'inc', [stmt(assign(dst(id('i')), 0))], { braces: false }),
      ])], { braces: false })],
    },
  };

  const bandsName = `${m.name}_y_bands`;
  const blockCall = (fn: BlockFn, blockIndex: Expr | string): Stmt => stmt(call(fn.name, 'slab', add('wg', mul(blockIndex, 'BLOCK_WEIGHTS')), 'output',
    add(mul('g', 'OUT_PER_GROUP'), mul(blockIndex, 'BLOCK_CHANNELS')), 'oy', 'ky_lo', 'rows'));
  const run: Item = {
    k: 'func',
    fn: runFunc(m, [
      { k: 'comment', text: comment('line', `${slabBytes(m)} bytes of stack (budget ${SLAB_BUDGET}).`) },
      { k: 'decl', type: scalar(cType), name: 'slab', dims: ['IN_PER_GROUP * KERNEL_H * LINE'] },
      loop('band', 0, upTo('band', 'Y_BANDS'), 'inc', [
        vecs(scalar('int', true), [['ky_lo', index(index(bandsName, 'band'), 2)], ['rows', index(index(bandsName, 'band'), 3)]]),
        loop('oy', index(index(bandsName, 'band'), 0), through('oy', index(index(bandsName, 'band'), 1)), 'inc', [
          loop('g', 0, upTo('g', 'GROUPS'), 'inc', [
            decl(ptr(cType, { const: true }), 'wg', add(`${m.name}_weights`, mul('g', 'GROUP_WEIGHTS'))),
            stmt(call(`${m.name}_lines`, add('input', mul('g', 'GROUP_INPUT')), 'slab',
              add(sub(mul('oy', 'STRIDE_H'), 'PAD_TOP'), mul('ky_lo', 'DILATION_H')), 'rows')),
            loop('b', 0, upTo('b', 'FULL_BLOCKS'), 'inc', [blockCall(p.fns[0], 'b')], { braces: false }),
            ...(p.fns.length > 1 ? [blockCall(p.fns[1], 'FULL_BLOCKS')] : []),
          ]),
        ], { braces: false }),
      ]),
    ]),
  };

  const items: Item[] = [
    blank as Item,
    ...shapeDefines(m),
    define('CI_STRIDE', m.inH * m.inW), define('BLOCK_CHANNELS', p.ob), define('TAIL_CHANNELS', p.tailSize),
    define('FULL_BLOCKS', p.fullBlocks), define('BLOCK_WEIGHTS', p.ob * per), define('GROUP_WEIGHTS', m.outPerGroup * per),
    define('GROUP_INPUT', m.inPerGroup * m.inH * m.inW), define('LINE', line), define('VEC_BLOCKS', Math.ceil(m.outW / LANES)),
    define('VEC_LAST', m.outW - LANES), define('Y_BANDS', bands.length),
    { k: 'blank' }, ...tensorMacros(m, { input: false }), { k: 'blank' },
    { k: 'table', doc: comment('line', `Weights: ${numericDocs(m).weightDoc}; per group, per block of output channels, [in/groups][ky][kx][channel in block].`),
      table: { name: `${m.name}_weights`, elem: cType, dims: [p.weights.length], body: { k: 'flat', lines: cArrayRows(p.weights, 16) } } },
    ...biasTable(m),
    { k: 'blank' }, { k: 'stage', stage: commonStage(m, ctx.acc, false) },
    { k: 'blank' }, { k: 'stage', stage: biasSeed(m, ctx.acc) },
    { k: 'blank' }, load,
    ...p.fns.flatMap((f): Item[] => [{ k: 'blank' }, blockFunction(m, p, f, cType)]),
    { k: 'blank' }, lines,
    { k: 'blank' },
    { k: 'table', doc: comment('line', 'Output rows grouped by their valid kernel rows: first row, last row, first valid kernel row, how many.'),
      table: { name: bandsName, elem: 'unsigned short', dims: ['Y_BANDS', 4], body: { k: 'flat', lines: bands.map((b) => `    { ${b.fields} }, /* ${b.doc} */`) } } },
    { k: 'blank' }, run,
  ];
  return {
    name: m.name, NAME: N, entry: `${m.name}_run`, banner, items,
    memory: { weightBytes: p.weights.length * (m.numeric.storage.bits / 8), staticBytes: 0, staticDoc: '', scratchBytes: 0 },
    isaName: 'ARMv7-A',
  };
}
