/**
 * The MVE family's block functions as IR: dot functions (tail-predicated VMLADAVA over a row's contiguous span, each
 * input vector feeding the block's channels) and depthwise functions (4 channels per int32x4, VMUL + VADD), and the
 * switch that calls them by number.
 */
import type { KernelModel } from '../../ops/conv_2d/spec/index.ts';
import type { AccumulatorPlan } from '../../codegen/accumulator.ts';
import {
  add, assign, bin, block, call, cast, constDecl, decl, id, ifThen, lit, loop, mul, ptr, scalar, stmt, upTo,
} from '../../ir/expr.ts';
import type { CScalar, CType, Expr, Func, Param, Stmt } from '../../ir/kernel-ir.ts';
import { comment } from '../shared.ts';
import { narrowestType } from '../../ir/output-stage.ts';
import type { DotFn, DwFn, MvePlan } from './plan.ts';


export interface FnContext {
  m: KernelModel;
  acc: AccumulatorPlan;
  cType: CScalar;
  N: string;
}

export const vecType = (name: string, isConst = false): CType => ({ base: { typedef: name }, ...(isConst ? { const: true } : {}) });
const inPtr = (t: CScalar, name: string): Param => ({ type: ptr(t, { const: true, restrict: true }), name });
const outPtr = (t: CScalar, name: string): Param => ({ type: ptr(t, { restrict: true }), name });
const int = (name: string): Param => ({ type: scalar('int'), name });
const voidOf = (name: string, c?: string): Stmt => stmt(cast('void', name), c);

/** for (int k = 0; k < count; ++k, px0 += pb * PIXEL_STRIDE, out0 += pb * N_OUT_C) */
const pixelLoop = (c: FnContext, pb: number, body: Stmt[]): Stmt =>
  loop('k', 0, upTo('k', 'count'), 'inc', body, { also: [assign('px0', mul(pb, 'PIXEL_STRIDE'), '+='), assign('out0', mul(pb, `${c.N}_OUT_C`), '+=')] });

export function dotFunction(c: FnContext, p: Extract<MvePlan, { shape: 'dot' }>, f: DotFn): Func {
  const { m, cType, acc, N } = c;
  const bits = m.numeric.storage.bits;
  const vt = vecType(bits === 8 ? 'int8x16_t' : 'int16x8_t', true);
  const load = bits === 8 ? 'vldrbq_s8' : 'vldrhq_s16';
  const loadz = bits === 8 ? 'vldrbq_z_s8' : 'vldrhq_z_s16';
  const mac = acc.accType === 'int64_t' ? 'vmlaldavaq_s16' : bits === 8 ? 'vmladavaq_s8' : 'vmladavaq_s16';
  const ld = (base: string, off: number, pred: boolean): Expr => (pred ? call(loadz, add(base, off), 'tail') : call(load, add(base, off)));
  const body: Stmt[] = f.accs.map((a) => decl(acc.accType, a.id, `seeds[${a.j}]`));
  if (f.chunks.length > 0) {
    const taps: Stmt[] = [];
    for (const ch of f.chunks) {
      for (const x of ch.xs) taps.push(decl(vt, x.id, ld('px', x.off, x.pred)));
      for (const w of ch.ws)
        taps.push(block([decl(vt, w.id, ld('w', w.off, w.pred)), ...w.macs.map((mc) => stmt(assign(mc.acc, call(mac, mc.acc, mc.x, w.id))))]));
    }
    body.push(decl(ptr(cType, { const: true }), 'px', 'px0'), decl(ptr(cType, { const: true }), 'w', 'wbase'));
    if (m.kH === 1)
      body.push({ k: 'comment', text: comment('line', 'One kernel row: no row loop (a region with no valid row skips the taps).') },
        ifThen(bin('>', 'rows', 0), taps, { braces: true }));
    else body.push(loop('r', 0, upTo('r', 'rows'), 'inc', taps, { also: [assign('px', 'ROW_STRIDE', '+='), assign('w', f.wRowStep, '+=')] }));
  } else body.push(voidOf('px0'), voidOf('wbase'), voidOf('rows'));
  body.push(block([
    decl(scalar(acc.accType, true), `res[${f.accs.length}]`, lit(`{ ${f.accs.map((a) => a.id).join(', ')} }`)),
    p.vq ? stmt(call(`${m.name}_store4`, 'out0', 'res', f.ob, f.pb, 'o0')) : stmt(call(`${m.name}_store`, 'out0', 'res', f.ob, f.pb, 'o0', 1)),
  ]));
  return {
    name: f.name, linkage: 'static', ret: scalar('void'), wrapAfter: 3,
    params: [inPtr(cType, 'px0'), inPtr(cType, 'wbase'), outPtr(cType, 'out0'),
      { type: ptr(acc.accType, { const: true, restrict: true }), name: 'seeds' }, int('o0'), int('rows'), int('count')],
    body: [
      ...(f.tailLen > 0 ? [decl(vecType('mve_pred16_t', true), 'tail', call(bits === 8 ? 'vctp8q' : 'vctp16q', f.tailLen))] : []),
      pixelLoop(c, f.pb, body),
    ],
  };
}

/** The load of 4 int32 lanes from a table of `elem` (VLDRB.S32 / VLDRH.S32 widen at the cost of VLDRW), predicated for a tail. */
export function widenLoad(elem: CScalar, tail = false): string {
  const w = ({ int8_t: 'b', int16_t: 'h', int32_t: 'w' } as Partial<Record<CScalar, string>>)[elem];
  if (!w) throw new Error(`widenLoad: no widening load from ${elem}`);
  return `vldr${w}q${tail ? '_z' : ''}_s32`;
}

/** The element type of a depthwise seed table (interior or border): the narrowest signed type of its values. */
export function dwSeedType(p: Extract<MvePlan, { shape: 'dw' }>, border: boolean): CScalar {
  return narrowestType(border ? p.borderSeeds! : p.seeds, false);
}

/** The depthwise body for channels c..c+3 (tail: the last chTail channels, predicated by tp). */
function dwBody(c: FnContext, p: Extract<MvePlan, { shape: 'dw' }>, f: DwFn, tail: boolean): Stmt {
  const { m, cType, N } = c;
  const bits = m.numeric.storage.bits;
  const mult = m.outPerGroup;
  const chTail = m.inC % 4;
  const ld = (base: Expr): Expr => (tail ? call(bits === 8 ? 'vldrbq_z_s32' : 'vldrhq_z_s32', base, 'tp') : call(bits === 8 ? 'vldrbq_s32' : 'vldrhq_s32', base));
  const v4 = vecType('int32x4_t');
  const c4 = vecType('int32x4_t', true);
  const seedAt = add(add(f.seeds, mul('m', `${N}_IN_C`)), 'c');
  const seedLoad = widenLoad(dwSeedType(p, f.border), tail);
  const body: Stmt[] = Array.from({ length: f.pb }, (_, q) =>
    decl(v4, `acc${q}`, tail ? call(seedLoad, seedAt, 'tp') : call(seedLoad, seedAt)));
  if (f.taps.length > 0) {
    const taps = f.taps.map((t) => block([
      decl(c4, t.w, ld(add('wr', t.woff))),
      ...t.xs.flatMap((x) => [
        decl(c4, x.id, f.border ? call('vaddq_n_s32', ld(add('pr', x.off)), `${N}_INPUT_OFFSET`) : ld(add('pr', x.off))),
        stmt(assign(x.acc, call('vaddq_s32', x.acc, call('vmulq_s32', x.id, t.w)))),
      ]),
    ]));
    body.push(decl(ptr(cType, { const: true }), 'pr', add('px0', 'c')), decl(ptr(cType, { const: true }), 'wr', add('wm', 'c')),
      loop('r', 0, upTo('r', 'rows'), 'inc', taps, { also: [assign('pr', 'ROW_STRIDE', '+='), assign('wr', m.kW * m.inC, '+=')] }));
  } else body.push(voidOf('rows', 'every tap in the padding: the seed is the output'), voidOf('wm'));
  for (let q = 0; q < f.pb; q++) {
    if (p.vq) {
      const out = add(q > 0 ? add('out0', mul(q, `${N}_OUT_C`)) : id('out0'), 'c');
      const v = call(`${m.name}_finish4`, `acc${q}`, 'c');
      body.push(stmt(tail ? call('vstrbq_p_s32', out, v, 'tp') : call('vstrbq_s32', out, v)));
    } else body.push(stmt(tail ? call('vstrwq_p_s32', add('lanes', mul(q, chTail)), `acc${q}`, 'tp') : call('vstrwq_s32', add('lanes', mul(q, 4)), `acc${q}`)));
  }
  if (!p.vq) {
    body.push(stmt(call(`${m.name}_store`, add(add('out0', mul('c', mult)), 'm'), 'lanes', tail ? chTail : 4, f.pb, add(mul('c', mult), 'm'), mult)));
  }
  return block(body);
}

export function dwFunction(c: FnContext, p: Extract<MvePlan, { shape: 'dw' }>, f: DwFn): Func {
  const { m, cType } = c;
  const chFull = m.inC - (m.inC % 4);
  const chTail = m.inC % 4;
  const channels: Stmt[] = [
    decl(ptr(cType, { const: true }), 'wm', add('wbase', mul('m', m.kH * m.kW * m.inC))),
    loop('c', 0, upTo('c', chFull), 4, [dwBody(c, p, f, false)], { braces: false }),
    ...(chTail ? [block([constDecl('int', 'c', chFull), decl(vecType('mve_pred16_t', true), 'tp', call('vctp32q', chTail)), dwBody(c, p, f, true)])] : []),
  ];
  return {
    name: f.name, linkage: 'static', ret: scalar('void'), wrapAfter: 3,
    params: [inPtr(cType, 'px0'), inPtr(cType, 'wbase'), outPtr(cType, 'out0'), int('rows'), int('count')],
    body: [pixelLoop(c, f.pb, [
      ...(p.vq ? [] : [decl('int32_t', `lanes[${f.pb * 4}]`)]),
      loop('m', 0, upTo('m', m.outPerGroup), 'inc', channels),
    ])],
  };
}

/** Calls block function number fn (the region table's numbering). */
export function callFunction(c: FnContext, names: string[], params: Param[], wrapAfter?: number): Func {
  const args = params.slice(1).map((q) => id(q.name));
  return {
    name: `${c.m.name}_call`, linkage: 'static', ret: scalar('void'), ...(wrapAfter ? { wrapAfter } : {}), params,
    body: [{ k: 'switch', on: id('fn'), cases: names.map((n, i) => ({ value: i, body: [stmt(call(n, ...args)), { k: 'break' }] })), default: [{ k: 'break' }] }],
  };
}

export { inPtr, outPtr, int as intParam, voidOf };
