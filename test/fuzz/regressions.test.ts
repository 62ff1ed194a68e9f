/**
 * Every file in test/regressions/ (the format `convgen fuzz` writes for a failure) stays fixed: its spec compiles
 * under the strict flags with gcc and clang, and is bit-exact on the host under ASan + UBSan and on its target,
 * for every variant, on the seeded inputs and the accumulator-bound inputs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generate, variantNames, writeKernel } from '../../src/codegen/index.ts';
import { makeCase, runBatch, type RegressionFile } from '../../src/fuzz/index.ts';
import { strictCompile } from '../../src/fuzz/static.ts';
import { findTarget } from '../../src/targets/index.ts';
import { root } from '../helpers.ts';

const dir = path.join(root, 'test', 'regressions');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'convgen-regress-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('test/regressions', () => {
  it('holds at least one case, each a complete regression file', () => {
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const r = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as RegressionFile;
      expect(Object.keys(r), f).toEqual(expect.arrayContaining(['description', 'found', 'inputSeed', 'target', 'variant', 'failure', 'spec']));
    }
  });

  for (const f of files)
    it(`${f}: strict flags (gcc, clang) and bit-exact on the host and its target, every variant`, async () => {
      const r = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as RegressionFile;
      const name = String(r.spec.name);
      const c = makeCase(r.spec, 0, r.inputSeed, name, path.join(dir, f));
      const targetNames = [...new Set(['host', r.target].filter((t) => findTarget(t)))];
      for (const tn of targetNames) {
        const target = findTarget(tn)!;
        const sources = variantNames.map((variant) => {
          const kname = `${name}_${variant}`.slice(0, 32);
          const kdir = path.join(work, f, tn, kname);
          writeKernel(generate({ ...c.model, name: kname }, { variant, isa: target.features }), kdir);
          return path.join(kdir, `${kname}.c`);
        });
        for (const compiler of ['gcc', 'clang'] as const) {
          const s = await strictCompile(compiler, target, sources, path.join(work, f, tn, `obj-${compiler}`));
          expect(s.output ?? '', s.command).toBe('');
        }
        const outcomes = await runBatch(target, variantNames.map((variant) => ({ case: c, variant, name: `${name}_${variant}`.slice(0, 32) })),
          { sanitize: true, timeoutSeconds: 60 });
        expect(outcomes.filter((o) => o.status !== 'pass').map((o) => `${tn} ${o.variant}: ${o.message}`)).toEqual([]);
      }
    });
});
