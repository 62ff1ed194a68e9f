/**
 * Progress of long runs: a live line on a terminal, plain periodic lines elsewhere, always on stderr, never on stdout
 * (which carries results that scripts read).
 */
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { Progress, duration } from '../../src/report/progress.ts';
import { root } from '../helpers.ts';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, columns: 80, write: (s: string) => void writes.push(s) } };
}

describe('Progress', () => {
  it('in a log: a line at each tenth of the run with done/total, elapsed and the estimate, and one at the end', () => {
    let t = 0;
    const { writes, stream } = fakeStream(false);
    const p = new Progress({ label: 'bench', total: 40, unit: 'measurements', stream, now: () => t, mode: 'plain' });
    for (let i = 1; i <= 40; i++) {
      t += 3000;
      p.tick(`m${i}`);
    }
    p.stop();
    expect(writes).toHaveLength(10);
    expect(writes.every((w) => w.endsWith('\n') && !w.includes('\r'))).toBe(true);
    expect(writes[0]).toBe('bench: 4/40 measurements (10%), 12 s elapsed, about 1 min 48 s left\n');
    expect(writes.at(-1)).toBe('bench: 40/40 measurements (100%), 2 min 0 s elapsed\n');
  });

  it('in a log, a slow run also gets a line every plainEverySeconds between tenths', () => {
    let t = 0;
    const { writes, stream } = fakeStream(false);
    const p = new Progress({ label: 'test', total: 1000, unit: 'pairs', stream, now: () => t, mode: 'plain', plainEverySeconds: 30 });
    for (let i = 0; i < 50; i++) {
      t += 10_000;
      p.tick();
    }
    // 50 items, 10 s each: 5 % of the run, so no tenth was reached; one line per 30 s instead.
    expect(writes.length).toBe(16);
    expect(writes[0]).toMatch(/^test: 3\/1000 pairs \(0%\), 30 s elapsed, about 2 h 46 min left\n$/);
  });

  it('on a terminal: one line redrawn in place, cleared for log lines and at the end', () => {
    let t = 0;
    const { writes, stream } = fakeStream(true);
    const p = new Progress({ label: 'test', total: 3, unit: 'pairs', stream, now: () => t });
    expect(p.mode).toBe('live');
    t = 2000;
    p.tick('k on cortex-m4');
    const logged: string[] = [];
    p.log('FAIL  k on cortex-m4 (optimized): 1 of 9 elements differ', (l) => void logged.push(l));
    p.stop();
    expect(writes.every((w) => w.startsWith('\r\x1b[2K') && !w.includes('\n'))).toBe(true);
    expect(writes).toContain('\r\x1b[2Ktest: 1/3 pairs (33%), 2 s elapsed, about 4 s left · k on cortex-m4');
    expect(writes.at(-1)).toBe('\r\x1b[2K'); // the live line removed: the summary follows on a clean line
    expect(logged).toEqual(['FAIL  k on cortex-m4 (optimized): 1 of 9 elements differ']);
    // The line was cleared right before the log line went out and redrawn after it.
    const i = writes.indexOf('\r\x1b[2K');
    expect(writes[i + 1]).toMatch(/^\r\x1b\[2Ktest: 1\/3/);
  });

  it('in a log, a run shorter than quietSeconds adds nothing; after it, lines follow the tenths', () => {
    let t = 0;
    const { writes, stream } = fakeStream(false);
    const p = new Progress({ label: 'test', total: 10, unit: 'pairs', stream, now: () => t, quietSeconds: 5 });
    expect(p.mode).toBe('plain');
    for (let i = 0; i < 10; i++) {
      t += 1000;
      p.tick();
    }
    expect(writes).toEqual(['test: 5/10 pairs (50%), 5 s elapsed, about 5 s left\n', 'test: 6/10 pairs (60%), 6 s elapsed, about 4 s left\n',
      'test: 7/10 pairs (70%), 7 s elapsed, about 3 s left\n', 'test: 8/10 pairs (80%), 8 s elapsed, about 2 s left\n',
      'test: 9/10 pairs (90%), 9 s elapsed, about 1 s left\n', 'test: 10/10 pairs (100%), 10 s elapsed\n']);
  });

  it('formats durations for people', () => {
    expect([0.4, 59, 61, 3599, 3661].map(duration)).toEqual(['0 s', '59 s', '1 min 1 s', '59 min 59 s', '1 h 1 min']);
  });
});

describe('progress of convgen test, as a process', () => {
  it('goes to stderr as plain lines when not a terminal; stdout holds only the result lines', async () => {
    const bin = path.join(root, 'bin', 'convgen.mjs');
    const edge = path.join(root, 'examples', 'edge3x3.json');
    // Two pairs: the same spec twice.
    const r = await execa(bin, ['test', edge, edge, '--target', 'host', '--jobs', '1'],
      { reject: false, env: { CONVGEN_PROGRESS: 'plain' } });
    expect(r.exitCode).toBe(0);
    const out = r.stdout.trim().split('\n');
    expect(out.every((l) => /^PASS  edge3x3 on host \(optimized\): bit-exact|^2 passed, 0 failed, 0 errors$/.test(l))).toBe(true);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^test: 1\/2 pairs \(50%\), \d+ s elapsed, about \d+ s left$/),
      expect.stringMatching(/^test: 2\/2 pairs \(100%\), \d+ s elapsed$/),
    ]);
    const off = await execa(bin, ['test', edge, '--target', 'host'], { reject: false, env: { CONVGEN_PROGRESS: 'off' } });
    expect(off.stderr).toBe('');
  });
});
