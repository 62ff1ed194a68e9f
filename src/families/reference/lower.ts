/**
 * The reference variant: portable C99, constant shapes, the output plane split into bands so that only the border
 * checks its taps (plan: planBands), one output per call of an inside or border function.
 */
import type { KernelModel } from '../../ops/conv_2d/spec/index.ts';
import type { AccumulatorPlan } from '../../codegen/accumulator.ts';
import { interiorRange } from '../../codegen/geometry.ts';
import {
  add, assign, bin, call, constDecl, decl, deref, id, index, loop, mul, paren, postinc, preinc, ptr, ret, scalar, stmt, sub, through, upTo,
} from '../../ir/expr.ts';
import type { CScalar, Expr, Func, Item, KernelIR, Stmt } from '../../ir/kernel-ir.ts';
import { biasSeed, commonStage, stageTakesChannel } from '../../ir/output-stage.ts';
import type { IrFamily, PlanContext } from '../family.ts';
import { bannerHead, comment, define, plainTables, tapValue, tensorMacros } from '../shared.ts';

export interface Segment {
  xLo: number;
  xHi: number;
  fn: 'inside' | 'border';
  label: string;
}

export interface Band {
  yLo: number;
  yHi: number;
  label: string;
  segments: Segment[];
}

/** Split the output plane into bands of rows and segments of columns, so that only the border checks taps. */
export function planBands(m: KernelModel): Band[] {
  const [yLo, yHi] = interiorRange(m.outH, m.inH, m.kH, m.strideH, m.dilH, m.pad.top);
  const [xLo, xHi] = interiorRange(m.outW, m.inW, m.kW, m.strideW, m.dilW, m.pad.left);
  const whole: Segment = { xLo: 0, xHi: m.outW - 1, fn: 'border', label: 'every column touches the padding' };
  if (yLo > yHi || xLo > xHi)
    return [{ yLo: 0, yHi: m.outH - 1, label: 'every output touches the padding', segments: [whole] }];
  const segments: Segment[] = [];
  if (xLo > 0) segments.push({ xLo: 0, xHi: xLo - 1, fn: 'border', label: 'left border' });
  segments.push({ xLo, xHi, fn: 'inside', label: 'interior: no bounds checks' });
  if (xHi < m.outW - 1) segments.push({ xLo: xHi + 1, xHi: m.outW - 1, fn: 'border', label: 'right border' });
  const bands: Band[] = [];
  if (yLo > 0) bands.push({ yLo: 0, yHi: yLo - 1, label: 'top border', segments: [whole] });
  bands.push({ yLo, yHi, label: 'interior rows', segments });
  if (yHi < m.outH - 1) bands.push({ yLo: yHi + 1, yHi: m.outH - 1, label: 'bottom border', segments: [whole] });
  return bands;
}

/** The entry point's signature: `void <name>_run(const T *restrict input, T *restrict output)`. */
export function runFunc(m: KernelModel, body: Stmt[]): Func {
  const t = m.numeric.storage.cType as CScalar;
  return {
    name: `${m.name}_run`, linkage: 'extern', ret: scalar('void'),
    params: [{ type: ptr(t, { const: true, restrict: true }), name: 'input' }, { type: ptr(t, { restrict: true }), name: 'output' }], body,
  };
}

/** One output of channel o at (oy, ox): `inside` without bounds checks, `border` checking each tap. */
function outputFunc(m: KernelModel, plan: AccumulatorPlan, kind: 'inside' | 'border'): Func {
  const t = m.numeric.storage.cType as CScalar;
  const N = m.name.toUpperCase();
  const pt = plan.productType;
  const acc = (x: Expr, w: Expr): Stmt =>
    stmt(assign('acc', mul(tapValue(m, plan, x), { k: 'cast', type: scalar(pt), e: deref(w) }), '+='));
  const inside = loop('ci', 0, upTo('ci', 'IN_PER_GROUP'), 'inc', [
    loop('ky', 0, upTo('ky', 'KERNEL_H'), 'inc', [
      loop('kx', 0, upTo('kx', 'KERNEL_W'), 'inc', [
        acc(call('IN_AT', add('c0', 'ci'), add('y0', mul('ky', 'DILATION_H')), add('x0', mul('kx', 'DILATION_W'))), postinc('w')),
      ], { braces: false }),
    ], { braces: false }),
  ], { braces: false });
  const inRange = bin('&&', bin('&&', bin('&&', bin('>=', 'y', 0), bin('<', 'y', `${N}_IN_H`)), bin('>=', 'x', 0)), bin('<', 'x', `${N}_IN_W`));
  const border = loop('ci', 0, upTo('ci', 'IN_PER_GROUP'), 'inc', [
    loop('ky', 0, upTo('ky', 'KERNEL_H'), 'inc', [
      constDecl('int', 'y', add('y0', mul('ky', 'DILATION_H'))),
      loop('kx', 0, upTo('kx', 'KERNEL_W'), 'inc', [
        constDecl('int', 'x', add('x0', mul('kx', 'DILATION_W'))),
        { k: 'if', cond: inRange, then: [acc(call('IN_AT', add('c0', 'ci'), 'y', 'x'), id('w'))], braces: false },
      ], { also: [preinc('w')] }),
    ]),
  ], { braces: false });
  return {
    name: `${m.name}_${kind}`, linkage: 'static', ret: scalar(t),
    params: [{ type: ptr(t, { const: true, restrict: true }), name: 'input' }, { type: scalar('int'), name: 'o' },
      { type: scalar('int'), name: 'oy' }, { type: scalar('int'), name: 'ox' }],
    body: [
      decl(ptr(t, { const: true }), 'w', index(`${m.name}_weights`, 'o')),
      constDecl('int', 'c0', mul(paren(bin('/', 'o', 'OUT_PER_GROUP')), 'IN_PER_GROUP')),
      constDecl('int', 'y0', sub(mul('oy', 'STRIDE_H'), 'PAD_TOP')),
      constDecl('int', 'x0', sub(mul('ox', 'STRIDE_W'), 'PAD_LEFT')),
      decl(plan.accType, 'acc', call(`${m.name}_seed`, 'o')),
      kind === 'inside' ? inside : border,
      ret(call(`${m.name}_finish`, 'acc', ...(stageTakesChannel(commonStage(m, plan, false)) ? ['o'] : []))),
    ],
  };
}

function lowerReference(m: KernelModel, bands: Band[], ctx: PlanContext): KernelIR {
  const plan = ctx.acc;
  const N = m.name.toUpperCase();
  const has = (fn: Segment['fn']) => bands.some((b) => b.segments.some((s) => s.fn === fn));
  const items: Item[] = [
    { k: 'blank' },
    define('IN_PER_GROUP', m.inPerGroup), define('OUT_PER_GROUP', m.outPerGroup), define('KERNEL_H', m.kH), define('KERNEL_W', m.kW),
    define('STRIDE_H', m.strideH), define('STRIDE_W', m.strideW), define('DILATION_H', m.dilH), define('DILATION_W', m.dilW),
    define('PAD_TOP', m.pad.top), define('PAD_LEFT', m.pad.left),
    { k: 'blank' },
    ...tensorMacros(m),
    { k: 'blank' },
    ...plainTables(m),
    { k: 'blank' },
    { k: 'stage', stage: commonStage(m, plan, false) },
    { k: 'blank' },
    { k: 'stage', stage: biasSeed(m, plan) },
    { k: 'blank' },
  ];
  if (has('inside'))
    items.push({ k: 'func', doc: comment('line', 'One output whose receptive field lies wholly inside the input.'), fn: outputFunc(m, plan, 'inside') });
  if (has('border'))
    items.push({ k: 'blank' },
      { k: 'func', doc: comment('line', 'One output near the border: taps that fall into the zero padding are skipped.'), fn: outputFunc(m, plan, 'border') });
  const run: Stmt[] = bands.flatMap((b) => [
    { k: 'comment', text: comment('line', `Output rows ${b.yLo}..${b.yHi}: ${b.label}.`) } as Stmt,
    loop('oy', b.yLo, through('oy', b.yHi), 'inc', b.segments.map((s) =>
      loop('ox', s.xLo, through('ox', s.xHi), 'inc', [
        loop('o', 0, upTo('o', `${N}_OUT_C`), 'inc', [
          stmt(assign(call('OUT_AT', 'o', 'oy', 'ox'), call(`${m.name}_${s.fn}`, 'input', 'o', 'oy', 'ox'))),
        ], { braces: false }),
      ], { braces: false, label: s.label }))),
  ]);
  items.push({ k: 'blank' }, { k: 'func', fn: runFunc(m, run) });
  return {
    name: m.name, NAME: N, entry: `${m.name}_run`,
    banner: comment('block',
      bannerHead(m, 'reference variant'),
      'Portable C99. Shapes, strides and padding are compile-time constants; the interior of the image is computed',
      'without bounds checks, only the border bands check each tap.'),
    items,
    memory: { weightBytes: m.weights.length * (m.numeric.storage.bits / 8), staticBytes: 0, staticDoc: '', scratchBytes: 0 },
  };
}

export const referenceVariant: IrFamily<Band[]> = {
  kind: 'ir',
  name: 'reference',
  summary: 'portable C99, constant shapes, border/interior split',
  applies: () => true,
  plan: (m) => planBands(m),
  lower: lowerReference,
};
