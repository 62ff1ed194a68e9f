/**
 * Kernels as units of one C module (what the networks issue builds on): several layers' units in one translation unit
 * compile warning-free for a target with the strict flags, define no symbol outside the module's own function, and,
 * on the host, compute exactly what the golden model does.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { lowerKernel, type KernelUnit } from '../../src/codegen/unit.ts';
import { mergeRequirements } from '../../src/ir/requirements.ts';
import { loadSpec, type KernelModel } from '../../src/ops/conv_2d/spec/index.ts';
import { findTarget } from '../../src/targets/index.ts';
import { runGolden } from '../../src/ops/conv_2d/spec/golden.ts';
import { testInputs } from '../../src/verify/index.ts';
import { model, root, runHostC } from '../helpers.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convgen-unit-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/**
 * Layers whose units define the same macros with other values (IN_PER_GROUP, IN_AT, PAIR, ...), helpers of several
 * forms, int8 tables, and on ARMv5TE a unit with a GCC optimize pragma (split accumulators): each must stay inside
 * its unit.
 */
const layers: { spec: string; name: string; variant?: 'reference' | 'naive' }[] = [
  { spec: 'examples/edge3x3.json', name: 'conv1' },
  { spec: 'bench/d_dw3x3_32_32x32_q15.json', name: 'conv2' },
  { spec: 'examples/int8_hwc.json', name: 'conv3' },
  { spec: 'examples/q15_pairs_hwc.json', name: 'conv4' },
  { spec: 'examples/q7_floor_shiftleft.json', name: 'conv5', variant: 'reference' },
  { spec: 'examples/q31_hwc.json', name: 'conv6', variant: 'naive' },
];

async function models(): Promise<KernelModel[]> {
  return Promise.all(layers.map(async (l) => ({ ...(await loadSpec(path.join(root, l.spec))), name: l.name })));
}

/** One module: the merged includes, every unit, and net_run calling each layer on its own buffers. */
function moduleText(units: KernelUnit[]): string {
  const includes = mergeRequirements(units.map((u) => u.requirements)).headers.map((h) => `#include <${h}>`);
  const params = units.flatMap((u) => [`const ${u.entry.inType} *in_${u.name}`, `${u.entry.outType} *out_${u.name}`]);
  return [
    ...includes, '',
    ...units.map((u) => u.code),
    `void net_run(${params.join(', ')});`,
    `void net_run(${params.join(', ')})`, '{',
    ...units.map((u) => `    ${u.entry.name}(in_${u.name}, out_${u.name});`),
    '}', '',
  ].join('\n');
}

/** Runs the module on the host on test inputs (outputs poisoned first): every layer's output must be the golden one. */
async function expectGoldenOnHost(ms: KernelModel[], units: KernelUnit[], tag: string): Promise<void> {
  const lines = [moduleText(units), '#include <stdio.h>', '#include <string.h>', 'int main(void)', '{', '    int bad = 0;'];
  const decls: string[] = [];
  ms.forEach((m, i) => {
    const u = units[i];
    const input = testInputs(m, 7 + i)[0];
    const want = runGolden(m, input);
    decls.push(`static const ${u.entry.inType} in_${u.name}[${input.length}] = { ${Array.from(input).join(', ')} };`,
      `static const ${u.entry.outType} want_${u.name}[${want.length}] = { ${Array.from(want).join(', ')} };`,
      `static ${u.entry.outType} out_${u.name}[${want.length}];`);
  });
  lines.push(`    ${ms.map((m) => `memset(out_${m.name}, 0x5A, sizeof out_${m.name});`).join('\n    ')}`,
    `    net_run(${ms.map((m) => `in_${m.name}, out_${m.name}`).join(', ')});`,
    ...ms.map((m) => `    for (unsigned i = 0; i < sizeof want_${m.name} / sizeof want_${m.name}[0]; ++i)\n` +
      `        if (out_${m.name}[i] != want_${m.name}[i]) { printf("${m.name} [%u]\\n", i); ++bad; break; }`),
    '    return bad;', '}', '');
  const text = lines.join('\n');
  const run = await runHostC(dir, tag, text.replace('void net_run(', `${decls.join('\n')}\nvoid net_run(`));
  expect(run.stdout).toBe('');
  expect(run.exitCode).toBe(0);
}

describe('kernel units in one module', () => {
  for (const target of ['arm920t', 'arm926ej-s', 'cortex-m0', 'cortex-m4', 'cortex-m55', 'cortex-a9'])
    it(`compiles warning-free and defines only the module's function (${target})`, async () => {
      const t = findTarget(target)!;
      const ms = await models();
      const units = ms.map((m, i) => lowerKernel(m, t, { variant: layers[i].variant ?? 'optimized', family: layers[i].variant ? undefined : 'blocked' }));
      const src = path.join(dir, `${target}.c`);
      fs.writeFileSync(src, moduleText(units));
      const obj = path.join(dir, `${target}.o`);
      await execa('arm-none-eabi-gcc', [...t.cpuFlags, '-std=c99', '-O2', '-Wall', '-Wextra', '-Werror', '-c', src, '-o', obj]);
      const nm = await execa('arm-none-eabi-nm', ['-g', '--defined-only', obj]);
      expect(nm.stdout.trim().split('\n').map((l) => l.split(' ').pop())).toEqual(['net_run']);
      // what the module needs is stated, not guessed: every unit's entry and its ISA features on this core
      for (const u of units) expect(u.requirements.isa.every((f) => t.features[f])).toBe(true);
    });

  it('MVE layers share a module on cortex-m55: their macros (LOAD asm, NO_FN) stay scoped, arm_mve.h is a stated need', async () => {
    const t = findTarget('cortex-m55')!;
    const list = [['bench/a_3x3_16to16_32x32_q7', 'mve1', 'mve-chw'], ['bench/f_3x3s2same_16to16_32x32_q7', 'mve2', 'mve-chw'],
      ['bench/a_3x3_16to16_32x32_int8', 'mve3', 'mve'], ['bench/d_dw3x3_32_32x32_int8', 'mve4', 'mve'], ['examples/q15_pairs_hwc', 'mve5', 'mve']];
    const ms = await Promise.all(list.map(async ([spec, name]) => ({ ...(await loadSpec(path.join(root, `${spec}.json`))), name })));
    const units = ms.map((m, i) => lowerKernel(m, t, { family: list[i][2] }));
    units.forEach((u, i) => {
      expect(u.family).toBe(list[i][2]);
      expect(u.requirements.headers).toContain('arm_mve.h');
      expect(u.requirements.isa).toContain('mve');
      expect(u.code).toMatch(list[i][2] === 'mve' ? /^#undef NO_FN$/m : /^#undef LOAD$/m);
    });
    const src = path.join(dir, 'mve.c');
    fs.writeFileSync(src, moduleText(units));
    await execa('arm-none-eabi-gcc', [...t.cpuFlags, '-std=c99', '-O2', '-Wall', '-Wextra', '-Werror', '-c', src, '-o', path.join(dir, 'mve.o')]);
  });

  it('cortex-a9: NEON units (the families the optimized table picks) compile warning-free in one module and state arm_neon.h', async () => {
    const t = findTarget('cortex-a9')!;
    const ms = (await models()).slice(0, 4);
    const units = ms.map((m) => lowerKernel(m, t));
    expect(units.map((u) => u.family)).toEqual(['neon', 'neon', 'neon-hwc', 'neon-hwc']);
    for (const u of units) expect(u.requirements.headers).toContain('arm_neon.h');
    expect(units[0].requirements.isa).toContain('neon');
    const src = path.join(dir, 'neon.c');
    fs.writeFileSync(src, moduleText(units));
    const obj = path.join(dir, 'neon.o');
    await execa('arm-none-eabi-gcc', [...t.cpuFlags, '-std=c99', '-O2', '-Wall', '-Wextra', '-Werror', '-c', src, '-o', obj]);
    const nm = await execa('arm-none-eabi-nm', ['-g', '--defined-only', obj]);
    expect(nm.stdout.trim().split('\n').map((l) => l.split(' ').pop())).toEqual(['net_run']);
  });

  it('each layer of the module computes exactly the golden model on the host (outputs poisoned first)', async () => {
    const host = findTarget('host')!;
    const ms = await models();
    await expectGoldenOnHost(ms, ms.map((m, i) => lowerKernel(m, host, { variant: layers[i].variant ?? 'optimized' })), 'host');
  });

  it('pointwise layers (1x1: int8 lane2/quad, q15 halves/dual, q7, padded and strided) share a module on each core', async () => {
    const specs = ['bench/c_1x1_32to32_16x16_int8', 'bench/c_1x1_32to32_16x16_q15', 'bench/c_1x1_32to32_16x16_q7'];
    const base = await Promise.all(specs.map(async (s, i) => ({ ...(await loadSpec(path.join(root, `${s}.json`))), name: `pw${i + 1}` })));
    // padded and strided (bias-only border outputs, one run per output row), int8 HWC and q15 CHW
    const padded = [
      model({ name: 'pw4', kernel: 1, stride: 2, padding: [1, 0, 2, 1], layout: 'hwc', input: { channels: 12, height: 7, width: 6 }, output: { channels: 5 },
        numeric: { type: 'int8', inputOffset: 128, outputOffset: -3, multiplier: 1374632181, shift: -9 }, weights: { random: { seed: 3 }, layout: 'ohwi' } }),
      model({ name: 'pw5', kernel: 1, stride: 1, padding: [0, 1, 1, 0], input: { channels: 5, height: 4, width: 7 }, output: { channels: 3 } }),
    ];
    const ms = [...base, ...padded];
    for (const target of ['arm920t', 'arm926ej-s', 'cortex-m0', 'cortex-m4']) {
      const t = findTarget(target)!;
      const units = ms.map((m) => lowerKernel(m, t, { family: 'pointwise' }));
      for (const u of units) expect(u.code).toMatch(/^#undef STEP_FENCE$/m);
      const src = path.join(dir, `pw-${target}.c`);
      fs.writeFileSync(src, moduleText(units));
      const obj = path.join(dir, `pw-${target}.o`);
      await execa('arm-none-eabi-gcc', [...t.cpuFlags, '-std=c99', '-O2', '-Wall', '-Wextra', '-Werror', '-c', src, '-o', obj]);
      const nm = await execa('arm-none-eabi-nm', ['-g', '--defined-only', obj]);
      expect(nm.stdout.trim().split('\n').map((l) => l.split(' ').pop())).toEqual(['net_run']);
    }
    const host = findTarget('host')!;
    await expectGoldenOnHost(ms, ms.map((m) => lowerKernel(m, host, { family: 'pointwise' })), 'pw-host');
  });

  it('states the unit\'s memory and scopes what it defines', async () => {
    const [m] = await models();
    const u = lowerKernel(m, findTarget('cortex-m4')!);
    expect(u.memory.inputBytes).toBe(m.inC * m.inH * m.inW * 2);
    expect(u.memory.outputBytes).toBe(m.outC * m.outH * m.outW * 2);
    expect(u.memory.weightBytes).toBe(m.weights.length * 2);
    expect(u.entry.signature).toBe('static void conv1_run(const int16_t *restrict input, int16_t *restrict output)');
    // every macro without the layer's prefix is undefined again after the unit
    const defined = [...u.code.matchAll(/^#define (\w+)/gm)].map((x) => x[1]).filter((n) => !n.startsWith('CONV1_'));
    const undefined_ = [...u.code.matchAll(/^#undef (\w+)/gm)].map((x) => x[1]);
    expect(defined.length).toBeGreaterThan(0);
    expect(new Set(undefined_)).toEqual(new Set(defined));
  });
});
