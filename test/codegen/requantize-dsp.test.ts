/**
 * The requantize stage's DSP form (src/ir/requantize-dsp.ts: SMMLAR of the doubled accumulator, the rounding constant
 * with the output offset folded in, one shift) against the reference SRDHM and RDBPOT + offset, as printed C compiled
 * on the host (its portable branch, which clang also compiles to SMMLAR): ties of every shift, negative accumulators
 * near zero, the largest |acc| below 2^29, every right shift 1..31, extreme multipliers and offsets. Where the proof
 * fails (a left shift, a right shift of 0, a sum that could leave int32) the form is not taken.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { planAccumulator } from '../../src/codegen/index.ts';
import type { AccumulatorPlan } from '../../src/codegen/accumulator.ts';
import { stageLines } from '../../src/emit-c/stages.ts';
import type { OutputStage } from '../../src/ir/kernel-ir.ts';
import { commonStage } from '../../src/ir/output-stage.ts';
import { dspRound, roundConstant } from '../../src/ir/requantize-dsp.ts';
import { model, runHostC } from '../helpers.ts';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'convgen-rqdsp-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const int8 = (numeric: Record<string, unknown>) =>
  model({ layout: 'hwc', numeric: { type: 'int8', inputOffset: 128, outputOffset: 0, multiplier: 1300000000, shift: -9, ...numeric } });

/** A plan with a chosen bound and stage (the proof's inputs) and the rest from a real kernel. */
const withStage = (bound: bigint, right: number[], multiplier: number[], outputOffset: number): AccumulatorPlan => {
  const p = planAccumulator(int8({}));
  if (p.stage.kind !== 'requantize') throw new Error('int8 plans requantize');
  return { ...p, bound, stage: { ...p.stage, right, left: right.map(() => 0), multiplier, outputOffset } };
};

describe('the requantize stage in DSP instructions', () => {
  it('is taken only where its proof holds', () => {
    const m = int8({ outputOffset: -3 });
    const s = commonStage(m, planAccumulator(m), true, true, true) as Extract<OutputStage, { k: 'requantize' }>;
    expect(s.dsp).toEqual({ round: { k: 'const', value: 256 - 3 * 512 }, ssat: true });
    // without the core's switch, or without the short rounding, the reference forms stay
    expect((commonStage(m, planAccumulator(m), true, true, false) as { dsp?: unknown }).dsp).toBeUndefined();
    expect((commonStage(m, planAccumulator(m), true, false, true) as { dsp?: unknown }).dsp).toBeUndefined();
    // a left shift, a right shift of 0
    for (const shift of [2, 0]) {
      const mm = int8({ shift });
      expect((commonStage(mm, planAccumulator(mm), true, true, true) as { dsp?: unknown }).dsp, `shift ${shift}`).toBeUndefined();
    }
    // a narrowed activation range: the compares, not SSAT
    const relu = model({ layout: 'hwc', activation: { clamp: [0, 100] }, numeric: { type: 'int8', inputOffset: 128, outputOffset: 0, multiplier: 1300000000, shift: -9 } });
    expect((commonStage(relu, planAccumulator(relu), true, true, true) as Extract<OutputStage, { k: 'requantize' }>).dsp?.ssat).toBe(false);
    // the sum's bound: R = 2^23 + 127 * 2^24 leaves room for |y| < 2^31 - R - 1 only
    const big = Number(roundConstant(24, 127));
    expect(dspRound(withStage((1n << 29n) - 1n, [24], [1 << 30], 127))).toBeNull();
    expect(dspRound(withStage(1000n, [24], [1 << 30], 127))).toEqual({ rounds: [big], ssat: true });
    expect(dspRound(withStage(1000n, [24], [-5], 0))).toBeNull();
    expect(dspRound(withStage(1n << 29n, [3], [1 << 30], 0))).toBeNull();
  });

  it('equals SRDHM, RDBPOT and the offset as the reference spells them, on the host', async () => {
    const ref: OutputStage = {
      k: 'requantize', prefix: 'r', NAME: 'R', cType: 'int8_t', accType: 'int32_t', doc: 'test', fastSrdhm: false,
      multiplier: { k: 'const', value: 1 }, left: { k: 'const', value: 0 }, right: { k: 'const', value: 1 },
      saturate: false, preLo: -128, preHi: 127, lo: -128, hi: 127,
    };
    const dsp: OutputStage = { ...ref, prefix: 'd', NAME: 'D', fastSrdhm: true, shortRound: true, dsp: { round: { k: 'const', value: 0 }, ssat: true } };
    // only the 32-bit helper: the finish's SSAT builtin is ARM's
    const dspLines = stageLines(dsp);
    const helper = dspLines.slice(0, dspLines.findIndex((l) => l.includes('d_finish')) - 1);
    expect(helper.join('\n')).toContain('smmlar');
    const text = [
      '#include <stdint.h>', '#include <stdio.h>', '#define R_OUTPUT_OFFSET 0',
      ...stageLines(ref), ...helper,
      'static long long n;',
      'static int check(int32_t x, int32_t m, int e, int off) {',
      '    const int64_t r = ((int64_t)1 << (e - 1)) + (int64_t)off * ((int64_t)1 << e);',
      '    const int64_t ymax = ((int64_t)((1 << 29) - 1) * m >> 31) + 1;',
      '    if ((r < 0 ? -r : r) + 1 + ymax > INT32_MAX) return 0; /* the form is not taken (dspRound) */',
      '    const int32_t a = d_requantize(x, m, (int32_t)r, e), b = r_rdbpot(r_srdhm(x, m), e) + off;',
      '    ++n;',
      '    if (a != b) { printf("x %ld m %ld e %d off %d: %ld, reference %ld\\n", (long)x, (long)m, e, off, (long)a, (long)b); return 1; }',
      '    return 0;',
      '}',
      'int main(void) {',
      '    static const int32_t ms[] = { 1073741824, 1300000000, 1857283155, 2147483647, 1, 0, 3, 1073741825 };',
      '    static const int offs[] = { 0, -128, 127, -3, 5 };',
      '    const int32_t lim = (1 << 29) - 1;',
      '    int bad = 0;',
      '    for (unsigned k = 0; k < sizeof ms / sizeof ms[0] && !bad; ++k)',
      '        for (unsigned q = 0; q < sizeof offs / sizeof offs[0] && !bad; ++q)',
      '            for (int e = 1; e <= 31 && !bad; ++e) {',
      '                const int off = offs[q];',
      '                for (int32_t x = -5000; x <= 5000 && !bad; ++x) bad += check(x, ms[k], e, off);',
      '                for (int32_t d = 0; d < 2048 && !bad; ++d) bad += check(lim - d, ms[k], e, off) + check(-lim + d, ms[k], e, off);',
      '                /* ties of y = SRDHM(x, 2^30) = floor((x + 1) / 2): y = j 2^e +- 2^(e-1), x = 2y - 1, 2y, 2y + 1 */',
      '                for (int64_t j = -(1 << 20); j <= (1 << 20) && !bad; j += 997)',
      '                    for (int s = -1; s <= 1; s += 2) {',
      '                        const int64_t y = j * ((int64_t)1 << e) + s * ((int64_t)1 << (e - 1));',
      '                        for (int64_t dx = -1; dx <= 1; ++dx) {',
      '                            const int64_t x = 2 * y + dx;',
      '                            if (x > -lim && x < lim) bad += check((int32_t)x, 1073741824, e, off);',
      '                        }',
      '                    }',
      '            }',
      '    printf(bad ? "" : "checked %lld\\n", n);',
      '    return bad;',
      '}', '',
    ].join('\n');
    const run = await runHostC(work, 'rqdsp', text);
    expect(run.stdout).toMatch(/^checked \d+$/);
    expect(run.exitCode).toBe(0);
    // Per-channel shifts: r is computed from the channel's e ('from-shift'), not stored; the printed finish (compares,
    // a narrowed range) against the reference for every shift and offset the proof admits.
    const es = Array.from({ length: 24 }, (_, i) => i + 1);
    const perChannelText = (off: number) => {
      const st: OutputStage = {
        ...ref, prefix: 'p', NAME: 'P', fastSrdhm: true, shortRound: true, lo: -100, hi: 90,
        multiplier: { k: 'table', table: 'p_m', cType: 'int32_t', lines: [es.map(() => '1518500250').join(', ')] },
        right: { k: 'table', table: 'p_e', cType: 'uint8_t', lines: [es.join(', ')] },
        dsp: { round: { k: 'from-shift', odd: 2 * off + 1 }, ssat: false },
      };
      return stageLines(st);
    };
    for (const off of [-128, -3, 0, 127]) {
      const lines = [
        '#include <stdint.h>', '#include <stdio.h>', '#define R_OUTPUT_OFFSET 0', `#define P_OUT_C ${es.length}`,
        ...stageLines(ref), ...perChannelText(off),
        'int main(void) {',
        '    long long n = 0;',
        `    for (int o = 0; o < ${es.length}; ++o) {`,
        `        const int e = o + 1;`,
        `        const int64_t r = ((int64_t)1 << (e - 1)) + (int64_t)${off} * ((int64_t)1 << e);`,
        '        if ((r < 0 ? -r : r) + 1 + ((((int64_t)1 << 29) * 1518500250) >> 31) + 1 > INT32_MAX) continue;',
        '        for (int32_t x = -(1 << 29) + 1; x < (1 << 29); x += (x > -40000 && x < 40000) ? 1 : 40009) {',
        `            int32_t want = r_rdbpot(r_srdhm(x, 1518500250), e) + ${off};`,
        '            want = want < -100 ? -100 : want > 90 ? 90 : want;',
        '            const int32_t got = p_finish(x, o);',
        '            ++n;',
        '            if (got != want) { printf("e %d x %ld: %ld, reference %ld\\n", e, (long)x, (long)got, (long)want); return 1; }',
        '        }',
        '    }',
        '    printf("checked %lld\\n", n);',
        '    return 0;',
        '}', '',
      ].join('\n');
      const pc = await runHostC(work, `rqdsp_pc${off + 200}`, lines);
      expect(pc.stdout, `offset ${off}`).toMatch(/^checked \d+$/);
      expect(Number(pc.stdout.split(' ')[1])).toBeGreaterThan(100_000);
      expect(pc.exitCode).toBe(0);
    }
    expect(perChannelText(-3).join('\n')).not.toMatch(/_round\[/);
    expect(run.stdout).toMatch(/^checked \d+$/);
    expect(Number(run.stdout.split(' ')[1])).toBeGreaterThan(1_000_000);
    expect(run.exitCode).toBe(0);
  }, 120_000);
});
