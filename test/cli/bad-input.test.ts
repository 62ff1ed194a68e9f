/**
 * The bad-input promise, over the corpus in test/bad-input/: every malformed or impossible input ends with the
 * expected exit code (2 input, 3 environment), exactly one line on stderr that names the file and the JSON path or
 * line:column (the case's regex), no stack trace, and nothing written, changed or half-written: not in the case's
 * folder, not in the output location, not in the temp folder.
 *
 * Cases run in-process through main() (what bin/convgen.mjs runs), with stdout and stderr captured; cases marked
 * "process" (a doctored PATH) run as real processes. CONVGEN_CORPUS_PROCESSES=1 runs every case as a process.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/index.ts';
import { root } from '../helpers.ts';

/**
 * A step run before the case, with placeholders substituted: what cannot be committed (links to /dev/zero, a FIFO,
 * a sparse file of gigabytes) is made in the scratch folder.
 */
type Step =
  | ['copy', string, string]
  | ['symlink', string, string]
  | ['fifo', string]
  | ['npy-header', string, string, number]
  | ['sparse', string, number];

interface Case {
  id: string; argv: string[]; exit: number; stderr: string; process?: boolean; env?: Record<string, string>; note?: string;
  setup?: Step[];
}

const corpus = path.join(root, 'test', 'bad-input');
const { cases } = JSON.parse(fs.readFileSync(path.join(corpus, 'cases.json'), 'utf8')) as { cases: Case[] };
const bin = path.join(root, 'bin', 'convgen.mjs');
const allProcesses = process.env.CONVGEN_CORPUS_PROCESSES === '1';
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'convgen-badinput-'));
const gccOnly = path.join(work, 'gcc-only');

beforeAll(async () => {
  fs.mkdirSync(gccOnly);
  for (const t of ['arm-none-eabi-gcc', 'arm-none-eabi-objcopy', 'arm-none-eabi-as', 'arm-none-eabi-ld'])
    fs.symlinkSync((await execa('which', [t])).stdout.trim(), path.join(gccOnly, t));
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/**
 * Every file and folder under `dir` with a hash of its content (and the folder's own listing). Links, FIFOs and
 * large (sparse) files are recorded without being read.
 */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!fs.existsSync(dir)) return out;
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const rel = path.relative(dir, p);
      if (e.isSymbolicLink()) out[rel] = `link to ${fs.readlinkSync(p)}`;
      else if (e.isDirectory()) {
        out[rel + '/'] = 'dir';
        walk(p);
      } else if (!e.isFile()) out[rel] = 'special';
      else {
        const st = fs.statSync(p);
        out[rel] = st.size > 2 ** 24 ? `${st.size} bytes, modified ${st.mtimeMs}`
          : crypto.createHash('sha1').update(fs.readFileSync(p)).digest('hex');
      }
    }
  };
  walk(dir);
  return out;
}

/** A .npy header announcing `shape` (int8), followed by `bytes` bytes of data that are never written (a hole). */
function sparseNpy(file: string, shape: string, bytes: number): void {
  const dict = `{'descr': '|i1', 'fortran_order': False, 'shape': ${shape}, }`;
  const len = Math.ceil((10 + dict.length + 1) / 64) * 64;
  const header = Buffer.alloc(len, 0x20);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(header);
  header.writeUInt16LE(len - 10, 8);
  header.write(dict, 10, 'latin1');
  header[len - 1] = 0x0a;
  fs.writeFileSync(file, header);
  fs.truncateSync(file, len + bytes);
}

async function runSetup(steps: Step[], sub: (s: string) => string): Promise<void> {
  for (const [op, ...args] of steps) {
    const a = args.map((x) => (typeof x === 'string' ? sub(x) : x));
    if (op === 'copy') fs.copyFileSync(a[0] as string, a[1] as string);
    else if (op === 'symlink') fs.symlinkSync(a[0] as string, a[1] as string);
    else if (op === 'fifo') await execa('mkfifo', [a[0] as string]);
    else if (op === 'npy-header') sparseNpy(a[0] as string, a[1] as string, a[2] as number);
    else if (op === 'sparse') {
      fs.writeFileSync(a[0] as string, '');
      fs.truncateSync(a[0] as string, a[1] as number);
    }
    else throw new Error(`unknown setup step ${op}`);
  }
}

function tmpConvgenEntries(tmp: string): string[] {
  return fs.readdirSync(tmp).filter((f) => f.startsWith('convgen-') || f.startsWith('.convgen'));
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

async function runInProcess(argv: string[]): Promise<{ code: number; stdout: string; stderr: string; threw?: unknown }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void stdout.push(a.join(' ') + '\n'));
  const err = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void stderr.push(a.join(' ') + '\n'));
  const write = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (stderr.push(String(s)), true));
  process.exitCode = undefined;
  try {
    return { code: await main(argv), stdout: stdout.join(''), stderr: stderr.join('') };
  } catch (e) {
    return { code: -1, stdout: stdout.join(''), stderr: stderr.join(''), threw: e };
  } finally {
    log.mockRestore();
    err.mockRestore();
    write.mockRestore();
    process.exitCode = undefined;
  }
}

describe(`the bad-input corpus (${cases.length} cases)`, () => {
  it('has at least 60 cases, each with its folder (when it uses one), a unique id and an exit code of 2 or 3', () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
    for (const c of cases) {
      expect([2, 3], c.id).toContain(c.exit);
      if (c.argv.some((a) => a.includes('{case}'))) expect(fs.existsSync(path.join(corpus, c.id)), c.id).toBe(true);
    }
  });

  for (const c of cases)
    it(`${c.id}: exit ${c.exit}, one line, nothing written`, async () => {
      const caseDir = path.join(corpus, c.id);
      const scratch = fs.mkdtempSync(path.join(work, `${c.id}-`));
      fs.writeFileSync(path.join(scratch, 'file'), 'not a folder\n');
      // A private temp folder: what the command leaves there is its own.
      const tmp = path.join(scratch, '..', `${path.basename(scratch)}.tmp`);
      fs.mkdirSync(tmp);
      const sub = (s: string) => s.replaceAll('{case}', caseDir).replaceAll('{scratch}', scratch).replaceAll('{out}', path.join(scratch, 'out'))
        .replaceAll('{gcconly}', gccOnly).replaceAll('{PATH}', process.env.PATH ?? '');
      const argv = c.argv.map(sub);
      await runSetup(c.setup ?? [], sub);
      const before = { case: snapshot(caseDir), scratch: snapshot(scratch) };
      let r: { code: number; stdout: string; stderr: string; threw?: unknown };
      if (c.process || allProcesses) {
        const env = { ...process.env, TMPDIR: tmp, ...Object.fromEntries(Object.entries(c.env ?? {}).map(([k, v]) => [k, sub(v)])) };
        const p = await execa(process.execPath, [bin, ...argv], { reject: false, env, extendEnv: false, timeout: 60_000 });
        r = { code: p.exitCode ?? -1, stdout: p.stdout, stderr: p.stderr };
      } else {
        const saved = process.env.TMPDIR;
        process.env.TMPDIR = tmp;
        try {
          r = await runInProcess(argv);
        } finally {
          if (saved === undefined) delete process.env.TMPDIR;
          else process.env.TMPDIR = saved;
        }
      }
      expect(r.threw, `${c.id} threw instead of answering`).toBeUndefined();
      const lines = r.stderr.split('\n').filter((l) => l.length > 0);
      expect(lines, `${c.id}: stderr`).toHaveLength(1);
      expect(lines[0]).not.toMatch(/^\s+at |Error:|node:internal/);
      const pattern = new RegExp(sub(c.stderr).replaceAll(caseDir, escape(caseDir)).replaceAll(scratch, escape(scratch)));
      expect(lines[0]).toMatch(pattern);
      expect(r.code, `${c.id}: ${lines[0]}`).toBe(c.exit);
      expect(snapshot(caseDir), `${c.id}: the case folder changed`).toEqual(before.case);
      expect(snapshot(scratch), `${c.id}: something was written`).toEqual(before.scratch);
      expect(tmpConvgenEntries(tmp), `${c.id}: temp files left behind`).toEqual([]);
      fs.rmSync(tmp, { recursive: true, force: true });
      fs.rmSync(scratch, { recursive: true, force: true });
    }, 90_000);
});
