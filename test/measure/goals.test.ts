/**
 * The goal table of issues 6 and 19, judged on synthetic measurement records: met, not met, not measured (and why),
 * strict bounds, absolute bounds, the faster optimize goal for speed and the default one for size, cycles where a
 * model exists, and the rendered page.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { OptimizeGoal, VariantName } from '../../src/codegen/index.ts';
import type { MeasureStatus } from '../../src/measure/index.ts';
import { evaluateGoal, evaluateGoals, goalTable, type GoalContext, type GoalDef, type GoalInput } from '../../src/measure/goals.ts';
import { renderMarkdown, type BenchReport, type BenchRow } from '../../src/cli/bench.ts';
import { root } from '../helpers.ts';

function rec(name: string, target: string, variant: VariantName, ipm: number | null, over: Partial<GoalInput> = {}): GoalInput {
  return {
    name, target, variant, optimize: 'default', status: ipm === null ? 'does-not-fit' : 'ok',
    instructionsPerMac: ipm, instructionsPlusAccessesPerMac: ipm === null ? null : ipm * 1.3,
    cyclesPerMac: null, cycleModel: { id: 'x', kind: 'model' },
    size: { text: 1000, rodata: 500, data: 0, bss: 0 }, weightBytes: { raw: 400, flash: 400 }, ...over,
  };
}
/** A record with an estimated cycles/MAC figure. */
const cyc = (name: string, target: string, variant: VariantName, cpm: number, over: Partial<GoalInput> = {}): GoalInput =>
  rec(name, target, variant, cpm / 2, { cyclesPerMac: cpm, ...over });

const goal = (id: string): GoalDef => goalTable.find((g) => g.id === id)!;
const A8 = 'a_3x3_16to16_32x32_int8';
const B8 = 'b_3x3_3to8_32x32_int8';
const ctx: GoalContext = { specs: [A8, B8], targets: ['cortex-m4', 'cortex-m7', 'cortex-m55'], variants: ['naive', 'optimized'], skipped: [] };

describe('goal table', () => {
  it('names only specs of the bench suite and targets convgen has', async () => {
    const names = fs.readdirSync(path.join(root, 'bench')).filter((f) => f.endsWith('.json'))
      .map((f) => (JSON.parse(fs.readFileSync(path.join(root, 'bench', f), 'utf8')) as { name: string }).name);
    const { targets } = await import('../../src/targets/index.ts');
    const targetNames = targets.map((t) => t.name);
    for (const g of goalTable) {
      if (g.cases === 'all' || g.cases === 'speed') continue;
      for (const c of g.cases) {
        expect(names, g.id).toContain(c.spec);
        expect(targetNames, g.id).toContain(c.target);
        if (g.against.kind === 'quoted') expect(c.quoted, `${g.id} ${c.spec}`).toBeGreaterThan(0);
      }
      if (g.against.kind === 'target') expect(targetNames).toContain(g.against.target);
    }
    expect(new Set(goalTable.map((g) => g.id)).size).toBe(goalTable.length);
  });

  it('judges int8 shapes against the quoted CMSIS-NN figures: met and not met', () => {
    const r = evaluateGoal(goal('cortex-m7-int8-cmsis-nn'), [
      rec(A8, 'cortex-m7', 'optimized', 1.70), // 1.70 / 2.33 = 0.73
      rec(B8, 'cortex-m7', 'optimized', 4.70), // 4.70 / 6.24 = 0.753
    ], ctx);
    const a = r.rows.find((x) => x.spec === A8)!;
    expect(a).toMatchObject({ value: 1.7, reference: 2.33, ratio: 0.7296, status: 'met', goal: '≤ 0.75×' });
    expect(r.rows.find((x) => x.spec === B8)).toMatchObject({ reference: 6.24, status: 'not met' });
    expect(r.rows).toHaveLength(5);
    expect([r.met, r.notMet, r.notMeasured]).toEqual([1, 1, 3]);
  });

  it('says why a case was not measured instead of dropping it', () => {
    const r = evaluateGoal(goal('cortex-m7-int8-cmsis-nn'), [
      rec(A8, 'cortex-m7', 'optimized', null), // does not fit
      rec(B8, 'cortex-m7', 'optimized', 3, { status: 'fail' as MeasureStatus }),
    ], ctx);
    const note = (spec: string) => r.rows.find((x) => x.spec === spec)!;
    expect(note(A8)).toMatchObject({ status: 'not measured', value: null, note: expect.stringMatching(/does not fit/) });
    expect(note(B8)).toMatchObject({ status: 'not measured', note: expect.stringMatching(/FAIL/) });
    expect(note('c_1x1_32to32_16x16_int8')).toMatchObject({ status: 'not measured', note: 'c_1x1_32to32_16x16_int8 was not in this run' });
    const other = evaluateGoal(goal('cortex-m3-int8-cmsis-nn'), [], ctx);
    expect(other.rows.every((x) => x.status === 'not measured' && x.note === 'cortex-m3 was not in this run')).toBe(true);
    const skipped = evaluateGoal(goal('cortex-m3-int8-cmsis-nn'), [], { ...ctx, targets: ['cortex-m3'], skipped: [{ target: 'cortex-m3', reason: 'build-only' }] });
    expect(skipped.rows[0].note).toBe('cortex-m3: build-only');
  });

  it('makes "beat it" strict on the shapes that say so (Cortex-M55 b and d)', () => {
    const r = evaluateGoal(goal('cortex-m55-int8-cmsis-nn'), [
      rec(A8, 'cortex-m55', 'optimized', 0.39), // equal: ≤ 1.0× is met
      rec(B8, 'cortex-m55', 'optimized', 1.99), // equal: must beat it
    ], ctx);
    expect(r.rows.find((x) => x.spec === A8)).toMatchObject({ status: 'met', goal: '≤ 1.00×' });
    expect(r.rows.find((x) => x.spec === B8)).toMatchObject({ status: 'not met', goal: '< 1.00×' });
    const beat = evaluateGoal(goal('cortex-m55-int8-cmsis-nn'), [rec(B8, 'cortex-m55', 'optimized', 1.98)], ctx);
    expect(beat.rows.find((x) => x.spec === B8)!.status).toBe('met');
  });

  it('judges the ratio unrounded, so a miss by less than the rounding is still a miss', () => {
    // 0.7500004 × 2.33: rounds to a ratio of 0.75 but is above the bound.
    const r = evaluateGoal(goal('cortex-m7-int8-cmsis-nn'), [rec(A8, 'cortex-m7', 'optimized', 2.33 * 0.7500004)], ctx);
    expect(r.rows[0].ratio).toBe(0.75);
    expect(r.rows[0].status).toBe('not met');
  });

  it('holds an absolute bound even when the ratio looks good (q15/q7 shape a on Cortex-M4)', () => {
    const r = evaluateGoal(goal('cortex-m4-q-cmsis-nn'), [
      rec('a_3x3_16to16_32x32_q15', 'cortex-m4', 'optimized', 1.25),
      rec('a_3x3_16to16_32x32_q7', 'cortex-m4', 'optimized', 1.5),
    ]);
    expect(r.rows[0]).toMatchObject({ reference: 1.59, ratio: 0.7862, goal: '≤ 1.20', status: 'not met' });
    expect(r.rows[1]).toMatchObject({ reference: 1.99, goal: '≤ 1.50', status: 'met' });
  });

  it('compares with a variant or another target measured in the same run', () => {
    const q = 'a_3x3_16to16_32x32_q15';
    const naive = evaluateGoal(goal('arm920t-q-naive'), [cyc(q, 'arm920t', 'naive', 8), cyc(q, 'arm920t', 'optimized', 2.4)]);
    expect(naive.rows.find((x) => x.spec === q)).toMatchObject({ reference: 8, ratio: 0.3, status: 'met' });
    const noNaive = evaluateGoal(goal('arm920t-q-naive'), [cyc(q, 'arm920t', 'optimized', 2.4)]);
    expect(noNaive.rows.find((x) => x.spec === q)).toMatchObject({ status: 'not measured', reference: null });
    const arm9 = evaluateGoal(goal('arm926ej-s-q-vs-arm920t'), [cyc(q, 'arm920t', 'optimized', 2.5), cyc(q, 'arm926ej-s', 'optimized', 2.1)]);
    expect(arm9.rows.find((x) => x.spec === q)).toMatchObject({ reference: 2.5, ratio: 0.84, status: 'not met' });
    const quoted = evaluateGoal(goal('arm920t-q15-issue-naive'), [rec(q, 'arm920t', 'optimized', 2.1)]);
    expect(quoted.rows.find((x) => x.spec === q)).toMatchObject({ reference: 7.06, status: 'met' });
  });

  it('takes the faster optimize goal for speed goals and the default for size goals', () => {
    const two = (opt: OptimizeGoal, ipm: number, text: number): GoalInput =>
      rec(A8, 'cortex-m4', 'optimized', ipm, { optimize: opt, size: { text, rodata: 0, data: 0, bss: 0 } });
    const results = [two('default', 2.0, 3000), two('speed', 1.6, 5000)];
    const speed = evaluateGoal(goal('cortex-m4-int8-accesses'), results, ctx);
    expect(speed.rows.find((x) => x.spec === A8)).toMatchObject({ value: 2.08, optimize: 'speed', status: 'met' });
    const text = evaluateGoal(goal('text-4k'), results, ctx);
    expect(text.rows).toEqual([expect.objectContaining({ spec: A8, value: 3000, optimize: 'default', status: 'met', goal: '≤ 4,096 B' })]);
  });

  it('judges issue 19\'s goals in estimated cycles: quoted CMSIS-NN cycles, an absolute bound on shape (a)', () => {
    const r = evaluateGoal(goal('cortex-m4-int8-cmsis-nn-cycles'), [
      cyc(A8, 'cortex-m4', 'optimized', 1.4), // 1.4 / 2.87 = 0.49, but shape (a) must be ≤ 1.3
      cyc(B8, 'cortex-m4', 'optimized', 4.0), // 4.0 / 8.11 = 0.49
    ], ctx);
    expect(r.rows.find((x) => x.spec === A8)).toMatchObject({ value: 1.4, reference: 2.87, status: 'not met', goal: '≤ 0.50× and ≤ 1.30' });
    expect(r.rows.find((x) => x.spec === B8)).toMatchObject({ reference: 8.11, status: 'met' });
    const arm = evaluateGoal(goal('arm920t-int8-cmsis-nn-cycles'), [cyc(A8, 'arm920t', 'optimized', 4.3)]);
    expect(arm.rows.find((x) => x.spec === A8)).toMatchObject({ reference: 6.82, ratio: 0.6305, status: 'not met' });
    const q = evaluateGoal(goal('arm920t-q-a-cycles'), [cyc('a_3x3_16to16_32x32_q7', 'arm920t', 'optimized', 3.5)]);
    expect(q.rows[1]).toMatchObject({ value: 3.5, status: 'met' });
    expect(q.rows[0]).toMatchObject({ status: 'not measured' });
  });

  it('does not judge a rough or missing cycle figure, and says so', () => {
    const q = 'a_3x3_16to16_32x32_q15';
    const rough = evaluateGoal(goal('arm926ej-s-q-vs-arm920t'), [
      cyc(q, 'arm920t', 'optimized', 6), cyc(q, 'arm926ej-s', 'optimized', 4, { cycleModel: { id: 'x', kind: 'rough' } })]);
    expect(rough.rows.find((x) => x.spec === q)).toMatchObject({ status: 'not measured', note: 'arm926ej-s: only a rough cycle figure' });
    const none = evaluateGoal(goal('arm926ej-s-q-vs-arm920t'), [rec(q, 'arm920t', 'optimized', 3), cyc(q, 'arm926ej-s', 'optimized', 4)]);
    expect(none.rows.find((x) => x.spec === q)).toMatchObject({ status: 'not measured', note: 'optimized on arm920t: no cycle estimate' });
  });

  it('holds --optimize speed to the default\'s cycles wherever it generates other code', () => {
    const results = [
      cyc(A8, 'arm920t', 'optimized', 4.29), cyc(A8, 'arm920t', 'optimized', 4.56, { optimize: 'speed' }),
      cyc(B8, 'arm920t', 'optimized', 6.0), cyc(B8, 'arm920t', 'optimized', 5.0, { optimize: 'speed' }),
      cyc(A8, 'cortex-m4', 'optimized', 1.9), cyc(A8, 'cortex-m4', 'optimized', 1.9, { optimize: 'speed', sameCodeAs: 'default' }),
    ];
    const r = evaluateGoal(goal('speed-not-slower'), results);
    expect(r.rows.map((x) => [x.spec, x.target, x.value, x.reference, x.status])).toEqual([
      [A8, 'arm920t', 4.56, 4.29, 'not met'], [B8, 'arm920t', 5.0, 6.0, 'met']]);
  });

  it('checks .text and weight flash of every optimized kernel of the run', () => {
    const results = [
      rec(A8, 'cortex-m4', 'optimized', 2, { size: { text: 4097, rodata: 0, data: 0, bss: 0 } }),
      rec(A8, 'cortex-m55', 'optimized', 2, { weightBytes: { raw: 2304, flash: 2400 } }),
      rec(B8, 'cortex-m4', 'optimized', 2, { weightBytes: { raw: 216, flash: null } }),
      rec(B8, 'cortex-m4', 'naive', 9, { size: { text: 9999, rodata: 0, data: 0, bss: 0 } }),
    ];
    const text = evaluateGoal(goal('text-4k'), results, ctx);
    expect(text.rows.map((x) => [x.spec, x.target, x.status])).toEqual([
      [A8, 'cortex-m4', 'not met'], [A8, 'cortex-m55', 'met'], [B8, 'cortex-m4', 'met']]);
    const w = evaluateGoal(goal('weight-flash'), results, ctx);
    expect(w.rows.map((x) => x.status)).toEqual(['met', 'not met', 'not measured']);
    expect(w.rows[1]).toMatchObject({ value: 2400, reference: 2304 });
    expect(evaluateGoal(goal('text-4k'), [], ctx).rows).toEqual([expect.objectContaining({ status: 'not measured' })]);
  });

  it('renders a goal over many kernels as a spec × target grid that marks the misses', () => {
    const targets = ['arm920t', 'cortex-m0', 'cortex-m3', 'cortex-m4', 'cortex-a9'];
    const names = ['a_3x3_16to16_32x32_q15', 'b_3x3_3to8_32x32_q15', 'c_1x1_32to32_16x16_q15', 'd_dw3x3_32_32x32_q15', 'e_5x5_8to16_28x28_q15'];
    const results = names.flatMap((n, i) => targets.map((t, j) =>
      rec(n, t, 'optimized', 2, { size: { text: i === 1 && j === 3 ? 5000 : 1000 + i * 10 + j, rodata: 0, data: 0, bss: 0 } })));
    const goals = evaluateGoals(results, { specs: names, targets, variants: ['optimized'], skipped: [] });
    const text = goals.find((g) => g.id === 'text-4k')!;
    expect([text.met, text.notMet, text.notMeasured]).toEqual([24, 1, 0]);
    const report = {
      convgen: 'x', tools: { gcc: 'g', qemu: 'q' }, seed: 1, specs: [], targets, variants: ['optimized'], optimize: ['default'],
      results: [], goals, skipped: [],
    } as unknown as BenchReport;
    const page = renderMarkdown(report);
    const section = page.slice(page.indexOf('### Code size'), page.indexOf('### Weight flash'));
    expect(section).toContain(`| spec | ${targets.join(' | ')} |`);
    expect(section).toContain('| b_3x3_3to8_32x32_q15 | 1,010 | 1,011 | 1,012 | **5,000 NOT met** | 1,014 |');
  });

  it('evaluates every goal of the table, each with at least one row, and renders them on the page', () => {
    const results = [rec(A8, 'cortex-m4', 'naive', 9), rec(A8, 'cortex-m4', 'optimized', 2.0)];
    const goals = evaluateGoals(results, ctx);
    expect(goals.map((g) => g.id)).toEqual(goalTable.map((g) => g.id));
    for (const g of goals) expect(g.rows.length, g.id).toBeGreaterThan(0);
    const row = (r: GoalInput): BenchRow => ({
      spec: `bench/${r.name}.json`, codeDigest: null, macs: 1, instructions: 1, loads: 0, stores: 0, memInsns: 0,
      instructionsWorst: 1, overhead: null, ramBytes: 0, ram: null, targetRamBytes: 1, stackBytes: 0, stack: null,
      helpers: { calls: [], bytes: 0 }, accumulator: 'int32_t', verified: { tensors: 5, elements: 5, mismatches: 0 },
      ratioToNaive: 1, optimize: 'default', weightBytes: { raw: 1, flash: 1 }, ...r,
    } as unknown as BenchRow);
    const report: BenchReport = {
      convgen: 'x', tools: { gcc: 'g', qemu: 'q' }, seed: 1, specs: [], targets: ctx.targets, variants: ctx.variants,
      optimize: ['default'], results: results.map(row), goals, skipped: [],
    };
    const page = renderMarkdown(report);
    expect(page).toContain('## Goals (issues 6 and 19)');
    expect(page).toContain('issue #6: CMSIS-NN 7.0+, -Ofast, arm-none-eabi-gcc 12.2, same QEMU counting');
    expect(page).toMatch(/\| \(a\) 3×3 16→16 32×32 pad 1, int8 \| cortex-m4 \| 2\.60 \| 3\.06 \| 0\.85× \| ≤ 0\.75× \| \*\*NOT met\*\* \|/);
    expect(page).toContain('not measured (cortex-m3 was not in this run)');
    for (const g of goalTable) expect(page).toContain(`### ${g.title}`);
  });
});
