/**
 * The committed docs/benchmarks.json must describe the code convgen generates today, on the whole bench suite, and
 * must show no optimized kernel slower than `reference`, none failing and none with .text over 4 KiB (issue 6). A
 * stale file (a spec, target or kernel changed since `make bench`) or a regression fails here, without re-measuring.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BenchReport, BenchRow } from '../../src/cli/bench.ts';
import { generate } from '../../src/codegen/index.ts';
import { goalTable } from '../../src/measure/goals.ts';
import { codeDigest } from '../../src/measure/index.ts';
import { loadSpec } from '../../src/ops/conv_2d/spec/index.ts';
import { findTarget, targets } from '../../src/targets/index.ts';
import { root } from '../helpers.ts';

// CONVGEN_BENCH_JSON: check another bench JSON (a slice written to /tmp while working on the bench itself).
const file = process.env.CONVGEN_BENCH_JSON ?? path.join(root, 'docs', 'benchmarks.json');
const report = JSON.parse(fs.readFileSync(file, 'utf8')) as BenchReport;
const STALE = 'docs/benchmarks.json is stale: run `make bench` and commit docs/benchmarks.*';
const suite = fs.readdirSync(path.join(root, 'bench')).filter((f) => f.endsWith('.json')).map((f) => `bench/${f}`).sort();
const key = (r: BenchRow) => `${r.name} on ${r.target} (${r.variant}${r.optimize && r.optimize !== 'default' ? `, ${r.optimize}` : ''})`;

describe('committed docs/benchmarks.json', () => {
  it('covers the current bench suite, every QEMU target and the three variants', () => {
    const specs = report.specs.map((s) => path.relative(root, path.resolve(root, s)).split(path.sep).join('/'));
    expect(suite.filter((s) => !specs.includes(s)), `${STALE} (bench specs missing from it)`).toEqual([]);
    expect(specs.filter((s) => !suite.includes(s)), `${STALE} (specs no longer in bench/)`).toEqual([]);
    const qemu = targets.filter((t) => t.run === 'qemu').map((t) => t.name);
    expect(qemu.filter((t) => !report.targets.includes(t)), `${STALE} (targets missing from it)`).toEqual([]);
    expect(report.variants, STALE).toEqual(expect.arrayContaining(['naive', 'reference', 'optimized']));
    expect(report.optimize ?? [], `${STALE} (no optimize goals: written before --optimize)`).toContain('default');
    expect((report.goals ?? []).map((g) => g.id), `${STALE} (goal table changed)`).toEqual(goalTable.map((g) => g.id));
    for (const spec of specs)
      for (const variant of ['reference', 'optimized'])
        expect(report.results.some((r) => r.spec === spec && r.variant === variant), `${STALE} (${spec}: no ${variant} row)`).toBe(true);
  });

  it('was measured on the code convgen generates today', async () => {
    const models = new Map(await Promise.all(report.specs.filter((s) => suite.includes(s)).map(async (s) => [s, await loadSpec(path.join(root, s))] as const)));
    expect(report.results.some((r) => r.codeDigest), `${STALE} (written before rows carried codeDigest)`).toBe(true);
    const changed: string[] = [];
    for (const r of report.results) {
      const m = models.get(r.spec);
      const t = findTarget(r.target);
      if (!m || !t) continue; // reported by the coverage test
      const now = codeDigest(generate(m, { variant: r.variant, target: t, optimize: r.optimize ?? 'default' }));
      if (r.codeDigest !== now) changed.push(key(r));
    }
    const shown = changed.length > 12 ? [...changed.slice(0, 12), `… and ${changed.length - 12} more`] : changed;
    expect(shown, `${STALE} (generated code changed since it was measured)`).toEqual([]);
  }, 120_000);

  it('has no failing kernel, no optimized kernel slower than reference and no optimized .text over 4 KiB', () => {
    const broken = report.results.filter((r) => r.status === 'fail' || r.status === 'error').map((r) => `${key(r)}: ${r.status}`);
    expect(broken).toEqual([]);
    const slower: string[] = [];
    let compared = 0;
    for (const o of report.results.filter((r) => r.variant === 'optimized' && r.status === 'ok')) {
      const ref = report.results.find((r) => r.name === o.name && r.target === o.target && r.variant === 'reference' && r.status === 'ok');
      if (!ref || o.instructions === null || ref.instructions === null) continue;
      compared++;
      if (o.instructions > ref.instructions) slower.push(`${key(o)}: ${o.instructions} instructions, reference ${ref.instructions}`);
    }
    expect(compared).toBeGreaterThan(0);
    expect(slower, 'an optimized kernel is slower than reference').toEqual([]);
    const big = report.results
      .filter((r) => r.variant === 'optimized' && (r.optimize ?? 'default') === 'default' && r.size && r.size.text > 4096)
      .map((r) => `${key(r)}: .text ${r.size!.text} B`);
    expect(big, 'an optimized kernel\'s .text is over 4 KiB').toEqual([]);
  });
});
