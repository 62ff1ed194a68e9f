/**
 * Differential fuzzing: random specs (src/fuzz/arbitraries.ts) → every kernel variant → one image per batch of
 * kernels per target → every output compared bit for bit with the golden model. Batching is the point: a build and
 * an emulator start cost the same whatever the image holds, so many kernels (each its own translation unit, as users
 * build them) go into one image with a table of them (templates/fuzz/batch.c.hbs; firmware/host/multi_main.c natively,
 * firmware/harness/multi_main.c under QEMU), run once.
 *
 * Inputs per spec: the seeded random tensors and the type's extremes (verify's testInputs) plus the two inputs that
 * drive the accumulator to its proved bound (boundInputs). Host builds use AddressSanitizer and UBSan.
 *
 * When a batch fails to build, run or match, the failure is narrowed to one (spec, variant, target), the spec is
 * shrunk with fast-check (replaying the failing case from the seed) and written as a JSON file that can be dropped
 * into test/regressions/.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { ConvgenError } from '../errors.ts';
import { pool } from '../pool.ts';
import { variantNames, type OptimizeGoal, type VariantName } from '../codegen/index.ts';
import { runGolden } from '../ops/conv_2d/spec/golden.ts';
import { modelFromValue } from '../ops/conv_2d/spec/index.ts';
import type { Target } from '../targets/index.ts';
import { boundInputs, testInputs } from '../verify/index.ts';
import { writeFileAtomic } from '../report/index.ts';
import { specArbitrary, stratumOf, type SpecOptions } from './arbitraries.ts';
import { cellCounts } from './coverage.ts';
import type { FuzzCase, KernelOutcome, FuzzFailure, TargetSummary, FuzzReport, FuzzOptions } from './types.ts';
import { type BatchOptions, fitsTarget, packBatches, runBatch } from './batch.ts';

export { specArbitrary, fuzzTypes, allStrata, stratumOf, type SpecOptions, type FuzzType, type Stratum } from './arbitraries.ts';
export * from './types.ts';
export { caseRamBytes, fitsTarget, runBatch, type BatchOptions } from './batch.ts';

/**
 * Spec `index` of the stream of `seed`: drawn from its stratum's generator (arbitraries.ts) with a seed of its own, so
 * that fast-check can replay and shrink it alone. `stratified: false` draws from the whole space instead.
 */
export function caseArbitrary(index: number, seed: number, opts: SpecOptions & { stratified?: boolean } = {}) {
  const { stratified = true, ...specOpts } = opts;
  const stratum = stratified ? stratumOf(index, seed, specOpts.types) : undefined;
  return { arbitrary: specArbitrary({ ...specOpts, stratum }), seed: (Math.imul(seed, 0x2c1b3c6d) ^ Math.imul(index + 1, 0x297a2d39)) >>> 0, stratum };
}

/** The specs of a run: the first `cases` values of the seeded stream. */
export function sampleSpecs(cases: number, seed: number, opts: SpecOptions & { stratified?: boolean } = {}): Record<string, unknown>[] {
  return Array.from({ length: cases }, (_, i) => {
    const c = caseArbitrary(i, seed, opts);
    return fc.sample(c.arbitrary, { seed: c.seed, numRuns: 1 })[0];
  });
}

export function caseInputSeed(seed: number, index: number): number {
  return (Math.imul(seed, 1000003) + index) >>> 0;
}

/** Resolve a spec (renamed `name`) and compute its inputs and expected outputs. */
export function makeCase(spec: Record<string, unknown>, index: number, inputSeed: number, name: string,
  file = path.join(os.tmpdir(), `${name}.json`)): FuzzCase {
  const model = modelFromValue({ ...spec, name }, file);
  const inputs = [...testInputs(model, inputSeed), ...boundInputs(model)];
  return { index, spec, model, inputSeed, inputs, expected: inputs.map((t) => runGolden(model, t)) };
}

/** A C name for kernel `index` in `variant` (and goal): f<index>_<variant>[_speed], at most 32 characters. */
export function kernelName(index: number, variant: string, optimize: OptimizeGoal = 'default'): string {
  return `f${index}_${variant.toLowerCase().replace(/[^a-z0-9_]/g, '_')}${optimize === 'default' ? '' : `_${optimize}`}`.slice(0, 32);
}

/** The (variant, goal) pairs of a run: the optimized variant once per goal, the others once. */
export function variantGoals(variants: readonly VariantName[], goals: readonly OptimizeGoal[]): { variant: VariantName; optimize: OptimizeGoal }[] {
  return variants.flatMap((variant) => (variant === 'optimized' ? goals : ['default' as const]).map((optimize) => ({ variant, optimize })));
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* The run                                                                                                            */

export async function fuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const started = Date.now();
  const variants = opts.variants ?? variantNames;
  const goals = opts.goals ?? ['default'];
  const pairs = variantGoals(variants, goals);
  const jobs = opts.jobs ?? os.availableParallelism();
  const bo: BatchOptions = { sanitize: opts.sanitize ?? true, timeoutSeconds: opts.timeoutSeconds, tamper: opts.tamper };
  const specs = sampleSpecs(opts.cases, opts.seed, opts.spec);
  const failures: FuzzFailure[] = [];
  const summaries: TargetSummary[] = [];
  // Cases are resolved (golden outputs included) once and shared by every target and variant; a spec the
  // generator produced that convgen rejects is a failure too (the generator promises valid specs).
  const cases: (FuzzCase | undefined)[] = specs.map((spec, index) => {
    const inputSeed = caseInputSeed(opts.seed, index);
    try {
      return makeCase(spec, index, inputSeed, `f${index}`);
    } catch (e) {
      if (!(e instanceof ConvgenError)) throw e;
      const f: FuzzFailure = { seed: opts.seed, index, inputSeed, target: '-', variant: variants[0], optimize: 'default', status: 'error', message: `rejected: ${e.message}`, spec, shrunk: spec };
      failures.push(f);
      opts.onFailure?.(f);
      return undefined;
    }
  });
  for (const target of opts.targets) {
    const t0 = Date.now();
    const usable = cases.filter((c): c is FuzzCase => c !== undefined && fitsTarget(c.model, target));
    const kernels = usable.flatMap((c) => pairs.map(({ variant, optimize }) => ({ case: c, variant, optimize, name: kernelName(c.index, variant, optimize) })));
    const size = opts.batch ?? (target.run === 'host' ? 60 : 40);
    const batches = packBatches(kernels, target, size);
    const summary: TargetSummary = {
      target: target.name, cases: usable.length, skipped: cases.filter(Boolean).length - usable.length, kernels: kernels.length,
      cells: cellCounts(usable.map((c) => c.model), target).size, images: 0, tensors: 0, failures: 0, seconds: 0,
    };
    let done = 0;
    let shrinks = 0;
    opts.onTarget?.(target.name, kernels.length);
    await pool(batches, jobs, async (batch) => {
      const outcomes = await runBatch(target, batch, bo);
      summary.images++;
      for (const r of outcomes) {
        summary.tensors += r.case.inputs.length;
        if (r.status === 'pass') continue;
        summary.failures++;
        const shrink = (opts.shrink ?? true) && shrinks++ < (opts.maxShrinks ?? 3);
        const f = await reportFailure(r, target, opts, bo, shrink);
        failures.push(f);
        opts.onFailure?.(f);
      }
      done += batch.length;
      opts.onProgress?.({ target: target.name, kernelsDone: done, kernelsTotal: kernels.length, failures: summary.failures });
    });
    summary.seconds = (Date.now() - t0) / 1000;
    summaries.push(summary);
  }
  return { seed: opts.seed, cases: opts.cases, variants, goals, targets: summaries, failures, seconds: (Date.now() - started) / 1000 };
}

/* ---------------------------------------------------------------------------------------------------------------- */
/* Failures: shrink, write the regression file                                                                        */

async function reportFailure(r: KernelOutcome, target: Target, opts: FuzzOptions, bo: BatchOptions, shrink: boolean): Promise<FuzzFailure> {
  const c = r.case;
  const status = r.status === 'pass' ? 'error' : r.status;
  let shrunk = c.spec;
  let message = r.message ?? status;
  if (shrink) {
    const found = await shrinkCase(c.index, opts.seed, target, r.variant, c.inputSeed, opts.spec, bo, r.optimize);
    if (found) [shrunk, message] = [found.spec, found.message];
  }
  const name = `regress_${opts.seed}_${c.index}`.slice(0, 32);
  const f: FuzzFailure = {
    seed: opts.seed, index: c.index, inputSeed: c.inputSeed, target: target.name, variant: r.variant, optimize: r.optimize, status,
    message, spec: c.spec, shrunk: { ...shrunk, name },
  };
  if (opts.failuresDir) {
    fs.mkdirSync(opts.failuresDir, { recursive: true });
    f.file = path.join(opts.failuresDir, `${name}_${target.name}_${r.variant}${r.optimize === 'default' ? '' : `_${r.optimize}`}.json`);
    writeFileAtomic(f.file, regressionJson(f));
  }
  return f;
}

/** The file format of test/regressions/: the minimal spec plus how it was found and how to reproduce it. */
export interface RegressionFile {
  description: string;
  /** The fuzz run (seed, index) that found it, or how it was found otherwise. */
  found: { seed?: number; index?: number; command: string };
  inputSeed: number;
  target: string;
  /** Where test/regressions checks it besides the host and `target`: 'all' = every QEMU target. */
  targets?: 'all' | string[];
  variant: string;
  /** The optimized variant's goal (absent: default). */
  optimize?: OptimizeGoal;
  failure: string;
  spec: Record<string, unknown>;
  original?: Record<string, unknown>;
}

export function regressionJson(f: FuzzFailure): string {
  const file: RegressionFile = {
    description: `convgen fuzz found this: ${f.status === 'fail' ? 'a mismatch' : 'an error'} on ${f.target} (${f.variant}${f.optimize === 'default' ? '' : `, optimize ${f.optimize}`}); shrunk spec below`,
    found: {
      seed: f.seed, index: f.index,
      command: `convgen fuzz --specs ${f.index + 1} --seed ${f.seed} --targets ${f.target === '-' ? 'host' : f.target} --variants ${f.variant}`
        + (f.optimize === 'default' ? '' : ` --optimize ${f.optimize}`),
    },
    inputSeed: f.inputSeed,
    target: f.target,
    variant: f.variant,
    ...(f.optimize === 'default' ? {} : { optimize: f.optimize }),
    failure: f.message,
    spec: f.shrunk,
    original: f.spec,
  };
  return JSON.stringify(file, null, 2) + '\n';
}

/**
 * Replay case `index` of the seeded stream with fast-check and let it shrink: the property builds and runs the one
 * spec alone on `target`. Shrinking stays inside the case's stratum (its type, layout, kernel class and family
 * steers), so the shrunk spec still exercises the family that failed. Returns the smallest failing spec and its
 * message, or undefined if it no longer fails.
 */
export async function shrinkCase(index: number, seed: number, target: Target, variant: VariantName, inputSeed: number,
  specOpts: SpecOptions | undefined, bo: BatchOptions, optimize: OptimizeGoal = 'default'): Promise<{ spec: Record<string, unknown>; message: string } | undefined> {
  /** Why the spec fails on its own, or undefined when it passes (or is not a spec convgen accepts). */
  const failure = async (spec: Record<string, unknown>): Promise<string | undefined> => {
    let c: FuzzCase;
    try {
      c = makeCase(spec, index, inputSeed, 'shrink');
    } catch (e) {
      if (e instanceof ConvgenError) return undefined;
      throw e;
    }
    if (!fitsTarget(c.model, target)) return undefined;
    const [r] = await runBatch(target, [{ case: c, variant, optimize, name: 'shrink' }], bo);
    return r.status === 'pass' ? undefined : (r.message ?? r.status);
  };
  const c = caseArbitrary(index, seed, specOpts);
  const property = fc.asyncProperty(c.arbitrary, async (spec) => (await failure(spec)) === undefined);
  const result = await fc.check(property, { seed: c.seed, numRuns: 1 });
  if (!result.failed || !result.counterexample) return undefined;
  const spec = result.counterexample[0];
  return { spec, message: (await failure(spec)) ?? 'fails only while shrinking' };
}
