/**
 * `convgen quantize` and float specs through the other commands: the formats and error table, --json, the host
 * end-to-end `convgen test` on examples/float_q15_auto.json, and bad input (exit 2, one line, nothing written).
 */
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/index.ts';
import { writeNpyAtomic } from '../../src/npy/index.ts';
import { cliSandbox, root } from '../helpers.ts';

const bin = path.join(root, 'bin', 'convgen.mjs');
const example = path.join(root, 'examples', 'float_q15_auto.json');
const io = cliSandbox('convgen-quant-');
const { out, err } = io;

function spec(over: Record<string, unknown> = {}, numeric: Record<string, unknown> = {}): string {
  const file = path.join(io.dir, 'spec.json');
  fs.writeFileSync(file, JSON.stringify({
    name: 'k', input: { channels: 2, height: 4, width: 4 }, output: { channels: 2 }, kernel: 3, padding: 1,
    numeric: { type: 'q15', inputRange: [-1, 1], weightFrac: 'auto', outputFrac: 'auto', ...numeric },
    weights: { values: Array.from({ length: 36 }, (_, i) => Math.sin(i) * 0.2) },
    ...over,
  }));
  return file;
}

describe('convgen quantize', () => {
  it('prints the chosen formats and why, and a per-channel table with an overall row', async () => {
    expect(await main(['quantize', example, '--samples', '4', '--seed', '3'])).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/numeric +q15: input Q1\.14, weights Q0\.15, output Q2\.13, bias 29 fraction bits/);
    expect(text).toMatch(/input +Q1\.14 +auto: inputRange \[-1, 1\] lies in Q1\.14's range/);
    expect(text).toMatch(/weights +Q0\.15 +auto: max \|w\| = 0\.4708 \(index 97\)/);
    expect(text).toMatch(/output +Q2\.13 +auto: y ≤ [\d.]+ for every input in range/);
    expect(text).toMatch(/4 random inputs uniform in \[-1, 1\] \(inputRange, seed 3\)/);
    const rows = out.filter((l) => /^ +(\d+|all) /.test(l));
    expect(rows).toHaveLength(5);
    for (const row of rows) {
      const [, , maxAbs, rms, snr, sat, bound] = row.split(/ +/);
      expect(Number(snr)).toBeGreaterThan(60);
      expect(Number(sat)).toBe(0);
      expect(Number(maxAbs)).toBeLessThanOrEqual(Number(bound));
      expect(Number(rms)).toBeLessThanOrEqual(Number(maxAbs));
    }
  });

  it('--json writes the figures; the same seed gives the same figures', async () => {
    const a = path.join(io.dir, 'a.json');
    const b = path.join(io.dir, 'b.json');
    expect(await main(['quantize', example, '--json', a])).toBe(0);
    expect(await main(['quantize', example, '--json', b])).toBe(0);
    const r = JSON.parse(fs.readFileSync(a, 'utf8'));
    expect(fs.readFileSync(b, 'utf8')).toBe(fs.readFileSync(a, 'utf8'));
    expect(r).toMatchObject({ name: 'float_q15_auto', type: 'q15', samples: 8, seed: 1, inputRange: [-1, 1], boundExceeded: [] });
    expect(r.formats.weights).toMatchObject({ q: 'Q0.15', frac: 15, auto: true });
    expect(r.channels).toHaveLength(4);
    expect(r.overall.snrDb).toBeGreaterThan(60);
    expect(r.overall.maxAbs).toBeLessThanOrEqual(r.overall.bound);
  });

  it('works for an integer spec too, and says where outputs saturate', async () => {
    expect(await main(['quantize', path.join(root, 'examples', 'edge3x3.json'), '--samples', '1'])).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/weights +Q1\.14 +given/);
    expect(text).toMatch(/the input format's range/);
    expect(text).toMatch(/n\/a \(may saturate\)/);
  });

  it('generate and test --target host accept a float spec: bit-exact on the host', async () => {
    expect(await main(['generate', example, '-o', path.join(io.dir, 'gen')])).toBe(0);
    const c = fs.readFileSync(path.join(io.dir, 'gen', 'float_q15_auto.c'), 'utf8');
    expect(c).toMatch(/int16_t/);
    expect(await main(['test', example, '--target', 'host'])).toBe(0);
    expect(out.join('\n')).toMatch(/PASS {2}float_q15_auto on host/);
  });

  const bad: [string, () => string, RegExp][] = [
    ['NaN weight in a float64 .npy', () => {
      const w = Float64Array.from({ length: 36 }, (_, i) => (i === 5 ? NaN : 0.1));
      writeNpyAtomic(path.join(io.dir, 'w.npy'), { dtype: 'float64', shape: [2, 2, 3, 3], data: w });
      return spec({ weights: { npy: 'w.npy' } });
    }, /w\.npy: element 5 is NaN; values must be finite$/],
    ['random weights with "auto"', () => spec({ weights: { random: { seed: 1 } } }), /spec\.json: \$\.weights\.random: random draws raw integers/],
    ['inputRange lo >= hi', () => spec({}, { inputRange: [0.5, -0.5] }), /spec\.json: \$\.numeric\.inputRange: the lower end 0\.5 must be less than the upper end -0\.5$/],
    ['neither inputFrac nor inputRange', () => spec({}, { inputRange: undefined }), /spec\.json: \$\.numeric\.inputFrac: required inputFrac is missing/],
    ['a non-numeric inputRange', () => spec({}, { inputRange: [0, 'one'] }), /spec\.json: \$\.numeric\.inputRange\[1\]: expected number/],
  ];
  for (const [what, make, re] of bad)
    for (const command of ['quantize', 'generate'])
      it(`${command}: ${what} -> exit 2, one line, nothing written`, async () => {
        const file = make();
        const before = fs.readdirSync(io.dir).sort();
        const args = command === 'quantize' ? ['quantize', file, '--json', path.join(io.dir, 'r.json')] : ['generate', file, '-o', path.join(io.dir, 'gen')];
        expect(await main(args)).toBe(2);
        expect(err).toHaveLength(1);
        expect(err[0]).toMatch(/^convgen: /);
        expect(err[0]).toMatch(re);
        expect(out).toEqual([]);
        expect(fs.readdirSync(io.dir).sort()).toEqual(before);
      });

  it('refuses an int8 spec and bad options with exit 2; as a process, one line and no stack trace', async () => {
    expect(await main(['quantize', path.join(root, 'examples', 'int8_hwc.json')])).toBe(2);
    expect(err.at(-1)).toMatch(/int8_hwc\.json: convgen quantize measures Q formats/);
    expect(await main(['quantize', example, '--samples', '0'])).toBe(2);
    const r = await execa(bin, ['quantize', spec({}, { inputRange: [1, 1] })], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
  });
});
