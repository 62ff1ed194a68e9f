/**
 * The pointwise family's scheduled lane blocks (lane-asm.ts: lane2 by default, lane2w under --optimize speed, inline
 * assembly on the ARM920T and ARM926EJ-S) bit-exact under QEMU on poisoned memory, over the shapes that change the
 * schedule: blocks of 4 and 3 channels (7 outputs), an odd pixel count (a one-pixel remainder in C), CHW (the
 * pointer moves a plane per step) with a plane an A32 immediate can and cannot add (the C steps), HWC with more
 * input channels than LDRSB's offsets reach in one unrolled body, padded rows, and a fully connected layer (one
 * pixel). Also the ARM926EJ-S's speed form for int8 data (halves: weights widened to int16 halves) and the Thumb-2
 * cores' pre-widened quad steps (speed).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate, writeKernel } from '../../src/codegen/index.ts';
import { strictCompile } from '../../src/fuzz/static.ts';
import { modelFromValue, type KernelModel } from '../../src/ops/conv_2d/spec/index.ts';
import { findTarget } from '../../src/targets/index.ts';
import { verifyPair } from '../../src/verify/index.ts';
import { baseSpec, root } from '../helpers.ts';
import { pool } from '../../src/pool.ts';

const q7 = { type: 'q7', inputFrac: 5, weightFrac: 6, outputFrac: 5 };
const int8 = (outC: number) => ({
  type: 'int8', inputOffset: 128, outputOffset: -3, multiplier: Array.from({ length: outC }, (_, o) => 1100000000 + o * 97000000),
  shift: Array.from({ length: outC }, (_, o) => -7 - (o % 3)), activationMin: -128, activationMax: 127,
});

/** Each case with whether its default (lane2) and speed (lane2w) code on the ARM920T carry the assembly. */
const cases: { spec: Record<string, unknown>; asm: { default: boolean; speed: boolean } }[] = [
  { spec: baseSpec({ name: 'pla_hwc_odd', layout: 'hwc', kernel: 1, padding: 0, input: { channels: 33, height: 3, width: 5 }, output: { channels: 7 },
    numeric: int8(7), weights: { random: { seed: 21 }, layout: 'ohwi' } }), asm: { default: false, speed: true } },
  { spec: baseSpec({ name: 'pla_chw_q7', kernel: 1, padding: 0, input: { channels: 10, height: 4, width: 6 }, output: { channels: 6 }, numeric: q7,
    weights: { random: { seed: 22 } } }), asm: { default: true, speed: true } },
  // A plane of 7 x 37 = 259 bytes is no A32 immediate: the C steps.
  { spec: baseSpec({ name: 'pla_chw_plane', kernel: 1, padding: 0, input: { channels: 5, height: 7, width: 37 }, output: { channels: 4 }, numeric: q7,
    weights: { random: { seed: 23 } } }), asm: { default: false, speed: false } },
  // 130 input channels: both plans loop over a few steps per iteration (C: a loop counter would be live across the
  // fourteen-register statement).
  { spec: baseSpec({ name: 'pla_hwc_wide', layout: 'hwc', kernel: 1, padding: 0, input: { channels: 130, height: 2, width: 3 }, output: { channels: 4 },
    numeric: int8(4), weights: { random: { seed: 24 }, layout: 'ohwi' } }), asm: { default: false, speed: false } },
  // 300: the next pixel is further than LDRSB's offset reaches: the C steps.
  { spec: baseSpec({ name: 'pla_hwc_far', layout: 'hwc', kernel: 1, padding: 0, input: { channels: 300, height: 1, width: 3 }, output: { channels: 4 },
    numeric: int8(4), weights: { random: { seed: 27 }, layout: 'ohwi' } }), asm: { default: false, speed: false } },
  { spec: baseSpec({ name: 'pla_hwc_pad', layout: 'hwc', kernel: 1, stride: 2, padding: [1, 0, 2, 1], input: { channels: 6, height: 7, width: 9 },
    output: { channels: 5 }, numeric: int8(5), weights: { random: { seed: 25 }, layout: 'ohwi' } }), asm: { default: true, speed: false } },
  { spec: baseSpec({ name: 'pla_fc', layout: 'hwc', kernel: 1, padding: 0, input: { channels: 40, height: 1, width: 1 }, output: { channels: 6 },
    numeric: int8(6), weights: { random: { seed: 26 }, layout: 'ohwi' } }), asm: { default: false, speed: false } },
];

const models: KernelModel[] = cases.map((c) => modelFromValue(c.spec, path.join(root, `${String(c.spec.name)}.json`)));
const goals = ['default', 'speed'] as const;

describe('pointwise scheduled lane blocks under QEMU', () => {
  it('writes the assembly where the schedule fits, and the C steps where it does not', () => {
    const forms: Record<string, string> = {};
    for (const [i, m] of models.entries())
      for (const optimize of goals) {
        const c = generate(m, { variant: 'optimized', isa: findTarget('arm920t')!.features, optimize }).files.find((f) => f.name === `${m.name}.c`)!.content;
        expect(/"smlal %\[/.test(c), `${m.name} ${optimize}`).toBe(cases[i].asm[optimize]);
        forms[`${m.name} ${optimize}`] = /MAC form: (\S+):/.exec(c)![1];
      }
    expect(forms['pla_hwc_odd default']).toBe('lane2');
    expect(forms['pla_hwc_odd speed']).toBe('lane2w');
    expect(forms['pla_fc speed']).toBe('lane2w');
    const c926 = generate(models[1], { variant: 'optimized', isa: findTarget('arm926ej-s')!.features, optimize: 'speed' }).files
      .find((f) => f.name.endsWith('.c'))!.content;
    expect(c926).toMatch(/MAC form: halves:/);
    expect(c926).toMatch(/"smlabt %\[/);
  });

  // GCC compiles the assembly, clang the C steps beside it (its register allocator cannot give one asm statement
  // fourteen registers): both under the strict flags, the generated files as they are.
  it('compiles warning-free under gcc and clang with the strict flags', async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'convgen-pw-lane-asm-'));
    try {
      const failures: string[] = [];
      for (const t of ['arm920t', 'arm926ej-s', 'cortex-m4'])
        for (const optimize of goals) {
          const target = findTarget(t)!;
          // Cortex-M4: the int8 HWC cases (quad). Its q7 kernels' q-seeded stage returns GCC's __ssat, whose macro
          // trips -Wsign-conversion (a separate finding, not this code's).
          const sources = models.filter((m) => t !== 'cortex-m4' || m.numeric.kind === 'int8').map((m) => {
            const dir = path.join(work, `${t}-${optimize}`, m.name);
            writeKernel(generate(m, { variant: 'optimized', target, optimize }), dir);
            return path.join(dir, `${m.name}.c`);
          });
          for (const compiler of ['gcc', 'clang'] as const) {
            const r = await strictCompile(compiler, target, sources, path.join(work, `${t}-${optimize}-${compiler}`));
            if (!r.ok) failures.push(`${compiler} ${t} ${optimize}: ${r.output}`);
          }
        }
      expect(failures).toEqual([]);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }, 120_000);

  // Thumb-2: speed's pre-widened quad steps as assembly (int8 HWC: the cases with 4-channel steps, a channel tail,
  // padded rows and one pixel).
  it('is bit-exact with the quad assembly on cortex-m4, cortex-m33 and cortex-m7 (speed)', async () => {
    const hwc = models.filter((m) => m.layout === 'hwc' && m.numeric.kind === 'int8');
    const target = findTarget('cortex-m4')!;
    const c = generate(hwc[0], { variant: 'optimized', target, optimize: 'speed' }).files.find((f) => f.name.endsWith('.c'))!.content;
    expect(c).toMatch(/"smlad %\[/);
    const runs = hwc.flatMap((m) => ['cortex-m4', 'cortex-m33', 'cortex-m7'].map((t) => ({ m, t: findTarget(t)! })));
    const results = await pool(runs, 2, ({ m, t }) => verifyPair(m, t, { seed: 5, timeoutSeconds: 60, variant: 'optimized', optimize: 'speed' }));
    expect(results.flatMap((r) => (r.status === 'pass' ? [] : [`${r.name} on ${r.target}: ${r.error ?? JSON.stringify(r.first)}`]))).toEqual([]);
  }, 300_000);

  // The statement takes fourteen registers: the user's flags must not take one (-O0 compiles the C steps; the
  // functions holding it omit the frame pointer by attribute).
  it('is bit-exact at -O0, -Os, -O3 with a frame pointer and -ffreestanding', async () => {
    const flagSets = [['-O0'], ['-Os'], ['-O3', '-fno-omit-frame-pointer'], ['-O2', '-ffreestanding', '-fno-builtin']];
    const runs = [['arm920t', 'default'], ['arm920t', 'speed'], ['arm926ej-s', 'speed'], ['cortex-m4', 'speed']]
      .flatMap(([t, optimize]) => flagSets.map((extraFlags) => ({ t: findTarget(t)!, optimize: optimize as 'default' | 'speed', extraFlags })));
    // pla_hwc_odd has the assembly under speed, pla_hwc_pad by default.
    const both = runs.flatMap((r) => [models[0], models[5]].map((m) => ({ ...r, m })));
    expect(models[5].name).toBe('pla_hwc_pad');
    const results = await pool(both, 2, ({ m, t, optimize, extraFlags }) =>
      verifyPair(m, t, { seed: 5, timeoutSeconds: 60, variant: 'optimized', optimize, extraFlags }));
    expect(results.flatMap((r, i) => (r.status === 'pass' ? [] : [`${r.name} ${r.target} ${both[i].optimize} ${both[i].extraFlags.join(' ')}: ${r.error ?? ''}`]))).toEqual([]);
  }, 300_000);

  it('is bit-exact on arm920t and arm926ej-s, both optimize goals', async () => {
    const runs = models.flatMap((m) => ['arm920t', 'arm926ej-s'].flatMap((t) => goals.map((optimize) => ({ m, t: findTarget(t)!, optimize }))));
    const results = await pool(runs, 2, ({ m, t, optimize }) => verifyPair(m, t, { seed: 5, timeoutSeconds: 60, variant: 'optimized', optimize }));
    const failures = results.flatMap((r, i) => (r.status === 'pass' ? [] : [`${r.name} on ${r.target} (${runs[i].optimize}): ${r.error ?? JSON.stringify(r.first)}`]));
    expect(failures).toEqual([]);
  }, 300_000);
});
