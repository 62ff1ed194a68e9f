/**
 * The README's first steps on a fresh clone: `make demo` works and leaves `git status` empty (set-up never rewrites a
 * tracked file such as package-lock.json), and after `make install` the `convgen` command runs from any folder, with
 * paths relative to that folder. The clone is of the tree as it is now (tracked and new files), in a temp folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { readNpy, writeNpyAtomic } from '../../src/npy/index.ts';
import { root } from '../helpers.ts';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'convgen-install-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** A git repository holding this tree's files (not node_modules, builds or anything ignored), committed. */
async function freshClone(dir: string): Promise<void> {
  const { stdout } = await execa('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root });
  for (const f of stdout.split('\0').filter(Boolean)) {
    const from = path.join(root, f);
    if (!fs.existsSync(from)) continue; // deleted in the work tree, not yet committed
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.copyFileSync(from, path.join(dir, f));
    fs.chmodSync(path.join(dir, f), fs.statSync(from).mode);
  }
  const git = (...args: string[]) => execa('git', ['-c', 'user.name=convgen test', '-c', 'user.email=test@convgen.invalid', ...args], { cwd: dir });
  await git('init', '-q');
  await git('add', '-A');
  await git('commit', '-q', '-m', 'fresh clone');
}

async function gitStatus(dir: string): Promise<string> {
  return (await execa('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: dir })).stdout;
}

describe('fresh clone', () => {
  it('make demo leaves git status empty; make install puts convgen on PATH, which then works from another folder', async () => {
    const repo = path.join(work, 'repo');
    await freshClone(repo);
    expect(await gitStatus(repo)).toBe('');

    const demo = await execa('make', ['demo'], { cwd: repo, reject: false, all: true });
    expect(demo.exitCode, demo.all).toBe(0);
    expect(demo.stdout).toMatch(/^verdict {4}BIT-EXACT: /m);
    expect(await gitStatus(repo)).toBe('');

    const prefix = path.join(work, 'prefix');
    const install = await execa('make', ['install', `PREFIX=${prefix}`], { cwd: repo, reject: false, all: true });
    expect(install.exitCode, install.all).toBe(0);
    expect(fs.realpathSync(path.join(prefix, 'bin', 'convgen'))).toBe(path.join(fs.realpathSync(repo), 'bin', 'convgen.mjs'));
    expect(await gitStatus(repo)).toBe('');

    // A user's own project: relative paths everywhere, run from its folder.
    const project = path.join(work, 'project');
    fs.mkdirSync(path.join(project, 'layers'), { recursive: true });
    fs.mkdirSync(path.join(project, 'data'));
    fs.writeFileSync(path.join(project, 'layers', 'k.json'), JSON.stringify({
      name: 'k', input: { channels: 2, height: 5, width: 6 }, output: { channels: 3 }, kernel: 3, padding: 'SAME',
      numeric: { type: 'q15', inputFrac: 12, weightFrac: 14, outputFrac: 12 }, weights: { random: { seed: 1 } },
    }));
    writeNpyAtomic(path.join(project, 'data', 'x.npy'), { dtype: 'int16', shape: [2, 2, 5, 6], data: Int16Array.from({ length: 120 }, (_, i) => i * 97 - 5000) });
    const env = { PATH: `${path.join(prefix, 'bin')}:${process.env.PATH}` };
    const convgen = (...args: string[]) => execa('convgen', args, { cwd: project, env, reject: false });

    const help = await convgen('--help');
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toMatch(/^Usage: convgen /);
    const run = await convgen('run', 'layers/k.json', '--target', 'arm920t', '--input', 'data/x.npy', '--output', 'data/y.npy');
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('wrote data/y.npy (2x3x5x6 int16): computed on arm920t');
    const golden = await convgen('golden', 'layers/k.json', '--input', 'data/x.npy', '--output', 'data/g.npy');
    expect(golden.exitCode).toBe(0);
    expect(readNpy(path.join(project, 'data', 'y.npy')).data).toEqual(readNpy(path.join(project, 'data', 'g.npy')).data);
    const build = await convgen('build', 'layers/k.json', '--target', 'cortex-m4', '-o', 'generated/k');
    expect(build.exitCode).toBe(0);
    expect(fs.readdirSync(path.join(project, 'generated', 'k'))).toContain('k.c');

    const uninstall = await execa('make', ['uninstall', `PREFIX=${prefix}`], { cwd: repo });
    expect(uninstall.stdout).toContain(`removed ${path.join(prefix, 'bin', 'convgen')}`);
    expect(fs.existsSync(path.join(prefix, 'bin', 'convgen'))).toBe(false);
    expect(await gitStatus(repo)).toBe('');
  }, 600_000);
});
