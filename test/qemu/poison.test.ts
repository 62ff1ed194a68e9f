/**
 * The harnesses poison memory before every kernel call (firmware/include/convgen_poison.h): a kernel that is right
 * only on zeroed memory must fail. firmware/test-poison/ is the q15 identity with one defect chosen at compile time:
 * it reads a stack element or a static element it never wrote, leaves outputs unwritten, or writes just outside its
 * output. Each is caught by the single-kernel harness (every QEMU target and the host) and by the multi-kernel
 * harness of `convgen fuzz` (every QEMU target, and the host under ASan + UBSan); built with CONVGEN_NO_POISON
 * (memory as QEMU leaves it) the same defects pass, which is what made the check worth having.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runGolden } from '../../src/ops/conv_2d/spec/golden.ts';
import { runBatch, type FuzzCase } from '../../src/fuzz/index.ts';
import { pool } from '../../src/pool.ts';
import { modelFromValue } from '../../src/ops/conv_2d/spec/index.ts';
import { findTarget, targets, type Target } from '../../src/targets/index.ts';
import { buildImage, firmwareDir } from '../../src/toolchain/index.ts';
import { checkImage } from '../../src/verify/index.ts';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'convgen-poison-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const kernelDir = path.join(firmwareDir, 'test-poison');
const specFile = path.join(kernelDir, 'spec.json');
const m = modelFromValue(JSON.parse(fs.readFileSync(specFile, 'utf8')), specFile);
/** Zeros at the same places in every tensor, so a kernel that skips them passes on a zeroed output buffer. */
const inputs = Array.from({ length: 4 }, (_, t) =>
  Int32Array.from({ length: 64 }, (_, i) => (i % 4 === 0 ? 0 : ((t + 1) * 1000 + i) * (i % 2 ? 1 : -1))));
const qemuTargets = targets.filter((t) => t.run === 'qemu');
const defects = ['STACK', 'STATIC', 'OUTPUT'] as const;
/** The host harnesses poison the stack and the output; a host executable's .bss is shared with libc's copies, so
 * static buffers are poisoned on the QEMU targets only (generated kernels have none on the host's ISA). */
const defectsOn = (t: Target) => (t.run === 'host' ? defects.filter((d) => d !== 'STATIC') : defects);

async function check(target: Target, tag: string, flags: string[]) {
  const built = await buildImage(target, kernelDir, path.join(work, tag, 'build'), { extraFlags: flags });
  try {
    const r = await checkImage(m, built, inputs, path.join(work, tag, 'run'), 30);
    return r.status === 'pass' ? 'pass' : `fail: ${r.mismatches} differ`;
  } catch (e) {
    return `error: ${(e as Error).message}`;
  }
}

describe('poisoned memory: a kernel right only on zeroed memory fails', () => {
  it('the test kernel is the spec: without a defect it passes everywhere (and the inputs hold zeros)', async () => {
    expect(inputs.every((t) => t.includes(0))).toBe(true);
    expect(runGolden(m, inputs[0])).toEqual(inputs[0]);
    const got = await pool([...qemuTargets, findTarget('host')!], 2, (t) => check(t, `ok-${t.name}`, []));
    expect(got).toEqual(got.map(() => 'pass'));
  });

  it('single-kernel harness: every defect fails on every QEMU target and on the host', async () => {
    const cases = [...qemuTargets, findTarget('host')!].flatMap((t) => defectsOn(t).map((d) => ({ t, d })));
    const got = await pool(cases, 2, ({ t, d }) => check(t, `${d}-${t.name}`, [`-DPOISON_DEFECT_${d}`]));
    for (const [i, { t, d }] of cases.entries()) expect(got[i], `${d} on ${t.name}`).toMatch(/^fail: [1-9]\d* differ$/);
  });

  it('writing one element before or after the output is a harness error naming the kernel (exit 14)', async () => {
    const cases = ['arm920t', 'cortex-m0', 'cortex-m55'].flatMap((t) => ['OVERRUN', 'UNDERRUN'].map((d) => ({ t: findTarget(t)!, d })));
    const got = await pool(cases, 2, ({ t, d }) => check(t, `${d}-${t.name}`, [`-DPOISON_DEFECT_${d}`]));
    for (const [i, { t }] of cases.entries())
      expect(got[i]).toBe(`error: ${t.name}: kernel poison wrote outside its output (exit 14)`);
  });

  it('control: with poisoning compiled out (zeroed RAM, as before) the same defects pass', async () => {
    const cases = ['arm920t', 'cortex-m0', 'cortex-m55'].flatMap((t) => defects.map((d) => ({ t: findTarget(t)!, d })));
    const got = await pool(cases, 2, ({ t, d }) => check(t, `ctl-${d}-${t.name}`, [`-DPOISON_DEFECT_${d}`, '-DCONVGEN_NO_POISON']));
    expect(got).toEqual(got.map(() => 'pass'));
  });

  it('multi-kernel harness (convgen fuzz): each defect fails next to a correct kernel, on every QEMU target and the host', async () => {
    const source = fs.readFileSync(path.join(kernelDir, 'poison.c'), 'utf8');
    const fc: FuzzCase = { index: 0, spec: {}, model: m, inputSeed: 1, inputs, expected: inputs.map((t) => runGolden(m, t)) };
    const kernels = (t: Target) => ['NONE', ...defectsOn(t)].map((d) => ({ case: fc, variant: 'naive' as const, name: `p_${d.toLowerCase()}` }));
    // Each batch kernel becomes the test kernel under its own name (one translation unit: no shared statics).
    const tamper = (file: string, _text: string) => {
      const name = path.basename(file, '.c');
      return `#define POISON_DEFECT_${name.slice(2).toUpperCase()} 1\n${source.replaceAll('poison_', `${name}_`)}`;
    };
    const got = await pool([...qemuTargets, findTarget('host')!], 2, async (t) =>
      (await runBatch(t, kernels(t), { sanitize: true, timeoutSeconds: 30, tamper })).map((o) => `${o.target} ${o.status}`));
    for (const [i, t] of [...qemuTargets, findTarget('host')!].entries())
      expect(got[i], t.name).toEqual(['pass', ...defectsOn(t).map(() => 'fail')].map((s) => `${t.name} ${s}`));
  });
});
