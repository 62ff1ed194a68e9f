/**
 * The pointwise family's 32-bit int8 output stage (src/families/pointwise/smmlar-stage.ts): SMMLAR(2acc, M, c - [acc <
 * 0]) >> e, then SSAT or a clamp, against the golden requantization (TFLite's MultiplyByQuantizedMultiplier +
 * offset + clamp), modelled in BigInt as the C spells it and as the printed C compiled on the host (its portable
 * branch; the SMMLAR branch runs under QEMU in test/qemu/pointwise-smmlar.test.ts). Where the planner takes it:
 * |acc| < 2^29 proved, no left shift, right shifts >= 1, a Thumb-2 DSP core whose row enables it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { smmlarItems, smmlarReference, smmlarStage, type SmmlarStage } from '../../src/families/pointwise/smmlar-stage.ts';
import { printItems } from '../../src/emit-c/print.ts';
import { printOptions } from '../../src/emit-c/index.ts';
import { planAccumulator } from '../../src/codegen/index.ts';
import { findTarget } from '../../src/targets/index.ts';
import { model } from '../helpers.ts';
import { goldenStage } from './requant-cases.ts';
import { dspRound } from '../../src/ir/requantize-dsp.ts';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'convgen-smmlar-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const MULTS = [1, 3, 2 ** 29, 2 ** 30 - 1, 2 ** 30, 2 ** 30 + 1, 1518500250, 1969946270, 2147483646, 2147483647];
const RANGES: [number, number, number][] = [[-3, -128, 127], [0, -128, 127], [-128, -128, 127], [127, -128, 127], [5, -20, 90], [-128, -128, 0]];
const LIMIT = 2 ** 29 - 1;

/** Accumulators inside the proved bound hitting ties and signs: ±2^k ± 1, ±(2^k + 2^(k-1)) ± 1, the bound. */
function accs(): number[] {
  const s = new Set<number>([0, 1, -1, 2, -2, LIMIT, -LIMIT, LIMIT - 1, -LIMIT + 1]);
  for (let k = 0; k < 29; k++)
    for (const d of [-1, 0, 1]) for (const v of [2 ** k + d, -(2 ** k) + d, 3 * 2 ** (k - 1) + d, -3 * 2 ** (k - 1) + d])
      if (Number.isInteger(v) && Math.abs(v) <= LIMIT) s.add(v);
  return [...s];
}

/** The stage's c for a right shift e and an offset, and whether the proof (requantize-dsp.ts's dspRound) admits it. */
const cOf = (e: number, off: number) => 2 ** (e - 1) + off * 2 ** e;
const basePlan = planAccumulator(model({ layout: 'hwc', kernel: 1, padding: 0, input: { channels: 4, height: 1, width: 1 },
  output: { channels: 1 }, numeric: { type: 'int8', inputOffset: 0, outputOffset: 0, multiplier: 1 << 30, shift: -1 } }));
const admits = (mult: number, e: number, off: number) => {
  if (basePlan.stage.kind !== 'requantize') throw new Error('int8 plans requantize');
  return dspRound({ ...basePlan, bound: BigInt(LIMIT), stage: { ...basePlan.stage, multiplier: [mult], left: [0], right: [e], outputOffset: off } }) !== null;
};

describe('pointwise 32-bit output stage (SMMLAR)', () => {
  it('equals the golden requantization over edge accumulators, multipliers, every right shift and offsets', () => {
    let checked = 0;
    for (let e = 1; e <= 31; e++)
      for (const mult of MULTS) {
        for (const [off, lo, hi] of RANGES) {
          if (!admits(mult, e, off)) continue;
          for (const acc of accs()) {
            const want = goldenStage(acc, mult, -e, off, lo, hi);
            const got = smmlarReference(acc, mult, cOf(e, off), e, lo, hi);
            if (got !== want) expect({ acc, mult, e, off, got }).toEqual({ acc, mult, e, off, got: want });
            checked++;
          }
        }
      }
    expect(checked).toBeGreaterThan(50_000);
  });

  it('equals it on random accumulators, multipliers and shifts', () => {
    let seed = 4242;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) | 0) >>> 0);
    let checked = 0;
    for (let i = 0; i < 100_000; i++) {
      const mult = (rnd() % 2147483647) + 1;
      const acc = ((rnd() | 0) >> 3) >> (rnd() % 20);
      const e = (rnd() % 24) + 1;
      const [off, lo, hi] = RANGES[rnd() % RANGES.length];
      if (!admits(mult, e, off)) continue;
      expect(smmlarReference(acc, mult, cOf(e, off), e, lo, hi)).toBe(goldenStage(acc, mult, -e, off, lo, hi));
      checked++;
    }
    expect(checked).toBeGreaterThan(50_000);
  });

  it('fails without the sign term or with an undoubled accumulator (the test can see a wrong stage)', () => {
    const noSign = (acc: number, mult: number, e: number) =>
      Number((BigInt(cOf(e, 0)) * 2n ** 32n + 2n * BigInt(acc) * BigInt(mult) + 2n ** 31n) >> BigInt(32 + e));
    const undoubled = (acc: number, mult: number, e: number) =>
      Number((BigInt(cOf(e, 0) - (acc < 0 ? 1 : 0)) * 2n ** 32n + BigInt(acc) * BigInt(mult) + 2n ** 31n) >> 32n) >> e;
    const golden = (acc: number, mult: number, e: number) => goldenStage(acc, mult, -e, 0, -(2 ** 31), 2 ** 31 - 1);
    expect(accs().filter((a) => noSign(a, 1969946270, 3) !== golden(a, 1969946270, 3)).length).toBeGreaterThan(0);
    expect(accs().filter((a) => undoubled(a, 1969946270, 3) !== golden(a, 1969946270, 3)).length).toBeGreaterThan(0);
  });

  it('is planned only where the bound, the shifts and the core allow it', () => {
    const int8 = (numeric: Record<string, unknown>, input = { channels: 32, height: 4, width: 4 }) => model({
      layout: 'hwc', kernel: 1, padding: 0, input, output: { channels: 5 },
      numeric: { type: 'int8', inputOffset: 128, outputOffset: -3, multiplier: 1300000000, shift: -9, ...numeric },
    });
    const m = int8({});
    const m4 = findTarget('cortex-m4')!.features;
    expect(smmlarStage(m, planAccumulator(m), m4)?.kind).toBe('rq-smmlar');
    for (const t of ['cortex-m3', 'arm920t', 'arm926ej-s', 'cortex-m0'])
      expect(smmlarStage(m, planAccumulator(m), findTarget(t)!.features), t).toBeNull();
    // a left shift, a right shift of 0
    for (const shift of [1, 0]) {
      const mm = int8({ shift });
      expect(smmlarStage(mm, planAccumulator(mm), m4), `shift ${shift}`).toBeNull();
    }
    // |acc| can reach 2^29: 60,000 input channels of random weights (no proof of the bound)
    const wide = int8({}, { channels: 60000, height: 1, width: 1 });
    expect(planAccumulator(wide).bound >= 2n ** 29n).toBe(true);
    expect(smmlarStage(wide, planAccumulator(wide), m4)).toBeNull();
  });

  it('prints C whose portable branch equals the golden stage, compiled on the host', async () => {
    // Per-channel records (three words) and one shared record; a narrowed range (clamp) and the full one (SSAT,
    // which the host cannot compile: the clamp stands in for it there, the QEMU test runs SSAT).
    const channels: [number, number][] = [[1969946270, 1], [1073741824, 31], [1518500250, 7], [2147483647, 12], [1073741825, 20]];
    const stage = (off: number, lo: number, hi: number, ch: [number, number][]): SmmlarStage => ({
      kind: 'rq-smmlar', m: ch.map(([m]) => m), c: ch.map(([, e]) => cOf(e, off)), e: ch.map(([, e]) => e),
      lo, hi,
    });
    // d, e: the doubled form (plan.ts: the loops make 2acc), called with 2x.
    const cases = [
      { p: 'a', s: stage(-3, -128, 127, channels.filter(([m]) => m > 2 ** 30)), off: -3 },
      { p: 'b', s: stage(5, -20, 90, [[1518500250, 9], [1518500250, 9]]), off: 5 },
      { p: 'c', s: stage(-128, -128, 0, [[1073741824, 4], [1073741824, 6]]), off: -128 },
      { p: 'd', s: { ...stage(-3, -128, 127, channels.filter(([m]) => m > 2 ** 30)), doubled: true }, off: -3 },
      { p: 'e', s: { ...stage(7, -50, 127, [[1073741824, 3], [1073741824, 11]]), doubled: true }, off: 7 },
    ];
    const lines = ['#include <stdint.h>', '#include <stdio.h>'];
    for (const { p, s } of cases) {
      lines.push(`#define ${p.toUpperCase()}_OUT_C ${s.m.length}`);
      lines.push(printItems({ name: p, NAME: p.toUpperCase(), entry: '', banner: { style: 'line', lines: [] }, items: smmlarItems(p, p.toUpperCase(), s, false),
        memory: { weightBytes: 0, scratchBytes: 0, staticBytes: 0, staticDoc: '' }, isaName: 'host' }, printOptions));
    }
    lines.push('int main(void) {', '    long long n = 0;');
    for (const { p, s } of cases) {
      const R = s.e.every((e) => e === s.e[0]) ? 2 : 3;
      const shared = R === 2 && s.m.every((v) => v === s.m[0]);
      lines.push(`    for (int o = 0; o < ${s.m.length}; ++o)`,
        `        for (int32_t x = -${LIMIT}; x <= ${LIMIT}; x += (x > -70000 && x < 70000) ? 1 : 65521) {`,
        `            printf("${p} %d %ld %ld\\n", o, (long)x, (long)${p}_pw_finish(${s.doubled ? '2 * x' : 'x'}, ${p}_rq + ${shared ? 0 : `${R} * o`}));`, '            ++n;', '        }');
    }
    lines.push('    return n > 0 ? 0 : 1;', '}', '');
    const src = path.join(work, 'smmlar.c');
    const exe = path.join(work, 'smmlar');
    fs.writeFileSync(src, lines.join('\n'));
    await execa('gcc', ['-std=c99', '-O2', '-Wall', '-Wextra', '-Werror', '-o', exe, src]);
    const out = (await execa(exe, [])).stdout.trim().split('\n');
    expect(out.length).toBeGreaterThan(1_500_000);
    const byName = Object.fromEntries(cases.map((c) => [c.p, c]));
    let bad = 0;
    for (const line of out) {
      const [p, o, x, v] = line.split(' ');
      const { s, off } = byName[p];
      const oi = Number(o);
      const want = goldenStage(Number(x), s.m[oi], -s.e[oi], off, s.lo, s.hi);
      if (Number(v) !== want && bad++ < 5) expect(line).toBe(`${p} ${o} ${x} ${want}`);
    }
    expect(bad).toBe(0);
  }, 120_000);
});
