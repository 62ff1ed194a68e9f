import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { generate, writeKernel, type GeneratedKernel, type OptimizeGoal, type VariantName } from '../../src/codegen/index.ts';
import { loadSpec } from '../../src/ops/conv_2d/spec/index.ts';
import { findTarget } from '../../src/targets/index.ts';
import { root } from '../helpers.ts';

// The header names the target and what the C needs; the .c stops at the preprocessor with one #error naming the
// -mcpu it was generated for when compiled for a core without the instructions it uses.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'convgen-guard-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A header's banner fields on one line each (continuation lines joined). */
const unwrap = (h: string) => h.replace(/\n \* {12}(?=\S)/g, ' ');

const warn = ['-std=c99', '-O2', '-Wall', '-Wextra', '-Werror', '-c'];

async function kernel(spec: string, target: string, variant: VariantName = 'optimized', optimize: OptimizeGoal = 'default'): Promise<{ k: GeneratedKernel; dir: string; c: string }> {
  const k = generate(await loadSpec(path.join(root, spec)), { variant, target: findTarget(target)!, optimize });
  const dir = path.join(tmp, `${target}-${variant}-${optimize}-${k.name}`);
  writeKernel(k, dir);
  return { k, dir, c: path.join(dir, `${k.name}.c`) };
}

/** Compile one .c for the given flags: the compiler's exit code and its error lines. */
async function compile(c: string, flags: string[]) {
  const r = await execa('arm-none-eabi-gcc', [...flags, ...warn, '-I', path.dirname(c), c, '-o', path.join(path.dirname(c), 'x.o')], { reject: false });
  return { exitCode: r.exitCode, errors: r.stderr.split('\n').filter((l) => /\berror:/.test(l)), stderr: r.stderr };
}

describe('the target guard', () => {
  it('stops Cortex-M4 code compiled for Cortex-M3 with one #error naming -mcpu=cortex-m4, before the assembler', async () => {
    const { k, c } = await kernel('bench/a_3x3_16to16_32x32_q15.json', 'cortex-m4');
    expect(k.needs.isa).toContain('simd32');
    const own = await compile(c, findTarget('cortex-m4')!.cpuFlags);
    expect(own.stderr).toBe('');
    expect(own.exitCode).toBe(0);
    const m3 = await compile(c, ['-mcpu=cortex-m3', '-mthumb']);
    expect(m3.exitCode).not.toBe(0);
    expect(m3.errors).toHaveLength(1);
    expect(m3.errors[0]).toMatch(/error: #error ".*-mcpu=cortex-m4.*SMLAD/);
    expect(m3.stderr).not.toContain('selected processor does not support');
  });

  it('stops MVE code compiled for Cortex-M4 with one #error (not arm_mve.h\'s, nor the type errors after it)', async () => {
    const { k, c } = await kernel('examples/int8_hwc.json', 'cortex-m55');
    expect(k.family).toMatch(/^mve/);
    expect((await compile(c, findTarget('cortex-m55')!.cpuFlags)).exitCode).toBe(0);
    const m4 = await compile(c, ['-mcpu=cortex-m4', '-mthumb']);
    expect(m4.errors).toHaveLength(1);
    expect(m4.errors[0]).toMatch(/#error ".*MVE \(__ARM_FEATURE_MVE\).*-mcpu=cortex-m55/);
  });

  it('stops A32 inline assembly compiled in Thumb state, naming the state and -marm', async () => {
    // speed's lane2w form: SMLAL on two lanes as A32 inline assembly
    const { k, c } = await kernel('examples/int8_hwc.json', 'arm920t', 'optimized', 'speed');
    expect(k.needs.extensions).toContain('inline-asm');
    expect((await compile(c, findTarget('arm920t')!.cpuFlags)).exitCode).toBe(0);
    const thumb = await compile(c, ['-mcpu=arm920t', '-mthumb']);
    expect(thumb.errors).toHaveLength(1);
    expect(thumb.errors[0]).toMatch(/#error ".*A32 \(ARM state\).*-mcpu=arm920t -marm/);
  });

  it('leaves the portable variants unguarded: reference C for Cortex-M4 builds for Cortex-M0', async () => {
    const { k, c } = await kernel('bench/a_3x3_16to16_32x32_q15.json', 'cortex-m4', 'reference');
    expect(fs.readFileSync(c, 'utf8')).not.toContain('#error');
    expect(k.needs.isa).toEqual([]);
    expect((await compile(c, ['-mcpu=cortex-m0', '-mthumb'])).exitCode).toBe(0);
  });

  it('names the target and, for a template family, its declared ISA extension and headers', async () => {
    const m4 = await kernel('bench/a_3x3_16to16_32x32_q15.json', 'cortex-m4');
    const h4 = unwrap(m4.k.files.find((f) => f.name.endsWith('.h') && f.name !== 'convgen_entry.h')!.content);
    expect(h4).toContain(' * Target     cortex-m4: Cortex-M4, ARMv7E-M, Thumb-2; compiled with -mcpu=cortex-m4 -mthumb');
    expect(h4).toMatch(/Instructions: .*SMLAD/);
    const a9 = await kernel('examples/edge3x3.json', 'cortex-a9');
    expect(a9.k.family).toMatch(/^neon/);
    const h9 = unwrap(a9.k.files.find((f) => f.name === 'edge3x3.h')!.content);
    expect(h9).toMatch(/<arm_neon\.h>/);
    expect(h9).toMatch(/Instructions: [^.]*NEON/);
    expect(h9).not.toContain('<stdint.h> only');
    const neonOnM4 = await compile(a9.c, ['-mcpu=cortex-a9', '-marm', '-mfloat-abi=soft']);
    expect(neonOnM4.errors).toHaveLength(1);
    expect(neonOnM4.errors[0]).toMatch(/#error ".*NEON/);
  });
});
