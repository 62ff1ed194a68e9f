/**
 * The C of output stages and seeds (IR OutputStage nodes): the spec's Q stage, TFLite's requantization (gemmlowp's
 * SRDHM and rounding divide), the seeded Q stage of qfinish.ts, the bits-store, the bias seed and seed tables, and
 * the out-of-line call. One case per kind; the switch is exhaustive.
 */
import type { OutputStage, PerChannel } from '../ir/kernel-ir.ts';
import { call, lit } from '../ir/expr.ts';
import { exprLines } from './break.ts';
import { commentLines } from './writer.ts';

const perChannelExpr = (p: PerChannel): string => (p.k === 'const' ? String(p.value) : `${p.table}[o]`);

export function stageLines(s: OutputStage): string[] {
  switch (s.k) {
    case 'q': {
      const st = s.stage;
      const out = [`/* Output stage, in the spec's order: ${s.doc}. */`, `static inline ${s.cType} ${s.prefix}_finish(${s.accType} acc)`, '{'];
      if (st.kind === 'right')
        out.push(st.round !== '0' && st.round !== 'INT64_C(0)' ? `    acc = (acc + ${st.round}) >> ${st.shift};` : `    acc >>= ${st.shift};`);
      if (st.kind === 'left')
        out.push(`    if (acc > ${st.leftMax}) return (${s.cType})${st.hi};`, `    if (acc < ${st.leftMin}) return (${s.cType})${st.lo};`,
          `    return (${s.cType})(acc * ${st.leftScale});`);
      else
        out.push(`    if (acc < ${st.lo}) acc = ${st.lo};`, `    if (acc > ${st.hi}) acc = ${st.hi};`, `    return (${s.cType})acc;`);
      out.push('}');
      return out;
    }
    case 'requantize': {
      if (s.dsp) return dspStageLines(s, s.dsp);
      const out: string[] = [];
      for (const t of [s.multiplier, s.left, s.right])
        if (t.k === 'table') out.push(`static const ${t.cType} ${t.table}[${s.NAME}_OUT_C] = {`, ...t.lines, '};', '');
      const perChannel = [s.multiplier, s.left, s.right].some((t) => t.k === 'table');
      out.push(
        '/* gemmlowp\'s SaturatingRoundingDoublingHighMul, as TFLite\'s reference uses it: the high half of 2*a*b, rounded to',
        '   nearest by the nudge and C\'s truncating division (ties upward); INT32_MIN * INT32_MIN, its one overflow,',
        s.shortRound ? '   would saturate: a is never INT32_MIN here (|acc| < 2^29 is proved). */' : '   saturates. */',
        `static inline int32_t ${s.prefix}_srdhm(int32_t a, int32_t b)`,
        '{',
        ...(s.fastSrdhm
          ? [
              '    /* (ab + nudge) / 2^31 truncating equals floor((ab + 2^30) / 2^31) for either sign of ab: one add, one shift. */',
              ...(s.shortRound ? [] : ['    if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;']),
              '    return (int32_t)(((int64_t)a * (int64_t)b + (INT64_C(1) << 30)) >> 31);',
            ]
          : [
              '    const int64_t ab = (int64_t)a * (int64_t)b;',
              '    const int64_t nudge = ab >= 0 ? (INT64_C(1) << 30) : (1 - (INT64_C(1) << 30));',
              '    if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;',
              '    return (int32_t)((ab + nudge) / (INT64_C(1) << 31));',
            ]),
        '}',
        '',
        ...(s.shortRound
          ? [
              '/* gemmlowp\'s RoundingDivideByPOT: x / 2^e rounded to nearest, ties away from zero. For 1 <= e <= 31 that is',
              '   floor((x + 2^(e-1) - (x < 0)) / 2^e), and x + 2^(e-1) cannot overflow (|x| <= |acc| + 1 < 2^29 is proved). */',
              `static inline int32_t ${s.prefix}_rdbpot(int32_t x, int e)`,
              '{',
              '    return (x + (int32_t)(UINT32_C(1) << (e - 1)) + (x >> 31)) >> e;',
              '}',
            ]
          : [
              '/* gemmlowp\'s RoundingDivideByPOT: x / 2^e rounded to nearest, ties away from zero (0 <= e <= 31). */',
              `static inline int32_t ${s.prefix}_rdbpot(int32_t x, int e)`,
              '{',
              '    const int32_t mask = (int32_t)((UINT32_C(1) << e) - 1u);',
              '    const int32_t remainder = x & mask;',
              '    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);',
              '    return (x >> e) + (remainder > threshold ? 1 : 0);',
              '}',
            ]),
        '',
        `/* Output stage (TFLite's MultiplyByQuantizedMultiplier): ${s.doc}. */`,
        `static inline ${s.cType} ${s.prefix}_finish(${s.accType} acc${perChannel ? ', int o' : ''})`,
        '{',
      );
      const left = perChannelExpr(s.left);
      if (s.saturate)
        out.push(
          '    /* acc * 2^left can leave int32 for this layer: it saturates (there TFLite\'s int32 product would overflow). */',
          `    const int left = ${left};`,
          '    const int32_t x = acc > (INT32_MAX >> left) ? INT32_MAX',
          '                    : acc < (INT32_MIN >> left) ? INT32_MIN',
          '                    : (int32_t)acc * ((int32_t)1 << left);',
        );
      else if (left === '0') out.push('    const int32_t x = acc;');
      else out.push(`    const int32_t x = acc * ((int32_t)1 << ${left}); /* |acc| * 2^left <= INT32_MAX is proved */`);
      out.push(
        ...exprLines(4, 'const int32_t v = ',
          call(`${s.prefix}_rdbpot`, call(`${s.prefix}_srdhm`, 'x', lit(perChannelExpr(s.multiplier))), lit(perChannelExpr(s.right))), ';',
          { fold: false }),
        '    /* + output offset, clamped; comparing before the addition keeps it exact in int32 */',
        `    if (v < ${s.preLo}) return (${s.cType})${s.lo};`,
        `    if (v > ${s.preHi}) return (${s.cType})${s.hi};`,
        `    return (${s.cType})(v + ${s.NAME}_OUTPUT_OFFSET);`,
        '}',
      );
      return out;
    }
    case 'q-seeded': {
      const out = s.narrow
        ? ['/* The output stage: the rounding constant is in the seed; the shifted accumulator',
            '   provably fits int32, so it clamps in 32 bits. */']
        : ['/* The output stage: the rounding constant is in the seed. */'];
      out.push(`static inline ${s.vType} ${s.prefix}_${s.tag}_finish(${s.accType} acc)`, '{');
      if (s.narrow) out.push(`    const int32_t v = (int32_t)(acc >> ${s.shift});`);
      else if (s.shift > 0) out.push(`    const ${s.accType} v = acc >> ${s.shift};`);
      else out.push(`    const ${s.accType} v = acc;`);
      if (s.ssatBits > 0) out.push(`    return (int32_t)__builtin_arm_ssat(v, ${s.ssatBits});`);
      else if (s.signSat)
        out.push('    /* outside the range exactly when the bits above the sign bit of the result differ from the sign */',
          `    return (v >> ${s.signShift}) == (v >> 31) ? v : (v >> 31) ^ ${s.hi};`);
      else out.push(`    const ${s.vType} lo = v < ${s.lo} ? ${s.lo} : v;`, `    return lo > ${s.hi} ? ${s.hi} : lo;`);
      out.push('}');
      return out;
    }
    case 'store-bits':
      return [
        '/*',
        ` * The output stage as the ${s.bits} bits it stores: a clamped value's bits are 0x${s.loBits} (MOV) or those of`,
        ` * 0x${s.hiWord} (MVN), immediates, so the clamp holds no bound in a register. ${s.cType} is two's complement:`,
        ' * its bits are the value.',
        ' */',
        `static inline void ${s.prefix}_q_store(${s.cType} *out, ${s.accType} acc)`,
        '{',
        `    const int32_t v = (int32_t)(acc >> ${s.shift});`,
        `    uint32_t b = v < ${s.lo} ? 0x${s.loBits}u : (uint32_t)v;`,
        `    if (v > ${s.hi})`,
        `        b = 0x${s.hiWord}u;`,
        '    KEEP_LOADS_IN_LOOP(b); /* the word as selected: the store\'s truncation is not folded into the bounds */',
        `    /* the unsigned type may access a ${s.cType} (C99 6.5p7) */`,
        `    *(${s.uType} *)out = (${s.uType})b;`,
        '}',
      ];
    case 'bias-seed':
      return [
        '/* The accumulator of output channel o before any tap: the bias aligned to the product\'s fraction bits. */',
        `static inline ${s.accType} ${s.prefix}_seed(int o)`,
        '{',
        ...(s.bias === null ? ['    (void)o;', '    return 0;']
          : s.bias.scaled ? [`    return (${s.accType})${s.prefix}_bias[o] * ${s.bias.scale};`] : [`    return (${s.accType})${s.prefix}_bias[o];`]),
        '}',
      ];
    case 'seed-table':
      return [
        ...commentLines(s.doc),
        `static const ${s.elem} ${s.table}[${s.NAME}_OUT_C] = {`,
        ...s.lines,
        '};',
        '',
        `static inline ${s.accType} ${s.fn}(int o)`,
        '{',
        `    return ${s.table}[o];`,
        '}',
      ];
    case 'outline':
      return [
        '/* The output stage, out of line: one copy called per output instead of one inlined copy per accumulator (code size). */',
        '#if defined(__GNUC__)',
        '__attribute__((noinline))',
        '#endif',
        `static ${s.cType} ${s.prefix}_finish_call(${s.accType} acc${s.withO ? ', int o' : ''})`,
        '{',
        `    return ${s.prefix}_finish(acc${s.withO ? ', o' : ''});`,
        '}',
      ];
    default: {
      const never: never = s;
      throw new Error(`emit-c: unknown output stage ${JSON.stringify(never)}`);
    }
  }
}

/**
 * The requantize stage in DSP instructions (requantize-dsp.ts proves it equal to the reference forms): SMMLAR of the
 * doubled accumulator, the rounding constant with the offset folded in, one shift, SSAT. GCC makes a 64-bit SMLAL and
 * two constants of the C form (clang makes it SMMLAR), so GCC on a DSP core gets the instruction as inline assembly.
 */
function dspStageLines(s: Extract<OutputStage, { k: 'requantize' }>, dsp: NonNullable<Extract<OutputStage, { k: 'requantize' }>['dsp']>): string[] {
  const out: string[] = [];
  for (const t of [s.multiplier, s.right, dsp.round])
    if (t.k === 'table')
      out.push(...(t === dsp.round ? ['/* r per output channel: 2^(e-1) + output offset * 2^e (half the divisor, and the offset times it). */'] : []),
        `static const ${t.cType} ${t.table}[${s.NAME}_OUT_C] = {`, ...t.lines, '};', '');
  const perChannel = [s.multiplier, s.right, dsp.round].some((t) => t.k === 'table');
  out.push(
    '/*',
    ' * TFLite\'s SRDHM(acc, m), rounding divide by 2^e, + output offset, in 32 bits: SRDHM(acc, m) = SMMULR(2 acc, m) for',
    ' * |acc| < 2^29 (proved), and the rounding divide is (y + 2^(e-1) - (y < 0)) >> e with the offset folded into r =',
    ' * 2^(e-1) + offset * 2^e; m >= 0 makes acc\'s sign stand for y\'s (y = 0 where they differ, no tie). The proved bound',
    ' * keeps the sum inside int32.',
    ' */',
    `static inline int32_t ${s.prefix}_requantize(int32_t acc, int32_t m, int32_t r, int e)`,
    '{',
    '    const int32_t a = r + (acc >> 31);',
    '#if defined(__GNUC__) && !defined(__clang__) && defined(__ARM_FEATURE_DSP)',
    '    int32_t v;',
    '    __asm__("smmlar %0, %1, %2, %3" : "=r"(v) : "r"(acc * 2), "r"(m), "r"(a));',
    '    return v >> e;',
    '#else',
    '    return (a + (int32_t)(((int64_t)(acc * 2) * m + INT64_C(0x80000000)) >> 32)) >> e;',
    '#endif',
    '}',
    '',
    `/* Output stage (TFLite's MultiplyByQuantizedMultiplier): ${s.doc}. */`,
    `static inline ${s.cType} ${s.prefix}_finish(${s.accType} acc${perChannel ? ', int o' : ''})`,
    '{',
  );
  if (dsp.round.k !== 'from-shift')
    out.push(`    const int32_t v = ${s.prefix}_requantize(acc, ${perChannelExpr(s.multiplier)}, ${perChannelExpr(dsp.round)}, ${perChannelExpr(s.right)});`);
  else
    out.push(
      `    const int e = ${perChannelExpr(s.right)};`,
      `    /* r = 2^(e-1) + output offset * 2^e = ${dsp.round.odd} * 2^(e-1), inside int32 (proved) */`,
      `    const int32_t r = (int32_t)((uint32_t)${dsp.round.odd < 0 ? `(${dsp.round.odd})` : dsp.round.odd} << (e - 1));`,
      `    const int32_t v = ${s.prefix}_requantize(acc, ${perChannelExpr(s.multiplier)}, r, e);`,
    );
  if (dsp.ssat) out.push(`    return (${s.cType})(int32_t)__builtin_arm_ssat(v, 8);`);
  else out.push(`    if (v < ${s.lo}) return (${s.cType})${s.lo};`, `    if (v > ${s.hi}) return (${s.cType})${s.hi};`, `    return (${s.cType})v;`);
  out.push('}');
  return out;
}
