/**
 * The neon-hwc block function as IR: one block of lanes (output channels, or groups for depthwise) at every pixel block
 * of an output row: lane-ordered seeds, the broadcast (dense) or element-wise (depthwise) MACs over the valid input
 * lines, then the output stage per pixel (int8: vectorized requantization; q7/q15: the scalar finish per lane).
 */
import type { KernelModel } from '../../ops/conv_2d/spec/index.ts';
import {
  add, assign, bin, block, call, cond, decl, id, index, loop, mul, paren, ptr, scalar, stmt, sub, upTo,
} from '../../ir/expr.ts';
import type { CScalar, CType, Expr, Func, Stmt } from '../../ir/kernel-ir.ts';
import type { HwcPlan } from './plan.ts';
import type { LaneQuantity, LaneRequantization } from './lower.ts';

export const vec = (name: string, isConst = false): CType => ({ base: { typedef: name }, ...(isConst ? { const: true } : {}) });
export /** A NEON intrinsic: a call whose header and ISA feature requirements.ts knows. */
const v = (name: string, ...args: (Expr | number | string)[]) => call(name, ...args);
/** Several variables of one type on one line. */
export const vars = (type: CType, list: [string, Expr | string][]): Stmt =>
  ({ k: 'decls', type, vars: list.map(([name, init]) => ({ name, init: typeof init === 'string' ? id(init) : init })) });
export const array = (type: CScalar, name: string, n: number | string): Stmt => ({ k: 'decl', type: scalar(type), name, dims: [n] });

/** What the block function's text depends on beyond the plan. */
export interface BlockShape {
  wide: boolean;
  half: boolean;
  /** The 32-bit seed table's element type (int16 where every seed fits; unused with 64-bit lanes). */
  seedElem: 'int32_t' | 'int16_t';
  /** The lane-ordered requantization (int8), or null: the scalar finish. */
  rq: LaneRequantization | null;
  weightType: CScalar;
  cType: CScalar;
  /** Output lanes `laneStride` elements apart (depthwise: OUT_PER_GROUP). */
  laneStride: number;
  /** Element offset of each pixel of a block in a line. */
  pixOffsets: number[];
}

/** Lanes lb..lb+3 (hi: lb+4..lb+7) of a lane-ordered table as int32x4 (an int16 table widened after the load). */
const int32Lanes = (table: string, elem: 'int32_t' | 'int16_t', hi: boolean): Expr => {
  const at = hi ? add(add(table, 'lb'), 4) : add(table, 'lb');
  return elem === 'int32_t' ? v('vld1q_s32', at) : v('vmovl_s16', v('vld1_s16', at));
};

export function blockFunction(m: KernelModel, p: HwcPlan, s: BlockShape): Func {
  const pixels = s.pixOffsets.map((off, px) => ({ px, off }));
  const seeds = `${m.name}_seeds`;
  const seedLoads: Stmt[] = s.wide
    ? [vars(vec('int64x2_t', true), [['s0', v('vld1q_s64', add(seeds, 'lb'))], ['s1', v('vld1q_s64', add(add(seeds, 'lb'), 2))]]),
      ...(s.half ? [] : [vars(vec('int64x2_t', true), [['s2', v('vld1q_s64', add(add(seeds, 'lb'), 4))], ['s3', v('vld1q_s64', add(add(seeds, 'lb'), 6))]])])]
    : [vars(vec('int32x4_t', true), [['sl', int32Lanes(seeds, s.seedElem, false)], ...(s.half ? [] : [['sh', int32Lanes(seeds, s.seedElem, true)] as [string, Expr]])])];
  const accInit: Stmt[] = pixels.map(({ px }) => (s.wide
    ? vars(vec('int64x2_t'), (s.half ? [0, 1] : [0, 1, 2, 3]).map((k) => [`a${px}_${k}`, `s${k}`]))
    : vars(vec('int32x4_t'), [[`a${px}l`, 'sl'], ...(s.half ? [] : [[`a${px}h`, 'sh'] as [string, string]])])));
  // int64 lanes: pl / ph are exact int32 products of the low / high 4 lanes, widened into a{p}_0..3
  const widen = (px: number): Stmt[] => [
    ...(s.half ? [['pl', 'vget_low_s32', 0], ['pl', 'vget_high_s32', 1]] : [['pl', 'vget_low_s32', 0], ['pl', 'vget_high_s32', 1], ['ph', 'vget_low_s32', 2], ['ph', 'vget_high_s32', 3]])
      .map(([pr, half, k]) => stmt(assign(`a${px}_${k}`, v('vaddw_s32', `a${px}_${k}`, v(half as string, pr as string))))),
  ];
  // Dense: lane j of each pixel's 4 inputs times the row of weights of input channel j (every output channel of the block).
  const denseLane = (j: number, wOff: number): Stmt => block([
    ...(s.half
      ? [decl(vec('int16x4_t', true), 'wl', call(`${m.name}_w4`, add('wc', wOff)))]
      : [decl(vec('int16x8_t', true), 'w', call(`${m.name}_w8`, add('wc', wOff))),
        vars(vec('int16x4_t', true), [['wl', v('vget_low_s16', 'w')], ['wh', v('vget_high_s16', 'w')]])]),
    ...pixels.flatMap(({ px }): Stmt[] => (s.wide
      ? [block([vars(vec('int32x4_t', true), [['pl', v('vmull_lane_s16', 'wl', `x${px}`, j)], ...(s.half ? [] : [['ph', v('vmull_lane_s16', 'wh', `x${px}`, j)] as [string, Expr]])]),
        ...widen(px)])]
      : [stmt(assign(`a${px}l`, v('vmlal_lane_s16', `a${px}l`, 'wl', `x${px}`, j))),
        ...(s.half ? [] : [stmt(assign(`a${px}h`, v('vmlal_lane_s16', `a${px}h`, 'wh', `x${px}`, j)))])])),
  ]);
  const xLoads = pixels.map(({ px, off }) => decl(vec('int16x4_t', true), `x${px}`, v('vld1_s16', add('xc', off))));
  const lanesOf = (n: number) => Array.from({ length: n }, (_, j) => denseLane(j, j * m.outPerGroup));
  const tail = m.inPerGroup % 4;
  const wPtr = ptr(s.weightType, { const: true });
  const i16 = ptr('int16_t', { const: true });
  const kxLoop = p.kind === 'dense'
    ? loop('kx', 0, upTo('kx', 'KERNEL_W'), 'inc', [
      decl(i16, 'xc', 'xp'),
      loop('c', 0, upTo('c', 'CI_CHUNKS'), 'inc', [...xLoads, ...lanesOf(4)],
        { also: [assign('xc', 4, '+='), assign('wc', mul(4, 'OUT_PER_GROUP'), '+=')] }),
      ...(tail > 0 ? [block([...xLoads, ...lanesOf(tail), stmt(assign('wc', mul(tail, 'OUT_PER_GROUP'), '+='))])] : []),
    ], { also: [assign('xp', mul('DILATION_W', 'SLICE_CP'), '+=')] })
    : loop('kx', 0, upTo('kx', 'KERNEL_W'), 'inc', [
      decl(vec('int16x8_t', true), 'w', call(`${m.name}_w8`, 'wc')),
      vars(vec('int16x4_t', true), [['wl', v('vget_low_s16', 'w')], ['wh', v('vget_high_s16', 'w')]]),
      ...pixels.map(({ px, off }) => block([
        decl(vec('int16x8_t', true), 'x', v('vld1q_s16', add('xp', off))),
        ...(s.wide
          ? [block([vars(vec('int32x4_t', true), [['pl', v('vmull_s16', v('vget_low_s16', 'x'), 'wl')], ['ph', v('vmull_s16', v('vget_high_s16', 'x'), 'wh')]]),
            ...widen(px)])]
          : [stmt(assign(`a${px}l`, v('vmlal_s16', `a${px}l`, v('vget_low_s16', 'x'), 'wl'))),
            stmt(assign(`a${px}h`, v('vmlal_s16', `a${px}h`, v('vget_high_s16', 'x'), 'wh')))]),
      ])),
    ], { also: [assign('xp', mul('DILATION_W', 'SLICE_CP'), '+='), assign('wc', 'GROUPS', '+=')] });
  // Four lanes of a quantity: the constant in every lane, or lanes lb (+ 4) of its table.
  const rqLanes = (q: LaneQuantity, hi: boolean): Expr => (q.k === 'const' ? v('vdupq_n_s32', q.value) : int32Lanes(q.name, q.elem, hi));
  const rq = s.rq;
  const rqLoads: Stmt[] = rq
    ? [vars(vec('int32x4_t', true), [['ml', rqLanes(rq.mult, false)], ['ll', rqLanes(rq.left, false)], ['rl', rqLanes(rq.negright, false)]]),
      ...(s.half ? [] : [vars(vec('int32x4_t', true), [['mh', rqLanes(rq.mult, true)], ['lh', rqLanes(rq.left, true)], ['rh', rqLanes(rq.negright, true)]])])]
    : [];
  const N = m.name.toUpperCase();
  const rqCall = (px: number, h: 'l' | 'h') => call(`${m.name}_rq`, `a${px}${h}`, `l${h}`, `m${h}`, `r${h}`);
  const outputs: Stmt[] = pixels.map(({ px }) => block([
    decl(ptr(s.cType), 'o', add('out', mul(paren(add('xs', px)), `${N}_OUT_C`))),
    ...(s.rq
      ? [...(s.half
        ? [decl(vec('int32x4_t', true), 'q', rqCall(px, 'l')), decl(vec('int8x8_t', true), 'v', call(`${m.name}_out8`, 'q', 'q'), 'lanes 0-3 are stored')]
        : [decl(vec('int8x8_t', true), 'v', call(`${m.name}_out8`, rqCall(px, 'l'), rqCall(px, 'h')))]),
      ...(s.laneStride === 1 && !s.half ? [stmt(v('vst1_s8', 'o', 'v'))]
        : Array.from({ length: p.lanes }, (_, j) => stmt(v('vst1_lane_s8', add('o', j * s.laneStride), 'v', j))))]
      : [array(s.wide ? 'int64_t' : 'int32_t', 'v', p.lanes),
        ...(s.wide
          ? (s.half ? [0, 1] : [0, 1, 2, 3]).map((k) => stmt(v('vst1q_s64', add('v', 2 * k), `a${px}_${k}`)))
          : [stmt(v('vst1q_s32', 'v', `a${px}l`)), ...(s.half ? [] : [stmt(v('vst1q_s32', add('v', 4), `a${px}h`))])]),
        loop('j', 0, upTo('j', p.lanes), 'inc', [stmt(assign(index('o', mul('j', s.laneStride)), call(`${m.name}_finish`, index('v', 'j'))))], { braces: false })]),
  ]));
  return {
    name: `${m.name}_block`, linkage: 'static', ret: scalar('void'),
    params: [
      { type: { base: 'int16_t', const: true, ptr: { inner: { const: true } } }, name: 'rows' }, { type: scalar('int'), name: 'nrows' },
      { type: ptr(s.weightType, { const: true, restrict: true }), name: 'w0' }, { type: scalar('int'), name: 'lb' },
      { type: ptr(s.cType, { restrict: true }), name: 'out' },
    ],
    body: [loop('b', 0, upTo('b', 'PIX_BLOCKS'), 'inc', [
      decl(scalar('int', true), 'xs', cond(bin('<', 'b', sub('PIX_BLOCKS', 1)), mul('PIXELS', 'b'), 'PIX_LAST')),
      ...seedLoads, ...accInit,
      decl(wPtr, 'wc', 'w0'),
      loop('r', 0, upTo('r', 'nrows'), 'inc', [
        decl(i16, 'xp', add(index('rows', 'r'), mul(mul('xs', 'STRIDE_W'), 'SLICE_CP'))),
        kxLoop,
      ]),
      ...rqLoads, ...outputs,
    ])],
  };
}
