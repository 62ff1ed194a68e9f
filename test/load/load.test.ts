/**
 * Load: `convgen test` over fuzzed specs × every QEMU target, in parallel, reaps every QEMU process, leaves nothing
 * in its temp folder and gives the same results as a sequential run; Ctrl-C (SIGINT) stops every child, removes the
 * temp folders, writes no report and exits 130. `make test` runs CONVGEN_LOAD_SPECS=4 specs; `make load` runs 200.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { sampleSpecs } from '../../src/fuzz/index.ts';
import { targets } from '../../src/targets/index.ts';
import { alive, descendants, root } from '../helpers.ts';

const SPECS = Number(process.env.CONVGEN_LOAD_SPECS ?? 4);
const bin = path.join(root, 'bin', 'convgen.mjs');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'convgen-load-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
const qemuTargets = targets.filter((t) => t.run === 'qemu').length;

/** The specs, small enough for the 16 KiB Cortex-M0 (a spec too big for its RAM would be a link error there). */
function writeSpecs(n: number): string[] {
  const dir = path.join(work, 'specs');
  fs.mkdirSync(dir, { recursive: true });
  // Unstratified: the strata's large shape (11x11, past maxSize) would not fit the Cortex-M0.
  return sampleSpecs(n, 777, { maxChannels: 3, maxSize: 7, stratified: false }).map((s, i) => {
    const f = path.join(dir, `l${i}.json`);
    fs.writeFileSync(f, JSON.stringify({ ...s, name: `l${i}` }));
    return f;
  });
}

/** Every process below `pid` (ps snapshot). */
/** stderr without the progress lines (`test: 3/36 pairs (8%), …`), which a run that is not on a terminal prints there. */
function withoutProgress(stderr: string): string {
  return stderr.split('\n').filter((l) => !/^test: \d+\/\d+ pairs \(\d+%\)/.test(l)).join('\n');
}

/** Run convgen with a private TMPDIR, recording every QEMU process it starts. */
async function run(args: string[], tmp: string, onQemu?: (child: ResultPromise) => void) {
  fs.mkdirSync(tmp, { recursive: true });
  const child = execa(process.execPath, [bin, ...args], { reject: false, env: { TMPDIR: tmp } });
  const qemus = new Set<number>();
  let polling = true;
  const poll = (async () => {
    while (polling) {
      for (const d of await descendants(child.pid!)) if (d.comm.startsWith('qemu-system')) qemus.add(d.pid);
      if (qemus.size && onQemu) {
        onQemu(child);
        onQemu = undefined;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const r = await child;
  polling = false;
  await poll;
  return { r, pid: child.pid!, qemus: [...qemus] };
}

/** What convgen left in its temp folder (tsx keeps its own compile cache there). */
function leftovers(tmp: string): string[] {
  return fs.readdirSync(tmp).filter((f) => /convgen/.test(f));
}

function comparable(file: string) {
  const { results } = JSON.parse(fs.readFileSync(file, 'utf8')) as { results: Record<string, unknown>[] };
  return results.map(({ seconds: _, ...rest }) => rest).sort((a, b) => `${a.name} ${a.target}`.localeCompare(`${b.name} ${b.target}`));
}

describe('load', () => {
  const specs = writeSpecs(SPECS);

  it(`${SPECS} specs × ${qemuTargets} targets: parallel equals sequential, every QEMU reaped, no temp files`, async () => {
    const par = await run(['test', ...specs, '--target', 'all', '--jobs', '4', '--json', path.join(work, 'par.json')], path.join(work, 'tmp-par'));
    expect(withoutProgress(par.r.stderr)).toBe('');
    expect(par.r.exitCode, par.r.stdout.split('\n').filter((l) => !l.startsWith('PASS')).join('\n')).toBe(0);
    expect(par.qemus.length).toBeGreaterThan(0);
    expect(par.qemus.filter(alive)).toEqual([]);
    expect(leftovers(path.join(work, 'tmp-par'))).toEqual([]);
    const seq = await run(['test', ...specs, '--target', 'all', '--jobs', '1', '--json', path.join(work, 'seq.json')], path.join(work, 'tmp-seq'));
    expect(seq.r.exitCode).toBe(0);
    expect(seq.qemus.filter(alive)).toEqual([]);
    expect(leftovers(path.join(work, 'tmp-seq'))).toEqual([]);
    const a = comparable(path.join(work, 'par.json'));
    expect(a).toHaveLength(SPECS * qemuTargets);
    expect(a).toEqual(comparable(path.join(work, 'seq.json')));
  }, Math.max(600_000, SPECS * 20_000));

  it('Ctrl-C stops every child, removes the temp folders, writes no report and exits 130', async () => {
    const report = path.join(work, 'interrupted.json');
    const tmp = path.join(work, 'tmp-int');
    const { r, pid, qemus } = await run(['test', ...specs, '--target', 'all', '--jobs', '2', '--json', report], tmp,
      (child) => child.kill('SIGINT'));
    expect(qemus.length).toBeGreaterThan(0);
    expect(r.exitCode).toBe(130);
    expect(withoutProgress(r.stderr).trim().split('\n')).toEqual(['convgen: interrupted; every child process was stopped and nothing was written']);
    expect(qemus.filter(alive)).toEqual([]);
    expect(await descendants(pid)).toEqual([]);
    expect(leftovers(tmp)).toEqual([]);
    expect(fs.existsSync(report)).toBe(false);
  }, 120_000);
});
