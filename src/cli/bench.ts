/**
 * `convgen bench`: measure every (spec, target, variant) with src/measure and show the cost next to the `naive`
 * baseline on the same target — as a terminal table, JSON, a Markdown page and an SVG bar chart. The `naive` variant
 * is always measured, since every ratio is taken against it. Nothing in the outputs depends on the clock, so a
 * second run on the same tools gives byte-identical files.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { ExitCode, InputError } from '../errors.ts';
import { DEFAULT_VARIANT, VERSION, variantNames, type OptimizeGoal, type VariantName } from '../codegen/index.ts';
import { measure, type Measurement } from '../measure/index.ts';
import { loadSpec, type KernelModel } from '../spec/index.ts';
import { DEFAULT_TARGET, expandTargets, type Target } from '../targets/index.ts';
import { runTool, tools } from '../toolchain/index.ts';
import { writeFileAtomic } from '../report/index.ts';

export const BASELINE: VariantName = 'naive';

export interface BenchRow extends Measurement {
  /** instructions / instructions of `naive` for the same spec and target (1 for naive itself). */
  ratioToNaive: number | null;
}

export interface BenchReport {
  convgen: string;
  tools: { gcc: string; qemu: string };
  seed: number;
  specs: string[];
  targets: string[];
  variants: VariantName[];
  results: BenchRow[];
  /** Targets that cannot be measured (build-only boards, the host), with why. */
  skipped: { target: string; reason: string }[];
}

export interface BenchOptions {
  targets: Target[];
  variants: VariantName[];
  seed: number;
  jobs: number;
  timeoutSeconds: number;
  optimize?: OptimizeGoal;
  onResult?: (r: Measurement, done: number, total: number) => void;
}

/** Run `work` over items with at most `jobs` in flight; results keep the items' order. */
export async function pool<T, R>(items: T[], jobs: number, work: (t: T) => Promise<R>, done?: (r: R) => void): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]);
      done?.(results[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, jobs), items.length) }, worker));
  return results;
}

/** The variants to run: the baseline first, then the requested ones in their order, each once. */
export function withBaseline(vs: VariantName[]): VariantName[] {
  return [...new Set<VariantName>([BASELINE, ...vs])];
}

function round4(v: number): number {
  return Math.round(v * 1e4) / 1e4;
}

export async function toolVersions(): Promise<{ gcc: string; qemu: string }> {
  const gcc = (await runTool(tools.armGcc, ['--version'], { what: 'arm-none-eabi-gcc --version' })).split('\n')[0].trim();
  const qemu = (await runTool(tools.qemu, ['--version'], { what: 'qemu-system-arm --version' })).split('\n')[0].trim();
  return { gcc, qemu };
}

export async function runBench(models: KernelModel[], o: BenchOptions): Promise<BenchReport> {
  const variants = withBaseline(o.variants);
  const measurable = o.targets.filter((t) => t.run === 'qemu');
  const skipped = o.targets.filter((t) => t.run !== 'qemu').map((t) => ({
    target: t.name,
    reason: t.run === 'host' ? 'the host runs natively: no instruction counts' : 'build-only: no emulator to count instructions on',
  }));
  const items = models.flatMap((m) => measurable.flatMap((t) => variants.map((v) => ({ m, t, v }))));
  let done = 0;
  const measured = await pool(items, o.jobs, ({ m, t, v }) => measure(m, t, v, { seed: o.seed, timeoutSeconds: o.timeoutSeconds, optimize: o.optimize }),
    (r) => o.onResult?.(r, ++done, items.length));
  const results: BenchRow[] = measured.map((r) => {
    const base = measured.find((b) => b.name === r.name && b.spec === r.spec && b.target === r.target && b.variant === BASELINE);
    const ratio = r.instructions !== null && base?.instructions ? round4(r.instructions / base.instructions) : null;
    return { ...r, ratioToNaive: ratio };
  });
  return {
    convgen: VERSION,
    tools: await toolVersions(),
    seed: o.seed,
    specs: models.map((m) => m.source),
    targets: o.targets.map((t) => t.name),
    variants,
    results,
    skipped,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Renderers

const fmtInt = (n: number | null | undefined): string => (n === null || n === undefined ? '-' : n.toLocaleString('en-US'));
const fmtFix = (n: number | null | undefined, d = 2): string => (n === null || n === undefined ? '-' : n.toFixed(d));

function statusText(r: BenchRow): string {
  if (r.status === 'does-not-fit') return 'does not fit';
  if (r.status === 'fail') return 'FAIL (not bit-exact)';
  if (r.status === 'error') return 'ERROR';
  if (r.status === 'skipped') return 'skipped';
  return '';
}

const columns = ['spec', 'target', 'variant', 'MACs', 'instructions', 'instr/MAC', '(i+ld+st)/MAC', 'text', 'rodata', 'RAM', 'stack', 'vs naive'];

function rowCells(r: BenchRow): string[] {
  const ok = r.status === 'ok';
  const bad = statusText(r);
  return [
    r.name, r.target, r.variant, fmtInt(r.macs),
    ok ? fmtInt(r.instructions) : bad,
    ok ? fmtFix(r.instructionsPerMac) : '-',
    ok ? fmtFix(r.instructionsPlusAccessesPerMac) : '-',
    fmtInt(r.size?.text), fmtInt(r.size?.rodata), fmtInt(r.ramBytes), r.stack && !r.stack.bounded ? `${fmtInt(r.stackBytes)}+` : fmtInt(r.stackBytes),
    r.ratioToNaive === null ? '-' : `${r.ratioToNaive.toFixed(2)}x`,
  ];
}

/** The terminal table: fixed-width columns, numbers right-aligned. */
export function renderTable(report: BenchReport): string {
  const rows = report.results.map(rowCells);
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)));
  const left = new Set([0, 1, 2]);
  const line = (cells: string[]) => cells.map((c, i) => (left.has(i) ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  const out = [line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
  for (const r of report.results) if (r.note && r.status !== 'ok') out.push(`note: ${r.name} on ${r.target} (${r.variant}): ${r.note}`);
  for (const r of report.results) if (r.error) out.push(`${r.status === 'fail' ? 'FAIL' : 'ERROR'}: ${r.name} on ${r.target} (${r.variant}): ${r.error}`);
  for (const s of report.skipped) out.push(`skipped ${s.target}: ${s.reason}`);
  return out.join('\n') + '\n';
}

export function benchJson(report: BenchReport): string {
  return JSON.stringify(report, null, 2) + '\n';
}

function mdTable(head: string[], rows: string[][], align: ('l' | 'r')[]): string[] {
  return [
    `| ${head.join(' | ')} |`,
    `|${align.map((a) => (a === 'r' ? '---:' : ':---')).join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
}

/** CMSIS-NN figures as quoted in convgen issue 6 (int8 per-channel, instructions/MAC, shapes a–e). */
export const cmsisNnReference = {
  source: 'convgen issue 6, "Kernels that beat CMSIS-NN on Cortex-M and the hand-written loop on ARM9": measured by the issue ' +
    'author with CMSIS-NN 7.0+, -Ofast, arm-none-eabi-gcc 12.2 and the same QEMU instruction counting, for int8 per-channel ' +
    'versions of shapes a–e. Quoted, not re-measured by `make bench`.',
  rows: [
    { core: 'Cortex-M4', values: [2.33, 6.16, 2.70, 8.91, 2.37] },
    { core: 'Cortex-M7', values: [2.33, 6.24, 2.67, 8.77, 2.39] },
    { core: 'Cortex-M3', values: [3.33, 6.86, 3.66, 10.05, 3.38] },
    { core: 'Cortex-M55', values: [0.39, 1.99, 0.62, 2.69, 0.42] },
    { core: 'ARM920T (portable C, A32)', values: [3.38, 7.06, 3.57, 25.90, 3.54] },
  ],
  m4PlusAccesses: [3.06, 8.21, 3.35, 11.64, 3.08],
  qFormats: 'CMSIS-NN\'s former q15/q7 kernels (removed in 2022, still used through NNoM) did shape (a) on Cortex-M4 at ' +
    '1.59 (q15 "fast") and 1.99 (q7 "fast") instructions/MAC.',
  naiveQuoted: 'Issue 6 also quotes a hand-written naive loop for q15 on ARM920T at 7.06 / 16.93 / 8.40 / 40.36 / 8.00 ' +
    'instructions/MAC for shapes a–e.',
};

/** "6 instructions, 1 load on arm920t, …": the measured empty-kernel windows, grouped. */
function overheadSummary(report: BenchReport): string {
  const by = new Map<string, string[]>();
  for (const r of report.results) {
    if (!r.overhead) continue;
    const k = `${r.overhead.insns} instructions, ${r.overhead.loads} load${r.overhead.loads === 1 ? '' : 's'}, ${r.overhead.stores} stores`;
    const list = by.get(k) ?? [];
    if (!list.includes(r.target)) list.push(r.target);
    by.set(k, list);
  }
  if (!by.size) return 'none measured in this run';
  return [...by].map(([k, ts]) => `${k} on ${ts.join(', ')}`).join('; ');
}

export function renderMarkdown(report: BenchReport, opts: { svgLink?: string; command?: string } = {}): string {
  const out: string[] = [];
  const ok = report.results.filter((r) => r.status === 'ok');
  const names = [...new Set(report.results.map((r) => r.name))];
  const targets = [...new Set(report.results.map((r) => r.target))];
  out.push('# convgen benchmarks', '');
  out.push(`Generated by \`${opts.command ?? 'make bench'}\` with convgen ${report.convgen}, ${report.tools.gcc} and ${report.tools.qemu}. ` +
    'Do not edit by hand: regenerate it whenever generated code changes.', '');
  out.push('Every figure below comes from a kernel that was also proved bit-exact against the golden model on the same run ' +
    `(${ok[0]?.verified.tensors ?? 5} seeded inputs per kernel, seed ${report.seed}); a kernel that is fast and wrong is reported as a failure, not a result.`, '');
  if (opts.svgLink) out.push(`![instructions per MAC per target and variant](${opts.svgLink})`, '', `Chart: [${path.basename(opts.svgLink)}](${opts.svgLink}).`, '');

  const shown = report.variants;
  out.push('## Instructions per MAC', '');
  out.push(`Each cell: ${shown.join(' / ')} instructions per MAC; in brackets the best variant's ratio to \`naive\` on the same target. ` +
    '"no fit": the tensors do not fit the target\'s RAM.', '');
  const cell = (name: string, target: string): string => {
    const rs = shown.map((v) => report.results.find((r) => r.name === name && r.target === target && r.variant === v));
    if (rs.every((r) => r?.status === 'does-not-fit')) return 'no fit';
    const vals = rs.map((r) => (r?.status === 'ok' ? fmtFix(r.instructionsPerMac) : r ? statusText(r) || '-' : '-'));
    const best = rs.filter((r) => r?.status === 'ok' && r.variant !== BASELINE && r.ratioToNaive !== null)
      .sort((a, b) => a!.ratioToNaive! - b!.ratioToNaive!)[0];
    return `${vals.join(' / ')}${best ? ` (${best.ratioToNaive!.toFixed(2)}x)` : ''}`;
  };
  out.push(...mdTable(['spec', ...targets], names.map((n) => [n, ...targets.map((t) => cell(n, t))]), ['l', ...targets.map(() => 'r' as const)]), '');

  out.push('## All figures', '');
  out.push('`instructions`: executed per call of `<name>_run` (first seeded random input), the call-site overhead subtracted. ' +
    '`(i+ld+st)/MAC`: instructions plus memory accesses per MAC. `text`/`rodata`: bytes of the kernel object (weights are rodata; ' +
    'libgcc helpers are not included). `RAM`: kernel data + bss + input + output + scratch buffers. `stack`: worst case over the ' +
    'kernel\'s call graph. `vs naive`: instructions relative to the `naive` variant on the same target.', '');
  for (const name of names) {
    const rows = report.results.filter((r) => r.name === name);
    const r0 = rows[0];
    out.push(`### ${name}`, '', `\`${path.relative(process.cwd(), r0.spec) || r0.spec}\` — ${fmtInt(r0.macs)} MACs per call, accumulator \`${r0.accumulator}\`.`, '');
    out.push(...mdTable(
      ['target', 'variant', 'instructions', 'instr/MAC', '(i+ld+st)/MAC', 'loads', 'stores', 'text', 'rodata', 'RAM', 'stack', 'vs naive'],
      rows.map((r) => {
        const c = rowCells(r);
        const good = r.status === 'ok';
        return [r.target, r.variant, c[4], c[5], c[6], good ? fmtInt(r.loads) : '-', good ? fmtInt(r.stores) : '-', c[7], c[8], c[9], c[10], c[11]];
      }),
      ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ), '');
  }
  const notes = report.results.filter((r) => r.status !== 'ok' && (r.note || r.error));
  if (notes.length || report.skipped.length) {
    out.push('### Notes', '');
    for (const r of notes) out.push(`- ${r.name} on ${r.target} (${r.variant}): ${r.error ?? r.note}`);
    for (const s of report.skipped) out.push(`- ${s.target}: skipped, ${s.reason}`);
    out.push('');
  }

  out.push('## How it is measured', '');
  out.push(
    '- **Instructions, loads, stores**: the image runs under `qemu-system-arm` with convgen\'s TCG plugin ' +
      '(`firmware/plugin`, see its README). The harness calls `convgen_mark_begin(); <name>_run(in, out); convgen_mark_end();` ' +
      'and the plugin counts every guest instruction and memory access between the entries of the two markers, libgcc helpers ' +
      'included. The counts are exact and deterministic: same image and input, same numbers.',
    '- **Overhead**: the window also holds the markers\' own instructions and the call site\'s argument set-up. It is measured, ' +
      'not assumed: the same image is built with an empty `<name>_run` (same header, same harness code, same flags) and its window ' +
      `(${overheadSummary(report)}) is subtracted. An empty function is a single return, so a kernel's ` +
      'count leaves out exactly its one return instruction.',
    '- **Which input**: the reported count is for the first seeded random input. The count can depend on the data (clamps ' +
      'compile to branches on some cores); the JSON also carries `instructionsWorst`, the largest count over all seeded inputs ' +
      '(random, all-max, all-min, alternating).',
    '- **Flash**: `<name>.c` compiled alone with the image\'s flags (`-O2 -ffunction-sections -fdata-sections` and the ' +
      'target\'s CPU flags), `.text*` and `.rodata*` summed from `arm-none-eabi-size -A`. The JSON lists the libgcc helpers ' +
      'the kernel calls and the code they add (`helpers`).',
    '- **RAM**: `.data` + `.bss` of the kernel object plus the input, output and scratch buffers its header declares.',
    '- **Stack**: the worst path through the kernel\'s call graph from `<name>_run`: frame sizes from `-fstack-usage` (.su), ' +
      'edges from `-fcallgraph-info=su` (.ci). libgcc helpers have no .su; their frames are read from their code in a link of ' +
      'the kernel object alone (every push and `sub sp` counted, pops ignored: an upper bound), following their calls. A `+` ' +
      'after the figure means it is not bounded (recursion, dynamic frame or an unknown callee).',
    '- **Baseline**: the `naive` variant is the textbook loop people write by hand: one function that receives the shape at run ' +
      'time in a struct, seven nested loops (group, output channel, row, column, kernel row, kernel column, input channel: the ' +
      'order of CMSIS-NN\'s portable C convolution), a bounds check on every tap, `-O2`, with exactly the same arithmetic as every ' +
      'other variant. It is verified bit-exact like every variant.',
    '- **Does not fit**: a kernel whose tensors exceed the target\'s RAM (the Cortex-M0 board has 16 KiB in all) is reported ' +
      'with its sizes and no counts.',
    '',
  );

  const ref = cmsisNnReference;
  out.push('## Reference figures: CMSIS-NN', '');
  out.push(`Source: ${ref.source}`, '');
  out.push(...mdTable(['core', '(a) 3×3 16→16', '(b) 3×3 3→8', '(c) 1×1 32→32', '(d) dw 3×3 32', '(e) 5×5 8→16'],
    ref.rows.map((r) => [r.core, ...r.values.map((v) => v.toFixed(2))]), ['l', 'r', 'r', 'r', 'r', 'r']), '');
  const ours = ['a', 'b', 'c', 'd', 'e'].map((letter) =>
    report.results.find((r) => r.target === 'arm920t' && r.variant === BASELINE && r.status === 'ok' && r.name.startsWith(`${letter}_`) && r.name.endsWith('_q15')));
  const oursLine = ours.every(Boolean)
    ? ` convgen's own \`naive\` measures ${ours.map((r) => fmtFix(r!.instructionsPerMac)).join(' / ')} on ARM920T for the q15 suite (table above); ratios here are taken against it.`
    : '';
  out.push(`On Cortex-M4, CMSIS-NN's (instructions + loads + stores)/MAC for the same shapes is ${ref.m4PlusAccesses.map((v) => v.toFixed(2)).join(' / ')}. ` +
    `${ref.qFormats} ${ref.naiveQuoted}${oursLine} These are int8 (CMSIS-NN) or external figures; the tables above are convgen's own q15/q7 kernels.`, '');
  return out.join('\n');
}

const palette: Record<string, string> = { naive: '#9e9e9e', reference: '#1f77b4', optimized: '#d62728' };
const extraColours = ['#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

function xmlEscape(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** Small multiples: one panel per spec, a group of horizontal bars per target, one bar per variant. */
export function renderSvg(report: BenchReport): string {
  const names = [...new Set(report.results.map((r) => r.name))];
  const targets = [...new Set(report.results.map((r) => r.target))];
  const variants = report.variants;
  const colour = (v: string) => palette[v] ?? extraColours[variants.indexOf(v as VariantName) % extraColours.length];
  const cols = names.length > 1 ? 2 : 1;
  const panelW = 470;
  const labelW = 84;
  const barH = 10;
  const groupGap = 6;
  const headH = 26;
  const panelH = headH + targets.length * (variants.length * barH + groupGap) + 22;
  const top = 62;
  const width = cols * panelW + (cols + 1) * 10;
  const rowsN = Math.ceil(names.length / cols);
  const height = top + rowsN * (panelH + 10) + 10;
  const s: string[] = [];
  s.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`);
  s.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  s.push(`<text x="10" y="22" font-size="16" font-weight="bold">Instructions per MAC (QEMU, exact counts; shorter is better)</text>`);
  let lx = 10;
  for (const v of variants) {
    s.push(`<rect x="${lx}" y="34" width="12" height="12" fill="${colour(v)}"/><text x="${lx + 16}" y="44">${xmlEscape(v)}</text>`);
    lx += 24 + v.length * 7;
  }
  s.push(`<text x="${lx + 10}" y="44" fill="#555">per-panel scale; figures are instructions/MAC, bracket = ratio to naive</text>`);
  names.forEach((name, i) => {
    const px = 10 + (i % cols) * (panelW + 10);
    const py = top + Math.floor(i / cols) * (panelH + 10);
    const rows = report.results.filter((r) => r.name === name);
    const max = Math.max(1e-9, ...rows.filter((r) => r.status === 'ok').map((r) => r.instructionsPerMac ?? 0));
    const barMax = panelW - labelW - 80;
    s.push(`<g transform="translate(${px},${py})">`);
    s.push(`<rect width="${panelW}" height="${panelH}" fill="#fafafa" stroke="#dddddd"/>`);
    s.push(`<text x="8" y="17" font-size="12" font-weight="bold">${xmlEscape(name)}</text>`);
    s.push(`<text x="${panelW - 8}" y="17" text-anchor="end" fill="#555">${rows[0].macs.toLocaleString('en-US')} MACs</text>`);
    targets.forEach((t, ti) => {
      const gy = headH + ti * (variants.length * barH + groupGap);
      s.push(`<text x="${labelW - 6}" y="${gy + (variants.length * barH) / 2 + 4}" text-anchor="end">${xmlEscape(t)}</text>`);
      const group = variants.map((v) => rows.find((x) => x.target === t && x.variant === v));
      const shared = group[0] && group[0].status !== 'ok' && group.every((r) => r?.status === group[0]!.status) ? statusText(group[0]) : '';
      if (shared) {
        s.push(`<text x="${labelW + 2}" y="${gy + (variants.length * barH) / 2 + 4}" fill="#999" font-style="italic">${xmlEscape(shared)}</text>`);
        return;
      }
      variants.forEach((v, vi) => {
        const r = rows.find((x) => x.target === t && x.variant === v);
        const y = gy + vi * barH;
        if (!r) return;
        if (r.status !== 'ok') {
          s.push(`<text x="${labelW + 2}" y="${y + barH - 1}" fill="#999" font-style="italic" font-size="9">${xmlEscape(statusText(r))}</text>`);
          return;
        }
        const w = Math.max(1, ((r.instructionsPerMac ?? 0) / max) * barMax);
        s.push(`<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH - 1}" fill="${colour(v)}"><title>${xmlEscape(`${name} ${t} ${v}: ${fmtFix(r.instructionsPerMac)} instr/MAC`)}</title></rect>`);
        const ratio = v !== BASELINE && r.ratioToNaive !== null ? ` (${r.ratioToNaive.toFixed(2)}x)` : '';
        s.push(`<text x="${(labelW + w + 4).toFixed(1)}" y="${y + barH - 1}" font-size="9">${fmtFix(r.instructionsPerMac)}${ratio}</text>`);
      });
    });
    s.push(`</g>`);
  });
  s.push('</svg>');
  return s.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------------------------
// The command

function intArg(name: string, min: number) {
  return (v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}`);
    return Number(v);
  };
}

function variantList(list: string): VariantName[] {
  const vs = list.split(',').map((s) => s.trim()).filter(Boolean);
  for (const v of vs)
    if (!(variantNames as string[]).includes(v)) throw new InvalidArgumentError(`unknown variant '${v}'; variants: ${variantNames.join(', ')}`);
  if (!vs.length) throw new InvalidArgumentError('no variant given');
  return vs as VariantName[];
}

function checkOutputFile(file: string): void {
  const dir = path.dirname(path.resolve(file));
  if (!fs.existsSync(dir)) throw new InputError(file, `the folder ${dir} does not exist`);
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) throw new InputError(file, 'is a folder, not a file');
}

export function benchExitCode(report: BenchReport): number {
  const errors = report.results.filter((r) => r.status === 'error');
  if (errors.length) return ExitCode.environment;
  if (report.results.some((r) => r.status === 'fail')) return ExitCode.mismatch;
  return ExitCode.ok;
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('measure instructions/MAC, flash, RAM and stack under QEMU (verified bit-exact) and compare with the naive loop')
    .argument('<specs...>')
    .option('--target <list>', 'targets, comma-separated, or all', DEFAULT_TARGET)
    .option('--variant <list>', `variants, comma-separated (${variantNames.join(', ')}); naive is always measured`, variantList, [DEFAULT_VARIANT] as VariantName[])
    .option('--seed <n>', 'seed of the random inputs', intArg('--seed', 0), 1)
    .option('--jobs <n>', 'measurements run at once', intArg('--jobs', 1), Math.min(2, os.availableParallelism()))
    .option('--timeout <s>', 'seconds before a hung guest is killed', intArg('--timeout', 1), 300)
    .option('--json <file>', 'write the results as JSON')
    .option('--markdown <file>', 'write the results as a Markdown page')
    .option('--svg <file>', 'write an SVG bar chart of instructions/MAC')
    .option('--optimize <goal>', "optimized variant's goal: default or speed (may pre-widen weights)", (v: string) => {
      if (v !== 'default' && v !== 'speed') throw new InvalidArgumentError(`unknown goal '${v}'; goals: default, speed`);
      return v as OptimizeGoal;
    }, 'default')
    .action(async (specs: string[], o: {
      target: string; variant: VariantName[]; optimize: OptimizeGoal; seed: number; jobs: number; timeout: number; json?: string; markdown?: string; svg?: string;
    }) => {
      const { found, unknown } = expandTargets(o.target);
      if (unknown.length) throw new InputError('--target', `unknown target '${unknown[0]}'; run \`convgen targets\` for the list`);
      if (!found.length) throw new InputError('--target', 'no target given');
      for (const f of [o.json, o.markdown, o.svg]) if (f) checkOutputFile(f);
      const models = await Promise.all(specs.map((s) => loadSpec(s)));
      const report = await runBench(models, {
        targets: found, variants: o.variant, seed: o.seed, jobs: o.jobs, timeoutSeconds: o.timeout, optimize: o.optimize,
        onResult: (r, done, total) => {
          const what = r.status === 'ok' ? `${fmtFix(r.instructionsPerMac)} instr/MAC` : r.status === 'does-not-fit' ? 'does not fit' : `${r.status}${r.error ? `: ${r.error}` : ''}`;
          process.stderr.write(`[${done}/${total}] ${r.name} on ${r.target} (${r.variant}): ${what}\n`);
        },
      });
      process.stdout.write(renderTable(report));
      if (o.json) writeFileAtomic(o.json, benchJson(report));
      if (o.svg) writeFileAtomic(o.svg, renderSvg(report));
      if (o.markdown) {
        const svgLink = o.svg ? path.relative(path.dirname(path.resolve(o.markdown)), path.resolve(o.svg)).split(path.sep).join('/') : undefined;
        writeFileAtomic(o.markdown, renderMarkdown(report, { svgLink }));
      }
      process.exitCode = benchExitCode(report);
    });
}
