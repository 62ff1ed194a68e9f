/**
 * The pointwise family's 32-bit int8 output stage for cores with SMMLAR (ARMv7E-M's DSP: Cortex-M4, M7, M33), where
 * the accumulator bound is proved |acc| < 2^29, there is no left shift and every right shift e >= 1 (the short
 * rounding's condition). TFLite's stage is RDBPOT(SRDHM(acc, M), e) + offset, clamped. Exactly, for such acc:
 *   SRDHM(acc, M) = floor((acc*M + 2^30) / 2^31) = floor((2acc*M + 2^31) / 2^32) = SMMULR(2acc, M) (2acc fits int32);
 *   RDBPOT(y, e) + offset = floor((y + c - [y < 0]) / 2^e), c = 2^(e-1) + offset*2^e (ties away from zero);
 *   y < 0 exactly when acc + floor(2^30 / M) < 0 (M > 0),
 * so the output is SMMLAR(2acc, M, c - [acc + q < 0]) >> e (SMMLAR adds its third operand times 2^32 before
 * rounding off the low word), then SSAT #8 or a clamp. Valid where y + c - 1 and y + c stay inside int32, which
 * smmlarStage proves from the bound. The per-channel M, c (and e where the channels differ) are one record a
 * channel, loaded once per pixel block. test/codegen/smmlar-stage.test.ts checks the identity.
 */
import type { KernelModel } from '../../ops/conv_2d/spec/index.ts';
import type { IsaFeatures } from '../../targets/index.ts';
import type { AccumulatorPlan } from '../../codegen/accumulator.ts';
import { cArrayRows } from '../../codegen/clit.ts';
import { add, bin, call, cast, constDecl, decl, id, lit, paren, index, intrinsic, mul, ptr, ret, scalar, cond } from '../../ir/expr.ts';
import type { Expr, Item, Stmt } from '../../ir/kernel-ir.ts';
import { tuningOf } from '../../tuning/cores.ts';
import { comment } from '../shared.ts';

export interface SmmlarStage {
  kind: 'rq-smmlar';
  /** Per output channel: the multiplier M, c = 2^(e-1) + offset*2^e, the right shift e. */
  m: number[];
  c: number[];
  e: number[];
  /** floor(2^30 / M), the same for every channel. */
  q: number;
  lo: number;
  hi: number;
  /** The loops accumulate 2acc (doubled weights and seeds, plan.ts): the stage takes it as SMMLAR's operand. */
  doubled?: boolean;
}

/** The stage where it is exact and the core's row takes it, else null (pointwiseFinish's 64-bit form then). */
export function smmlarStage(m: KernelModel, plan: AccumulatorPlan, isa: IsaFeatures): SmmlarStage | null {
  if (!tuningOf(isa).pointwiseSmmlarStage || !isa.simd32 || isa.state !== 'thumb2') return null;
  const st = plan.stage;
  if (st.kind !== 'requantize' || m.numeric.kind !== 'int8' || plan.accType !== 'int32_t' || st.saturate) return null;
  if (plan.bound >= 1n << 29n || st.left.some((l) => l !== 0) || st.right.some((e) => e < 1 || e > 31)) return null;
  if (st.multiplier.some((v) => v <= 0 || v > 2 ** 31 - 1)) return null;
  const qs = st.multiplier.map((v) => Math.floor(2 ** 30 / v));
  if (!qs.every((q) => q === qs[0])) return null;
  // acc + q must not wrap.
  if (plan.bound + BigInt(qs[0]) >= 1n << 31n) return null;
  const c = st.right.map((e) => 2 ** (e - 1) + st.outputOffset * 2 ** e);
  for (let o = 0; o < c.length; o++) {
    // |y| <= floor((bound*M + 2^30) / 2^31) + 1; y + c - 1 and y + c inside int32 (so SMMLAR's top word is exact),
    // and |c| <= 2^30 so the portable C's 64-bit sum cannot overflow.
    const y = Number((plan.bound * BigInt(st.multiplier[o]) + (1n << 30n)) >> 31n) + 1;
    if (Math.abs(c[o]) > 2 ** 30 || c[o] + y > 2 ** 31 - 1 || c[o] - 1 - y < -(2 ** 31)) return null;
  }
  return { kind: 'rq-smmlar', m: [...st.multiplier], c, e: [...st.right], q: qs[0], lo: st.lo, hi: st.hi };
}

/** Every channel shares its right shift: the record is {M, c} and e a constant; otherwise {M, c, e}. (Packing c and
 *  e in one word, c * 2^8 + e, measured slower: bench c speed on Cortex-M4 1.571 -> 1.705 cycles/MAC, GCC spilled.) */
export const sharedShift = (s: SmmlarStage): boolean => s.e.every((e) => e === s.e[0]);
/** Words per channel record. */
export const recordWords = (s: SmmlarStage): number => (sharedShift(s) ? 2 : 3);
/** One record for every channel (per-tensor quantization): the block functions index none. */
export const sharedRecord = (s: SmmlarStage): boolean =>
  sharedShift(s) && s.m.every((v) => v === s.m[0]) && s.c.every((v) => v === s.c[0]);

const recordTable = (prefix: string) => `${prefix}_rq`;

/** The block function's record pointer, declared before its outputs: opaque, so GCC loads the records inside the
 *  pixel loop (hoisted they would be spilled: the accumulators and pointers take the registers). */
export function recordPointer(prefix: string, s: SmmlarStage): Stmt[] {
  const base = sharedRecord(s) ? id(recordTable(prefix)) : add(recordTable(prefix), mul(recordWords(s), 'o0'));
  return [decl(ptr('int32_t', { const: true, restrict: true }), 'rq', base), { k: 'opaque', e: id('rq') }];
}

/** The record of block channel j, as the finish function's second argument. */
export const recordOf = (s: SmmlarStage, j: number): Expr => (sharedRecord(s) || j === 0 ? id('rq') : add('rq', recordWords(s) * j));

export function smmlarItems(prefix: string, NAME: string, s: SmmlarStage, saturate: boolean): Item[] {
  const R = recordWords(s);
  const rows = s.m.flatMap((m, o) => (R === 3 ? [m, s.c[o], s.e[o]] : [m, s.c[o]]));
  const records = sharedRecord(s) ? rows.slice(0, 2) : rows;
  const x2: Expr = s.doubled ? id('acc') : mul(2, 'acc');
  const q = s.doubled ? 2 * s.q : s.q;
  const sign = bin('>>', q > 0 ? paren(add('acc', q)) : id('acc'), 31);
  const e: Expr = R === 3 ? index('q', 2) : id(String(s.e[0]));
  const body: Stmt[] = [
    constDecl('int32_t', 'c', add(index('q', 1), sign),
      `c - [acc${q > 0 ? ` + ${q}` : ''} < 0] (>> 31: 0 or -1)`),
    constDecl('int32_t', 'v', bin('>>', call(`${prefix}_smmlar`, x2, index('q', 0), 'c'), e)),
    ...(saturate && s.lo === -128 && s.hi === 127 ? [ret(cast('int32_t', intrinsic('__builtin_arm_ssat', 'v', 8)))] : [
      constDecl('int32_t', 'lo', cond(bin('<', 'v', s.lo), s.lo, 'v')),
      ret(cond(bin('>', 'lo', s.hi), s.hi, 'lo')),
    ]),
  ];
  return [
    { k: 'comment', text: comment('block',
      `The output stage of the interior, the same result as ${prefix}_finish in 32 bits: |acc| < 2^29 is proved, so`,
      'SRDHM(acc, M) is SMMULR(2*acc, M) exactly, and the rounding divide by 2^e (e >= 1) plus the output offset is',
      '(SRDHM + c - [SRDHM < 0]) >> e with c = 2^(e-1) + offset*2^e, where SRDHM < 0 exactly when',
      `acc + floor(2^30 / M) < 0. SMMLAR adds c - [..] as its high word: one multiply and one shift. Per output channel`,
      `one record {M, c${R === 3 ? ', e' : ''}}${sharedRecord(s) ? ' (every channel shares it)' : ''}${R === 3 ? '' : `, e = ${s.e[0]}`}.`) },
    { k: 'table', table: { name: recordTable(prefix), elem: 'int32_t', dims: [sharedRecord(s) ? 2 : `${R} * ${NAME}_OUT_C`],
      body: { k: 'flat', lines: cArrayRows(records, R === 3 ? 6 : 4) } } },
    { k: 'blank' },
    { k: 'func', doc: comment('hang', 'SMMLAR: c + the high word of a*b, rounded (the low word\'s top bit added). One instruction; ACLE has no',
      'intrinsic for it. The C form for other compilers (and the host).'), fn: {
      name: `${prefix}_smmlar`, linkage: 'static inline', ret: scalar('int32_t'),
      params: [{ type: scalar('int32_t'), name: 'a' }, { type: scalar('int32_t'), name: 'b' }, { type: scalar('int32_t'), name: 'c' }],
      body: [{ k: 'pp-if', cond: 'defined(__GNUC__) && defined(__ARM_FEATURE_DSP)', then: [
        { k: 'decl', type: scalar('int32_t'), name: 'r' },
        { k: 'asm', lines: ['smmlar %[r], %[a], %[b], %[c]'], outputs: [{ name: 'r', constraint: '=r', e: id('r') }],
          inputs: [{ name: 'a', constraint: 'r', e: id('a') }, { name: 'b', constraint: 'r', e: id('b') }, { name: 'c', constraint: 'r', e: id('c') }],
          clobbers: [], needs: ['simd32'] },
        ret('r'),
      ], else: [
        ret(cast('int32_t', bin('>>', paren(add(add(mul(cast('int64_t', 'c'), 4294967296), mul(cast('int64_t', 'a'), 'b')), lit('INT64_C(0x80000000)'))), 32))),
      ] }],
    } },
    { k: 'blank' },
    { k: 'func', doc: s.doubled
      ? comment('hang', 'acc (twice the sum: the weights and seeds are doubled) through the stage with channel record q;',
        'returned as int32_t (the store narrows it).')
      : comment('line', 'acc through the stage with channel record q; returned as int32_t (the store narrows it).'), fn: {
      name: `${prefix}_pw_finish`, linkage: 'static inline', ret: scalar('int32_t'),
      params: [{ type: scalar('int32_t'), name: 'acc' }, { type: ptr('int32_t', { const: true }), name: 'q' }],
      body,
    } },
  ];
}

/** The stage's arithmetic as the C does it, in BigInt (the identity's host test and the planner's tests). */
export function smmlarReference(acc: number, M: number, c: number, e: number, q: number, lo: number, hi: number): number {
  const a = BigInt(2 * acc);
  const cc = BigInt(c) + (acc + q < 0 ? -1n : 0n);
  const top = BigInt.asIntN(32, (cc * 2n ** 32n + a * BigInt(M) + 2n ** 31n) >> 32n);
  const v = Number(top >> BigInt(e));
  return Math.min(hi, Math.max(lo, v));
}
