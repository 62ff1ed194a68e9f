/**
 * What a command that fails or is stopped leaves behind: nothing, as real processes see it. A full disk and a
 * read-only file system are small tmpfs mounts (the test mounts them when it may, i.e. as root; src/files is also
 * tested with an injected ENOSPC in test/files/write.test.ts); two builds into one folder; SIGTERM, SIGHUP and
 * SIGKILL while QEMU runs. QEMU is started frozen (-S) by a wrapper on PATH, so a run waits for the signal.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOnPath } from '../../src/toolchain/spawn.ts';
import { alive, descendants, root } from '../helpers.ts';
import { encodeNpy } from '../../src/npy/index.ts';
import { DT, model, node, tensor, value, values } from '../onnx/models.ts';

const bin = path.join(root, 'bin', 'convgen.mjs');
const spec = path.join(root, 'examples', 'edge3x3.json');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'convgen-outputs-'));
const frozen = path.join(work, 'frozen-bin');
const mounts: string[] = [];

beforeAll(() => {
  const qemu = findOnPath('qemu-system-arm');
  if (!qemu) throw new Error('qemu-system-arm is needed');
  fs.mkdirSync(frozen);
  fs.writeFileSync(path.join(frozen, 'qemu-system-arm'), `#!/bin/sh\n# QEMU with its CPU stopped: the run waits until it is killed.\nexec ${qemu} -S "$@"\n`, { mode: 0o755 });
});
afterAll(async () => {
  for (const m of mounts) await execa('umount', [m], { reject: false });
  fs.rmSync(work, { recursive: true, force: true });
});

/** A tmpfs of `size` at a new folder, or null where mounting is not allowed (not root, no CAP_SYS_ADMIN). */
async function tmpfs(name: string, options: string): Promise<string | null> {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  const r = await execa('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { reject: false });
  if (r.exitCode !== 0) return null;
  mounts.push(dir);
  return dir;
}
const canMount = await (async () => {
  const probe = await tmpfs('probe', 'size=64k');
  return probe !== null;
})();

function convgen(args: string[], env: Record<string, string> = {}) {
  return execa(process.execPath, [bin, ...args], { reject: false, env: { TMPDIR: path.join(work, 'tmp'), CONVGEN_PROGRESS: 'off', ...env } });
}
fs.mkdirSync(path.join(work, 'tmp'), { recursive: true });

function expectOneLine(r: { stderr: string }, pattern: RegExp): void {
  const lines = r.stderr.split('\n').filter(Boolean);
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(lines[0]).not.toMatch(/^\s+at |node:internal|Error:/);
}

/** Fill a file system completely (a file written until ENOSPC). */
function fill(dir: string): void {
  const fd = fs.openSync(path.join(dir, 'filler'), 'w');
  const chunk = Buffer.alloc(4096, 1);
  try {
    for (;;) fs.writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    fs.closeSync(fd);
  }
}

describe.skipIf(!canMount)('a full disk and a read-only file system (tmpfs mounts)', () => {
  it('disk full: generate, build, import and test --json exit 3 with one line and leave only what was there', async () => {
    const full = (await tmpfs('full', 'size=256k'))!;
    fill(full);
    const onnx = path.join(work, 'm.onnx');
    fs.writeFileSync(onnx, model({
      nodes: [node('Conv', ['x', 'w'], ['y'], 'conv')], initializers: [tensor('w', DT.FLOAT, [2, 3, 3, 3], values(54, 1))],
      inputs: [value('x', DT.FLOAT, [1, 3, 8, 8])], outputs: [value('y', DT.FLOAT, [1, 2, 6, 6])],
    }));
    // Calibration data, so that the import has nothing to warn about and its only line is the error.
    const calib = path.join(work, 'calib.npy');
    fs.writeFileSync(calib, encodeNpy({ dtype: 'float32', shape: [4, 3, 8, 8], data: Float32Array.from({ length: 768 }, (_, i) => Math.sin(i)) }));
    const runs: [string[], RegExp][] = [
      [['generate', spec, '-o', path.join(full, 'gen')], /gen: no space left on the device; nothing was written$/],
      [['build', spec, '--target', 'arm920t', '--no-verify', '-o', path.join(full, 'b')], /No space left on device|no space left on the device/],
      [['import', onnx, '--calibrate', calib, '-o', path.join(full, 'imp')], /imp: no space left on the device; nothing was written$/],
      [['test', spec, '--target', 'host', '--json', path.join(full, 'r.json')], /r\.json: no space left on the device; nothing was written$/],
    ];
    for (const [args, message] of runs) {
      const r = await convgen(args);
      expect(r.exitCode, `${args.join(' ')}: ${r.stderr}`).toBe(3);
      expectOneLine(r, message);
      expect(fs.readdirSync(full), args[0]).toEqual(['filler']);
    }
    // The temp folder on a full disk: the same, and nothing left there.
    const r = await convgen(['test', spec, '--target', 'host'], { TMPDIR: full });
    expect(r.exitCode).toBe(3);
    expectOneLine(r, /no space left on the device/);
    expect(fs.readdirSync(full).filter((f) => f.startsWith('convgen'))).toEqual([]);
  }, 120_000);

  it('read-only: -o, --json, --output exit 3 with one line before any work is done', async () => {
    const ro = (await tmpfs('ro', 'size=64k,ro'))!;
    const runs: string[][] = [
      ['generate', spec, '-o', path.join(ro, 'out')],
      ['build', spec, '--target', 'cortex-m3', '-o', path.join(ro, 'out')],
      ['test', spec, '--target', 'cortex-m3', '--json', path.join(ro, 'r.json')],
      ['quantize', path.join(root, 'examples', 'float_q15_auto.json'), '--json', path.join(ro, 'q.json')],
    ];
    for (const args of runs) {
      const r = await convgen(args);
      expect(r.exitCode, r.stderr).toBe(3);
      expectOneLine(r, new RegExp(`^convgen: ${ro}/\\S+: read-only file system( \\(${ro}\\))?; nothing was written$`));
      expect(r.stdout).not.toMatch(/PASS|verdict/); // refused before building or running anything
    }
    expect(fs.readdirSync(ro)).toEqual([]);
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------------------------
// Processes (the progress line is off: one line on stderr means the error)

/** Start convgen with the frozen QEMU first on PATH; resolves once QEMU runs, with its pid. */
async function startFrozen(args: string[], tmp: string) {
  fs.mkdirSync(tmp, { recursive: true });
  const child = execa(process.execPath, [bin, ...args], { reject: false, env: { TMPDIR: tmp, PATH: `${frozen}:${process.env.PATH}`, CONVGEN_PROGRESS: 'off' } });
  for (let i = 0; i < 600; i++) {
    const q = (await descendants(child.pid!)).find((d) => d.comm.startsWith('qemu-system'));
    if (q) return { child, qemu: q.pid };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('QEMU never started');
}

async function gone(pid: number, ms = 5000): Promise<boolean> {
  for (let t = 0; t < ms; t += 50) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

function leftovers(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => /convgen/.test(f));
}

describe('stopped while QEMU runs', () => {
  it('SIGTERM during build: exit 143, one line, QEMU stopped, no staging folder, no lock, no output', async () => {
    const parent = path.join(work, 'term');
    fs.mkdirSync(parent);
    const { child, qemu } = await startFrozen(['build', spec, '--target', 'cortex-m3', '-o', path.join(parent, 'out')], path.join(work, 'tmp-term'));
    expect(fs.readdirSync(parent).filter((f) => f.includes('.convgen-')).length).toBeGreaterThan(0); // staging and lock exist meanwhile
    child.kill('SIGTERM');
    const r = await child;
    expect(r.exitCode).toBe(143);
    expectOneLine(r, /^convgen: stopped by SIGTERM; every child process was stopped and nothing was written$/);
    expect(await gone(qemu)).toBe(true);
    expect(fs.readdirSync(parent)).toEqual([]);
  });

  it('SIGHUP during test: exit 129, QEMU stopped, no temporary folder, no report', async () => {
    const tmp = path.join(work, 'tmp-hup');
    const report = path.join(work, 'hup.json');
    const { child, qemu } = await startFrozen(['test', spec, '--target', 'cortex-m3', '--json', report], tmp);
    child.kill('SIGHUP');
    const r = await child;
    expect(r.exitCode).toBe(129);
    expectOneLine(r, /^convgen: stopped by SIGHUP;/);
    expect(await gone(qemu)).toBe(true);
    expect(leftovers(tmp)).toEqual([]);
    expect(fs.existsSync(report)).toBe(false);
  });

  it('SIGKILL: QEMU dies with convgen; what SIGKILL left (staging, lock, temp folder) the next run sweeps', async () => {
    const parent = path.join(work, 'kill');
    fs.mkdirSync(parent);
    const tmp = path.join(work, 'tmp-kill');
    const out = path.join(parent, 'out');
    const { child, qemu } = await startFrozen(['build', spec, '--target', 'cortex-m3', '-o', out], tmp);
    child.kill('SIGKILL');
    await child;
    try {
      expect(await gone(qemu)).toBe(true); // parent-death signal (src/toolchain/spawn.ts)
    } finally {
      if (alive(qemu)) process.kill(qemu, 'SIGKILL');
    }
    expect(fs.readdirSync(parent).sort()).toEqual(['.out.convgen-lock', expect.stringMatching(/^\.out\.convgen-staging-\w{6}$/)]);
    // A real run into the same folder takes over the dead lock and sweeps the staging folder.
    const r = await convgen(['build', spec, '--target', 'cortex-m3', '-o', out]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(fs.readdirSync(parent)).toEqual(['out']);
    // The same for the temp folder of `test`.
    const t = await startFrozen(['test', spec, '--target', 'cortex-m3'], tmp);
    t.child.kill('SIGKILL');
    await t.child;
    expect(await gone(t.qemu)).toBe(true);
    expect(leftovers(tmp).length).toBeGreaterThan(0);
    expect((await convgen(['test', spec, '--target', 'host'], { TMPDIR: tmp })).exitCode).toBe(0);
    expect(leftovers(tmp)).toEqual([]);
  });

  it('two builds into one folder: the second fails at once with one line; the first is unaffected', async () => {
    const parent = path.join(work, 'two');
    fs.mkdirSync(parent);
    const out = path.join(parent, 'out');
    const first = await startFrozen(['build', spec, '--target', 'cortex-m3', '-o', out], path.join(work, 'tmp-two'));
    const started = Date.now();
    const second = await convgen(['build', spec, '--target', 'arm920t', '-o', out]);
    expect(second.exitCode).toBe(3);
    expectOneLine(second, new RegExp(`^convgen: ${out}: another convgen \\(pid ${first.child.pid} on ${os.hostname()}\\) is writing this folder`));
    expect(Date.now() - started).toBeLessThan(15_000);
    first.child.kill('SIGTERM');
    expect((await first.child).exitCode).toBe(143);
    // with the first gone, the folder is free again
    const again = await convgen(['build', spec, '--target', 'arm920t', '-o', out]);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(fs.readdirSync(out).sort()).toEqual(['convgen_entry.h', 'edge3x3-arm920t.bin', 'edge3x3-arm920t.elf', 'edge3x3.c', 'edge3x3.h', 'report.json']);
  });
});
