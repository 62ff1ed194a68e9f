/**
 * The pointwise halves-pixels form (ARM926EJ-S, q15 CHW) loads two adjacent pixels as one word, which needs a word-aligned
 * address: the run checks the input's alignment and, off by a halfword, takes the first pixel alone. The harness's
 * input buffer is aligned, so this test moves the input by one and by two halfwords (through a patched
 * convgen_entry.h) and checks both paths bit for bit under QEMU, with a 64-bit and a 32-bit accumulator.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate, planAccumulator, writeKernel } from '../../src/codegen/index.ts';
import { modelFromValue } from '../../src/ops/conv_2d/spec/index.ts';
import { findTarget } from '../../src/targets/index.ts';
import { buildImage } from '../../src/toolchain/index.ts';
import { checkImage, testInputs } from '../../src/verify/index.ts';
import { alignmentFaultEntry, baseSpec, root } from '../helpers.ts';

const cases = {
  // Random full-range weights: a 64-bit accumulator (SMLALxy); 30 pixels (a plane must be even), 7 output channels
  // (an odd block multiplies plainly).
  wide: baseSpec({ name: 'pwal_a', kernel: 1, padding: 0, input: { channels: 5, height: 5, width: 6 }, output: { channels: 7 } }),
  // Small weights: a 32-bit accumulator (SMLAxy); 24 pixels.
  narrow: baseSpec({ name: 'pwal_b', kernel: 1, padding: 0, input: { channels: 3, height: 4, width: 6 }, output: { channels: 5 },
    weights: { values: Array.from({ length: 15 }, (_, i) => (i % 5) * 300 - 600) } }),
};

describe('pointwise halves-pixels at either input alignment', () => {
  it('is bit-exact on arm926ej-s with the input word-aligned and off by a halfword', async () => {
    const target = findTarget('arm926ej-s')!;
    for (const spec of Object.values(cases)) {
      const m = modelFromValue(spec, path.join(root, `${spec.name}.json`));
      const k = generate(m, { variant: 'optimized', isa: target.features });
      expect(k.files.find((f) => f.name === `${m.name}.c`)!.content).toMatch(/MAC form: halves-pixels/);
      expect(planAccumulator(m).accType).toBe(spec === cases.wide ? 'int64_t' : 'int32_t');
      for (const shift of [1, 2]) {
        const work = fs.mkdtempSync(path.join(os.tmpdir(), 'convgen-pw-align-'));
        try {
          writeKernel(k, path.join(work, 'kernel'));
          const entryPath = path.join(work, 'kernel', 'convgen_entry.h');
          const entry = fs.readFileSync(entryPath, 'utf8');
          const patched = alignmentFaultEntry(entry, shift);
          expect(patched).not.toBe(entry);
          fs.writeFileSync(entryPath, patched);
          const built = await buildImage(target, path.join(work, 'kernel'), path.join(work, 'build'));
          const r = await checkImage(m, built, testInputs(m, 3), path.join(work, 'run'), 60);
          expect(r.status, `${m.name} shift ${shift}: ${JSON.stringify(r.first)}`).toBe('pass');
        } finally {
          fs.rmSync(work, { recursive: true, force: true });
        }
      }
    }
  }, 180_000);
});
