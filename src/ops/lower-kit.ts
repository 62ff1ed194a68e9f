/**
 * What the ops' C lowerings share: TFLite's fixed-point arithmetic as C functions (defined once per module, as IR),
 * the requantization expression with its constants folded, clamps, and the layer function's shape. The arithmetic is
 * src/numerics' (the golden model's), spelled in C: SRDHM, RoundingDivideByPOT, SaturatingRoundingMultiplyByPOT.
 */
import { assign, bin, call, cast, constDecl, id, ifThen, int, loop, paren, ptr, ret, scalar, upTo } from '../ir/expr.ts';
import type { Comment, Expr, Item, Param, Stmt } from '../ir/kernel-ir.ts';
import { INT32_MAX } from '../numerics/index.ts';
import type { LowerContext, SharedFunc } from './op.ts';

const i32 = scalar('int32_t');

/**
 * The names of every shared function (here and in the op folders): a module defines them unprefixed, so no layer
 * may own them (src/network/c/names.ts). The module checks each shared function it defines is listed.
 */
export const SHARED_NAMES: readonly string[] = [
  'srdhm', 'rounding_divide_by_pot', 'saturating_mul_by_pot', 'exp_on_interval_between_negative_one_quarter_and_0_excl',
  'exp_on_negative_values', 'one_over_one_plus_x_for_x_in_0_1', 'count_leading_zeros', 'get_reciprocal',
];

/** gemmlowp's SaturatingRoundingDoublingHighMul. */
export const SRDHM: SharedFunc = {
  doc: [
    'gemmlowp\'s SaturatingRoundingDoublingHighMul: the high half of 2ab rounded half away from zero; INT32_MIN * INT32_MIN,',
    'its one overflow, saturates. (ab + nudge) / 2^31 truncating is floor((ab + 2^30) / 2^31) for either sign of ab.',
  ],
  fn: {
    name: 'srdhm', linkage: 'static inline', ret: i32,
    params: [{ type: i32, name: 'a' }, { type: i32, name: 'b' }],
    body: [
      ifThen(bin('&&', bin('==', 'a', 'INT32_MIN'), bin('==', 'b', 'INT32_MIN')), [ret('INT32_MAX')]),
      ret(cast('int32_t', paren(bin('>>', paren(bin('+', bin('*', cast('int64_t', 'a'), 'b'), paren(bin('<<', int(1, 'int64_t'), 30)))), 31)))),
    ],
  },
};

/** gemmlowp's RoundingDivideByPOT. */
export const RDBPOT: SharedFunc = {
  doc: ['gemmlowp\'s RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties away from zero (0 <= exponent <= 31).'],
  fn: {
    name: 'rounding_divide_by_pot', linkage: 'static inline', ret: i32,
    params: [{ type: i32, name: 'x' }, { type: scalar('int'), name: 'exponent' }],
    body: [
      constDecl('int32_t', 'mask', cast('int32_t', paren(bin('-', paren(bin('<<', int(1, 'uint32_t'), 'exponent')), int(1, 'uint32_t'))))),
      constDecl('int32_t', 'remainder', bin('&', 'x', 'mask')),
      constDecl('int32_t', 'threshold', bin('+', paren(bin('>>', 'mask', 1)), paren({ k: 'cond', c: bin('<', 'x', 0), t: int(1), f: int(0) }))),
      ret(bin('+', paren(bin('>>', 'x', 'exponent')), paren({ k: 'cond', c: bin('>', 'remainder', 'threshold'), t: int(1), f: int(0) }))),
    ],
  },
};

/** gemmlowp's SaturatingRoundingMultiplyByPOT for a positive exponent: x * 2^exponent, saturated to int32. */
export const SAT_MUL_POT: SharedFunc = {
  doc: ['gemmlowp\'s SaturatingRoundingMultiplyByPOT for 0 < exponent < 31: x * 2^exponent, saturated to int32.'],
  fn: {
    name: 'saturating_mul_by_pot', linkage: 'static inline', ret: i32,
    params: [{ type: i32, name: 'x' }, { type: scalar('int'), name: 'exponent' }],
    body: [
      constDecl('int32_t', 'limit', bin('>>', 'INT32_MAX', 'exponent'), '2^(31 - exponent) - 1'),
      ifThen(bin('>', 'x', 'limit'), [ret('INT32_MAX')]),
      ifThen(bin('<', 'x', { k: 'neg', e: id('limit') }), [ret('INT32_MIN')]),
      ret(bin('*', 'x', paren(bin('<<', 1, 'exponent')))),
    ],
  },
};

/** x * 2^e as C: `x * (1 << e)` (a left shift of a negative value is undefined in C99). */
export const timesPow2 = (x: Expr, e: number): Expr => (e === 0 ? x : bin('*', x, paren(bin('<<', 1, e))));

/**
 * TFLite's MultiplyByQuantizedMultiplier(x, multiplier, shift) as an expression, constants folded: x * 2^left (left =
 * max(shift, 0)), SRDHM, RoundingDivideByPOT(right). `maxAbs` bounds |x|: where x * 2^left could leave int32, the
 * product saturates, as the golden model's requantize() does (TFLite's int32 product would overflow there).
 */
export function requantizeExpr(ctx: Pick<LowerContext, 'use'>, x: Expr, multiplier: number, shift: number, maxAbs: number): Expr {
  const left = Math.max(shift, 0);
  const right = Math.max(-shift, 0);
  const scaled = left === 0 ? x : maxAbs * 2 ** left > INT32_MAX ? call(ctx.use(SAT_MUL_POT), x, left) : timesPow2(x, left);
  const high = call(ctx.use(SRDHM), scaled, multiplier);
  return right === 0 ? high : call(ctx.use(RDBPOT), high, right);
}

/** v clamped to [lo, hi], leaving out a bound v cannot pass (vMin, vMax: what v can be). */
export function clampExpr(v: string, lo: number, hi: number, vMin = -Infinity, vMax = Infinity): Expr {
  const below = vMin < lo;
  const above = vMax > hi;
  if (below && above) return { k: 'cond', c: bin('<', v, lo), t: int(lo), f: { k: 'cond', c: bin('>', v, hi), t: int(hi), f: id(v) } };
  if (below) return { k: 'cond', c: bin('<', v, lo), t: int(lo), f: id(v) };
  if (above) return { k: 'cond', c: bin('>', v, hi), t: int(hi), f: id(v) };
  return id(v);
}

/** `dst = (int8_t)value;` */
export const storeInt8 = (dst: Expr, value: Expr): Stmt => ({ k: 'expr', e: assign(dst, cast('int8_t', value)) });

/** `dst = (T)value;` for the tensors' element type T. */
export const storeElem = (cType: 'int8_t' | 'int16_t', dst: Expr, value: Expr): Stmt => ({ k: 'expr', e: assign(dst, cast(cType, value)) });

/** The C parameters of a layer function: `const T *<input>` for each input, then `T *<output>` (T int8_t, or int16_t in q15). */
export function layerParams(inputs: string[], output = 'output', cType: 'int8_t' | 'int16_t' = 'int8_t'): Param[] {
  return [...inputs.map((n) => ({ type: ptr(cType, { const: true }), name: n })), { type: ptr(cType), name: output }];
}

/**
 * src/numerics/qshift.ts's requantization in C, constants folded: s > 0 `(x + 2^(s−1)) >> s`, s < 0 `x * 2^(−s)`
 * (the right shift of a negative value is arithmetic in GCC and Clang, as the Q kernels rely on too).
 */
export function qShiftExpr(x: Expr, s: number): Expr {
  if (s > 0) return paren(bin('>>', paren(bin('+', x, s === 1 ? int(1) : paren(bin('<<', 1, s - 1)))), s));
  return s < 0 ? timesPow2(x, -s) : x;
}

/**
 * The layer's function as a top-level item, its doc a block comment. Not inlined into the module's run function:
 * each layer stays one function (its code size and stack are measured per layer), at the cost of one call.
 */
export function layerFunc(name: string, params: Param[], body: Stmt[], doc: string[]): Item {
  const text: Comment = { style: 'block', lines: wrap(doc) };
  return { k: 'func', fn: { name, linkage: 'static', noinline: true, ret: scalar('void'), params, body }, doc: text };
}

/** Comment lines wrapped at 116 columns (continuations indented two spaces). */
export function wrap(lines: string[], width = 116): string[] {
  const out: string[] = [];
  for (const line of lines) {
    let rest = line;
    let first = true;
    while (rest.length > width - (first ? 0 : 2)) {
      const max = width - (first ? 0 : 2);
      const cut = rest.lastIndexOf(' ', max);
      if (cut <= 0) break;
      out.push(`${first ? '' : '  '}${rest.slice(0, cut)}`);
      rest = rest.slice(cut + 1);
      first = false;
    }
    out.push(`${first ? '' : '  '}${rest}`);
  }
  return out;
}

/**
 * `for (int v = 0; v < n; ++v) body(v)`, or, for n = 1, the body with v as 0 (folded away by the printer): a loop of
 * one trip is not written.
 */
export function forEach(v: string, n: number, body: (at: Expr) => Stmt[]): Stmt[] {
  if (n === 1) return body(int(0));
  return [loop(v, 0, upTo(v, n), 'inc', body(id(v)), { braces: true })];
}

/** Nested loops over `dims` (outermost first), each of one trip left out; `body` gets the index expressions. */
export function forEachIndex(vars: string[], dims: number[], body: (at: Expr[]) => Stmt[]): Stmt[] {
  const go = (d: number, at: Expr[]): Stmt[] => (d === dims.length ? body(at) : forEach(vars[d], dims[d], (x) => go(d + 1, [...at, x])));
  return go(0, []);
}

/** Σ at[i] · strides[i], as an expression (the printer folds the constants). */
export function linearIndex(at: Expr[], strides: number[]): Expr {
  return at.reduce<Expr>((acc, x, i) => bin('+', acc, bin('*', x, strides[i])), int(0));
}

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/** "+ 5" / "- 5": a constant added, for comments. */
export const addText = (c: number): string => (c < 0 ? `- ${-c}` : `+ ${c}`);

/** x + c, spelled x - |c| for a negative constant. */
export const plus = (x: Expr, c: number): Expr => (c < 0 ? bin('-', x, -c) : bin('+', x, c));
