/**
 * `convgen bench` end to end: the JSON fields the issue names, the baseline ratio, "does not fit" as a row rather than
 * an error, build-only targets skipped with a note, and the Markdown page and SVG chart.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/index.ts';
import { renderMarkdown, renderSvg, sameCode, withBaseline, type BenchReport } from '../../src/cli/bench.ts';
import { generate } from '../../src/codegen/index.ts';
import { model, root } from '../helpers.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convgen-bench-test-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function writeSpec(name: string, spec: Record<string, unknown>): string {
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify({
    name, kernel: 3, padding: 1, numeric: { type: 'q15', inputFrac: 12, weightFrac: 14, outputFrac: 12 },
    weights: { random: { seed: 1 } }, bias: { random: { seed: 2 } }, ...spec,
  }));
  return file;
}

describe('convgen bench', () => {
  it('measures, compares with naive, reports a layer too big for the M0 and skips build-only targets', async () => {
    const small = writeSpec('small', { input: { channels: 3, height: 8, width: 8 }, output: { channels: 4 } });
    // 2 × 16 × 16 × 16 × 2 B = 16 KiB of tensors: more than the microbit's 16 KiB of RAM leaves for them.
    const big = writeSpec('big', { input: { channels: 16, height: 16, width: 16 }, output: { channels: 16 } });
    const json = path.join(dir, 'out.json');
    const md = path.join(dir, 'out.md');
    const svg = path.join(dir, 'chart.svg');
    const html = path.join(dir, 'report.html');
    const stdout: string[] = [];
    const stderr: string[] = [];
    const log = vi.spyOn(process.stdout, 'write').mockImplementation((s) => stdout.push(String(s)) > 0);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation((s) => stderr.push(String(s)) > 0);
    let code: number;
    process.env.CONVGEN_PROGRESS = 'plain'; // as in a CI log, even when vitest runs on a terminal
    try {
      code = await main(['bench', small, big, '--target', 'cortex-m0,s3c2410', '--variant', 'reference',
        '--json', json, '--markdown', md, '--svg', svg, '--html', html]);
    } finally {
      delete process.env.CONVGEN_PROGRESS;
      log.mockRestore();
      err.mockRestore();
    }
    expect(code).toBe(0);
    // Progress (4 measurements: 2 specs × naive, reference on cortex-m0) on stderr; stdout holds only the table.
    expect(stderr.join('')).toMatch(/^bench: 4\/4 measurements \(100%\), \d+ s elapsed$/m);
    expect(stdout.join('')).not.toMatch(/measurements|elapsed/);
    expect(stdout.join('')).toMatch(/^spec +target +variant/);
    const report = JSON.parse(fs.readFileSync(json, 'utf8')) as BenchReport;
    expect(report.variants).toEqual(['naive', 'reference']);
    expect(report.skipped).toEqual([{ target: 's3c2410', reason: expect.stringMatching(/build-only/) }]);
    expect(report.results).toHaveLength(4);

    for (const r of report.results.filter((x) => x.name === 'small')) {
      expect(r.status).toBe('ok');
      for (const k of ['macs', 'instructions', 'instructionsPerMac', 'stackBytes', 'variant', 'size', 'loads', 'stores', 'ramBytes'])
        expect(r).toHaveProperty(k);
      expect(r.macs).toBe(4 * 3 * 9 * 64);
      expect(r.instructionsPerMac).toBeCloseTo(r.instructions! / r.macs, 3);
      expect(r.instructionsPlusAccessesPerMac).toBeCloseTo((r.instructions! + r.loads! + r.stores!) / r.macs, 3);
      expect(Object.keys(r.size!).sort()).toEqual(['bss', 'data', 'rodata', 'text']);
      expect(r.size!.text).toBeGreaterThan(0);
      expect(r.size!.rodata).toBeGreaterThanOrEqual(4 * 3 * 9 * 2);
      expect(r.stackBytes).toBeGreaterThan(0);
      expect(r.ramBytes).toBe(r.size!.data + r.size!.bss + 3 * 64 * 2 + 4 * 64 * 2);
      expect(r.verified).toEqual({ tensors: 5, elements: 5 * 4 * 64, mismatches: 0 });
    }
    const naive = report.results.find((r) => r.name === 'small' && r.variant === 'naive')!;
    const ref = report.results.find((r) => r.name === 'small' && r.variant === 'reference')!;
    expect(naive.ratioToNaive).toBe(1);
    expect(ref.ratioToNaive).toBeCloseTo(ref.instructions! / naive.instructions!, 3);
    expect(ref.ratioToNaive!).toBeLessThan(1);

    for (const r of report.results.filter((x) => x.name === 'big')) {
      expect(r.status).toBe('does-not-fit');
      expect(r.instructions).toBeNull();
      expect(r.size!.text).toBeGreaterThan(0);
      expect(r.ramBytes).toBeGreaterThanOrEqual(16384);
      expect(r.note).toMatch(/RAM/);
    }

    const page = fs.readFileSync(md, 'utf8');
    expect(page).toContain('](chart.svg)');
    expect(page).toMatch(/\| cortex-m0 \| reference \| [\d,]+ \| \d+\.\d\d \|/);
    expect(page).toContain('no fit');
    expect(page).toMatch(/CMSIS-NN/);
    const chart = fs.readFileSync(svg, 'utf8');
    expect(chart.startsWith('<svg')).toBe(true);
    expect(chart.trim().endsWith('</svg>')).toBe(true);
    expect(chart.match(/<rect [^>]*fill="#1f77b4"><title>/g)).toHaveLength(1); // one reference bar: small on cortex-m0
    expect(chart).toContain('does not fit');
    // The HTML page (rendered in a browser by test/report/html.test.ts): the instructions and the cycles charts inline
    // (the .svg file draws both in one), one table per target.
    const page2 = fs.readFileSync(html, 'utf8');
    expect(page2).toContain('<div class="chart" id="chart"><svg');
    expect(page2).toContain('<div class="chart" id="chart-cycles"><svg');
    expect(chart).toContain('Instructions and estimated cycles per MAC');
    expect(page2.match(/<h3>cortex-m0<\/h3>/g)).toHaveLength(1);
    expect(page2).toMatch(/<td>small<\/td><td>reference<\/td><td class="num">6,912<\/td>/);
    expect(page2).toContain('s3c2410: build-only');
    expect(page2).not.toMatch(/<(script|link|img)\b|src=|href=/);
  });

  it('--optimize default,speed gives the optimized variant a row per goal, measured once where the code is the same', async () => {
    const small = writeSpec('opt', { input: { channels: 2, height: 6, width: 6 }, output: { channels: 3 } });
    const json = path.join(dir, 'opt.json');
    const md = path.join(dir, 'opt.md');
    const log = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    let code: number;
    try {
      code = await main(['bench', small, '--target', 'cortex-m3', '--variant', 'optimized', '--optimize', 'default,speed', '--json', json, '--markdown', md]);
    } finally {
      log.mockRestore();
      err.mockRestore();
    }
    expect(code).toBe(0);
    const report = JSON.parse(fs.readFileSync(json, 'utf8')) as BenchReport;
    expect(report.optimize).toEqual(['default', 'speed']);
    expect(report.results.map((r) => `${r.variant}/${r.optimize}`)).toEqual(['naive/default', 'optimized/default', 'optimized/speed']);
    const [, def, speed] = report.results;
    for (const r of report.results) expect(r.codeDigest).toMatch(/^[0-9a-f]{64}$/);
    if (speed.sameCodeAs) {
      expect(speed.sameCodeAs).toBe('default');
      expect(speed.codeDigest).toBe(def.codeDigest);
      expect(speed.instructions).toBe(def.instructions);
    } else {
      expect(speed.codeDigest).not.toBe(def.codeDigest);
      expect(speed.status).toBe('ok');
    }
    expect(report.goals.length).toBeGreaterThan(0);
    const page = fs.readFileSync(md, 'utf8');
    expect(page).toContain('## Optimize goals: default and speed');
    expect(page).toContain('## Goals (issues 6 and 19)');
  });

  it('rejects an unknown optimize goal with one line and exit 2', async () => {
    const lines: string[] = [];
    const err = vi.spyOn(process.stderr, 'write').mockImplementation((c) => lines.push(String(c)) > 0);
    let code: number;
    try {
      code = await main(['bench', path.join(root, 'bench', 'a_3x3_16to16_32x32_q15.json'), '--optimize', 'default,small']);
    } finally {
      err.mockRestore();
    }
    expect(code).toBe(2);
    expect(lines.join('').trim().split('\n')).toEqual([expect.stringMatching(/^convgen: .*unknown optimize goal 'small'; goals: default, speed$/)]);
  });

  it('tells identical code apart from different code, comments aside', () => {
    const a = generate(model(), { variant: 'optimized' });
    const withComment = { ...a, files: a.files.map((f) => ({ ...f, content: `/* another comment */\n${f.content}` })) };
    expect(sameCode(a, withComment)).toBe(true);
    expect(sameCode(a, generate(model(), { variant: 'reference' }))).toBe(false);
  });

  it('stops promptly on Ctrl-C: exit 130, no report, within a few seconds rather than the 10 s fallback', async () => {
    const spec = path.join(root, 'bench', 'a_3x3_16to16_32x32_q15.json');
    const json = path.join(dir, 'interrupted.json');
    // Its own process group, so that SIGINT reaches convgen and its tools together, as Ctrl-C in a terminal does.
    const child = execa(process.execPath, [path.join(root, 'bin', 'convgen.mjs'), 'bench', spec, '--target', 'cortex-m4',
      '--variant', 'optimized', '--jobs', '2', '--json', json], { reject: false, detached: true });
    // Wait until it runs its tools (a compiler or QEMU), so the signal lands mid-measurement.
    for (let i = 0; i < 600; i++) {
      const ps = await execa('ps', ['--ppid', String(child.pid), '-o', 'comm='], { reject: false });
      if (/arm-none-eabi|qemu-system/.test(ps.stdout)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const t0 = Date.now();
    process.kill(-child.pid!, 'SIGINT');
    const r = await child;
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(r.exitCode).toBe(130);
    expect(r.stderr).toContain('convgen: interrupted');
    expect(fs.existsSync(json)).toBe(false);
  }, 60_000);

  it('shows flash and instructions/MAC of both optimize goals where their code differs', () => {
    const row = (variant: 'naive' | 'optimized', optimize: 'default' | 'speed', ipm: number, text: number, rodata: number, same = false) => ({
      spec: 's.json', name: 's', target: 'cortex-m4', variant, optimize, codeDigest: null, ...(same ? { sameCodeAs: 'default' as const } : {}),
      status: 'ok' as const, macs: 100, instructions: ipm * 100, instructionsPerMac: ipm, loads: 0, stores: 0, memInsns: 0,
      instructionsPlusAccessesPerMac: ipm, instructionsWorst: ipm * 100, overhead: null, size: { text, rodata, data: 0, bss: 0 },
      cycles: ipm * 300, cyclesPerMac: ipm * 3, cyclesWorst: ipm * 300, cycleModel: { id: 'cortex-m4', kind: 'model' as const }, cycleBreakdown: null,
      weightBytes: { raw: 100, flash: rodata }, ramBytes: 1, ram: null, targetRamBytes: 1, stackBytes: 8, stack: null,
      helpers: { calls: [], bytes: 0 }, accumulator: 'int32_t', verified: { tensors: 5, elements: 5, mismatches: 0 }, ratioToNaive: ipm / 10,
    });
    const report: BenchReport = {
      convgen: 'x', tools: { gcc: 'g', qemu: 'q' }, seed: 1, specs: ['s.json'], targets: ['cortex-m4'], variants: ['naive', 'optimized'],
      optimize: ['default', 'speed'], results: [row('naive', 'default', 10, 500, 100), row('optimized', 'default', 2, 1000, 100),
        row('optimized', 'speed', 1.5, 1200, 300)], goals: [], skipped: [],
    };
    const page = renderMarkdown(report);
    expect(page).toContain('generates the same code as `default` for 0 of 1 (spec, target) pairs');
    expect(page).toContain('| s | cortex-m4 | 1,100 | 2.00 | 6.00 | 1,500 | 1.50 | 4.50 |');
    expect(page).toMatch(/\| cortex-m4 \| optimized \(speed\) \| 150 \| 1\.50 \| 450 \| 4\.50 \|/); // instructions and cycles side by side
    expect(page).toContain('| s | 10.00 / 2.00 (0.20x) |'); // the summary table shows the default goal
    expect(page).toContain('| s | 30.00 / 6.00 (0.20x) |'); // and the same in cycles
    const same = { ...report, results: [report.results[0], report.results[1], row('optimized', 'speed', 2, 1000, 100, true)] };
    expect(renderMarkdown(same)).toContain('for 1 of 1 (spec, target) pairs');
    expect(renderMarkdown(same)).not.toContain('optimized (speed)');
  });

  it('always measures the baseline first, once', () => {
    expect(withBaseline(['reference'])).toEqual(['naive', 'reference']);
    expect(withBaseline(['reference', 'naive'])).toEqual(['naive', 'reference']);
    expect(withBaseline(['naive'])).toEqual(['naive']);
  });

  it('draws an instruction bar and a cycle bar per measured (target, variant), on one scale within each spec', () => {
    const row = (target: string, variant: 'naive' | 'reference', ipm: number) => ({
      spec: 's.json', name: 's', target, variant, optimize: 'default' as const, codeDigest: null, status: 'ok' as const, macs: 100, instructions: ipm * 100, instructionsPerMac: ipm,
      loads: 0, stores: 0, memInsns: 0, instructionsPlusAccessesPerMac: ipm, instructionsWorst: ipm * 100, overhead: null,
      // cycles: half the instructions on target a, twice them on b (a rough model there)
      cycles: null, cyclesPerMac: target === 'a' ? ipm / 2 : ipm * 2, cyclesWorst: null, cycleBreakdown: null,
      cycleModel: { id: 'x', kind: target === 'a' ? 'model' as const : 'rough' as const },
      size: { text: 1, rodata: 1, data: 0, bss: 0 }, weightBytes: { raw: 1, flash: 1 }, ramBytes: 1, ram: null, targetRamBytes: 1, stackBytes: 8, stack: null,
      helpers: { calls: [], bytes: 0 }, accumulator: 'int32_t', verified: { tensors: 5, elements: 5, mismatches: 0 },
      ratioToNaive: variant === 'naive' ? 1 : 0.5,
    });
    const report: BenchReport = {
      convgen: 'x', tools: { gcc: 'g', qemu: 'q' }, seed: 1, specs: ['s.json'], targets: ['a', 'b'], variants: ['naive', 'reference'],
      optimize: ['default'], results: [row('a', 'naive', 20), row('a', 'reference', 10), row('b', 'naive', 40), row('b', 'reference', 20)],
      goals: [], skipped: [],
    };
    const svg = renderSvg(report);
    const widths = [...svg.matchAll(/<rect x="\d+" y="[\d.]+" width="([\d.]+)" height="6"( fill="[^"]+")?( fill-opacity="0.4")?/g)]
      .map((m) => ({ w: Number(m[1]), light: !!m[3] }));
    const ins = widths.filter((x) => x.light).map((x) => x.w);
    const cyc = widths.filter((x) => !x.light).map((x) => x.w);
    expect(ins).toHaveLength(4);
    expect(cyc).toHaveLength(4);
    expect(ins[3] / ins[0]).toBeCloseTo(1, 5); // 20 on b vs 20 on a
    expect(ins[2] / ins[1]).toBeCloseTo(4, 5); // 40 vs 10
    expect(cyc[0] / ins[0]).toBeCloseTo(0.5, 5); // 10 cycles/MAC vs 20 instructions/MAC on a
    expect(cyc[2] / ins[2]).toBeCloseTo(2, 5); // 80 vs 40 on b
    expect(svg).toContain('10.00 / 5.00 (0.50x)');
    expect(svg).toContain('20.00 / ~40.00 (0.50x)');
  });
});
