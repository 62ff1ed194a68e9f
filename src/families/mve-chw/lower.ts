/**
 * The MVE CHW family's plan as IR: shape macros, the blocked weights, the output stage of 4 pixels (vector where
 * qfinish.ts's exact stage applies, else the common scalar finish per lane), the offset load helper, one function per
 * block shape, the line copies and the run over output rows, groups and channel blocks.
 */
import type { KernelModel } from '../../ops/conv_2d/spec/index.ts';
import { blockedWeights, lineLength, slabBytes, SLAB_BUDGET } from '../../codegen/lines.ts';
import { cArrayRows, cInt } from '../../codegen/clit.ts';
import {
  add, addr, assign, bin, block, call, constDecl, decl, deref, id, ifThen, index, int, lit, loop, mul, preinc, ptr, scalar,
  sizeOf, stmt, sub, upTo,
} from '../../ir/expr.ts';
import type { CScalar, CType, Expr, Func, Item, KernelIR, Stmt } from '../../ir/kernel-ir.ts';
import { biasSeed, commonStage } from '../../ir/output-stage.ts';
import type { PlanContext } from '../family.ts';
import { bannerHead, biasTable, comment, define, numericDocs, tensorMacros } from '../shared.ts';
import { MVE_CHW_CODE_BUDGET, MVE_LANES, type MveChwPlan } from './plan.ts';

/** Loads and stores by storage bits: ISA data, not target checks. */
const mem = {
  8: { load32: 'vldrb.s32', load16: 'vldrb.s16', store32: 'vstrbq_s32' },
  16: { load32: 'vldrh.s32', load16: 'vldrh.s16', store32: 'vstrhq_s32' },
} as const;

const vec = (name: 'int32x4_t' | 'int16x8_t', isConst = false): CType => ({ base: { typedef: name }, ...(isConst ? { const: true } : {}) });
const blockName = (m: KernelModel, cb: number, pv: number) => `${m.name}_block_o${cb}_v${pv}`;

/** One block function: cb output channels x pv vectors of 4 pixels from column x0 of output row oy. */
function blockFunction(m: KernelModel, p: MveChwPlan, cType: CScalar, cb: number, pv: number): Func {
  const bytes = m.numeric.storage.bits / 8;
  const stride2 = m.strideW === 2;
  const body: Stmt[] = [
    decl(ptr(cType, { const: true }), 'pr', add('slab', mul('x0', 'STRIDE_W'))),
    decl(ptr(cType, { const: true }), 'wr', 'wb'),
  ];
  for (let j = 0; j < cb; j++)
    for (let v = 0; v < pv; v++)
      body.push(decl(vec('int32x4_t'), `a${j}_${v}`, v > 0 ? id(`a${j}_0`)
        : call('vdupq_n_s32', p.qf ? index(`${m.name}_seeds`, add('o0', j)) : call(`${m.name}_seed`, add('o0', j)))));
  const taps: Stmt[] = [];
  for (let kx = 0; kx < m.kW; kx++) {
    const tap: Stmt[] = [];
    for (let j = 0; j < cb; j++) tap.push(constDecl('int32_t', `w${j}`, index('wr', kx * cb + j)));
    for (let v = 0; v < pv; v++) {
      const off = int((v * MVE_LANES * m.strideW + kx * m.dilW) * bytes);
      const load: Stmt[] = stride2
        ? [decl(vec('int16x8_t'), 'x16'), stmt(call('LOAD', 'x16', 'pr', off)), decl(vec('int32x4_t', true), 'x', call('vmovlbq_s16', 'x16'))]
        : [decl(vec('int32x4_t'), 'x'), stmt(call('LOAD', 'x', 'pr', off))];
      const macs = Array.from({ length: cb }, (_, j) => stmt(assign(`a${j}_${v}`, call('vmlaq_n_s32', `a${j}_${v}`, 'x', `w${j}`))));
      tap.push(block([...load, ...macs]));
    }
    taps.push(block(tap));
  }
  body.push(
    { k: 'comment', text: comment('line', 'Every line of the slab in order, [in/groups][kernel row], as the weights are stored: one loop of constant count.') },
    loop('k', 0, upTo('k', mul('IN_PER_GROUP', 'KERNEL_H')), 'inc', taps,
      { also: [assign('pr', 'LINE', '+='), assign('wr', mul('KERNEL_W', cb), '+=')] }),
  );
  for (let j = 0; j < cb; j++)
    for (let v = 0; v < pv; v++)
      body.push(stmt(call(`${m.name}_finish4`, addr(call('OUT_AT', add('o0', j), 'oy', add('x0', v * MVE_LANES))), `a${j}_${v}`)));
  return {
    name: blockName(m, cb, pv), linkage: 'static', ret: scalar('void'), wrapAfter: 3,
    params: [
      { type: ptr(cType, { const: true, restrict: true }), name: 'slab' }, { type: ptr(cType, { const: true, restrict: true }), name: 'wb' },
      { type: ptr(cType, { restrict: true }), name: 'output' },
      { type: scalar('int'), name: 'o0' }, { type: scalar('int'), name: 'oy' }, { type: scalar('int'), name: 'x0' },
    ],
    body,
  };
}

/** The output stage of 4 pixels: the vector Q stage, or the common scalar finish per lane (with its tables). */
function finishItems(m: KernelModel, p: MveChwPlan, ctx: PlanContext, cType: CScalar): Item[] {
  const N = m.name.toUpperCase();
  const params = [{ type: ptr(cType), name: 'out' }, { type: vec('int32x4_t'), name: 'acc' }];
  const finish4 = (body: Stmt[]): Func => ({ name: `${m.name}_finish4`, linkage: 'static inline', ret: scalar('void'), params, body });
  const qf = p.qf;
  if (!qf)
    return [
      ...biasTable(m), { k: 'blank' }, { k: 'stage', stage: commonStage(m, ctx.acc, false) },
      { k: 'blank' }, { k: 'stage', stage: biasSeed(m, ctx.acc) },
      { k: 'blank' }, { k: 'func', doc: comment('line', 'The common scalar output stage for 4 pixels.'), fn: finish4([
        decl('int32_t', 'v[4]'),
        stmt(call('vstrwq_s32', 'v', 'acc')),
        loop('p', 0, upTo('p', 4), 'inc', [stmt(assign(index('out', 'p'), call(`${m.name}_finish`, index('v', 'p'))))], { braces: false }),
      ]) },
    ];
  const bits = m.numeric.storage.bits as 8 | 16;
  return [
    { k: 'blank' },
    { k: 'table', doc: comment('hang', 'Seeds: bias aligned to the product\'s fraction bits, plus the output stage\'s rounding constant, so that the',
      'stage only shifts and clamps.'), table: {
      name: `${m.name}_seeds`, elem: 'int32_t', dims: [`${N}_OUT_C`],
      // int32 plan: the seeds (bias + rounding constant) fit int32, as the proved bound counts both.
      body: { k: 'flat', lines: cArrayRows(qf.seeds.map((v) => cInt(v, 'int32_t')), 8) } } },
    { k: 'blank' },
    { k: 'func', doc: comment('hang', 'The output stage of 4 pixels: lane for lane the scalar clamp((acc >> shift), lo, hi); the narrowing store keeps',
      'the low bits of values already in range.'), fn: finish4([
      ...(qf.shift > 0 ? [stmt(assign('acc', call('vshrq_n_s32', 'acc', qf.shift)))] : []),
      stmt(assign('acc', call('vmaxq_s32', 'acc', call('vdupq_n_s32', lit(cInt(qf.lo, 'int32_t')))))),
      stmt(assign('acc', call('vminq_s32', 'acc', call('vdupq_n_s32', lit(cInt(qf.hi, 'int32_t')))))),
      stmt(call(mem[bits].store32, 'out', 'acc')),
    ]) },
  ];
}

/** The group's input rows for output row oy into the lines' middles; a kernel row in the padding gets zeros. */
function linesFunction(m: KernelModel, cType: CScalar): Func {
  const N = m.name.toUpperCase();
  const size = mul(call('sizeof', deref(id('dst'))), `${N}_IN_W`);
  return {
    name: `${m.name}_lines`, linkage: 'static', ret: scalar('void'),
    params: [{ type: ptr(cType, { const: true, restrict: true }), name: 'in' }, { type: ptr(cType, { restrict: true }), name: 'slab' },
      { type: scalar('int'), name: 'iy0' }],
    body: [loop('ci', 0, upTo('ci', 'IN_PER_GROUP'), 'inc', [loop('r', 0, upTo('r', 'KERNEL_H'), 'inc', [
      constDecl('int', 'iy', add('iy0', mul('r', 'DILATION_H'))),
      decl(ptr(cType), 'dst', add(add('slab', mul(add(mul('ci', 'KERNEL_H'), 'r'), 'LINE')), 'PAD_LEFT')),
      ifThen(bin('&&', bin('>=', 'iy', 0), upTo('iy', `${N}_IN_H`)),
        [stmt(call('memcpy', 'dst', add(add('in', mul('ci', 'CI_STRIDE')), mul('iy', `${N}_IN_W`)), size))],
        { else: [stmt(call('memset', 'dst', 0, size))], braces: false }),
    ])], { braces: false })],
  };
}

/** The run: per output row and group, the lines, then every channel block's pixel blocks and remainder. */
function runFunction(m: KernelModel, p: MveChwPlan, cType: CScalar): Func {
  const N = m.name.toUpperCase();
  const channelBlock = (cb: number, wb: Expr, o0: Expr): Stmt[] => [
    decl(ptr(cType, { const: true }), 'wb', wb),
    constDecl('int', 'o0', o0),
    loop('x', 0, upTo('x', 'X_FULL'), 'inc', [stmt(call(blockName(m, cb, p.pv), 'slab', 'wb', 'output', 'o0', 'oy', mul('x', 'X_WIDTH')))], { braces: false }),
    ...(p.blocks.rem > 0 ? [stmt(call(blockName(m, cb, p.blocks.rem), 'slab', 'wb', 'output', 'o0', 'oy', 'X_REM_AT'))] : []),
  ];
  const groupBody: Stmt[] = [
    decl(ptr(cType, { const: true }), 'wg', add(`${m.name}_weights`, mul('g', 'GROUP_WEIGHTS'))),
    stmt(call(`${m.name}_lines`, add('input', mul('g', 'GROUP_INPUT')), 'slab', sub(mul('oy', 'STRIDE_H'), 'PAD_TOP'))),
    loop('b', 0, upTo('b', 'FULL_BLOCKS'), 'inc',
      channelBlock(p.ob, add('wg', mul('b', 'BLOCK_WEIGHTS')), add(mul('g', 'OUT_PER_GROUP'), mul('b', 'BLOCK_CHANNELS')))),
    ...(p.sizes.length > 1 ? [block(channelBlock(p.sizes[1], add('wg', mul('FULL_BLOCKS', 'BLOCK_WEIGHTS')),
      add(mul('g', 'OUT_PER_GROUP'), mul('FULL_BLOCKS', 'BLOCK_CHANNELS'))))] : []),
  ];
  return {
    name: `${m.name}_run`, linkage: 'extern', ret: scalar('void'),
    params: [{ type: ptr(cType, { const: true, restrict: true }), name: 'input' }, { type: ptr(cType, { restrict: true }), name: 'output' }],
    body: [
      { k: 'comment', text: comment('line', `${slabBytes(m)} bytes of stack (budget ${SLAB_BUDGET}), zeroed once: row copies never touch the padding.`) },
      decl(cType, 'slab[SLAB_LEN]'),
      stmt(call('memset', 'slab', 0, sizeOf('slab'))),
      loop('oy', 0, upTo('oy', `${N}_OUT_H`), 'inc', [loop('g', 0, upTo('g', 'GROUPS'), 'inc', groupBody)], { braces: false }),
    ],
  };
}

export function lowerMveChw(m: KernelModel, p: MveChwPlan, ctx: PlanContext): KernelIR {
  const N = m.name.toUpperCase();
  const bits = m.numeric.storage.bits as 8 | 16;
  const cType = m.numeric.storage.cType as CScalar;
  const weights = blockedWeights(m, p.ob);
  const line = lineLength(m);
  const loadInsn = m.strideW === 2 ? mem[bits].load16 : mem[bits].load32;
  const items: Item[] = [
    { k: 'blank' },
    define('IN_PER_GROUP', m.inPerGroup), define('OUT_PER_GROUP', m.outPerGroup), define('GROUPS', m.groups),
    define('KERNEL_H', m.kH), define('KERNEL_W', m.kW), define('STRIDE_H', m.strideH), define('STRIDE_W', m.strideW),
    define('DILATION_H', m.dilH), define('PAD_TOP', m.pad.top), define('PAD_LEFT', m.pad.left), define('CI_STRIDE', m.inH * m.inW),
    define('BLOCK_CHANNELS', p.ob), define('FULL_BLOCKS', Math.floor(m.outPerGroup / p.ob)),
    define('BLOCK_WEIGHTS', p.ob * m.inPerGroup * m.kH * m.kW), define('GROUP_WEIGHTS', m.outPerGroup * m.inPerGroup * m.kH * m.kW),
    define('GROUP_INPUT', m.inPerGroup * m.inH * m.inW), define('LINE', line), define('SLAB_LEN', m.inPerGroup * m.kH * line),
    define('X_FULL', p.blocks.full), define('X_WIDTH', p.blocks.width), define('X_REM_AT', p.blocks.remAt),
    { k: 'blank' },
    ...tensorMacros(m, { input: false }),
    { k: 'blank' },
    { k: 'table', doc: comment('line', `Weights: ${numericDocs(m).weightDoc}; per group, per block of output channels, [in/groups][ky][kx][channel in block].`),
      table: { name: `${m.name}_weights`, elem: cType, dims: [weights.length], body: { k: 'flat', lines: cArrayRows(weights, 16) } } },
    ...finishItems(m, p, ctx, cType),
    { k: 'blank' },
    { k: 'helper', helper: { k: 'mve-offset-load', insn: loadInsn, elem: cType, elems: MVE_LANES * m.strideW }, doc: comment('block',
      `The inputs of 4 consecutive output pixels at one tap, widened to int32: ${loadInsn} from p at a byte offset.`,
      'In asm because GCC 12 moves each offset address into a register of its own (VLDR{B,H}.S32 take r0-r7) rather than',
      `using the immediate; the "m" operand tells it which ${MVE_LANES * m.strideW} elements are read.`) },
  ];
  for (const s of p.shapes)
    items.push({ k: 'blank' }, { k: 'func', fn: blockFunction(m, p, cType, s.cb, s.pv), doc: comment('block',
      `${s.cb} output channel(s) x ${s.pv} vector(s) of 4 pixels from column x0 of output row oy.`,
      'slab: the padded input lines; wb: the block\'s weights.') });
  items.push({ k: 'blank' }, { k: 'func', fn: linesFunction(m, cType), doc: comment('block',
    'The group\'s input rows for output row oy into the lines\' middles, [in/groups][kernel row][LINE]; a kernel row in',
    'the top or bottom padding gets zeros. The left and right padding around them stays zero from the start.',
    'memcpy/memset, not tail-predicated vector stores: GCC 12 takes VSTRB/VSTRH with a predicate as a store of the whole',
    'vector, and its dead-store elimination then dropped the zeroing of the padding that such a store seemed to cover',
    '(the kernel then read whatever was on the stack). Stores of an exact size are modelled exactly.') });
  items.push({ k: 'blank' }, { k: 'func', fn: runFunction(m, p, cType) });

  const loadDoc = m.strideW === 2 ? `${mem[bits].load16} of 8 elements, the even lanes widened by VMOVLB.S16` : `${mem[bits].load32} (widening)`;
  const banner = [
    bannerHead(m, 'optimized variant, MVE CHW family (ARMv8.1-M Helium)'),
    `Vectorized along output pixels: ${MVE_LANES} consecutive pixels of one output row per int32x4 vector, blocks of`,
    `${p.ob} output channel(s) x ${p.pv} vector(s); each input vector serves the block's channels, each weight is a`,
    'scalar that serves the block\'s vectors (VMLA.S32 vector-by-scalar, exact: the proved bound fits int32).',
    `Inputs: ${loadDoc}.`,
    `Per output row the input rows of its kernel rows are copied once into zero-padded lines (${slabBytes(m)} B of stack)`,
    'that every channel block reads (a kernel row in the top or bottom padding is a line of zeros), so every column and',
    'row runs the same vector code: one loop over the lines, as the weights are stored.',
    `A row's pixels run in blocks of ${p.pv * MVE_LANES}, then one block of the rest ending at the last pixel (its overlap is`,
    'recomputed, not accumulated twice).',
    `Output stage: ${p.qf ? 'per vector: the rounding constant is in the seed, then VSHR, VMAX/VMIN to the clamp and a narrowing store'
      : 'the common scalar output stage per output'}.`,
    'Weights are stored in the blocked order the loops read (the same size as the plain order).',
    `Code: about ${p.codeBytes} bytes estimated (budget ${MVE_CHW_CODE_BUDGET}).`,
  ];
  return {
    name: m.name, NAME: N, entry: `${m.name}_run`, banner: comment('block', ...banner), items,
    memory: { weightBytes: weights.length * (bits / 8), staticBytes: 0, staticDoc: '', scratchBytes: 0 },
    isaName: 'ARMv8.1-M with MVE',
  };
}
