/**
 * The blocked family picks its register blocking under CODE_BUDGET using an estimate of code bytes (fnBytes in
 * src/families/blocked/cost.ts). The estimate must be an upper bound of what arm-none-eabi-gcc really emits, or a
 * kernel's .text can pass 4 KiB unnoticed until `make bench`. Compile representative bench specs exactly as the
 * bench measures them (the kernel .c alone, the target's flags, -O2) and compare.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { generate, planAccumulator, writeKernel } from '../../src/codegen/index.ts';
import { planBlocked } from '../../src/families/blocked/search.ts';
import { kernelObjectFlags, parseSizeA } from '../../src/measure/index.ts';
import { loadSpec } from '../../src/spec/index.ts';
import { findTarget } from '../../src/targets/index.ts';
import { root } from '../helpers.ts';

// Every bench spec the blocked family takes (the biggest kernels: int8's per-channel output stage, offset adds in A32,
// lane2's lane pairs, column and band functions).
const specs = fs.readdirSync(path.join(root, 'bench')).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, ''));
const targetNames = ['arm920t', 'arm926ej-s', 'cortex-m3', 'cortex-m4', 'cortex-m7'];
// The speed plans too where they differ in the blocked family's code (lane2w's packed weight pairs on the cores
// without SIMD32).
const speedTargets = new Set(['arm920t', 'arm926ej-s', 'cortex-m3']);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'convgen-codesize-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('blocked code-size estimate', () => {
  it(`is at least the real .text and keeps it under 4 KiB (${targetNames.join(', ')})`, async () => {
    const checked: string[] = [];
    for (const tname of targetNames)
    for (const optimize of speedTargets.has(tname) ? ['default', 'speed'] as const : ['default'] as const) {
      const t = findTarget(tname)!;
      await Promise.all(specs.map(async (s) => {
        const m = await loadSpec(path.join(root, 'bench', `${s}.json`));
        const k = generate(m, { variant: 'optimized', isa: t.features, optimize });
        if (k.family !== 'blocked') return;
        const plan = planBlocked(m, t.features, planAccumulator(m).accType, optimize);
        const dir = path.join(work, `${s}-${tname}-${optimize}`);
        writeKernel(k, dir);
        const obj = path.join(dir, 'kernel.o');
        await execa('arm-none-eabi-gcc', [...kernelObjectFlags(t, dir), '-c', path.join(dir, `${k.name}.c`), '-o', obj]);
        const text = parseSizeA((await execa('arm-none-eabi-size', ['-A', obj])).stdout).text;
        expect(plan.codeBytes, `${s} on ${tname} (${optimize}): estimate ${plan.codeBytes} B, real .text ${text} B`).toBeGreaterThanOrEqual(text);
        expect(plan.codeBytes).toBeLessThanOrEqual(plan.codeBudget);
        expect(plan.codeBudget).toBeLessThanOrEqual(4096);
        expect(text).toBeLessThanOrEqual(4096);
        if (optimize === 'default') checked.push(`${s}@${tname}`);
      }));
    }
    // the blocked family takes most of them on every target (1x1 is pointwise, M55/A9 have vector families)
    expect(checked.length).toBeGreaterThan(targetNames.length * specs.length * 0.7);
  }, 300_000);
});
