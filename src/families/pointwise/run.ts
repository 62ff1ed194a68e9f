/**
 * The pointwise run: every block of output channels over one run of pixels (run_pixels), the padded outputs that
 * see no input (bias_only), and the entry, which calls run_pixels once (the whole plane) or per output row.
 */
import type { KernelModel } from '../../ops/conv_2d/spec/index.ts';
import { add, addr, bin, call, cast, constDecl, ifThen, loop, lit, mul, ptr, scalar, stmt, sub, upTo } from '../../ir/expr.ts';
import type { CScalar, Expr, Item, Param, Stmt } from '../../ir/kernel-ir.ts';
import { comment } from '../shared.ts';
import type { BlockCall, BlockClass, PointwisePlan } from './plan.ts';
import type { Stage } from './lower.ts';

const tensorParams = (cType: CScalar, input = 'input', output = 'output'): Param[] =>
  [{ type: ptr(cType, { const: true, restrict: true }), name: input }, { type: ptr(cType, { restrict: true }), name: output }];

/** The calls of one block class over the run (inside its loop over blocks of channels, o0 the block's first). */
function classCalls(m: KernelModel, c: BlockClass, i: number, calls: BlockCall[]): Stmt[] {
  const cType = m.numeric.storage.cType as CScalar;
  const tail: Expr = c.kTail > 0 ? add(`${m.name}_weights_tail${i}`, mul('b', c.kTailPerBlock)) : cast(ptr(cType, { const: true }), 0);
  return calls.map((k) => ({
    k: 'expr', wrapAfter: 3,
    e: call(`${m.name}_${k.fn.name}`, add('input', k.inOff), add(add('output', mul('o0', 'OUT_CHANNEL')), k.outOff),
      add(`${m.name}_weights${i}`, mul('b', c.wordsPerBlock)), tail, 'o0', k.count),
  }));
}

export function runItems(m: KernelModel, p: PointwisePlan, stage: Stage): Item[] {
  const cType = m.numeric.storage.cType as CScalar;
  const N = m.name.toUpperCase();
  const g = p.geo;
  const runPixels: Item = {
    k: 'func', doc: comment('line', 'One run of pixels (input and output at its first pixel): every block of output channels over it.'), fn: {
      name: `${m.name}_run_pixels`, linkage: 'static', ret: scalar('void'), params: tensorParams(cType),
      body: p.classes.map((c, i) => loop('b', 0, upTo('b', c.blocks), 'inc', [
        constDecl('int', 'o0', add(c.first, mul('b', c.size))),
        ...(c.wordPairs ? [ifThen(bin('==', bin('&', cast('uintptr_t', 'input'), lit('2u')), 0), classCalls(m, c, i, c.wordPairs.aligned), {
          braces: true,
          else: [{ k: 'comment', text: comment('line', 'Off by a halfword: the first pixel alone, then word-aligned pairs.') }, ...classCalls(m, c, i, c.wordPairs.shifted)],
        })] : []),
        ...classCalls(m, c, i, c.calls),
      ])),
    },
  };
  const biasOnly = (at: Expr, n: Expr | number | string): Stmt => stmt(call(`${m.name}_bias_only`, addr(at), n));
  const outAt = (y: Expr | string, x: Expr | number) => call('OUT_AT', 0, y, x);
  const items: Item[] = [runPixels];
  if (g.hasBorder)
    items.push({ k: 'blank' }, {
      k: 'func', doc: comment('line', 'Outputs whose 1x1 tap lies in the padding: the bias alone, through the same output stage.'), fn: {
        name: `${m.name}_bias_only`, linkage: 'static', ret: scalar('void'),
        params: [{ type: ptr(cType, { restrict: true }), name: 'out' }, { type: scalar('int'), name: 'n' }],
        body: [loop('x', 0, upTo('x', 'n'), 'inc', [
          loop('o', 0, upTo('o', `${N}_OUT_C`), 'inc', [
            stmt({ k: 'assign', op: '=', lhs: { k: 'index', a: { k: 'id', name: 'out' }, i: mul('o', 'OUT_CHANNEL') },
              rhs: call(`${m.name}_finish`, call(`${m.name}_seed`, 'o'), ...(stage.commonO ? ['o'] : [])) }),
          ], { braces: false }),
        ], { braces: false, also: [{ k: 'assign', op: '+=', lhs: { k: 'id', name: 'out' }, rhs: { k: 'id', name: 'OUT_PIXEL' } }] })],
      },
    });
  const row: Stmt[] = [];
  if (g.hasBorder)
    row.push(ifThen(bin('||', bin('<', 'oy', g.yLo), bin('>', 'oy', g.yHi)),
      [biasOnly(outAt('oy', 0), `${N}_OUT_W`), { k: 'continue' }], { braces: true }));
  const leftCols = g.xLo;
  const rightCols = m.outW - 1 - g.xHi;
  if (leftCols) row.push(biasOnly(outAt('oy', 0), leftCols));
  row.push(stmt(call(`${m.name}_run_pixels`, addr(call('IN_AT', 0, sub(mul('oy', m.strideH), m.pad.top), g.xLo * m.strideW - m.pad.left)),
    addr(outAt('oy', g.xLo)))));
  if (rightCols) row.push(biasOnly(outAt('oy', add(g.xHi, 1)), rightCols));
  items.push({ k: 'blank' }, {
    k: 'func', fn: {
      name: `${m.name}_run`, linkage: 'extern', ret: scalar('void'), params: tensorParams(cType),
      body: g.flat ? [stmt(call(`${m.name}_run_pixels`, 'input', 'output'))] : [loop('oy', 0, upTo('oy', `${N}_OUT_H`), 'inc', row)],
    },
  });
  return items;
}
