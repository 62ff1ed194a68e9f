/**
 * The blocked family picks its register blocking under CODE_BUDGET using an estimate of code bytes (fnBytes in
 * src/codegen/optimized.ts). The estimate must be an upper bound of what arm-none-eabi-gcc really emits, or a
 * kernel's .text can pass 4 KiB unnoticed until `make bench`. Compile representative bench specs exactly as the
 * bench measures them (the kernel .c alone, the target's flags, -O2) and compare.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { generate, planAccumulator, writeKernel } from '../../src/codegen/index.ts';
import { planOptimized } from '../../src/codegen/optimized.ts';
import { kernelObjectFlags, parseSizeA } from '../../src/measure/index.ts';
import { loadSpec } from '../../src/spec/index.ts';
import { findTarget } from '../../src/targets/index.ts';
import { root } from '../helpers.ts';

// The int8 specs had the biggest kernels (per-channel output stage inlined per accumulator, offset adds in A32).
const specs = ['a_3x3_16to16_32x32_int8', 'd_dw3x3_32_32x32_int8', 'e_5x5_8to16_28x28_int8', 'e_5x5_8to16_28x28_q7', 'a_3x3_16to16_32x32_q7', 'a_3x3_16to16_32x32_q15'];
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'convgen-codesize-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('blocked code-size estimate', () => {
  it('is at least the real .text and keeps it under 4 KiB (arm920t, arm926ej-s: LDRD pairs, cortex-m4)', async () => {
    const checked: string[] = [];
    for (const tname of ['arm920t', 'arm926ej-s', 'cortex-m4']) {
      const t = findTarget(tname)!;
      await Promise.all(specs.map(async (s) => {
        const m = await loadSpec(path.join(root, 'bench', `${s}.json`));
        const k = generate(m, { variant: 'optimized', isa: t.features, optimize: 'default' });
        expect(k.family).toBe('blocked');
        const plan = planOptimized(m, t.features, planAccumulator(m).accType, 'default');
        const dir = path.join(work, `${s}-${tname}`);
        writeKernel(k, dir);
        const obj = path.join(dir, 'kernel.o');
        await execa('arm-none-eabi-gcc', [...kernelObjectFlags(t, dir), '-c', path.join(dir, `${k.name}.c`), '-o', obj]);
        const text = parseSizeA((await execa('arm-none-eabi-size', ['-A', obj])).stdout).text;
        expect(plan.codeBytes, `${s} on ${tname}: estimate ${plan.codeBytes} B, real .text ${text} B`).toBeGreaterThanOrEqual(text);
        expect(plan.codeBytes).toBeLessThanOrEqual(plan.codeBudget);
        expect(plan.codeBudget).toBeLessThanOrEqual(4096);
        expect(text).toBeLessThanOrEqual(4096);
        checked.push(`${s}@${tname}`);
      }));
    }
    expect(checked).toHaveLength(3 * specs.length);
  }, 60_000);
});
