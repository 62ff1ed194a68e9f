/**
 * Differential fuzzing in `make test`: a seeded few hundred (spec, variant) cases on the host under ASan + UBSan,
 * and the same specs' first few dozen on every QEMU target, one multi-kernel image per batch. `make fuzz` runs
 * 10,000. Every spec's inputs include the two that drive the accumulator to its proved bound.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { variantNames } from '../../src/codegen/index.ts';
import { fuzz, makeCase, sampleSpecs, type FuzzReport } from '../../src/fuzz/index.ts';
import { accumulatorBound, roundingConstant } from '../../src/ops/conv_2d/spec/bounds.ts';
import { findTarget, targets } from '../../src/targets/index.ts';
import { boundInputs } from '../../src/verify/index.ts';
import { model } from '../helpers.ts';

const SEED = 20261128;
const HOST_SPECS = Number(process.env.CONVGEN_FUZZ_HOST_SPECS ?? 150);
const QEMU_SPECS = Number(process.env.CONVGEN_FUZZ_QEMU_SPECS ?? 16);
const host = findTarget('host')!;
const qemu = targets.filter((t) => t.run === 'qemu');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'convgen-fuzztest-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function failures(r: FuzzReport): string[] {
  return r.failures.map((f) => `${f.target} ${f.variant} #${f.index}: ${f.message}\n  ${JSON.stringify(f.shrunk)}`);
}

describe('the accumulator-bound inputs', () => {
  /** The accumulator of channel o at (oy, ox), exactly, as the arithmetic section defines it. */
  function acc(m: ReturnType<typeof model>, input: Int32Array, o: number, oy: number, ox: number): bigint {
    let a = m.bias ? m.bias[o] << BigInt(m.numeric.biasShift) : 0n;
    const g = Math.floor(o / m.outPerGroup);
    for (let ci = 0; ci < m.inPerGroup; ci++)
      for (let ky = 0; ky < m.kH; ky++)
        for (let kx = 0; kx < m.kW; kx++) {
          const y = oy * m.strideH - m.pad.top + ky * m.dilH;
          const x = ox * m.strideW - m.pad.left + kx * m.dilW;
          if (y < 0 || y >= m.inH || x < 0 || x >= m.inW) continue;
          const c = g * m.inPerGroup + ci;
          const v = input[m.layout === 'hwc' ? (y * m.inW + x) * m.inC + c : (c * m.inH + y) * m.inW + x];
          a += BigInt(v) * BigInt(m.weights[((o * m.inPerGroup + ci) * m.kH + ky) * m.kW + kx]);
        }
    return a;
  }

  it('reach the proved bound, up to two\'s complement asymmetry, in the channel with the largest bound', () => {
    for (const layout of ['chw', 'hwc']) {
      const m = model({ layout, input: { channels: 3, height: 6, width: 7 }, output: { channels: 4 }, stride: 2 });
      const per = accumulatorBound(m).perChannel;
      const o = per.indexOf(per.reduce((a, b) => (b > a ? b : a)));
      const [plus, minus] = boundInputs(m);
      // Some interior position sees every tap; the best of the two polarities is within Σ|w| of the bound.
      let best = 0n;
      for (let oy = 0; oy < m.outH; oy++)
        for (let ox = 0; ox < m.outW; ox++)
          for (const t of [plus, minus]) {
            const a = acc(m, t, o, oy, ox);
            if ((a < 0n ? -a : a) > best) best = a < 0n ? -a : a;
          }
      const sumAbsW = Array.from(m.weights.subarray(o * m.inPerGroup * 9, (o + 1) * m.inPerGroup * 9)).reduce((s, w) => s + BigInt(Math.abs(w)), 0n);
      expect(best).toBeLessThanOrEqual(per[o] + roundingConstant(m));
      expect(best).toBeGreaterThanOrEqual(per[o] - sumAbsW);
    }
  });

  it('are part of every fuzz case', () => {
    const [spec] = sampleSpecs(1, 3);
    const c = makeCase(spec, 0, 1, 'f0');
    expect(c.inputs).toHaveLength(7);
    expect(c.inputs.slice(5)).toEqual(boundInputs(c.model));
  });
});

describe('differential fuzzing', () => {
  it(`host: ${HOST_SPECS} specs × every variant (${variantNames.join(', ')}) under ASan + UBSan, bit-exact`, async () => {
    const r = await fuzz({ cases: HOST_SPECS, seed: SEED, targets: [host], jobs: 2, maxShrinks: 1, failuresDir: path.join(work, 'host') });
    expect(failures(r)).toEqual([]);
    expect(r.targets[0].kernels).toBe(HOST_SPECS * variantNames.length);
  }, 600_000);

  it(`every QEMU target: the first ${QEMU_SPECS} specs × every variant (optimized in both goals), one image per target`, async () => {
    const r = await fuzz({ cases: QEMU_SPECS, seed: SEED, targets: qemu, goals: ['default', 'speed'], jobs: 2, batch: 64, maxShrinks: 1, failuresDir: path.join(work, 'qemu') });
    expect(failures(r)).toEqual([]);
    for (const t of r.targets) expect(t.kernels, t.target).toBe(t.cases * (variantNames.length + 1));
    expect(r.targets.map((t) => t.target)).toEqual(qemu.map((t) => t.name));
  }, 600_000);

  it('a kernel that writes one element past its output is caught: by ASan on the host, by the guard bytes under QEMU', async () => {
    const past = (_: string, text: string) =>
      text.replace(/(void (\w+)_run\([^)]*\)\n\{\n)/, (_all, head: string, name: string) => `${head}    output[${name.toUpperCase()}_OUTPUT_ELEMS] = 0;\n`);
    const onHost = await fuzz({ cases: 2, seed: 9, targets: [host], variants: ['reference'], shrink: false, tamper: past });
    expect(onHost.failures.map((f) => f.message)[0]).toMatch(/AddressSanitizer: heap-buffer-overflow/);
    const onM3 = await fuzz({ cases: 2, seed: 9, targets: [findTarget('cortex-m3')!], variants: ['reference'], shrink: false, tamper: past });
    expect(onM3.failures.map((f) => f.message)[0]).toMatch(/kernel f0_reference wrote outside its output \(exit 14\)/);
  }, 300_000);

  it('a failure is narrowed to its kernel, shrunk to a minimal spec and written as a regression file', async () => {
    // Break the reference kernel for every output column but the first: any spec with outW > 1 fails.
    const tamper = (_: string, text: string) =>
      text.replace(/^(\s*)(OUT_AT\(o, oy, ox\) = )(.*);$/m, '$1$2(__typeof__(output[0]))($3 ^ (ox > 0));');
    const dir = path.join(work, 'tamper');
    const r = await fuzz({ cases: 4, seed: 5, targets: [host], variants: ['reference'], jobs: 2, failuresDir: dir, tamper, maxShrinks: 1 });
    expect(r.failures.length).toBeGreaterThan(0);
    const f = r.failures[0];
    expect(f.message).toMatch(/elements differ; first at tensor \d+ \(channel \d+, y \d+, x [1-9]\d*\)/);
    const file = JSON.parse(fs.readFileSync(f.file!, 'utf8'));
    expect(file).toMatchObject({ target: 'host', variant: 'reference', found: { seed: 5, index: f.index } });
    expect(file.found.command).toBe(`convgen fuzz --specs ${f.index + 1} --seed 5 --targets host --variants reference`);
    // Minimal within its stratum (shrinking keeps the type, layout, kernel class and shape): one input row, the
    // smallest kernel of its class (1×1, or two taps), no more channels than the original, and smaller than it.
    expect(file.spec).toMatchObject({ name: `regress_5_${f.index}`, input: { height: 1 }, layout: file.original.layout });
    expect(file.spec.kernel[0] * file.spec.kernel[1]).toBeLessThanOrEqual(2);
    expect(file.spec.input.channels).toBeLessThanOrEqual(file.original.input.channels);
    expect(file.spec.output.channels).toBeLessThanOrEqual(file.original.output.channels);
    const size = (sp: typeof file.spec) => sp.input.channels * sp.input.height * sp.input.width * sp.output.channels * sp.kernel[0] * sp.kernel[1];
    expect(size(file.spec)).toBeLessThan(size(file.original));
    expect(file.spec.bias).toBeUndefined();
  }, 600_000);
});
