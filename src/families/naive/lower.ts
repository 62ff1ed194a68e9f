/**
 * The naive variant: the baseline a hand-written library is, measured against. One function takes the shape at run
 * time (a struct), runs seven nested loops and checks every tap's bounds; the arithmetic is every variant's.
 */
import type { KernelModel } from '../../ops/conv_2d/spec/index.ts';
import {
  add, addr, assign, bin, call, cast, constDecl, decl, id, ifThen, index, loop, member, mul, ptr, scalar, stmt, sub, upTo,
} from '../../ir/expr.ts';
import type { CScalar, Expr, Item, KernelIR, Stmt } from '../../ir/kernel-ir.ts';
import { commonStage, stageTakesChannel } from '../../ir/output-stage.ts';
import type { IrFamily, PlanContext } from '../family.ts';
import { runFunc } from '../reference/lower.ts';
import { bannerHead, comment, define, plainTables, tapValue } from '../shared.ts';

const s = (field: string): Expr => member('s', field);

function lowerNaive(m: KernelModel, _plan: null, ctx: PlanContext): KernelIR {
  const plan = ctx.acc;
  const N = m.name.toUpperCase();
  const t = m.numeric.storage.cType as CScalar;
  const shapeT = `${m.name}_shape_t`;
  const hwc = m.layout === 'hwc';
  const biasSeed: Stmt = stmt(assign('acc', m.numeric.biasShift > 0
    ? mul(cast(plan.accType, index('bias', 'o')), { k: 'lit', text: plan.biasScale }) : cast(plan.accType, index('bias', 'o'))));
  const inputAt = hwc ? add(mul(add(mul('y', s('in_w')), 'x'), s('in_c')), 'c') : add(mul(add(mul('c', s('in_h')), 'y'), s('in_w')), 'x');
  const outputAt = hwc ? add(mul(add(mul('oy', s('out_w')), 'ox'), s('out_c')), 'o') : add(mul(add(mul('o', s('out_h')), 'oy'), s('out_w')), 'ox');
  const finish = call(`${m.name}_finish`, 'acc', ...(stageTakesChannel(commonStage(m, plan, false)) ? ['o'] : []));
  const outside = bin('||', bin('||', bin('||', bin('<', 'y', 0), bin('>=', 'y', s('in_h'))), bin('<', 'x', 0)), bin('>=', 'x', s('in_w')));
  const taps = loop('ky', 0, upTo('ky', s('kernel_h')), 'inc', [
    loop('kx', 0, upTo('kx', s('kernel_w')), 'inc', [
      constDecl('int', 'y', add(sub(mul('oy', s('stride_h')), s('pad_top')), mul('ky', s('dilation_h')))),
      constDecl('int', 'x', add(sub(mul('ox', s('stride_w')), s('pad_left')), mul('kx', s('dilation_w')))),
      ifThen(outside, [{ k: 'continue', comment: 'the tap falls into the zero padding' }]),
      loop('ci', 0, upTo('ci', 'in_per_group'), 'inc', [
        constDecl('int', 'c', add(mul('g', 'in_per_group'), 'ci')),
        constDecl(t, 'v', index('input', inputAt)),
        constDecl(t, 'w', index('weights', add(mul(add(mul(add(mul('o', 'in_per_group'), 'ci'), s('kernel_h')), 'ky'), s('kernel_w')), 'kx'))),
        stmt(assign('acc', mul(tapValue(m, plan, 'v'), cast(plan.productType, 'w')), '+=')),
      ]),
    ]),
  ], { braces: false });
  const conv: Stmt[] = [
    constDecl('int', 'in_per_group', { k: 'bin', op: '/', a: s('in_c'), b: s('groups') }),
    constDecl('int', 'out_per_group', { k: 'bin', op: '/', a: s('out_c'), b: s('groups') }),
    loop('g', 0, upTo('g', s('groups')), 'inc', [
      loop('m', 0, upTo('m', 'out_per_group'), 'inc', [
        constDecl('int', 'o', add(mul('g', 'out_per_group'), 'm')),
        loop('oy', 0, upTo('oy', s('out_h')), 'inc', [
          loop('ox', 0, upTo('ox', s('out_w')), 'inc', [
            decl(plan.accType, 'acc', 0),
            ifThen(bin('!=', 'bias', 'NULL'), [biasSeed]),
            taps,
            stmt(assign(index('output', outputAt), finish)),
          ]),
        ], { braces: false }),
      ]),
    ], { braces: false }),
  ];
  const shapeLines = [
    `    ${N}_IN_C, ${N}_IN_H, ${N}_IN_W,`,
    `    ${N}_OUT_C, ${N}_OUT_H, ${N}_OUT_W,`,
    `    ${m.kH}, ${m.kW},`,
    `    ${m.strideH}, ${m.strideW},`,
    `    ${m.dilH}, ${m.dilW},`,
    `    ${m.pad.top}, ${m.pad.left},`,
    `    ${m.groups},`,
  ];
  const items: Item[] = [
    { k: 'blank' },
    { k: 'comment', text: comment('line', `Keep the general function general: no inlining into ${m.name}_run, no cloning for the constant shape.`) },
    {
      k: 'pp-if', cond: 'defined(__GNUC__) && !defined(__clang__)', then: [define('NAIVE_RUNTIME_SHAPE', '__attribute__((noinline, noipa))')],
      elif: [{ cond: 'defined(__GNUC__)', then: [define('NAIVE_RUNTIME_SHAPE', '__attribute__((noinline))')] }],
      else: [define('NAIVE_RUNTIME_SHAPE', '')],
    },
    { k: 'blank' },
    { k: 'comment', text: comment('line', 'The shape, as a hand-written library receives it.') },
    { k: 'struct', name: shapeT, typedef: true, fieldGroups: [
      ['in_c', 'in_h', 'in_w'], ['out_c', 'out_h', 'out_w'], ['kernel_h', 'kernel_w'], ['stride_h', 'stride_w'],
      ['dilation_h', 'dilation_w'], ['pad_top', 'pad_left'], ['groups']].map((names) => ({ type: 'int' as const, names })) },
    { k: 'blank' },
    ...plainTables(m),
    { k: 'blank' },
    { k: 'stage', stage: commonStage(m, plan, false) },
    { k: 'blank' },
    { k: 'comment', text: comment('block',
      `${m.layout.toUpperCase()} input and output, weights [out][in/groups][kh][kw], bias [out] or NULL.`,
      'Seven loops, in the order of the classic hand-written convolution (the portable C path of CMSIS-NN\'s arm_convolve_HWC_q15_basic): group, output channel',
      'in the group, output row, output column, kernel row, kernel column, input channel. Each tap (kernel position) is',
      'checked against the input\'s bounds before its channels are summed.') },
    { k: 'func', fn: {
      name: `${m.name}_conv2d`, linkage: 'static', attribute: 'NAIVE_RUNTIME_SHAPE', ret: scalar('void'), wrapAfter: 2,
      params: [
        { type: ptr({ typedef: shapeT }, { const: true }), name: 's' }, { type: ptr(t, { const: true }), name: 'input' },
        { type: ptr(t, { const: true }), name: 'weights' }, { type: ptr(m.numeric.storage.biasCType as CScalar, { const: true }), name: 'bias' },
        { type: ptr(t), name: 'output' },
      ],
      body: conv,
    } },
    { k: 'blank' },
    { k: 'comment', text: comment('line', 'The shape, as the caller of a hand-written library would fill it in.') },
    { k: 'table', table: { name: `${m.name}_shape`, elem: { typedef: shapeT }, dims: [], body: { k: 'flat', lines: shapeLines } } },
    { k: 'blank' },
    { k: 'func', fn: runFunc(m, [stmt(call(`${m.name}_conv2d`, addr(id(`${m.name}_shape`)), 'input',
      addr(index(index(`${m.name}_weights`, 0), 0)), m.bias ? `${m.name}_bias` : 'NULL', 'output'))]) },
  ];
  return {
    name: m.name, NAME: N, entry: `${m.name}_run`,
    banner: comment('block',
      bannerHead(m, 'naive variant'),
      'The baseline: the textbook loop people write by hand. One function takes the shape at run time (a struct),',
      'runs seven nested loops and checks the bounds of every tap. The arithmetic (accumulator type, bias, rounding,',
      'saturation, activation) is exactly that of every other variant. It exists to be measured against.'),
    items,
    memory: { weightBytes: m.weights.length * (m.numeric.storage.bits / 8), staticBytes: 0, staticDoc: '', scratchBytes: 0 },
  };
}

export const naiveVariant: IrFamily<null> = {
  kind: 'ir',
  name: 'naive',
  summary: 'baseline: the hand-written textbook loop, shape passed at run time, bounds check per tap',
  applies: () => true,
  plan: () => null,
  lower: lowerNaive,
};
