/**
 * `convgen bench`: measure every (spec, target, variant) with src/measure and show the cost next to the `naive`
 * baseline on the same target — as a terminal table, JSON, a Markdown page and an SVG bar chart. The `naive` variant
 * is always measured, since every ratio is taken against it. Nothing in the outputs depends on the clock, so a
 * second run on the same tools gives byte-identical files.
 */
import os from 'node:os';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { ExitCode, InputError } from '../errors.ts';
import { pool } from '../pool.ts';
import { DEFAULT_VARIANT, VERSION, generate, variantNames, type GeneratedKernel, type OptimizeGoal, type VariantName } from '../codegen/index.ts';
import { codeDigest, measure, type Measurement } from '../measure/index.ts';
import {
  CMSIS_SOURCE, SHAPES, cmsisNnInt8, cmsisNnM4Accesses, evaluateGoals, issueNaiveQ15Arm920t, shapeLabel,
  type GoalResult, type GoalRow,
} from '../measure/goals.ts';
import { loadSpec, type KernelModel } from '../spec/index.ts';
import { DEFAULT_TARGET, type Target } from '../targets/index.ts';
import { targetList } from './target-args.ts';
import { isNetworkFile } from './network.ts';
import { loadNetwork } from '../network/load.ts';
import { renderNetworkMarkdown, renderNetworkTable, runNetworkBench, type NetworkBenchReport } from './bench-network.ts';
import { runTool, tools } from '../toolchain/index.ts';
import { checkOutputFile } from '../files/write.ts';
import { writeFileAtomic } from '../report/index.ts';
import { Progress } from '../report/progress.ts';
import { esc, htmlPage, htmlTable, type Column } from '../report/html.ts';

export const BASELINE: VariantName = 'naive';
export const optimizeGoals: OptimizeGoal[] = ['default', 'speed'];

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
  /** The optimize goals the optimized variant was generated for (the other variants ignore it). */
  optimize: OptimizeGoal[];
  results: BenchRow[];
  /** The goals of issues 6 and 19, judged on this run (src/measure/goals.ts). */
  goals: GoalResult[];
  /** Targets that cannot be measured (build-only boards, the host), with why. */
  skipped: { target: string; reason: string }[];
  /** Networks (issue 17): each (network, target) measured whole and per layer, with issue 17's goals. */
  networks?: NetworkBenchReport;
}

export interface BenchOptions {
  targets: Target[];
  variants: VariantName[];
  /** Optimize goals for the optimized variant; default ['default']. */
  optimize?: OptimizeGoal[];
  seed: number;
  jobs: number;
  timeoutSeconds: number;
  /** Called once the number of measurements is known, before the first starts. */
  onStart?: (total: number) => void;
  onResult?: (r: Measurement, done: number, total: number) => void;
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

/** Two generated kernels compile to the same thing: their files are equal once comments are removed. */
export function sameCode(a: GeneratedKernel, b: GeneratedKernel): boolean {
  return codeDigest(a) === codeDigest(b);
}

/** Only the optimized variant reads the optimize goal: the others are measured once, as 'default'. */
function goalsFor(v: VariantName, optimize: OptimizeGoal[]): OptimizeGoal[] {
  return v === 'optimized' ? optimize : ['default'];
}

export async function runBench(models: KernelModel[], o: BenchOptions): Promise<BenchReport> {
  const variants = withBaseline(o.variants);
  const optimize = [...new Set(o.optimize?.length ? o.optimize : (['default'] as OptimizeGoal[]))];
  const measurable = o.targets.filter((t) => t.run === 'qemu');
  const skipped = o.targets.filter((t) => t.run !== 'qemu').map((t) => ({
    target: t.name,
    reason: t.run === 'host' ? 'the host runs natively: no instruction counts' : 'build-only: no emulator to count instructions on',
  }));
  const all = models.flatMap((m) => measurable.flatMap((t) => variants.flatMap((v) => goalsFor(v, optimize).map((g) => ({ m, t, v, g })))));
  // A non-default goal that generates the default's code is not measured twice: its row copies the default's.
  const copyOf = (x: (typeof all)[number]): OptimizeGoal | undefined => {
    if (x.g === 'default' || !optimize.includes('default')) return undefined;
    try {
      const k = (g: OptimizeGoal) => generate(x.m, { variant: x.v, target: x.t, optimize: g });
      return sameCode(k(x.g), k('default')) ? 'default' : undefined;
    } catch {
      return undefined; // measure() reports the generation error as the row's result
    }
  };
  const copies = new Map(all.map((x) => [x, copyOf(x)] as const));
  const items = all.filter((x) => !copies.get(x));
  let done = 0;
  o.onStart?.(items.length);
  const measuredRows = await pool(items, o.jobs, ({ m, t, v, g }) => measure(m, t, v, { seed: o.seed, timeoutSeconds: o.timeoutSeconds, optimize: g }),
    (r) => o.onResult?.(r, ++done, items.length));
  const measured: Measurement[] = all.map((x) => {
    const from = copies.get(x);
    const key = from ?? x.g;
    const r = measuredRows[items.findIndex((y) => y.m === x.m && y.t === x.t && y.v === x.v && y.g === key)];
    return from ? { ...r, optimize: x.g, sameCodeAs: from } : r;
  });
  const results: BenchRow[] = measured.map((r) => {
    const base = measured.find((b) => b.name === r.name && b.spec === r.spec && b.target === r.target && b.variant === BASELINE);
    const ratio = r.instructions !== null && base?.instructions ? round4(r.instructions / base.instructions) : null;
    return { ...r, ratioToNaive: ratio };
  });
  const goals = evaluateGoals(results, { specs: models.map((m) => m.name), targets: o.targets.map((t) => t.name), variants, skipped });
  return {
    convgen: VERSION,
    tools: await toolVersions(),
    seed: o.seed,
    specs: models.map((m) => m.source),
    targets: o.targets.map((t) => t.name),
    variants,
    optimize,
    results,
    goals,
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

/** Rows of the default goal: what the per-variant tables and the chart show. */
const isDefault = (r: Measurement): boolean => (r.optimize ?? 'default') === 'default';
/** Rows worth a line of their own: every measured row, not the copies of an identical default. */
const ownRows = (rs: BenchRow[]): BenchRow[] => rs.filter((r) => !r.sameCodeAs);
const variantLabel = (r: Measurement): string => (isDefault(r) ? r.variant : `${r.variant} (${r.optimize})`);

const columns = ['spec', 'target', 'variant', 'MACs', 'instructions', 'instr/MAC', 'cycles/MAC', '(i+ld+st)/MAC', 'text', 'rodata', 'RAM', 'stack', 'vs naive'];

/** A cycle figure; `~` marks a rough model's (docs/cycles.md). */
function fmtCycles(r: Measurement, v: number | null, digits = 2): string {
  if (r.status !== 'ok' || v === null) return '-';
  const text = digits ? fmtFix(v, digits) : fmtInt(v);
  return r.cycleModel?.kind === 'rough' ? `~${text}` : text;
}

function rowCells(r: BenchRow): string[] {
  const ok = r.status === 'ok';
  const bad = statusText(r);
  return [
    r.name, r.target, variantLabel(r), fmtInt(r.macs),
    ok ? fmtInt(r.instructions) : bad,
    ok ? fmtFix(r.instructionsPerMac) : '-',
    fmtCycles(r, r.cyclesPerMac),
    ok ? fmtFix(r.instructionsPlusAccessesPerMac) : '-',
    fmtInt(r.size?.text), fmtInt(r.size?.rodata), fmtInt(r.ramBytes), r.stack && !r.stack.bounded ? `${fmtInt(r.stackBytes)}+` : fmtInt(r.stackBytes),
    r.ratioToNaive === null ? '-' : `${r.ratioToNaive.toFixed(2)}x`,
  ];
}

/** The terminal table: fixed-width columns, numbers right-aligned. */
export function renderTable(report: BenchReport): string {
  const nets = report.networks ? renderNetworkTable(report.networks) : [];
  if (!report.results.length && report.networks) return nets.join('\n') + '\n';
  const rows = ownRows(report.results).map(rowCells);
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)));
  const left = new Set([0, 1, 2]);
  const line = (cells: string[]) => cells.map((c, i) => (left.has(i) ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  const out = [line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
  for (const r of report.results) if (r.note && r.status !== 'ok') out.push(`note: ${r.name} on ${r.target} (${r.variant}): ${r.note}`);
  for (const r of report.results) if (r.error) out.push(`${r.status === 'fail' ? 'FAIL' : 'ERROR'}: ${r.name} on ${r.target} (${r.variant}): ${r.error}`);
  for (const s of report.skipped) out.push(`skipped ${s.target}: ${s.reason}`);
  const copies = report.results.filter((r) => r.sameCodeAs);
  if (copies.length) out.push(`${copies.length} optimized kernel(s) generate the same code for --optimize ${[...new Set(copies.map((r) => r.optimize))].join(', ')} as for default: not measured twice`);
  for (const g of report.goals) out.push(`goal ${g.id}: ${g.met} met, ${g.notMet} not met, ${g.notMeasured} not measured`);
  if (nets.length) out.push('', ...nets);
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

const isBytes = (g: GoalResult) => g.metric === 'text' || g.metric === 'weightFlash';
const fmtGoalValue = (g: GoalResult, v: number | null): string => (v === null ? '-' : isBytes(g) ? fmtInt(v) : fmtFix(v));
const statusCell = (row: GoalRow): string =>
  row.status === 'met' ? 'met' : row.status === 'not met' ? '**NOT met**' : `not measured (${row.note ?? 'no figure'})`;

/** One table per goal; goals over every kernel of the run are a spec × target grid of the failures and gaps. */
function renderGoals(report: BenchReport): string[] {
  const out: string[] = ['## Goals (issues 6 and 19)', ''];
  out.push('Each goal of issues 6 and 19, judged on this run. "convgen" is the `optimized` variant; where `--optimize speed` was ' +
    'measured too, the speed goals take the faster of the two (the mode is named) and the size goals take `default`. ' +
    'Goals are judged in estimated cycles wherever the target has a cycle model and the reference is a cycle figure ' +
    '(measured in this run, or issue 19\'s estimates for CMSIS-NN); goals against quoted instruction counts stay in ' +
    'instructions. A goal whose inputs were not measured says so rather than being left out. The ratio is convgen / reference.', '');
  out.push(...mdTable(['goal', 'met', 'NOT met', 'not measured'],
    report.goals.map((g) => [g.title, String(g.met), String(g.notMet), String(g.notMeasured)]), ['l', 'r', 'r', 'r']), '');
  for (const g of report.goals) {
    out.push(`### ${g.title}`, '', `Compared with: ${g.against}.`, '');
    const grid = g.rows.length > 20;
    if (!grid) {
      const showOpt = g.rows.some((r) => r.optimize && r.optimize !== 'default');
      out.push(...mdTable(
        ['spec', 'target', 'convgen', ...(showOpt ? ['optimize'] : []), 'reference', 'ratio', 'goal', 'status'],
        g.rows.map((r) => [shapeLabel(r.spec), r.target, fmtGoalValue(g, r.value), ...(showOpt ? [r.optimize ?? '-'] : []),
          fmtGoalValue(g, r.reference), r.ratio === null ? '-' : `${r.ratio.toFixed(2)}×`, r.goal, statusCell(r)]),
        ['l', 'l', 'r', ...(showOpt ? ['l' as const] : []), 'r', 'r', 'l', 'l'],
      ), '');
      continue;
    }
    const specs = [...new Set(g.rows.map((r) => r.spec))];
    const targets = [...new Set(g.rows.map((r) => r.target))];
    out.push(`Goal: ${[...new Set(g.rows.map((r) => r.goal))].join(', ')}. Each cell: convgen's figure` +
      `${g.rows.some((r) => r.reference !== null && g.metric === 'weightFlash') ? ' / the raw weight bytes' : ''}; ` +
      '**NOT met** or "not measured" where the goal is not met.', '');
    const cell = (spec: string, target: string): string => {
      const r = g.rows.find((x) => x.spec === spec && x.target === target);
      if (!r) return '-';
      if (r.status === 'not measured') return `not measured (${r.note})`;
      const v = `${fmtGoalValue(g, r.value)}${g.metric === 'weightFlash' ? ` / ${fmtGoalValue(g, r.reference)}` : ''}`;
      return r.status === 'met' ? v : `**${v} NOT met**`;
    };
    out.push(...mdTable(['spec', ...targets], specs.map((sp) => [sp, ...targets.map((t) => cell(sp, t))]), ['l', ...targets.map(() => 'r' as const)]), '');
  }
  return out;
}

/** Default and non-default optimize goals side by side: flash (text + rodata) and instructions/MAC. */
function renderOptimize(report: BenchReport): string[] {
  const others = report.optimize.filter((g) => g !== 'default');
  if (!others.length || !report.optimize.includes('default')) return [];
  const out: string[] = ['## Optimize goals: default and speed', ''];
  out.push('`--optimize default` keeps weight flash at the raw weight bytes; `--optimize speed` lets a kernel family trade ' +
    'flash for speed. Flash = `.text` + `.rodata` of the kernel object.', '');
  for (const g of others) {
    const rows = report.results.filter((r) => r.variant === 'optimized' && r.optimize === g);
    const same = rows.filter((r) => r.sameCodeAs === 'default');
    const differ = rows.filter((r) => !r.sameCodeAs);
    out.push(`\`${g}\` generates the same code as \`default\` for ${same.length} of ${rows.length} (spec, target) pairs; ` +
      `those are not measured twice.${differ.length ? ' The others:' : ''}`, '');
    if (!differ.length) continue;
    const flash = (r?: BenchRow) => (r?.size ? fmtInt(r.size.text + r.size.rodata) : '-');
    const ipm = (r?: BenchRow) => (r?.status === 'ok' ? fmtFix(r.instructionsPerMac) : r ? statusText(r) || '-' : '-');
    const cpm = (r?: BenchRow) => (r ? fmtCycles(r, r.cyclesPerMac) : '-');
    out.push(...mdTable(['spec', 'target', 'default flash', 'default instr/MAC', 'default cycles/MAC', `${g} flash`, `${g} instr/MAC`, `${g} cycles/MAC`],
      differ.map((r) => {
        const d = report.results.find((x) => x.name === r.name && x.target === r.target && x.variant === 'optimized' && isDefault(x));
        return [r.name, r.target, flash(d), ipm(d), cpm(d), flash(r), ipm(r), cpm(r)];
      }), ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r']), '');
  }
  return out;
}

export function renderMarkdown(report: BenchReport, opts: { svgLink?: string; command?: string } = {}): string {
  const out: string[] = [];
  const ok = report.results.filter((r) => r.status === 'ok');
  const names = [...new Set(report.results.map((r) => r.name))];
  const targets = [...new Set(report.results.map((r) => r.target))];
  out.push('# convgen benchmarks', '');
  out.push(`Generated by \`${opts.command ?? 'make bench'}\` with convgen ${report.convgen}, ${report.tools.gcc} and ${report.tools.qemu}. ` +
    'Do not edit by hand: regenerate it whenever generated code changes.', '');
  if (!report.results.length && report.networks) return [...out, ...renderNetworkMarkdown(report.networks)].join('\n');
  out.push('Every figure below comes from a kernel that was also proved bit-exact against the golden model on the same run ' +
    `(${ok[0]?.verified.tensors ?? 5} seeded inputs per kernel, seed ${report.seed}); a kernel that is fast and wrong is reported as a failure, not a result.`, '');
  if (opts.svgLink) out.push(`![instructions and estimated cycles per MAC per target and variant](${opts.svgLink})`, '', `Chart: [${path.basename(opts.svgLink)}](${opts.svgLink}).`, '');

  out.push(...renderGoals(report));

  const shown = report.variants;
  const pickRows = (name: string, target: string) => shown.map((v) => report.results.find((r) => r.name === name && r.target === target && r.variant === v && isDefault(r))
    ?? report.results.find((r) => r.name === name && r.target === target && r.variant === v));
  const defaultNote = report.optimize.includes('default') && report.optimize.length > 1 ? ' The optimized figure is `--optimize default`\'s.' : '';
  out.push('## Instructions per MAC', '');
  out.push(`Each cell: ${shown.join(' / ')} instructions per MAC; in brackets the best variant's ratio to \`naive\` on the same target. ` +
    '"no fit": the tensors do not fit the target\'s RAM.' + defaultNote, '');
  const cell = (name: string, target: string): string => {
    const rs = pickRows(name, target);
    if (rs.every((r) => r?.status === 'does-not-fit')) return 'no fit';
    const vals = rs.map((r) => (r?.status === 'ok' ? fmtFix(r.instructionsPerMac) : r ? statusText(r) || '-' : '-'));
    const best = rs.filter((r) => r?.status === 'ok' && r.variant !== BASELINE && r.ratioToNaive !== null)
      .sort((a, b) => a!.ratioToNaive! - b!.ratioToNaive!)[0];
    return `${vals.join(' / ')}${best ? ` (${best.ratioToNaive!.toFixed(2)}x)` : ''}`;
  };
  out.push(...mdTable(['spec', ...targets], names.map((n) => [n, ...targets.map((t) => cell(n, t))]), ['l', ...targets.map(() => 'r' as const)]), '');

  out.push('## Estimated cycles per MAC', '');
  out.push(`The same kernels in estimated cycles ([docs/cycles.md](cycles.md): each core's documented timing applied to the executed ` +
    `instructions, with multiply operand sizes read from the registers). Each cell: ${shown.join(' / ')} cycles per MAC; in brackets the ` +
    'best variant\'s ratio to `naive` in cycles. `~`: the Cortex-A9 figure is rough (docs/cycles.md), not a model.' + defaultNote, '');
  const cycleCell = (name: string, target: string): string => {
    const rs = pickRows(name, target);
    if (rs.every((r) => r?.status === 'does-not-fit')) return 'no fit';
    const vals = rs.map((r) => (r?.status === 'ok' ? fmtCycles(r, r.cyclesPerMac) : r ? statusText(r) || '-' : '-'));
    const base = rs.find((r) => r?.variant === BASELINE && r.status === 'ok' && r.cyclesPerMac);
    const ratios = rs.filter((r) => r?.status === 'ok' && r.variant !== BASELINE && r.cyclesPerMac !== null && base)
      .map((r) => r!.cyclesPerMac! / base!.cyclesPerMac!).sort((a, b) => a - b);
    return `${vals.join(' / ')}${ratios.length ? ` (${ratios[0].toFixed(2)}x)` : ''}`;
  };
  out.push(...mdTable(['spec', ...targets], names.map((n) => [n, ...targets.map((t) => cycleCell(n, t))]), ['l', ...targets.map(() => 'r' as const)]), '');

  out.push(...renderOptimize(report));

  out.push('## All figures', '');
  out.push('`instructions`: executed per call of `<name>_run` (first seeded random input), the call-site overhead subtracted. ' +
    '`cycles`: the same call in estimated cycles (docs/cycles.md; `~` a rough figure). ' +
    '`(i+ld+st)/MAC`: instructions plus memory accesses per MAC. `text`/`rodata`: bytes of the kernel object (weights are rodata; ' +
    'libgcc helpers are not included). `weights`: bytes of its weight arrays / the raw weight bytes of the spec. ' +
    '`RAM`: kernel data + bss + input + output + scratch buffers. `stack`: worst case over the ' +
    'kernel\'s call graph. `vs naive`: instructions relative to the `naive` variant on the same target. A variant with a ' +
    'goal in brackets was generated with `--optimize <goal>`.', '');
  for (const name of names) {
    const rows = ownRows(report.results.filter((r) => r.name === name));
    const r0 = rows[0];
    out.push(`### ${name}`, '', `\`${path.relative(process.cwd(), r0.spec) || r0.spec}\` — ${fmtInt(r0.macs)} MACs per call, accumulator \`${r0.accumulator}\`.`, '');
    out.push(...mdTable(
      ['target', 'variant', 'instructions', 'instr/MAC', 'cycles', 'cycles/MAC', '(i+ld+st)/MAC', 'loads', 'stores', 'text', 'rodata', 'weights', 'RAM', 'stack', 'vs naive'],
      rows.map((r) => {
        const c = rowCells(r);
        const good = r.status === 'ok';
        const w = r.weightBytes ? `${fmtInt(r.weightBytes.flash)} / ${fmtInt(r.weightBytes.raw)}` : '-';
        return [r.target, c[2], c[4], c[5], fmtCycles(r, r.cycles, 0), c[6], c[7], good ? fmtInt(r.loads) : '-', good ? fmtInt(r.stores) : '-', c[8], c[9], w, c[10], c[11], c[12]];
      }),
      ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ), '');
  }
  const notes = ownRows(report.results).filter((r) => r.status !== 'ok' && (r.note || r.error));
  if (notes.length || report.skipped.length) {
    out.push('### Notes', '');
    for (const r of notes) out.push(`- ${r.name} on ${r.target} (${variantLabel(r)}): ${r.error ?? r.note}`);
    for (const s of report.skipped) out.push(`- ${s.target}: skipped, ${s.reason}`);
    out.push('');
  }

  if (report.networks) out.push(...renderNetworkMarkdown(report.networks));

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
    '- **Cycles**: estimated from the same run: the plugin also records how often each instruction ran, which branches were ' +
      'taken, which conditional instructions executed and, where a core\'s multiplier terminates early, the significant bytes of ' +
      'every multiply\'s operands (read from the registers); each core\'s documented timing table turns that into cycles, with ' +
      'load-use and multiply interlocks from the neighbouring instructions. The empty kernel\'s estimate is subtracted as for ' +
      'instructions. What each model covers, its sources and what it approximates: [docs/cycles.md](cycles.md). The Cortex-A9 ' +
      'figure is rough (marked `~`) and no goal uses it.',
    '- **Which input**: the reported count is for the first seeded random input. The count can depend on the data (clamps ' +
      'compile to branches on some cores); the JSON also carries `instructionsWorst`, the largest count over all seeded inputs ' +
      '(random, all-max, all-min, alternating), and `cyclesWorst` likewise.',
    '- **Flash**: `<name>.c` compiled alone with the image\'s flags (`-O2 -ffunction-sections -fdata-sections` and the ' +
      'target\'s CPU flags), `.text*` and `.rodata*` summed from `arm-none-eabi-size -A`; the weight arrays are its ' +
      '`.rodata.<name>_weights*` sections. The JSON lists the libgcc helpers the kernel calls and the code they add (`helpers`).',
    '- **RAM**: `.data` + `.bss` of the kernel object plus the input, output and scratch buffers its header declares.',
    '- **Stack**: the worst path through the kernel\'s call graph from `<name>_run`: frame sizes from `-fstack-usage` (.su), ' +
      'edges from `-fcallgraph-info=su` (.ci). libgcc helpers have no .su; their frames are read from their code in a link of ' +
      'the kernel object alone (every push and `sub sp` counted, pops ignored: an upper bound), following their calls. A `+` ' +
      'after the figure means it is not bounded (recursion, dynamic frame or an unknown callee).',
    '- **Baseline**: the `naive` variant is the textbook loop people write by hand: one function that receives the shape at run ' +
      'time in a struct, seven nested loops (group, output channel, row, column, kernel row, kernel column, input channel: the ' +
      'order of CMSIS-NN\'s portable C convolution), a bounds check on every tap, `-O2`, with exactly the same arithmetic as every ' +
      'other variant. It is verified bit-exact like every variant.',
    '- **Optimize goals**: `--optimize speed` rows are measured only where the generated code differs from `default` ' +
      '(comments aside); elsewhere the JSON row copies the default\'s figures and says `sameCodeAs`.',
    '- **Does not fit**: a kernel whose tensors exceed the target\'s RAM (the Cortex-M0 board has 16 KiB in all) is reported ' +
      'with its sizes and no counts.',
    '',
  );

  out.push('## Reference figures quoted from issue 6', '');
  out.push(`CMSIS-NN, int8 per-channel, instructions/MAC. Source: ${CMSIS_SOURCE}. Quoted, not re-measured by \`make bench\`.`, '');
  const cores: [string, string][] = [['cortex-m4', 'Cortex-M4'], ['cortex-m7', 'Cortex-M7'], ['cortex-m3', 'Cortex-M3'],
    ['cortex-m55', 'Cortex-M55'], ['arm920t', 'ARM920T (portable C, A32)']];
  out.push(...mdTable(['core', ...SHAPES.map((s) => s.label)],
    [...cores.map(([t, core]) => [core, ...cmsisNnInt8[t].map((v) => v.toFixed(2))]),
      ['Cortex-M4, (i+ld+st)/MAC', ...cmsisNnM4Accesses.map((v) => v.toFixed(2))]],
    ['l', ...SHAPES.map(() => 'r' as const)]), '');
  out.push('CMSIS-NN\'s former q15/q7 kernels (removed in 2022, still used through NNoM) did shape (a) on Cortex-M4 at ' +
    `1.59 (q15 "fast") and 1.99 (q7 "fast") instructions/MAC. Issue 6 also quotes the \`naive\` variant for q15 on ARM920T at ` +
    `${issueNaiveQ15Arm920t.map((v) => v.toFixed(2)).join(' / ')} instructions/MAC for shapes a–e. The goals above compare ` +
    'convgen with these figures.', '');
  return out.join('\n');
}

const palette: Record<string, string> = { naive: '#9e9e9e', reference: '#1f77b4', optimized: '#d62728' };
const extraColours = ['#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

function xmlEscape(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** What a chart plots per row: instructions/MAC, estimated cycles/MAC, or both side by side. */
export interface ChartMetric {
  title: string;
  /** Short name in the bars' tooltips: "instr/MAC". */
  unit: string;
  /** The legend's name for the figures: "instructions/MAC". */
  legend: string;
  value: (r: BenchRow) => number | null | undefined;
  /** The figure as shown (a rough cycle figure carries `~`). */
  format: (r: BenchRow, v: number | null | undefined) => string;
  /** The bracketed ratio to the naive row of the same spec and target. */
  ratio: (r: BenchRow, naive: BenchRow | undefined) => number | null;
}

export const instructionsPerMac: ChartMetric = {
  title: 'Instructions per MAC (QEMU, exact counts; shorter is better)', unit: 'instr/MAC', legend: 'instructions/MAC',
  value: (r) => r.instructionsPerMac,
  format: (_r, v) => fmtFix(v),
  ratio: (r) => r.ratioToNaive,
};

export const cyclesPerMac: ChartMetric = {
  title: 'Estimated cycles per MAC (docs/cycles.md; shorter is better)', unit: 'cycles/MAC (estimate)', legend: 'cycles/MAC',
  value: (r) => r.cyclesPerMac,
  format: (r, v) => fmtCycles(r, v ?? null),
  ratio: (r, naive) => {
    const [a, b] = [r.cyclesPerMac, naive?.cyclesPerMac];
    return typeof a === 'number' && typeof b === 'number' && b > 0 ? a / b : null;
  },
};

/**
 * Small multiples: one panel per spec, a group of horizontal bars per target, one bar per variant and metric on one
 * scale per panel. By default instructions/MAC (light) and estimated cycles/MAC (solid) side by side; cycles are left
 * out when no row has them.
 */
export function renderSvg(report: BenchReport, metric: ChartMetric | ChartMetric[] = [instructionsPerMac, cyclesPerMac]): string {
  // The chart shows the default goal; the Markdown page compares the optimize goals.
  const results = report.results.filter(isDefault);
  const metrics = (Array.isArray(metric) ? metric : [metric])
    .filter((m, i, all) => all.length === 1 || i === 0 || results.some((r) => typeof m.value(r) === 'number'));
  const both = metrics.length > 1;
  const names = [...new Set(results.map((r) => r.name))];
  const targets = [...new Set(results.map((r) => r.target))];
  const variants = report.variants;
  const colour = (v: string) => palette[v] ?? extraColours[variants.indexOf(v as VariantName) % extraColours.length];
  const cols = names.length > 1 ? 2 : 1;
  const panelW = 470;
  const labelW = 84;
  const barH = both ? 14 : 10;
  const groupGap = 6;
  const headH = 26;
  const panelH = headH + targets.length * (variants.length * barH + groupGap) + 22;
  const top = both ? 76 : 62;
  const width = Math.max(720, cols * panelW + (cols + 1) * 10); // room for the title over a single panel
  const rowsN = Math.ceil(names.length / cols);
  const height = top + rowsN * (panelH + 10) + 10;
  const s: string[] = [];
  s.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`);
  s.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  const title = both ? 'Instructions and estimated cycles per MAC (QEMU; shorter is better)' : metrics[0].title;
  s.push(`<text x="10" y="22" font-size="16" font-weight="bold">${xmlEscape(title)}</text>`);
  let lx = 10;
  for (const v of variants) {
    s.push(`<rect x="${lx}" y="34" width="12" height="12" fill="${colour(v)}"/><text x="${lx + 16}" y="44">${xmlEscape(v)}</text>`);
    lx += 24 + v.length * 7;
  }
  if (both) {
    s.push(`<text x="${lx + 10}" y="44" fill="#555">per-panel scale; light bar: ${xmlEscape(metrics[0].legend)}, solid bar: ${xmlEscape(metrics.slice(1).map((m) => m.legend).join(', '))} (docs/cycles.md)</text>`);
    s.push(`<text x="10" y="62" fill="#555">label: ${xmlEscape(metrics.map((m) => m.legend).join(' / '))}; bracket = ratio to naive in the last figure shown; ~ = rough (Cortex-A9)</text>`);
  } else {
    s.push(`<text x="${lx + 10}" y="44" fill="#555">per-panel scale; figures are ${xmlEscape(metrics[0].legend)}, bracket = ratio to naive</text>`);
  }
  names.forEach((name, i) => {
    const px = 10 + (i % cols) * (panelW + 10);
    const py = top + Math.floor(i / cols) * (panelH + 10);
    const rows = results.filter((r) => r.name === name);
    const max = Math.max(1e-9, ...rows.filter((r) => r.status === 'ok').flatMap((r) => metrics.map((m) => m.value(r) ?? 0)));
    const barMax = panelW - labelW - (both ? 110 : 80);
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
      const naive = rows.find((x) => x.target === t && x.variant === BASELINE);
      variants.forEach((v, vi) => {
        const r = rows.find((x) => x.target === t && x.variant === v);
        const y = gy + vi * barH;
        if (!r) return;
        if (r.status !== 'ok') {
          s.push(`<text x="${labelW + 2}" y="${y + barH - (both ? 3 : 1)}" fill="#999" font-style="italic" font-size="9">${xmlEscape(statusText(r))}</text>`);
          return;
        }
        const h = both ? (barH - 2) / metrics.length : barH - 1;
        let end = 0;
        const shown: string[] = [];
        let toNaive: number | null = null;
        metrics.forEach((m, mi) => {
          const value = m.value(r);
          if (typeof value !== 'number') return;
          const w = Math.max(1, (value / max) * barMax);
          const light = both && mi === 0 ? ' fill-opacity="0.4"' : '';
          s.push(`<rect x="${labelW}" y="${(y + mi * h).toFixed(1)}" width="${w.toFixed(1)}" height="${h}" fill="${colour(v)}"${light}><title>${xmlEscape(`${name} ${t} ${v}: ${m.format(r, value)} ${m.unit}`)}</title></rect>`);
          end = Math.max(end, w);
          shown.push(m.format(r, value));
          if (v !== BASELINE) toNaive = m.ratio(r, naive) ?? toNaive;
        });
        const ratio = toNaive !== null ? ` (${(toNaive as number).toFixed(2)}x)` : '';
        s.push(`<text x="${(labelW + end + 4).toFixed(1)}" y="${y + barH - (both ? 3 : 1)}" font-size="9">${xmlEscape(shown.join(' / '))}${ratio}</text>`);
      });
    });
    s.push(`</g>`);
  });
  s.push('</svg>');
  return s.join('\n') + '\n';
}

/**
 * The HTML report: goals, the chart(s), one table per target with the terminal table's columns (so a column added
 * there shows here too), and the failures with their first mismatch.
 */
export function benchHtml(report: BenchReport): string {
  const rows = ownRows(report.results);
  const targets = [...new Set(rows.map((r) => r.target))];
  const bad = rows.filter((r) => r.status === 'fail' || r.status === 'error');
  const withCycles = rows.some((r) => typeof r.cyclesPerMac === 'number');
  const targetCol = columns.indexOf('target');
  const cols: Column<BenchRow>[] = columns.flatMap((head, i) => (i === targetCol ? [] : [{ head, cell: (r: BenchRow) => rowCells(r)[i], numeric: i > 2 }]));
  cols.push({ head: 'status', cell: (r) => statusText(r) || 'ok' });
  const rowClass = (r: BenchRow) => (r.status === 'fail' ? 'fail' : r.status === 'error' ? 'error' : '');
  const body = [
    `<p class="verdict ${bad.length ? 'bad' : 'ok'}">${bad.length ? `${bad.length} measurement(s) failed or errored` : `every measured kernel is bit-exact (${rows.filter((r) => r.status === 'ok').length} measurements)`}</p>`,
    `<p>convgen ${esc(report.convgen)}, ${esc(report.tools.gcc)}, ${esc(report.tools.qemu)}; seed ${report.seed}; variants ${esc(report.variants.join(', '))}` +
      `; optimize ${esc(report.optimize.join(', '))}; specs: ${report.specs.map((x) => `<code>${esc(x)}</code>`).join(', ')}.</p>`,
    '<h2>Goals</h2>',
    htmlTable<GoalResult>([
      { head: 'goal', cell: (g) => g.title },
      { head: 'met', cell: (g) => String(g.met), numeric: true },
      { head: 'NOT met', cell: (g) => String(g.notMet), numeric: true },
      { head: 'not measured', cell: (g) => String(g.notMeasured), numeric: true },
    ], report.goals, { id: 'goals', rowClass: (g) => (g.notMet ? 'fail' : '') }),
    '<h2>Chart</h2>',
    `<div class="chart" id="chart">${renderSvg(report, instructionsPerMac)}</div>`,
    ...(withCycles ? [`<div class="chart" id="chart-cycles">${renderSvg(report, cyclesPerMac)}</div>`] : []),
    '<h2>Per target</h2>',
    ...targets.flatMap((t) => [`<h3>${esc(t)}</h3>`, htmlTable(cols, rows.filter((r) => r.target === t), { id: `target-${t}`, rowClass })]),
    '<h2>Failures</h2>',
    bad.length === 0 ? '<p id="failures">None.</p>' : htmlTable<BenchRow>([
      { head: 'spec', cell: (r) => r.name },
      { head: 'target', cell: (r) => r.target },
      { head: 'variant', cell: variantLabel },
      { head: 'status', cell: (r) => r.status.toUpperCase() },
      { head: 'first mismatch (or error)', cell: (r) => r.error ?? r.note ?? '' },
    ], bad, { id: 'failures', rowClass }),
    ...(report.skipped.length ? ['<h2>Skipped</h2>', `<ul>${report.skipped.map((x) => `<li>${esc(x.target)}: ${esc(x.reason)}</li>`).join('')}</ul>`] : []),
  ];
  return htmlPage('convgen bench report', body);
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

function optimizeList(list: string): OptimizeGoal[] {
  const gs = list.split(',').map((s) => s.trim()).filter(Boolean);
  for (const g of gs)
    if (!(optimizeGoals as string[]).includes(g)) throw new InvalidArgumentError(`unknown optimize goal '${g}'; goals: ${optimizeGoals.join(', ')}`);
  if (!gs.length) throw new InvalidArgumentError('no optimize goal given');
  return [...new Set(gs)] as OptimizeGoal[];
}

export function benchExitCode(report: BenchReport): number {
  const nets = report.networks?.results ?? [];
  const errors = [...report.results, ...nets].filter((r) => r.status === 'error');
  if (errors.length) return ExitCode.environment;
  if ([...report.results, ...nets].some((r) => r.status === 'fail')) return ExitCode.mismatch;
  return ExitCode.ok;
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('measure instructions/MAC, estimated cycles/MAC, flash, RAM and stack under QEMU (verified bit-exact) and compare with the naive loop; ' +
      'networks: instructions per inference and per layer, flash, arena and stack')
    .argument('<specs...>', 'kernel specs, network specs or .tflite models')
    .option('--target <list>', 'targets, comma-separated, or all', DEFAULT_TARGET)
    .option('--variant <list>', `variants, comma-separated (${variantNames.join(', ')}); naive is always measured`, variantList, [DEFAULT_VARIANT] as VariantName[])
    .option('--optimize <list>', `optimize goals for the optimized variant, comma-separated (${optimizeGoals.join(', ')}); ` +
      'a goal that generates the same code as default is not measured twice', optimizeList, ['default'] as OptimizeGoal[])
    .option('--seed <n>', 'seed of the random inputs', intArg('--seed', 0), 1)
    .option('--jobs <n>', 'measurements run at once', intArg('--jobs', 1), Math.min(2, os.availableParallelism()))
    .option('--timeout <s>', 'seconds before a hung guest is killed', intArg('--timeout', 1), 300)
    .option('--json <file>', 'write the results as JSON')
    .option('--markdown <file>', 'write the results as a Markdown page')
    .option('--svg <file>', 'write an SVG bar chart of instructions/MAC and estimated cycles/MAC')
    .option('--html <file>', 'write a self-contained HTML report (per-target tables, the charts, failures)')
    .action(async (specs: string[], o: {
      target: string; variant: VariantName[]; optimize: OptimizeGoal[]; seed: number; jobs: number; timeout: number; json?: string; markdown?: string;
      svg?: string; html?: string;
    }) => {
      const found = targetList(o.target);
      for (const f of [o.json, o.markdown, o.svg, o.html]) if (f) checkOutputFile(f);
      // Kernel specs and networks may come together (make bench measures both); each kind has its own tables.
      const root = program.opts().root as string | undefined;
      const nets = specs.filter(isNetworkFile).map((f) => loadNetwork(f, root));
      const models = await Promise.all(specs.filter((f) => !isNetworkFile(f)).map((s) => loadSpec(s, { root })));
      if (!models.length && (o.svg || o.html)) throw new InputError(o.svg ? '--svg' : '--html', 'charts the kernel specs; this run has only networks');
      // Progress on stderr (a live line on a terminal); failures are logged as they happen; stdout gets the table.
      let progress: Progress | undefined;
      let report: BenchReport;
      try {
        const networks = nets.length ? await runNetworkBench(nets, found, {
          seed: o.seed, jobs: o.jobs, timeoutSeconds: o.timeout, optimize: o.optimize,
          onStart: (total) => (progress = new Progress({ label: 'bench networks', total, unit: 'measurements' })),
          onResult: (r) => {
            const line = `${r.name} on ${r.target} (optimize ${r.optimize}): ${r.status === 'ok' ? `${fmtInt(r.instructions)} instructions` : r.status}`;
            if (r.status === 'fail' || r.status === 'error') progress?.log(`${r.status.toUpperCase()} ${line}: ${r.error}`, (l) => void process.stderr.write(`${l}\n`));
            progress?.tick(line);
          },
        }) : undefined;
        progress?.stop();
        progress = undefined;
        report = !models.length
          ? { convgen: VERSION, tools: await toolVersions(), seed: o.seed, specs: [], targets: found.map((t) => t.name), variants: [], optimize: [], results: [], goals: [], skipped: [], networks }
          : { ...await runBench(models, {
          targets: found, variants: o.variant, optimize: o.optimize, seed: o.seed, jobs: o.jobs, timeoutSeconds: o.timeout,
          onStart: (total) => (progress = new Progress({ label: 'bench', total, unit: 'measurements' })),
          onResult: (r) => {
            const what = r.status === 'ok' ? `${fmtFix(r.instructionsPerMac)} instr/MAC, ${fmtCycles(r, r.cyclesPerMac)} cycles/MAC` : r.status === 'does-not-fit' ? 'does not fit' : `${r.status}${r.error ? `: ${r.error}` : ''}`;
            const line = `${r.name} on ${r.target} (${variantLabel(r)}): ${what}`;
            if (r.status === 'fail' || r.status === 'error') progress?.log(`${r.status.toUpperCase()} ${line}`, (l) => void process.stderr.write(`${l}\n`));
            progress?.tick(line);
          },
        }), networks };
      } finally {
        progress?.stop();
      }
      process.stdout.write(renderTable(report));
      if (o.json) writeFileAtomic(o.json, benchJson(report));
      if (o.html) writeFileAtomic(o.html, benchHtml(report));
      if (o.svg) writeFileAtomic(o.svg, renderSvg(report));
      if (o.markdown) {
        const svgLink = o.svg ? path.relative(path.dirname(path.resolve(o.markdown)), path.resolve(o.svg)).split(path.sep).join('/') : undefined;
        writeFileAtomic(o.markdown, renderMarkdown(report, { svgLink }));
      }
      process.exitCode = benchExitCode(report);
    });
}
