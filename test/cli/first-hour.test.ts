/**
 * A new user's first hour (issue 20): batch inputs in one image, warnings for likely mistakes and --strict, target
 * names in any case with a suggestion for a typo, TensorFlow's padding spellings, and messages that say what ran.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/index.ts';
import { readNpy, writeNpyAtomic } from '../../src/npy/index.ts';
import { runGolden } from '../../src/ops/conv_2d/spec/golden.ts';
import { loadSpec, modelFromValue } from '../../src/ops/conv_2d/spec/index.ts';
import { baseSpec, cliSandbox, root } from '../helpers.ts';

const io = cliSandbox('convgen-first-hour-');
const { out, err } = io;
const bin = path.join(root, 'bin', 'convgen.mjs');
const edge = path.join(root, 'examples', 'edge3x3.json');

/** (n, 3, 16, 16) float32 values of about ±scale, deterministic. */
function floats(n: number, scale: number): Float32Array {
  return Float32Array.from({ length: n * 3 * 16 * 16 }, (_, i) => Math.sin(i * 0.37) * scale);
}

describe('batch inputs', () => {
  it('golden takes (N, C, H, W) and writes (N, ...): each output is the golden model of its own tensor', async () => {
    const input = path.join(io.dir, 'batch.npy');
    const data = floats(4, 6);
    writeNpyAtomic(input, { dtype: 'float32', shape: [4, 3, 16, 16], data });
    expect(await main(['golden', edge, '--input', input, '--output', path.join(io.dir, 'g.npy')])).toBe(0);
    const g = readNpy(path.join(io.dir, 'g.npy'));
    expect(g.shape).toEqual([4, 8, 16, 16]);
    expect(out.at(-1)).toBe(`wrote ${path.join(io.dir, 'g.npy')} (4x8x16x16 int16)`);
    // Tensor 2 alone, as a single (C, H, W) file, gives the third slice of the batch's output.
    const one = path.join(io.dir, 'one.npy');
    writeNpyAtomic(one, { dtype: 'float32', shape: [3, 16, 16], data: data.slice(2 * 768, 3 * 768) });
    expect(await main(['golden', edge, '--input', one, '--output', path.join(io.dir, 'g1.npy')])).toBe(0);
    const g1 = readNpy(path.join(io.dir, 'g1.npy'));
    expect(g1.shape).toEqual([8, 16, 16]);
    expect(Array.from(g.data.slice(2 * 2048, 3 * 2048), Number)).toEqual(Array.from(g1.data, Number));
    expect(Array.from(g.data.slice(0, 2048), Number)).not.toEqual(Array.from(g1.data, Number));
  });

  it('run puts the whole batch into one QEMU image (one emulator process) and writes what it computed for each', async () => {
    // A qemu-system-arm on PATH that records each start, then runs the real one.
    const shim = path.join(io.dir, 'shim');
    fs.mkdirSync(shim);
    const log = path.join(io.dir, 'qemu-starts.log');
    const real = (await execa('which', ['qemu-system-arm'])).stdout.trim();
    fs.writeFileSync(path.join(shim, 'qemu-system-arm'), `#!/bin/sh\necho started >> '${log}'\nexec '${real}' "$@"\n`, { mode: 0o755 });
    const input = path.join(io.dir, 'batch.npy');
    const data = floats(6, 6);
    writeNpyAtomic(input, { dtype: 'float32', shape: [6, 3, 16, 16], data });
    const r = await execa(bin, ['run', edge, '--target', 'cortex-m3', '--input', input, '--output', path.join(io.dir, 'dev.npy')],
      { reject: false, env: { PATH: `${shim}:${process.env.PATH}` } });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(fs.readFileSync(log, 'utf8').trim().split('\n')).toEqual(['started']);
    const dev = readNpy(path.join(io.dir, 'dev.npy'));
    expect(dev.shape).toEqual([6, 8, 16, 16]);
    const m = await loadSpec(edge);
    const { readInputTensors } = await import('../../src/tensors/index.ts');
    const expected = readInputTensors(m, input).tensors.flatMap((t) => Array.from(runGolden(m, t)));
    expect(Array.from(dev.data, Number)).toEqual(expected);
  });

  it('a batch of one keeps its batch axis; an empty batch or wrong trailing shape is one line, exit 2, nothing written', async () => {
    const one = path.join(io.dir, 'b1.npy');
    writeNpyAtomic(one, { dtype: 'int16', shape: [1, 3, 16, 16], data: new Int16Array(768).fill(100) });
    expect(await main(['run', edge, '--target', 'host', '--input', one, '--output', path.join(io.dir, 'o1.npy')])).toBe(0);
    expect(readNpy(path.join(io.dir, 'o1.npy')).shape).toEqual([1, 8, 16, 16]);

    const empty = path.join(io.dir, 'b0.npy');
    writeNpyAtomic(empty, { dtype: 'int16', shape: [0, 3, 16, 16], data: new Int16Array(0) });
    expect(await main(['golden', edge, '--input', empty, '--output', path.join(io.dir, 'o0.npy')])).toBe(2);
    expect(err).toEqual([`convgen: ${empty}: the batch is empty: shape (0, 3, 16, 16)`]);
    const wrong = path.join(io.dir, 'bw.npy');
    writeNpyAtomic(wrong, { dtype: 'int16', shape: [2, 16, 16, 3], data: new Int16Array(1536) });
    expect(await main(['golden', edge, '--input', wrong, '--output', path.join(io.dir, 'ow.npy')])).toBe(2);
    expect(err.at(-1)).toBe(`convgen: ${wrong}: expected a batch of shape (N, 3, 16, 16) (N, C, H, W) for layout chw, found (2, 16, 16, 3)`);
    expect(fs.readdirSync(io.dir).sort()).toEqual(['b0.npy', 'b1.npy', 'bw.npy', 'o1.npy']);
  });
});

describe('warnings for likely mistakes, --strict', () => {
  it('uint8 data for a Q spec: one warning line naming the file and the count; the run still completes', async () => {
    const input = path.join(io.dir, 'img.npy');
    writeNpyAtomic(input, { dtype: 'uint8', shape: [3, 16, 16], data: Uint8Array.from({ length: 768 }, (_, i) => i % 256) });
    expect(await main(['golden', edge, '--input', input, '--output', path.join(io.dir, 'o.npy')])).toBe(0);
    expect(err).toEqual([`convgen: warning: ${input}: 768 uint8 values (0…255) are read as raw q15 values, i.e. Q3.12 numbers ` +
      '0…0.0622559; save real values as float32 to have them quantized']);
  });

  it('saturated floats: the count on stderr; in range: no warning; --strict: exit 2 and no output', async () => {
    const input = path.join(io.dir, 'big.npy');
    const data = floats(1, 20); // edge3x3's input is Q3.12: -8 … 7.99976
    const over = Array.from(data).filter((v) => v < -8 || v > 4095 / 512).length;
    expect(over).toBeGreaterThan(100);
    writeNpyAtomic(input, { dtype: 'float32', shape: [3, 16, 16], data });
    expect(await main(['golden', edge, '--input', input, '--output', path.join(io.dir, 'o.npy')])).toBe(0);
    expect(err).toEqual([`convgen: warning: ${input}: ${over} of 768 float values saturated: outside the input range -8…7.99976 (Q3.12), clamped to its ends`]);

    err.length = 0;
    const ok = path.join(io.dir, 'ok.npy');
    writeNpyAtomic(ok, { dtype: 'float32', shape: [3, 16, 16], data: floats(1, 7.99) });
    expect(await main(['golden', edge, '--input', ok, '--output', path.join(io.dir, 'o2.npy')])).toBe(0);
    expect(err).toEqual([]);

    for (const cmd of [['golden'], ['run', '--target', 'host']]) {
      err.length = 0;
      const dest = path.join(io.dir, `strict-${cmd[0]}.npy`);
      expect(await main([cmd[0], edge, ...cmd.slice(1), '--input', input, '--output', dest, '--strict'])).toBe(2);
      expect(err).toEqual([`convgen: ${input}: --strict: ${over} of 768 float values saturated: outside the input range -8…7.99976 (Q3.12), clamped to its ends`]);
      expect(fs.existsSync(dest)).toBe(false);
    }
  });

  it('int8 specs given by scales: saturation is counted against the real range of the scale and zero point', async () => {
    const spec = path.join(io.dir, 'i8.json');
    fs.writeFileSync(spec, JSON.stringify({
      name: 'i8', layout: 'hwc', input: { channels: 2, height: 3, width: 3 }, output: { channels: 2 }, kernel: 1,
      numeric: { type: 'int8', inputScale: 0.5, inputZeroPoint: -28, weightScales: 0.01, outputScale: 0.1, outputZeroPoint: 0 },
      weights: { values: [1, 2, 3, 4], layout: 'ohwi' },
    }));
    // Real range: (-128 + 28)·0.5 … (127 + 28)·0.5 = -50 … 77.5.
    const input = path.join(io.dir, 'x.npy');
    writeNpyAtomic(input, { dtype: 'float32', shape: [3, 3, 2], data: Float32Array.from([-51, -50, 0, 77.5, 77.8, 78, 100, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]) });
    expect(await main(['golden', spec, '--input', input, '--output', path.join(io.dir, 'o.npy')])).toBe(0);
    // Saturated: -51 (-130), 77.8 (round(155.6) - 28 = 128), 78 and 100; -50 and 77.5 are the range's ends.
    expect(err).toEqual([`convgen: warning: ${input}: 4 of 18 float values saturated: outside the input range -50…77.5 (scale 0.5, zero point -28), clamped to its ends`]);
  });
});

describe('names', () => {
  it('--target takes a core in any case (Cortex-M4) and suggests the closest target for a typo (s3c2440)', async () => {
    expect(await main(['test', edge, '--target', 'Cortex-M4,HOST'])).toBe(0);
    expect(out.filter((l) => l.startsWith('PASS')).map((l) => / on (\S+) /.exec(l)![1]).sort()).toEqual(['cortex-m4', 'host']);
    expect(await main(['build', edge, '--target', 's3c2440', '-o', path.join(io.dir, 'b')])).toBe(2);
    expect(err.at(-1)).toBe("convgen: --target: unknown target 's3c2440' (did you mean 's3c2410'?); targets: arm920t, arm926ej-s, " +
      'cortex-m0, cortex-m3, cortex-m4, cortex-m7, cortex-m33, cortex-m55, cortex-a9, s3c2410, host');
    expect(await main(['fuzz', '--targets', 'cortexm7', '--cases', '3'])).toBe(2);
    expect(err.at(-1)).toMatch(/^convgen: --targets: unknown target 'cortexm7' \(did you mean 'cortex-m7'\?\)/);
    expect(fs.existsSync(path.join(io.dir, 'b'))).toBe(false);
  });

  it('"padding": "SAME" / "VALID" (TensorFlow) are "same" / "valid"; other words are still refused', () => {
    const pad = (p: unknown) => modelFromValue(baseSpec({ padding: p, stride: 2, input: { channels: 2, height: 6, width: 7 } }), '/x/s.json').pad;
    expect(pad('SAME')).toEqual(pad('same'));
    expect(pad('SAME')).toEqual({ top: 0, left: 1, bottom: 1, right: 1 });
    expect(pad('Valid')).toEqual({ top: 0, left: 0, bottom: 0, right: 0 });
    expect(() => pad('FULL')).toThrow(/\$\.padding: expected a non-negative integer, .* "valid" or "same", found the string "FULL"/);
  });
});

describe('progress of convgen fuzz', () => {
  it('one progress per target on stderr, moving by each image; stdout keeps the header and the summary', async () => {
    const r = await execa(bin, ['fuzz', '--cases', '6', '--targets', 'cortex-m3', '--variants', 'reference', '--batch', '3', '--jobs', '1',
      '--out', path.join(io.dir, 'ff')], { reject: false, env: { CONVGEN_PROGRESS: 'plain' } });
    expect(r.exitCode).toBe(0);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^fuzz cortex-m3: 3\/6 cases \(50%\), \d+ s elapsed, about \d+ s left$/),
      expect.stringMatching(/^fuzz cortex-m3: 6\/6 cases \(100%\), \d+ s elapsed$/),
    ]);
    expect(r.stdout).not.toMatch(/elapsed/);
    expect(r.stdout).toMatch(/^PASS  cortex-m3: 6 specs × 1 \(variant, goal\) = 6 cases in \d+ cells, 2 images/m);
  });
});

describe('convgen test --html', () => {
  it('writes one self-contained page: the per-target table, the chart and every pair (rendered by test/report/html.test.ts)', async () => {
    const html = path.join(io.dir, 'r.html');
    expect(await main(['test', edge, '--target', 'host,s3c2410', '--html', html])).toBe(0);
    const page = fs.readFileSync(html, 'utf8');
    expect(page.startsWith('<!DOCTYPE html>')).toBe(true);
    // The board (s3c2410, no emulator) is proved on its emulated twin: both pairs ran.
    expect(page).toContain('BIT-EXACT: 2 (spec, target) pairs match the golden model</p>');
    expect(page).toMatch(/<tr><td>host<\/td><td class="num">1<\/td><td class="num">1<\/td><td class="num">0<\/td>/);
    expect(page).toMatch(/<svg [^>]*>[\s\S]*<rect [^>]*fill="#2ca02c"><title>host: 1 pass<\/title>/);
    expect(page).not.toMatch(/<(script|link|img)\b|src=|href=/);
  });
});

describe('messages that say what ran', () => {
  it("build's verdict lists every kind of input it counts", async () => {
    expect(await main(['build', edge, '--target', 'cortex-m3', '-o', path.join(io.dir, 'b')])).toBe(0);
    const verdict = out.find((l) => l.startsWith('verdict'))!;
    const m = /over (\d+) inputs \(seed 1: (.*)\) match/.exec(verdict)!;
    const kinds = m[2].split(', ').reduce((n, k) => n + (/^(\d+) /.exec(k) ? Number(/^(\d+) /.exec(k)![1]) : 1), 0);
    expect(kinds).toBe(Number(m[1]));
    expect(m[2]).toBe('2 random, all-max, all-min, alternating');
  });

  it('doctor names each missing package once, in one apt-get line', async () => {
    const r = await execa(process.execPath, [bin, 'doctor'], { reject: false, env: { PATH: '/nonexistent' } });
    expect(r.exitCode).toBe(3);
    const line = r.stdout.split('\n').find((l) => l.startsWith('install with:'))!;
    // QEMU 10 comes from bookworm-backports on Debian 12 (scripts/setup adds that source).
    expect(line).toBe('install with: apt-get update && apt-get install -y -t bookworm-backports gcc gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm');
  });
});
