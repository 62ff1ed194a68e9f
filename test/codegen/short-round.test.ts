/**
 * The requantize stage's short rounding (shortRound: SRDHM without the INT32_MIN case, RDBPOT as one add of the nudge
 * and the sign) against the reference forms, as printed C compiled on the host: every x in a window around zero and
 * near the proved bound (|x| < 2^29), for multipliers and every right shift from 1 to 31.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stageLines } from '../../src/emit-c/stages.ts';
import type { OutputStage } from '../../src/ir/kernel-ir.ts';
import { commonStage } from '../../src/ir/output-stage.ts';
import { planAccumulator } from '../../src/codegen/index.ts';
import { model, runHostC } from '../helpers.ts';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'convgen-shortround-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const stage = (prefix: string, shortRound: boolean): OutputStage => ({
  k: 'requantize', prefix, NAME: prefix.toUpperCase(), cType: 'int8_t', accType: 'int32_t', doc: 'test', fastSrdhm: true,
  ...(shortRound ? { shortRound } : {}), multiplier: { k: 'const', value: 1 << 30 }, left: { k: 'const', value: 0 },
  right: { k: 'const', value: 1 }, saturate: false, preLo: -128, preHi: 127, lo: -128, hi: 127,
});

describe('short rounding in the requantize stage', () => {
  it('is taken only where the proved bound and the shifts allow it', () => {
    const int8 = (over: Record<string, unknown>) => model({ layout: 'hwc', numeric: { type: 'int8', inputOffset: 128, outputOffset: 0, multiplier: 1300000000, shift: -9 }, ...over });
    const m = int8({});
    expect((commonStage(m, planAccumulator(m), true, true) as { shortRound?: boolean }).shortRound).toBe(true);
    expect((commonStage(m, planAccumulator(m), true, false) as { shortRound?: boolean }).shortRound).toBeUndefined();
    // a left shift (shift > 0), or a right shift of 0, keeps the reference forms
    for (const shift of [2, 0]) {
      const mm = int8({ numeric: { type: 'int8', inputOffset: 128, outputOffset: 0, multiplier: 1300000000, shift } });
      expect((commonStage(mm, planAccumulator(mm), true, true) as { shortRound?: boolean }).shortRound, `shift ${shift}`).toBeUndefined();
    }
  });

  it('equals SRDHM and RDBPOT as the reference spells them, on the host', async () => {
    const text = [
      '#include <stdint.h>', '#include <stdio.h>', '#define S_OUTPUT_OFFSET 0', '#define R_OUTPUT_OFFSET 0',
      ...stageLines(stage('s', true)), ...stageLines(stage('r', false)),
      'static int check(int32_t x, int32_t m, int e) {',
      '    const int32_t a = s_rdbpot(s_srdhm(x, m), e), b = r_rdbpot(r_srdhm(x, m), e);',
      '    if (a != b) { printf("x %ld m %ld e %d: %ld, reference %ld\\n", (long)x, (long)m, e, (long)a, (long)b); return 1; }',
      '    return 0;',
      '}',
      'int main(void) {',
      '    static const int32_t ms[] = { 1073741824, 1300000000, 1857283155, 2147483647, 1 };',
      '    int bad = 0;',
      '    for (unsigned k = 0; k < sizeof ms / sizeof ms[0] && !bad; ++k)',
      '        for (int e = 1; e <= 31 && !bad; ++e) {',
      '            for (int32_t x = -70000; x <= 70000 && !bad; ++x) bad += check(x, ms[k], e);',
      '            for (int32_t d = 0; d < 4096 && !bad; ++d) bad += check((1 << 29) - 1 - d, ms[k], e) + check(-(1 << 29) + 1 + d, ms[k], e);',
      '        }',
      '    return bad;',
      '}', '',
    ].join('\n');
    const run = await runHostC(work, 'short', text);
    expect(run.stdout).toBe('');
    expect(run.exitCode).toBe(0);
  }, 120_000);
});
