/**
 * Kernel names that would collide with a file convgen writes or a header the build includes are refused
 * (src/codegen/names.ts). Checked against what is really emitted and compiled, not against the list's own source: every
 * header the generated C of each family and the firmware of each target include, and the fixed files generate()
 * writes. A name that only a toolchain-internal header has (glibc's features.h) is allowed: the kernel folder is
 * added with -iquote, so it cannot shadow one, which -I would.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { generate, variantNames, writeKernel } from '../../src/codegen/index.ts';
import { ENTRY_HEADER, nameProblem } from '../../src/codegen/names.ts';
import { findTarget, targets } from '../../src/targets/index.ts';
import { firmwareDir, firmwareSources } from '../../src/toolchain/index.ts';
import { verifyPair } from '../../src/verify/index.ts';
import { model } from '../helpers.ts';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'convgen-names-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const includes = (text: string) => [...text.matchAll(/^\s*#\s*include\s*[<"]([^>"]+)[>"]/gm)].map((m) => m[1]);

describe('reserved kernel names', () => {
  it('every header the generated C and the firmware include, and every fixed file generate() writes, is refused', () => {
    const headers = new Set<string>();
    const fixedFiles = new Set<string>();
    // Across the targets these reach every family: blocked, pointwise, mve, mve-chw, neon, neon-hwc.
    const shape = { input: { channels: 8, height: 12, width: 12 }, output: { channels: 8 } };
    const q7 = { type: 'q7', inputFrac: 6, weightFrac: 6, outputFrac: 6 };
    const specs = [model({ name: 'kk', ...shape }), model({ name: 'kk', ...shape, layout: 'hwc', numeric: q7 }),
      model({ name: 'kk', ...shape, numeric: q7 }), model({ name: 'kk', kernel: 1, padding: 0 })];
    const families = new Set<string | null>();
    for (const t of targets)
      for (const m of specs)
        for (const variant of variantNames) {
          const k = generate(m, { variant, isa: t.features, builtinInput: t.builtinInput ? { data: new Int32Array(m.inC * m.inH * m.inW), seed: 1 } : undefined });
          families.add(k.family);
          for (const f of k.files) {
            if (!f.name.startsWith('kk')) fixedFiles.add(f.name);
            for (const h of includes(f.content)) if (h !== 'kk.h') headers.add(h);
          }
        }
    for (const t of targets.filter((x) => x.run !== 'host'))
      for (const f of firmwareSources(t)) for (const h of includes(fs.readFileSync(f, 'utf8'))) headers.add(h);
    for (const f of fs.readdirSync(path.join(firmwareDir, 'include'))) headers.add(f);
    expect([...families].filter(Boolean).sort()).toEqual(['blocked', 'mve', 'mve-chw', 'neon', 'neon-hwc', 'pointwise']);
    expect([...fixedFiles]).toEqual([ENTRY_HEADER]);
    expect(headers).toContain('arm_mve.h');
    expect(headers).toContain('arm_neon.h');
    expect(headers).toContain('convgen_fw.h');
    const names = [...headers, ...fixedFiles].map((h) => path.basename(h).replace(/\.h$/, '')).filter((n) => /^[a-z_][a-z0-9_]*$/.test(n));
    expect(names.length).toBeGreaterThan(8);
    for (const n of names) expect(nameProblem(n), n).toMatch(new RegExp(`^'${n}' is reserved: `));
    // ordinary names stay allowed
    for (const n of ['edge3x3', 'conv1', 'stdint_', 'features', 'newlib']) expect(nameProblem(n), n).toBeUndefined();
  });

  it('a name only a toolchain-internal header has (features) builds and runs bit-exact, where -I would shadow glibc', async () => {
    const m = model({ name: 'features' });
    const r = await verifyPair(m, findTarget('host')!, { seed: 1, timeoutSeconds: 60 });
    expect(r.status, r.error).toBe('pass');
    // The same folder added with -I breaks a plain #include <stdio.h>: the collision is real.
    const dir = path.join(work, 'features');
    writeKernel(generate(m), dir);
    const c = path.join(work, 'user.c');
    fs.writeFileSync(c, '#include <stdio.h>\nint main(void) { return printf("x") < 0; }\n');
    const withI = await execa('gcc', ['-I', dir, '-c', c, '-o', path.join(work, 'user.o')], { reject: false });
    expect(withI.exitCode).not.toBe(0);
    const withQuote = await execa('gcc', ['-iquote', dir, '-c', c, '-o', path.join(work, 'user.o')], { reject: false });
    expect(withQuote.exitCode, withQuote.stderr).toBe(0);
  });
});
