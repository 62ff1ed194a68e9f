/**
 * The pointwise family's 32-bit int8 output stage (smmlar-stage.ts: SMMLAR and a shift from one per-channel record)
 * bit-exact under QEMU on poisoned memory on the Cortex-M4, M33 and M7 under `--optimize speed` around the quad
 * assembly (where it is taken; default keeps the 64-bit stage, run here too): odd output channel counts (a block class of one channel), per-tensor (one shared record, the
 * shift a constant) and per-channel quantization (records of three words), a narrowed activation range (the clamp,
 * not SSAT), extreme multipliers (2^30 exactly, where floor(2^30 / M) = 1, and 2^31 - 1) and shifts (1 and large),
 * the doubled weights and seeds of the Cortex-M4 and M33 (and an input-channel tail, which keeps them raw),
 * and inputs at their extremes besides the seeded ones (the largest accumulators the bound allows).
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

const int8 = (o: { mult: number | number[]; shift: number | number[]; off?: number; min?: number; max?: number }) => ({
  type: 'int8', inputOffset: 128, outputOffset: o.off ?? -3, multiplier: o.mult, shift: o.shift, activationMin: o.min ?? -128, activationMax: o.max ?? 127,
});
const spec = (name: string, inC: number, outC: number, h: number, w: number, numeric: Record<string, unknown>, seed: number) =>
  baseSpec({ name, layout: 'hwc', kernel: 1, padding: 0, input: { channels: inC, height: h, width: w }, output: { channels: outC }, numeric,
    weights: { random: { seed }, layout: 'ohwi' } });

const specs = [
  // per-channel: 7 outputs (blocks of 3 and a 1-channel tail), multipliers from 2^30 + 1 to 2^31 - 1, shifts 1..12
  spec('pws_chan_odd', 32, 7, 3, 5, int8({ mult: [1073741825, 2147483647, 1518500250, 1969946270, 1100000001, 2000000000, 1300000000],
    shift: [-1, -12, -7, -3, -9, -2, -5] }), 31),
  // per-tensor: one shared record, SSAT with a constant shift; 2^31 - 1 and a shift of 1
  spec('pws_tensor', 20, 5, 4, 3, int8({ mult: 2147483647, shift: -1, off: 5 }), 32),
  // a narrowed range (ReLU6-like): the clamp; M = 2^30 exactly (floor(2^30 / M) = 1 in the sign term)
  spec('pws_relu', 36, 9, 2, 7, int8({ mult: 1073741824, shift: -6, off: -128, min: -128, max: -27 }), 33),
  // per-channel with a narrowed range and a large shift (the output mostly the offset), odd input channels
  spec('pws_clamp', 13, 3, 5, 5, int8({ mult: [1200000000, 2100000000, 1073741825], shift: [-20, -4, -8], off: 10, min: -60, max: 100 }), 34),
  // one pixel (a fully connected layer): pre-widened on the Cortex-M7 too
  spec('pws_fc', 40, 6, 1, 1, int8({ mult: [1073741825, 2147483647, 1518500250, 1969946270, 1100000001, 2000000000], shift: [-1, -12, -7, -3, -9, -2] }), 35),
];
const models: KernelModel[] = specs.map((s) => modelFromValue(s, path.join(root, `${String(s.name)}.json`)));

/** Inputs at their extremes (the largest |acc| the weights allow) besides the seeded ones. */
function extremes(m: KernelModel): Int32Array[] {
  const n = m.inC * m.inH * m.inW;
  return [Int32Array.from({ length: n }, () => 127), Int32Array.from({ length: n }, () => -128),
    Int32Array.from({ length: n }, (_, i) => (i % 2 ? 127 : -128))];
}

describe('pointwise 32-bit output stage under QEMU', () => {
  it('is the stage of speed\'s quad assembly on the Thumb-2 DSP cores, and of nothing else', () => {
    let taken = 0;
    for (const t of ['cortex-m4', 'cortex-m33', 'cortex-m7'])
      for (const m of models)
        for (const optimize of ['default', 'speed'] as const) {
          const c = generate(m, { variant: 'optimized', target: findTarget(t)!, optimize }).files.find((f) => f.name === `${m.name}.c`)!.content;
          const asm = /"smlad %\[/.test(c);
          expect(/"smmlar %\[r\]/.test(c), `${m.name} ${t} ${optimize}`).toBe(optimize === 'speed' && asm);
          if (optimize === 'speed' && asm) {
            taken++;
            expect(c).toContain(`${m.name}_pw_finish(a0_0, rq)`);
            // Cortex-M4 and M33: the weights and seeds doubled where no input-channel tail stays raw (pws_clamp has one)
            expect(/blocked in the order the loops read; doubled, as are the seeds/.test(c), `${m.name} ${t} doubled`).toBe(t !== 'cortex-m7' && m.inC % 4 === 0);
          }
        }
    // every case on the M4 and M33, the one-pixel case on the M7
    expect(taken).toBe(2 * models.length + 1);
  });

  it('is bit-exact on cortex-m4, cortex-m33 and cortex-m7, default and speed', async () => {
    const runs = models.flatMap((m) => ['cortex-m4', 'cortex-m33', 'cortex-m7'].flatMap((t) =>
      (['default', 'speed'] as const).map((optimize) => ({ m, t: findTarget(t)!, optimize }))));
    const results = await pool(runs, 2, ({ m, t, optimize }) => verifyPair(m, t, {
      seed: 7, timeoutSeconds: 60, variant: 'optimized', optimize, inputs: [...extremes(m), ...[1, 2].map((s) => seeded(m, s))],
    }));
    expect(results.flatMap((r) => (r.status === 'pass' ? [] : [`${r.name} on ${r.target}: ${r.error ?? JSON.stringify(r.first)}`]))).toEqual([]);
  }, 600_000);
});

describe('pointwise 32-bit output stage: flags', () => {
  it('compiles warning-free under gcc and clang with the strict flags (speed)', async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'convgen-pw-smmlar-'));
    try {
      const failures: string[] = [];
      for (const t of ['cortex-m4', 'cortex-m7']) {
        const target = findTarget(t)!;
        const sources = models.map((m) => {
          const dir = path.join(work, t, m.name);
          writeKernel(generate(m, { variant: 'optimized', target, optimize: 'speed' }), dir);
          return path.join(dir, `${m.name}.c`);
        });
        for (const compiler of ['gcc', 'clang'] as const) {
          const r = await strictCompile(compiler, target, sources, path.join(work, `${t}-${compiler}`));
          if (!r.ok) failures.push(`${compiler} ${t}: ${r.output}`);
        }
      }
      expect(failures).toEqual([]);
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }, 120_000);

  it('is bit-exact at -O0 and -O3 with a frame pointer (speed, cortex-m4)', async () => {
    const runs = [['-O0'], ['-O3', '-fno-omit-frame-pointer']].flatMap((extraFlags) => models.map((m) => ({ m, extraFlags })));
    const results = await pool(runs, 2, ({ m, extraFlags }) =>
      verifyPair(m, findTarget('cortex-m4')!, { seed: 9, timeoutSeconds: 60, variant: 'optimized', optimize: 'speed', extraFlags }));
    expect(results.flatMap((r) => (r.status === 'pass' ? [] : [`${r.name}: ${r.error ?? JSON.stringify(r.first)}`]))).toEqual([]);
  }, 300_000);
});

/** A seeded random input (a small LCG over the int8 range). */
function seeded(m: KernelModel, seed: number): Int32Array {
  let s = seed * 2654435761;
  return Int32Array.from({ length: m.inC * m.inH * m.inW }, () => ((s = (Math.imul(s, 1103515245) + 12345) | 0) >>> 16) % 256 - 128);
}
