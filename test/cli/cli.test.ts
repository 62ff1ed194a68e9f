import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/index.ts';
import { readNpy, writeNpyAtomic } from '../../src/npy/index.ts';
import { cliSandbox, root } from '../helpers.ts';

const bin = path.join(root, 'bin', 'convgen.mjs');
const io = cliSandbox('convgen-cli-');
const { out, err } = io;

function writeSpec(name: string, spec: unknown): string {
  const file = path.join(io.dir, name);
  fs.writeFileSync(file, JSON.stringify(spec));
  return file;
}

const edge = path.join(root, 'examples', 'edge3x3.json');

describe('convgen CLI', () => {
  it('generate writes the three files', async () => {
    expect(await main(['generate', edge, '-o', path.join(io.dir, 'k')])).toBe(0);
    expect(fs.readdirSync(path.join(io.dir, 'k')).sort()).toEqual(['convgen_entry.h', 'edge3x3.c', 'edge3x3.h']);
  });

  it('--optimize reaches generate and build (stated in the header); an unknown goal is exit 2', async () => {
    expect(await main(['generate', edge, '-o', path.join(io.dir, 'g'), '--optimize', 'speed'])).toBe(0);
    expect(fs.readFileSync(path.join(io.dir, 'g', 'edge3x3.h'), 'utf8')).toMatch(/Optimize   speed: /);
    expect(await main(['generate', edge, '-o', path.join(io.dir, 'x'), '--optimize', 'fastest'])).toBe(2);
    expect(fs.existsSync(path.join(io.dir, 'x'))).toBe(false);
    const spec = writeSpec('i8.json', {
      name: 'i8', layout: 'hwc', input: { channels: 8, height: 5, width: 5 }, output: { channels: 4 }, kernel: 3, padding: 1,
      numeric: { type: 'int8', inputOffset: 128, multiplier: 1300000000, shift: -8 }, weights: { random: { seed: 1 }, layout: 'ohwi' },
    });
    expect(await main(['build', spec, '--target', 'cortex-m4', '-o', path.join(io.dir, 'b'), '--optimize', 'speed'])).toBe(0);
    expect(fs.readFileSync(path.join(io.dir, 'b', 'i8.h'), 'utf8')).toMatch(/Optimize   speed: .*pre-widened to int16 pairs, 576 B of flash/);
  }, 120_000);

  it('golden and run --target host agree on an .npy input, float or integer', async () => {
    const input = path.join(io.dir, 'in.npy');
    const data = Float32Array.from({ length: 3 * 16 * 16 }, (_, i) => Math.sin(i) * 7.5);
    writeNpyAtomic(input, { dtype: 'float32', shape: [3, 16, 16], data });
    expect(await main(['golden', edge, '--input', input, '--output', path.join(io.dir, 'g.npy')])).toBe(0);
    expect(await main(['run', edge, '--target', 'host', '--input', input, '--output', path.join(io.dir, 'h.npy')])).toBe(0);
    const g = readNpy(path.join(io.dir, 'g.npy'));
    const h = readNpy(path.join(io.dir, 'h.npy'));
    expect(g.dtype).toBe('int16');
    expect(g.shape).toEqual([8, 16, 16]);
    expect(Array.from(h.data, Number)).toEqual(Array.from(g.data, Number));
    expect(Array.from(g.data, Number).some((v) => v !== 0)).toBe(true);
  });

  it('test writes JSON and JUnit reports and exits 0 when bit-exact', async () => {
    const json = path.join(io.dir, 'r.json');
    const junit = path.join(io.dir, 'r.xml');
    expect(await main(['test', edge, '--target', 'host', '--json', json, '--junit', junit])).toBe(0);
    const report = JSON.parse(fs.readFileSync(json, 'utf8'));
    expect(report.results[0]).toMatchObject({ target: 'host', status: 'pass', mismatches: 0, macs: 8 * 16 * 16 * 27 });
    expect(fs.readFileSync(junit, 'utf8')).toMatch(/<testsuite name="host" tests="1" failures="0" errors="0"/);
    expect(out.join('\n')).toMatch(/1 passed, 0 failed, 0 errors/);
  });

  it('answers a bad spec with one line naming file and JSON path, exit 2, and writes nothing', async () => {
    const spec = writeSpec('bad.json', { name: 'x', input: { channels: 2, height: 4, width: 4 }, output: { channels: 3 }, kernel: 3, grups: 2,
      numeric: { type: 'q15', inputFrac: 1, weightFrac: 1, outputFrac: 1 }, weights: { random: { seed: 1 } } });
    const outDir = path.join(io.dir, 'gen');
    expect(await main(['generate', spec, '-o', outDir])).toBe(2);
    expect(err).toEqual([`convgen: ${spec}: $: unknown key 'grups' (did you mean 'groups'?); allowed keys: name, layout, input, output, kernel, stride, padding, dilation, groups, activation, numeric, weights, bias`]);
    expect(fs.existsSync(outDir)).toBe(false);
  });

  it('rejects unknown targets, bad options and an output folder that is a file', async () => {
    expect(await main(['test', edge, '--target', 'cortex-m99'])).toBe(2);
    expect(err.at(-1)).toMatch(/--target: unknown target 'cortex-m99'/);
    const file = path.join(io.dir, 'file');
    fs.writeFileSync(file, 'x');
    expect(await main(['generate', edge, '-o', file])).toBe(2);
    expect(err.at(-1)).toMatch(/the output folder exists and is not a folder/);
    expect(fs.readFileSync(file, 'utf8')).toBe('x');
  });

  it('reports an input .npy of the wrong shape with both shapes', async () => {
    const input = path.join(io.dir, 'in.npy');
    writeNpyAtomic(input, { dtype: 'int16', shape: [16, 16, 3], data: new Int16Array(768) });
    expect(await main(['golden', edge, '--input', input, '--output', path.join(io.dir, 'o.npy')])).toBe(2);
    expect(err.at(-1)).toMatch(/expected an input of shape \(3, 16, 16\) \(C, H, W\) for layout chw, found \(16, 16, 3\)/);
    expect(fs.existsSync(path.join(io.dir, 'o.npy'))).toBe(false);
  });

  it('as a process: one line on stderr, no stack trace, distinct exit codes', async () => {
    const missing = await execa(bin, ['generate', path.join(io.dir, 'nope.json'), '-o', io.dir], { reject: false });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr.trim().split('\n')).toEqual([`convgen: ${path.join(io.dir, 'nope.json')}: file not found`]);
    const help = await execa(bin, ['--help'], { reject: false });
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toMatch(/Usage: convgen/);
    // Without a host compiler on PATH the build step is an environment failure: exit 3.
    const noTools = await execa(process.execPath, [bin, 'test', edge, '--target', 'host'], { reject: false, env: { PATH: '/nonexistent' } });
    expect(noTools.exitCode).toBe(3);
    expect(noTools.stdout).toMatch(/gcc not found on PATH; install it with: apt-get install -y gcc/);
  });

  it('stops quietly when its reader closes the pipe early (`convgen targets | head -1`)', async () => {
    const child = execa(process.execPath, [bin, 'targets'], { reject: false, buffer: { stdout: false } });
    // Close the reading end before convgen writes anything, so that its first write meets a closed pipe.
    child.stdout!.destroy();
    const r = await child;
    expect(r.exitCode).toBe(0);
    expect(String(r.stderr)).not.toMatch(/EPIPE|Error/);
  });
});
