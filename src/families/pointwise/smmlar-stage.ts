/**
 * The pointwise family's 32-bit int8 output stage for cores with SMMLAR (ARMv7E-M's DSP: Cortex-M4, M7, M33): the
 * DSP form of TFLite's requantization that src/ir/requantize-dsp.ts proves (|acc| < 2^29, no left shift, every right
 * shift e >= 1, M >= 0, the sum inside int32): SMMLAR(2acc, M, r + (acc >> 31)) >> e with r = 2^(e-1) + offset*2^e,
 * then SSAT #8 or a clamp. What this module adds is the layout the pointwise loops want: the per-channel M, r (and e
 * where the channels differ) in one record a channel, loaded once per pixel block, and the doubled accumulator
 * (plan.ts) that the pre-widened loops can make directly. test/codegen/smmlar-stage.test.ts checks it.
 */
import type { KernelModel } from '../../ops/conv_2d/spec/index.ts';
import type { IsaFeatures } from '../../targets/index.ts';
import type { AccumulatorPlan } from '../../codegen/accumulator.ts';
import { cArrayRows } from '../../codegen/clit.ts';
import { add, bin, call, cast, constDecl, decl, id, lit, paren, index, intrinsic, mul, ptr, ret, scalar, cond } from '../../ir/expr.ts';
import type { Expr, Item, Stmt } from '../../ir/kernel-ir.ts';
import { tuningOf } from '../../tuning/cores.ts';
import { dspRound } from '../../ir/requantize-dsp.ts';
import { comment } from '../shared.ts';

export interface SmmlarStage {
  kind: 'rq-smmlar';
  /** Per output channel: the multiplier M, c = 2^(e-1) + offset*2^e (requantize-dsp.ts's r), the right shift e. */
  m: number[];
  c: number[];
  e: number[];
  lo: number;
  hi: number;
  /** The loops accumulate 2acc (doubled weights and seeds, plan.ts): the stage takes it as SMMLAR's operand. */
  doubled?: boolean;
}

/** The stage where it is exact (requantize-dsp.ts's proof) and the core's row takes it, else null (pointwiseFinish's
 *  64-bit form then). */
export function smmlarStage(m: KernelModel, plan: AccumulatorPlan, isa: IsaFeatures): SmmlarStage | null {
  if (!tuningOf(isa).pointwiseSmmlarStage || !isa.simd32 || isa.state !== 'thumb2' || m.numeric.kind !== 'int8') return null;
  const dsp = dspRound(plan);
  const st = plan.stage;
  if (!dsp || st.kind !== 'requantize') return null;
  return { kind: 'rq-smmlar', m: [...st.multiplier], c: dsp.rounds, e: [...st.right], lo: st.lo, hi: st.hi };
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
  const e: Expr = R === 3 ? index('q', 2) : id(String(s.e[0]));
  const body: Stmt[] = [
    constDecl('int32_t', 'c', add(index('q', 1), bin('>>', 'acc', 31)), 'c - [acc < 0] (>> 31: 0 or -1)'),
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
      '(SRDHM + c - [SRDHM < 0]) >> e with c = 2^(e-1) + offset*2^e; M >= 0 lets acc\'s sign stand for SRDHM\'s (where',
      `they differ SRDHM is 0, no tie). SMMLAR adds c - [acc < 0] as its high word: one multiply and one shift. Per output channel`,
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
        // c + SMMULR(a, b): the proved bound keeps the sum inside int32 (requantize-dsp.ts).
        ret(add('c', cast('int32_t', bin('>>', paren(add(mul(cast('int64_t', 'a'), 'b'), lit('INT64_C(0x80000000)'))), 32)))),
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
export function smmlarReference(acc: number, M: number, c: number, e: number, lo: number, hi: number): number {
  const a = BigInt(2 * acc);
  const cc = BigInt(c) + (acc < 0 ? -1n : 0n);
  const top = BigInt.asIntN(32, (cc * 2n ** 32n + a * BigInt(M) + 2n ** 31n) >> 32n);
  const v = Number(top >> BigInt(e));
  return Math.min(hi, Math.max(lo, v));
}
