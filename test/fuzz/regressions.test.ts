/**
 * Every file in test/regressions/ (the format `convgen fuzz` writes for a failure) stays fixed: its spec compiles
 * under the strict flags with gcc and clang (host and its target), and is bit-exact under poisoned memory on the host
 * (ASan + UBSan), on its target and on the targets it names (`"targets": "all"`: every QEMU target), in every variant and both goals,
 * on the seeded inputs and the accumulator-bound inputs. One image per target holds every file's kernels.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generate, variantNames, writeKernel } from '../../src/codegen/index.ts';
import { makeCase, runBatch, variantGoals, type FuzzCase, type RegressionFile } from '../../src/fuzz/index.ts';
import { strictCompile } from '../../src/fuzz/static.ts';
import { pool } from '../../src/pool.ts';
import { findTarget, targets, type Target } from '../../src/targets/index.ts';
import { root } from '../helpers.ts';

const dir = path.join(root, 'test', 'regressions');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'convgen-regress-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const regressions = files.map((f, i) => {
  const r = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as RegressionFile;
  return { file: f, r, c: makeCase(r.spec, i, r.inputSeed, `g${i}`, path.join(dir, f)) };
});
const qemuTargets = targets.filter((t) => t.run === 'qemu');

/** The targets a file is checked on: the host, its own target, and those it names. */
function targetsOf(r: RegressionFile): string[] {
  const named = r.targets === 'all' ? qemuTargets.map((t) => t.name) : (r.targets ?? []);
  return [...new Set(['host', r.target, ...named])].filter((t) => findTarget(t));
}

const pairs = variantGoals(variantNames, ['default', 'speed']);
const kernelOf = (i: number, variant: string, optimize: string) => `g${i}_${variant}${optimize === 'speed' ? '_speed' : ''}`;

describe('test/regressions', () => {
  it('holds complete regression files, among them both of issue 15, each checked on every target', () => {
    expect(files.length).toBeGreaterThan(0);
    for (const { file, r } of regressions)
      expect(Object.keys(r), file).toEqual(expect.arrayContaining(['description', 'found', 'inputSeed', 'target', 'variant', 'failure', 'spec']));
    for (const f of ['issue15_mve_chw_zeroed_ram.json', 'issue15_q31_pointwise_a32.json']) {
      const r = regressions.find((x) => x.file === f)!.r;
      expect(targetsOf(r).sort(), f).toEqual(['host', ...qemuTargets.map((t) => t.name)].sort());
    }
  });

  const byTarget = [findTarget('host')!, ...qemuTargets].map((t) => ({ t, regs: regressions.filter(({ r }) => targetsOf(r).includes(t.name)) }))
    .filter(({ regs }) => regs.length > 0);

  it(`strict flags and bit-exact under poisoned memory, every variant and goal, on ${byTarget.map(({ t }) => t.name).join(', ')}`, async () => {
    const problems = await pool(byTarget, 2, async ({ t, regs }: { t: Target; regs: typeof regressions }) => {
      const out: string[] = [];
      // The strict compiles on the host and each file's own target (every variant is compiled for every target below).
      const sources = regs.filter(({ r }) => t.run === 'host' || r.target === t.name).flatMap(({ c }) => pairs.map(({ variant, optimize }) => {
        const kname = kernelOf(c.index, variant, optimize);
        const kdir = path.join(work, t.name, kname);
        writeKernel(generate({ ...c.model, name: kname }, { variant, isa: t.features, optimize }), kdir);
        return path.join(kdir, `${kname}.c`);
      }));
      for (const compiler of sources.length ? ['gcc', 'clang'] as const : []) {
        const s = await strictCompile(compiler, t, sources, path.join(work, t.name, `obj-${compiler}`));
        if (s.output) out.push(`${t.name} ${compiler}: ${s.output.split('\n')[0]}`);
      }
      const kernels = regs.flatMap(({ c }) => pairs.map(({ variant, optimize }) =>
        ({ case: c as FuzzCase, variant, optimize, name: kernelOf(c.index, variant, optimize) })));
      for (const o of await runBatch(t, kernels, { sanitize: true }))
        if (o.status !== 'pass') out.push(`${regressions[o.case.index].file} on ${t.name} (${o.variant}, ${o.optimize}): ${o.message}`);
      return out;
    });
    expect(problems.flat()).toEqual([]);
  }, 600_000);
});
