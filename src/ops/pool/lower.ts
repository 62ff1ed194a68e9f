/**
 * AVERAGE_POOL_2D and MAX_POOL_2D in C, one function per layer with its shapes folded: for each output pixel and
 * channel, the window clipped to the input (TFLM's filter_x_start … filter_y_end), then the average (sum ± count/2,
 * C's truncating division) or the max, clamped to the activation range. Along an axis where no window is ever
 * clipped the bounds and the count are constants; elsewhere they are computed per output pixel.
 * Outputs are written in order, each after its window is read: with no top/left padding that is safe in place.
 */
import { assign, bin, constDecl, decl, id, ifThen, int, index, loop, stmt, upTo } from '../../ir/expr.ts';
import type { Expr, Stmt } from '../../ir/kernel-ir.ts';
import { clampExpr, forEach, layerFunc, layerParams, plus, storeElem } from '../lower-kit.ts';
import { elemCType, elemRange, type LayerCode, type LowerContext } from '../op.ts';
import type { PoolModel } from './pool.ts';

interface Axis {
  /** Output position's variable (or 0 when the output has one position along the axis). */
  out: Expr;
  /** First input index of the window before clipping: out · stride − pad. */
  origin: Expr;
  /** Clipped window bounds [start, end) relative to origin: constants, or variables computed per output. */
  start: Expr;
  end: Expr;
  /** The clipped window's length when it is the same for every output, else null. */
  fixed: number | null;
  decls: Stmt[];
}

/** One axis of the window: constant bounds where no output's window is clipped, else `<v>_start`/`<v>_end`. */
function axis(v: string, out: Expr, n: number, outN: number, filter: number, stride: number, before: number): Axis {
  const origin = plus(bin('*', out, stride), -before);
  const clipsBefore = before > 0;
  const clipsAfter = (outN - 1) * stride - before + filter > n;
  if (!clipsBefore && !clipsAfter) return { out, origin, start: int(0), end: int(filter), fixed: filter, decls: [] };
  const o = `${v}0`;
  return {
    out, origin: id(o), start: clipsBefore ? id(`${v}_start`) : int(0), end: clipsAfter ? id(`${v}_end`) : int(filter), fixed: null,
    decls: [
      constDecl('int', o, origin),
      ...(clipsBefore ? [constDecl('int', `${v}_start`, { k: 'cond', c: bin('<', o, 0), t: { k: 'neg', e: id(o) }, f: int(0) })] : []),
      ...(clipsAfter ? [constDecl('int', `${v}_end`, { k: 'cond', c: bin('<', bin('-', n, o), filter), t: bin('-', n, o), f: int(filter) })] : []),
    ],
  };
}

export function lowerPool(kind: 'average' | 'max', m: PoolModel, ctx: LowerContext): LayerCode {
  const C = m.channels;
  const [lowest, highest] = elemRange(m.dtype);
  const cType = elemCType(m.dtype);
  const body = forEach('b', m.batch, (b) => forEach('oy', m.outH, (oy) => forEach('ox', m.outW, (ox) => {
    const y = axis('y', oy, m.inH, m.outH, m.filter[0], m.stride[0], m.pad.top);
    const x = axis('x', ox, m.inW, m.outW, m.filter[1], m.stride[1], m.pad.left);
    // ((b·H + y) · W + x) · C + c: the printer drops what is 0 and the parentheses precedence does not need
    const at = bin('+', bin('*', bin('+', bin('*', bin('+', bin('*', b, m.inH), bin('+', y.origin, 'fy')), m.inW), bin('+', x.origin, 'fx')), C), 'c');
    const outAt = bin('+', bin('*', bin('+', bin('*', bin('+', bin('*', b, m.outH), oy), m.outW), ox), C), 'c');
    const window = loop('fy', y.start, upTo('fy', y.end), 'inc', [
      loop('fx', x.start, upTo('fx', x.end), 'inc', [kind === 'average'
        ? stmt(assign('sum', index('input', at), '+='))
        : ifThen(bin('>', index('input', at), 'max'), [stmt(assign('max', index('input', at)))])], { braces: false }),
    ], { braces: false });
    const count = y.fixed !== null && x.fixed !== null ? int(y.fixed * x.fixed) : id('count');
    const half = count.k === 'int' ? int(Math.trunc(Number(count.v) / 2)) : bin('/', count, 2);
    const perChannel: Stmt[] = kind === 'average'
      ? [
          decl('int32_t', 'sum', 0),
          window,
          // TFLM rounds half away from zero with C's truncating division
          constDecl('int32_t', 'average', {
            k: 'cond', c: bin('>', 'sum', 0),
            t: bin('/', bin('+', 'sum', half), count),
            f: bin('/', bin('-', 'sum', half), count),
          }),
          storeElem(cType, index('output', outAt), clampExpr('average', m.actMin, m.actMax, lowest, highest)),
        ]
      : [
          decl('int32_t', 'max', lowest),
          window,
          storeElem(cType, index('output', outAt), clampExpr('max', m.actMin, m.actMax, lowest, highest)),
        ];
    const countDecl = kind === 'average' && count.k === 'id' ? [constDecl('int32_t', 'count', bin('*', bin('-', y.end, y.start), bin('-', x.end, x.start)))] : [];
    return [...y.decls, ...x.decls, ...countDecl, loop('c', 0, upTo('c', C), 'inc', perChannel)];
  })));
  const what = kind === 'average' ? 'average' : 'max';
  const doc = [
    `${ctx.name}: ${what} pool ${m.filter[0]}x${m.filter[1]}, stride ${m.stride[0]}x${m.stride[1]}, ` +
      `[${m.batch}, ${m.inH}, ${m.inW}, ${C}] -> [${m.batch}, ${m.outH}, ${m.outW}, ${C}] (NHWC).`,
    `The window is clipped to the input (padding top ${m.pad.top}, left ${m.pad.left}, bottom ${m.pad.bottom}, right ${m.pad.right} is never read${kind === 'average' ? ' nor counted' : ''}).`,
    ...(kind === 'average' ? ['Average: (sum + count/2) / count for a positive sum, (sum - count/2) / count otherwise (TFLite\'s rounding).'] : []),
    ...(m.actMin > lowest || m.actMax < highest ? [`Activation: clamped to [${m.actMin}, ${m.actMax}].`] : []),
  ];
  return {
    k: 'ir', entry: `${ctx.name}_run`, summary: `${what} pool ${m.filter[0]}x${m.filter[1]}`,
    items: [layerFunc(`${ctx.name}_run`, layerParams(['input'], 'output', cType), body, doc)],
  };
}
