/**
 * SOFTMAX in C: TFLM's int8 reference softmax with gemmlowp's fixed-point exp and reciprocal written out in integer
 * C (src/numerics/gemmlowp.ts is the same arithmetic in TypeScript, with the same constants). Per row: the max; the
 * sum of exp(diff) over the elements with diff >= diff_min; its reciprocal; each output from its own input element,
 * its exp recomputed (as TFLM does), so the row may be overwritten in place.
 */
import {
  addr, assign, bin, call, cast, constDecl, decl, deref, id, ifThen, index, int, lit, loop, paren, ptr, ret, scalar, stmt, upTo,
} from '../../ir/expr.ts';
import type { Expr, Stmt } from '../../ir/kernel-ir.ts';
import { EXP_BARREL, GEMMLOWP } from '../../numerics/index.ts';
import { RDBPOT, SAT_MUL_POT, SRDHM, clampExpr, forEach, layerFunc, layerParams, plus, storeInt8, timesPow2 } from '../lower-kit.ts';
import type { LayerCode, LowerContext, SharedFunc } from '../op.ts';
import { ACCUMULATION_INTEGER_BITS, SCALED_DIFF_INTEGER_BITS, type SoftmaxModel } from './build.ts';

const i32 = scalar('int32_t');
const srdhm = (a: Expr | string, b: Expr | string | number) => call(SRDHM.fn.name, a, b);
const rdbpot = (a: Expr | string, e: number | string) => call(RDBPOT.fn.name, a, e);
const satPot = (a: Expr | string, e: number) => call(SAT_MUL_POT.fn.name, a, e);

const EXP_INTERVAL: SharedFunc = {
  uses: [SRDHM, RDBPOT],
  doc: ['gemmlowp\'s exp_on_interval_between_negative_one_quarter_and_0_excl: exp(a) for a in [-1/4, 0), Q0.31 in and out,',
    'a polynomial around -1/8.'],
  fn: {
    name: 'exp_on_interval_between_negative_one_quarter_and_0_excl', linkage: 'static', ret: i32, params: [{ type: i32, name: 'a' }],
    body: [
      constDecl('int32_t', 'constant_term', GEMMLOWP.expMinusOneEighth, 'exp(-1/8), Q0.31'),
      constDecl('int32_t', 'constant_1_over_3', GEMMLOWP.oneThird, '1/3, Q0.31'),
      constDecl('int32_t', 'x', bin('+', 'a', paren(bin('<<', 1, 28))), 'a + 1/8'),
      constDecl('int32_t', 'x2', srdhm('x', 'x')),
      constDecl('int32_t', 'x3', srdhm('x2', 'x')),
      constDecl('int32_t', 'x4', srdhm('x2', 'x2')),
      constDecl('int32_t', 'x4_over_4', rdbpot('x4', 2)),
      constDecl('int32_t', 'poly', rdbpot(bin('+', srdhm(bin('+', 'x4_over_4', 'x3'), 'constant_1_over_3'), 'x2'), 1)),
      ret(bin('+', 'constant_term', srdhm('constant_term', bin('+', 'x', 'poly')))),
    ],
  },
};

/** exp(−2^e) in Q0.31 for each bit of the remainder: gemmlowp's barrel shifter. */
function barrel(integerBits: number): Stmt[] {
  const fractional = 31 - integerBits;
  return EXP_BARREL.filter(([e]) => integerBits > e).map(([e, mult]) =>
    ifThen(bin('!=', bin('&', 'remainder', paren(bin('<<', 1, fractional + e))), 0), [stmt(assign('result', srdhm('result', mult)))],
      { comment: `exp(-${e < 0 ? `1/${2 ** -e}` : 2 ** e})` }));
}

/** gemmlowp's exp_on_negative_values for a Q5.26 argument (the softmax's scaled difference). */
const EXP_NEGATIVE: SharedFunc = {
  uses: [EXP_INTERVAL, SAT_MUL_POT, SRDHM],
  doc: [`gemmlowp's exp_on_negative_values: exp(a) for a <= 0 in Q${SCALED_DIFF_INTEGER_BITS}.${31 - SCALED_DIFF_INTEGER_BITS}, ` +
    'result Q0.31: the part of a modulo 1/4 by the polynomial, times exp(-2^e) for each bit e of the rest.'],
  fn: {
    name: 'exp_on_negative_values', linkage: 'static', ret: i32, params: [{ type: i32, name: 'a' }],
    body: [
      constDecl('int32_t', 'one_quarter', bin('<<', 1, 31 - SCALED_DIFF_INTEGER_BITS - 2)),
      constDecl('int32_t', 'a_mod_quarter_minus_one_quarter', bin('-', paren(bin('&', 'a', paren(bin('-', 'one_quarter', 1)))), 'one_quarter')),
      decl('int32_t', 'result', call(EXP_INTERVAL.fn.name, satPot('a_mod_quarter_minus_one_quarter', SCALED_DIFF_INTEGER_BITS))),
      constDecl('int32_t', 'remainder', bin('-', 'a_mod_quarter_minus_one_quarter', 'a')),
      ...barrel(SCALED_DIFF_INTEGER_BITS),
      ret({ k: 'cond', c: bin('==', 'a', 0), t: id('INT32_MAX'), f: id('result') }),
    ],
  },
};

const ONE_OVER_ONE_PLUS_X: SharedFunc = {
  uses: [SRDHM, SAT_MUL_POT],
  doc: ['gemmlowp\'s one_over_one_plus_x_for_x_in_0_1: 1 / (1 + a) for a in [0, 1), Q0.31 in and out, by three Newton-Raphson',
    'steps in Q2.29 from 48/17 - 32/17 * d.'],
  fn: {
    name: 'one_over_one_plus_x_for_x_in_0_1', linkage: 'static', ret: i32, params: [{ type: i32, name: 'a' }],
    body: [
      constDecl('int64_t', 'sum', bin('+', cast('int64_t', 'a'), 'INT32_MAX')),
      constDecl('int32_t', 'half_denominator', cast('int32_t', paren(bin('/', paren(bin('+', 'sum', paren({ k: 'cond', c: bin('>=', 'sum', 0), t: int(1), f: int(-1) }))), 2))),
        '(a + 1) / 2, rounded half away from zero'),
      constDecl('int32_t', 'constant_48_over_17', GEMMLOWP.c48Over17, 'Q2.29'),
      constDecl('int32_t', 'constant_neg_32_over_17', GEMMLOWP.cNeg32Over17, 'Q2.29'),
      decl('int32_t', 'x', bin('+', 'constant_48_over_17', srdhm('half_denominator', 'constant_neg_32_over_17'))),
      loop('i', 0, upTo('i', 3), 'inc', [
        constDecl('int32_t', 'half_denominator_times_x', srdhm('half_denominator', 'x')),
        constDecl('int32_t', 'one_minus_half_denominator_times_x', bin('-', paren(bin('<<', 1, 29)), 'half_denominator_times_x'), '1 - d * x, Q2.29'),
        stmt(assign('x', bin('+', 'x', satPot(srdhm('x', 'one_minus_half_denominator_times_x'), 2)))),
      ]),
      ret(satPot('x', 1)),
    ],
  },
};

const COUNT_LEADING_ZEROS: SharedFunc = {
  doc: ['Leading zero bits of x (32 for 0), as TFLite\'s CountLeadingZeros; portable C (ARMv4T has no CLZ).'],
  fn: {
    name: 'count_leading_zeros', linkage: 'static', ret: scalar('int'), params: [{ type: scalar('uint32_t'), name: 'x' }],
    body: [
      loop('n', 0, upTo('n', 32), 'inc', [
        ifThen(bin('!=', bin('&', 'x', paren(bin('>>', lit('0x80000000u'), 'n'))), 0), [ret('n')]),
      ], { braces: false }),
      ret(32),
    ],
  },
};

const GET_RECIPROCAL: SharedFunc = {
  uses: [COUNT_LEADING_ZEROS, ONE_OVER_ONE_PLUS_X],
  doc: [`TFLite's GetReciprocal for x > 0 with ${ACCUMULATION_INTEGER_BITS} integer bits: the Q0.31 reciprocal of x scaled into [0.5, 1),`,
    'and how many bits x has above 1.0.'],
  fn: {
    name: 'get_reciprocal', linkage: 'static', ret: i32,
    params: [{ type: i32, name: 'x' }, { type: ptr('int'), name: 'num_bits_over_unit' }],
    body: [
      constDecl('int', 'headroom_plus_one', call(COUNT_LEADING_ZEROS.fn.name, cast('uint32_t', 'x'))),
      stmt(assign(deref(id('num_bits_over_unit')), bin('-', ACCUMULATION_INTEGER_BITS, 'headroom_plus_one'))),
      constDecl('int32_t', 'shifted_sum_minus_one',
        cast('int32_t', paren(bin('-', paren(bin('<<', cast('uint32_t', 'x'), 'headroom_plus_one')), paren(bin('<<', int(1, 'uint32_t'), 31))))),
        'x scaled to [1, 2), minus 1'),
      ret(call(ONE_OVER_ONE_PLUS_X.fn.name, 'shifted_sum_minus_one')),
    ],
  },
};

export function lowerSoftmax(m: SoftmaxModel, ctx: LowerContext): LayerCode {
  const D = m.depth;
  const expName = ctx.use(EXP_NEGATIVE);
  const recipName = ctx.use(GET_RECIPROCAL);
  ctx.use(RDBPOT);
  // SRDHM(diff * 2^left, multiplier): diff >= diff_min keeps diff * 2^left inside int32 (TFLM's input radius).
  const scaledDiff = (): Expr => (m.inputLeftShift >= 31 ? int(0) : call(ctx.use(SRDHM), timesPow2(id('diff'), m.inputLeftShift), m.inputMultiplier));
  const body = forEach('r', m.rows, (r) => {
    const at = (c: Expr | string) => bin('+', bin('*', r, D), c);
    const rowMax: Stmt[] = [
      decl('int32_t', 'max', -128),
      loop('c', 0, upTo('c', D), 'inc', [ifThen(bin('>', index('input', at('c')), 'max'), [stmt(assign('max', index('input', at('c'))))])], { braces: false }),
    ];
    const diff = constDecl('int32_t', 'diff', bin('-', index('input', at('c')), 'max'));
    const sum: Stmt[] = [
      decl('int32_t', 'sum', 0),
      loop('c', 0, upTo('c', D), 'inc', [
        diff,
        ifThen(bin('>=', 'diff', m.diffMin), [stmt(assign('sum', rdbpot(call(expName, scaledDiff()), ACCUMULATION_INTEGER_BITS), '+='))],
          { comment: `exp(diff) rescaled to Q${ACCUMULATION_INTEGER_BITS}.${31 - ACCUMULATION_INTEGER_BITS}` }),
      ]),
    ];
    const outputs: Stmt[] = [
      decl('int', 'num_bits_over_unit'),
      constDecl('int32_t', 'reciprocal', call(recipName, 'sum', addr(id('num_bits_over_unit')))),
      constDecl('int', 'exponent', bin('+', 'num_bits_over_unit', 31 - 8)),
      loop('c', 0, upTo('c', D), 'inc', [
        diff,
        ifThen(bin('>=', 'diff', m.diffMin), [
          constDecl('int32_t', 'v', plus(rdbpot(call(ctx.use(SRDHM), 'reciprocal', call(expName, scaledDiff())), 'exponent'), -128)),
          storeInt8(index('output', at('c')), clampExpr('v', -128, 127, -128)),
        ], { else: [storeInt8(index('output', at('c')), int(-128))], braces: true }),
      ]),
    ];
    return [...rowMax, ...sum, ...outputs];
  });
  const doc = [
    `${ctx.name}: softmax over ${D} values${m.rows > 1 ? `, ${m.rows} rows` : ''} (TFLite's int8 reference, gemmlowp fixed point).`,
    `diff = x - max(row); elements with diff < ${m.diffMin} (diff_min) output -128; the others exp(SRDHM(diff * 2^${m.inputLeftShift}, ` +
      `${m.inputMultiplier})) / sum, as a Q0.8 value - 128.`,
  ];
  return { k: 'ir', entry: `${ctx.name}_run`, summary: 'gemmlowp fixed-point exp and reciprocal', items: [layerFunc(`${ctx.name}_run`, layerParams(['input']), body, doc)] };
}


