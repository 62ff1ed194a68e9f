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
import {
  DEFAULT_VARIANT, VERSION, generate, variantNames, type GeneratedKernel, type OptimizeGoal, type VariantName,
} from '../codegen/index.ts';
import { codeDigest, measure, type Measurement } from '../measure/index.ts';
import { evaluateGoals, type GoalResult } from '../measure/goals.ts';
import { loadSpec, type KernelModel } from '../ops/conv_2d/spec/index.ts';
import { DEFAULT_TARGET, type Target } from '../targets/index.ts';
import { targetList } from './target-args.ts';
import { isNetworkFile, refuseKernelOptions, typedBy } from './network.ts';
import { loadNetwork } from '../network/load.ts';
import { runNetworkBench, type NetworkBenchReport } from './bench-network.ts';
import { runTool, tools } from '../toolchain/index.ts';
import { checkOutputFile } from '../files/write.ts';
import { writeFileAtomic } from '../report/index.ts';
import { Progress } from '../report/progress.ts';
import { benchJson, fmtCycles, fmtFix, fmtInt, renderMarkdown, renderTable, variantLabel } from './bench-render.ts';
import { benchHtml, cyclesPerMac, instructionsPerMac, renderSvg } from './bench-chart.ts';

export { renderTable, benchJson, renderMarkdown } from './bench-render.ts';
export { type ChartMetric, instructionsPerMac, cyclesPerMac, renderSvg, benchHtml } from './bench-chart.ts';

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
    }, cmd: Command) => {
      const found = targetList(o.target);
      for (const f of [o.json, o.markdown, o.svg, o.html]) if (f) checkOutputFile(f);
      // Kernel specs and networks may come together (make bench measures both); each kind has its own tables.
      const root = program.opts().root as string | undefined;
      const nets = specs.filter(isNetworkFile).map((f) => loadNetwork(f, root));
      const models = await Promise.all(specs.filter((f) => !isNetworkFile(f)).map((s) => loadSpec(s, { root })));
      if (!models.length && (o.svg || o.html)) throw new InputError(o.svg ? '--svg' : '--html', 'charts the kernel specs; this run has only networks');
      // --variant chooses kernel variants; with networks only, nothing would read it.
      if (!models.length) refuseKernelOptions(typedBy(cmd), ['variant']);
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
