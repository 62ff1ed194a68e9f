/**
 * `convgen fuzz`: differential fuzzing of every kernel variant against the golden model (src/fuzz). Prints one
 * progress line per image and a summary; each failure is written as a regression file (exit 1).
 */
import os from 'node:os';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { ExitCode, InputError } from '../errors.ts';
import { variantNames, type OptimizeGoal, type VariantName } from '../codegen/index.ts';
import { targetList } from './target-args.ts';
import { Progress } from '../report/progress.ts';
import { fuzz, variantGoals, type FuzzReport } from '../fuzz/index.ts';

function count(name: string, min: number) {
  return (v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}`);
    return Number(v);
  };
}

function variantList(list: string): VariantName[] {
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names)
    if (!(variantNames as string[]).includes(n)) throw new InputError('--variants', `unknown variant '${n}'; variants: ${variantNames.join(', ')}`);
  return names as VariantName[];
}

function goalList(list: string): OptimizeGoal[] {
  const names = [...new Set(list.split(',').map((s) => s.trim()).filter(Boolean))];
  for (const n of names) if (n !== 'default' && n !== 'speed') throw new InputError('--optimize', `unknown goal '${n}'; goals: default, speed`);
  if (!names.length) throw new InputError('--optimize', 'no goal given');
  return names as OptimizeGoal[];
}

function minutes(s: number): string {
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

export function summarize(r: FuzzReport): string[] {
  return r.targets.map((t) => {
    const rate = t.seconds > 0 ? Math.round((t.kernels / t.seconds) * 60) : 0;
    const per = variantGoals(r.variants, r.goals).length;
    return `${t.failures ? 'FAIL ' : 'PASS '} ${t.target}: ${t.cases} specs × ${per} (variant, goal) = ${t.kernels} cases in ${t.cells} cells, ` +
      `${t.images} images, ${t.tensors} tensors${t.skipped ? `, ${t.skipped} specs too big for its RAM` : ''}: ` +
      `${t.failures} failures in ${minutes(t.seconds)} (${rate} cases/min)`;
  });
}

export function registerFuzz(program: Command): void {
  program
    .command('fuzz')
    .description('differential fuzzing: random specs, every variant, compared bit for bit with the golden model')
    .option('--cases <n>', '(spec, variant, goal) cases to run: ⌈n / (variant, goal) pairs⌉ specs, each in every pair', count('--cases', 1), 1000)
    .option('--specs <n>', 'specs to run instead (each in every (variant, goal) pair)', count('--specs', 1))
    .option('--seed <n>', 'seed of the spec stream (and of the random inputs)', count('--seed', 0), 1)
    .option('--targets <list>', 'targets, comma-separated (all = every QEMU target and the host)', 'host')
    .option('--variants <list>', `variants, comma-separated (default: ${variantNames.join(',')})`)
    .option('--optimize <goals>', "the optimized variant's goals, comma-separated: default, speed", 'default')
    .option('--batch <n>', 'kernels per image (default 60 host, 40 QEMU)', count('--batch', 1))
    .option('--jobs <n>', 'images built and run at once', count('--jobs', 1), os.availableParallelism())
    .option('--out <dir>', 'folder for the regression files of failures', 'fuzz-failures')
    .option('--no-sanitize', 'host builds without AddressSanitizer and UBSan')
    .option('--no-shrink', 'report failures as found, without shrinking')
    .option('--timeout <s>', 'seconds before a hung image is killed (default: 60 plus its kernels\' worst-case instructions at a pessimistic emulator speed)', count('--timeout', 1))
    .action(async (o: {
      cases: number; specs?: number; seed: number; targets: string; variants?: string; optimize: string; batch?: number; jobs: number;
      out: string; sanitize: boolean; shrink: boolean; timeout?: number;
    }) => {
      const targets = targetList(o.targets, '--targets', { allIncludesHost: true });
      const variants = o.variants ? variantList(o.variants) : variantNames;
      const goals = goalList(o.optimize);
      const pairs = variantGoals(variants, goals);
      const specs = o.specs ?? Math.ceil(o.cases / pairs.length);
      // One progress per target (they run one after the other), on stderr; failures go to stdout as found.
      let progress: Progress | undefined;
      console.log(`fuzz: seed ${o.seed}, ${specs} specs (stratified) × ${pairs.length} (variant, goal) (${pairs.map((p) => p.variant === 'optimized' ? `${p.variant} ${p.optimize}` : p.variant).join(', ')}) = ` +
        `${specs * pairs.length} cases on ${targets.map((t) => t.name).join(', ')}; memory poisoned before every call${o.sanitize && targets.some((t) => t.run === 'host') ? '; host under ASan + UBSan' : ''}`);
      const say = (line: string) => (progress ? progress.log(line) : console.log(line));
      let report: FuzzReport;
      try {
        report = await fuzz({
          cases: specs, seed: o.seed, targets, variants, goals, batch: o.batch, jobs: o.jobs, sanitize: o.sanitize, shrink: o.shrink,
          failuresDir: path.resolve(o.out), timeoutSeconds: o.timeout,
          onTarget: (target, total) => {
            progress?.stop();
            progress = new Progress({ label: `fuzz ${target}`, total, unit: 'cases' });
          },
          onProgress: (p) => {
            // An image holds many cases: the progress moves by the image's count.
            progress?.tick(`${p.failures} failures`, p.kernelsDone - progress.count);
          },
          onFailure: (f) => {
            say(`FAIL  ${f.target} (${f.variant}${f.optimize === 'default' ? '' : `, ${f.optimize}`}) case ${f.index}: ${f.message}`);
            say(`      minimal spec: ${JSON.stringify(f.shrunk)}`);
            if (f.file) say(`      wrote ${f.file} (drop it into test/regressions/)`);
          },
        });
      } finally {
        progress?.stop();
      }
      for (const line of summarize(report)) console.log(line);
      console.log(`fuzz: ${report.failures.length} failures in ${minutes(report.seconds)}`);
      process.exitCode = report.failures.length ? ExitCode.mismatch : ExitCode.ok;
    });
}
