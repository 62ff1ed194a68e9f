/**
 * Writing outputs (src/files/write.ts, src/files/cleanup.ts): a write that fails half-way (ENOSPC injected at the
 * file-system layer, so it runs on any machine) leaves the destination as it was and no staging, temporary or lock
 * file; the lock of an output folder; the exit hook that removes what a forced exit skipped.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/index.ts';
import { OutputFolder, writeOutputFile, writeOutputFolder } from '../../src/files/write.ts';
import { EnvironmentError } from '../../src/errors.ts';
import { cliSandbox, root } from '../helpers.ts';

const io = cliSandbox('convgen-write-');
const spec = path.join(root, 'examples', 'edge3x3.json');

/** Every name under `dir`, recursively, with file contents (to see that nothing changed). */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const p = path.join(e.parentPath, e.name);
    out[path.relative(dir, p)] = e.isFile() ? fs.readFileSync(p, 'utf8') : 'dir';
  }
  return out;
}

/** fs.writeSync fails with ENOSPC from its `n`-th call on, as a full disk does. */
function diskFullAfter(n: number) {
  const real = fs.writeSync;
  let calls = 0;
  return vi.spyOn(fs, 'writeSync').mockImplementation(((...args: Parameters<typeof fs.writeSync>) => {
    if (++calls >= n) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
    return (real as (...a: unknown[]) => number)(...args);
  }) as typeof fs.writeSync);
}

describe('a disk that fills up half-way', () => {
  it('generate: exit 3, one line, no new folder, no staging, no lock; an existing folder keeps its files', async () => {
    const out = path.join(io.dir, 'out');
    for (const n of [1, 2, 3]) {
      const full = diskFullAfter(n);
      expect(await main(['generate', spec, '-o', out])).toBe(3);
      full.mockRestore();
      expect(io.err).toEqual([`convgen: ${out}: no space left on the device; nothing was written`]);
      io.err.length = 0;
      expect(fs.readdirSync(io.dir)).toEqual([]);
    }
    // An existing folder with the previous kernel and a file of the user's: unchanged by a failed generate.
    expect(await main(['generate', spec, '-o', out])).toBe(0);
    fs.writeFileSync(path.join(out, 'notes.txt'), 'mine');
    fs.appendFileSync(path.join(out, 'edge3x3.c'), '/* previous */\n');
    const before = tree(io.dir);
    const full = diskFullAfter(3);
    expect(await main(['generate', spec, '-o', out, '--variant', 'naive'])).toBe(3);
    full.mockRestore();
    expect(tree(io.dir)).toEqual(before);
  });

  it('a report file (--json): the old report stays whole, no temporary file is left', () => {
    const file = path.join(io.dir, 'r.json');
    writeOutputFile(file, '{"old": true}\n');
    const full = diskFullAfter(1);
    expect(() => writeOutputFile(file, 'x'.repeat(100_000))).toThrow(EnvironmentError);
    full.mockRestore();
    expect(fs.readdirSync(io.dir)).toEqual(['r.json']);
    expect(fs.readFileSync(file, 'utf8')).toBe('{"old": true}\n');
  });

  it('import: nothing of the model\'s specs is left', () => {
    const full = diskFullAfter(2);
    const dir = path.join(io.dir, 'specs');
    expect(() => writeOutputFolder(dir, [{ name: 'a.json', content: '{}' }, { name: 'a.weights.npy', content: 'x' }])).toThrow(/no space left/);
    full.mockRestore();
    expect(fs.readdirSync(io.dir)).toEqual([]);
  });
});

describe('the lock of an output folder', () => {
  it('a second writer fails at once with one line naming the first; the first then commits alone', () => {
    const dir = path.join(io.dir, 'out');
    const first = new OutputFolder(dir);
    try {
      expect(() => new OutputFolder(dir)).toThrow(new RegExp(`^${dir}: another convgen \\(pid ${process.pid} on ${os.hostname()}\\) is writing this folder`));
      first.add([{ name: 'a.c', content: 'int a;\n' }]);
      first.commit();
    } finally {
      first.close();
    }
    expect(fs.readdirSync(io.dir)).toEqual(['out']);
    expect(fs.readdirSync(dir)).toEqual(['a.c']);
  });

  it('an existing folder holds its own lock and staging (hidden, removed after): nothing is written beside it', () => {
    const dir = path.join(io.dir, 'out');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'old.c'), 'int old;\n');
    const folder = new OutputFolder(dir);
    try {
      expect(fs.readdirSync(io.dir)).toEqual(['out']);
      expect(fs.readdirSync(dir).sort()).toEqual(['.convgen-lock', expect.stringMatching(/^\.convgen-staging-/), 'old.c']);
      expect(() => new OutputFolder(dir)).toThrow(/another convgen/);
      folder.add([{ name: 'a.c', content: 'int a;\n' }]);
      folder.commit();
    } finally {
      folder.close();
    }
    expect(fs.readdirSync(dir).sort()).toEqual(['a.c', 'old.c']);
  });

  it('a lock and a staging folder left by a process killed on this host are taken over and swept', async () => {
    const exited = execa('true');
    await exited;
    const dead = exited.pid!; // its pid names no process now (until reused, which is rare)
    const dir = path.join(io.dir, 'out');
    fs.writeFileSync(path.join(io.dir, '.out.convgen-lock'), `${dead} ${os.hostname()}\n`);
    fs.mkdirSync(path.join(io.dir, '.out.convgen-staging-abc123'));
    fs.writeFileSync(path.join(io.dir, '.out.convgen-staging-abc123', '.convgen-owner'), `${dead} ${os.hostname()}\n`);
    writeOutputFolder(dir, [{ name: 'a.c', content: 'int a;\n' }]);
    expect(fs.readdirSync(io.dir)).toEqual(['out']);
  });

  it('a lock held on another host cannot be judged: refused, with the lock file to remove if no one holds it', () => {
    const lock = path.join(io.dir, '.out.convgen-lock');
    fs.writeFileSync(lock, '4242 some-other-host\n');
    expect(() => writeOutputFolder(path.join(io.dir, 'out'), [])).toThrow(
      `another convgen (pid 4242 on some-other-host) is writing this folder; wait for it or give each its own -o (if none is running, remove ${lock})`);
    expect(fs.readdirSync(io.dir)).toEqual(['.out.convgen-lock']);
  });
});

describe('a forced exit', () => {
  it('removes the temporary folders it skipped unwinding (the exit hook)', async () => {
    const code = `const { makeTempDir } = await import('./src/files/cleanup.ts');
      const t = makeTempDir('convgen-exit-', ${JSON.stringify(io.dir)});
      const kept = makeTempDir('convgen-kept-', ${JSON.stringify(io.dir)});
      kept.keep();
      console.log(t.dir, kept.dir);
      process.exit(7);`;
    const r = await execa(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: root, reject: false });
    expect(r.exitCode).toBe(7);
    const [gone, kept] = r.stdout.trim().split(' ');
    expect(gone).toMatch(/convgen-exit-/);
    expect(fs.existsSync(gone)).toBe(false);
    expect(fs.existsSync(kept)).toBe(true);
  });
});
