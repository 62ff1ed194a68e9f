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
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import Handlebars from 'handlebars';
import { ConvgenError, throwIfInterrupted } from '../errors.ts';
import { pool } from '../pool.ts';
import { generate, variantNames, writeKernel, type OptimizeGoal, type VariantName } from '../codegen/index.ts';
import { runGolden } from '../golden/index.ts';
import { runImage } from '../qemu/index.ts';
import { BASE_SECONDS, callInstructions, EMULATOR_IPS } from '../qemu/timeout.ts';
import { modelFromValue, type KernelModel } from '../spec/index.ts';
import type { Target } from '../targets/index.ts';
import { buildImage, firmwareDir } from '../toolchain/index.ts';
import { boundInputs, compareOutputs, decodeTensors, encodeTensors, testInputs, type Mismatch } from '../verify/index.ts';
import { writeFileAtomic } from '../report/index.ts';
import { specArbitrary, stratumOf, type SpecOptions } from './arbitraries.ts';
import { cellCounts } from './coverage.ts';
import { makeTempDir } from '../files/cleanup.ts';

export { specArbitrary, fuzzTypes, allStrata, stratumOf, type SpecOptions, type FuzzType, type Stratum } from './arbitraries.ts';

/** No -g: debug info would cost 60% more compile time; sanitizer reports still name the function. */
export const SANITIZE_FLAGS = ['-fsanitize=address,undefined', '-fno-sanitize-recover=all'];

/** One generated spec with its inputs and the golden model's outputs for them. */
export interface FuzzCase {
  /** Position in the seeded stream: fc.sample(specArbitrary(), { seed, numRuns })[index]. */
  index: number;
  spec: Record<string, unknown>;
  model: KernelModel;
  /** Seed of the random input tensors. */
  inputSeed: number;
  inputs: Int32Array[];
  expected: Int32Array[];
}

export interface KernelOutcome {
  case: FuzzCase;
  variant: VariantName;
  /** The optimized variant's goal ('default' for the other variants, which have none). */
  optimize: OptimizeGoal;
  target: string;
  status: 'pass' | 'fail' | 'error';
  message?: string;
  first?: Mismatch;
}

export interface FuzzFailure {
  seed: number;
  index: number;
  inputSeed: number;
  target: string;
  variant: VariantName;
  optimize: OptimizeGoal;
  status: 'fail' | 'error';
  message: string;
  spec: Record<string, unknown>;
  /** The smallest spec fast-check found that still fails (the spec itself when shrinking is off or found nothing). */
  shrunk: Record<string, unknown>;
  /** Where the regression file was written. */
  file?: string;
}

export interface TargetSummary {
  target: string;
  cases: number;
  /** Cases left out on this target because their tensors do not fit its RAM. */
  skipped: number;
  kernels: number;
  /** Distinct (numeric type × layout × kernel class × optimized family) cells its specs reached (coverage.ts). */
  cells: number;
  images: number;
  tensors: number;
  failures: number;
  seconds: number;
}

export interface FuzzReport {
  seed: number;
  cases: number;
  variants: VariantName[];
  goals: OptimizeGoal[];
  targets: TargetSummary[];
  failures: FuzzFailure[];
  seconds: number;
}

export interface FuzzProgress {
  target: string;
  kernelsDone: number;
  kernelsTotal: number;
  failures: number;
}

export interface FuzzOptions {
  cases: number;
  seed: number;
  targets: Target[];
  variants?: VariantName[];
  /** The optimized variant's goals (default: just 'default'); each is its own case. */
  goals?: OptimizeGoal[];
  /** Kernels per image (default: 60 on the host, 40 under QEMU, fewer where flash is small). */
  batch?: number;
  /** Images built and run at once (default: the number of CPUs). */
  jobs?: number;
  /** Host builds under ASan + UBSan (default true). */
  sanitize?: boolean;
  /** Shrink failures (default true); only the first `maxShrinks` (default 3) are shrunk, the rest are reported as found. */
  shrink?: boolean;
  maxShrinks?: number;
  /** Folder for the regression files of failures (default: none written). */
  failuresDir?: string;
  /** Seconds before a hung image is killed (default: scaled to each image's layers). */
  timeoutSeconds?: number;
  spec?: SpecOptions;
  /** A target's run starts, with its number of (spec, variant) cases. */
  onTarget?: (target: string, kernelsTotal: number) => void;
  onProgress?: (p: FuzzProgress) => void;
  onFailure?: (f: FuzzFailure) => void;
  /** For testing the fuzzer itself: rewrite a kernel's C before it is compiled. */
  tamper?: (file: string, text: string) => string;
}

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

/* ---------------------------------------------------------------------------------------------------------------- */
/* Batches                                                                                                            */

interface BatchKernel {
  case: FuzzCase;
  variant: VariantName;
  /** Only the optimized variant has goals; default when absent. */
  optimize?: OptimizeGoal;
  /** Unique C name inside the batch. */
  name: string;
}

export interface BatchOptions {
  sanitize: boolean;
  /** Seconds before a hung image is killed; default: scaled to the batch's layers (qemu/timeout.ts). */
  timeoutSeconds?: number;
  tamper?: FuzzOptions['tamper'];
}

const templateDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../templates');
let batchTemplate: HandlebarsTemplateDelegate | undefined;

function renderBatch(view: unknown): string {
  batchTemplate ??= Handlebars.create().compile(fs.readFileSync(path.join(templateDir, 'fuzz', 'batch.c.hbs'), 'utf8'), { noEscape: true, strict: true });
  return batchTemplate(view);
}

/** The harness that runs a table of kernels on `target`. */
function multiTarget(target: Target): Target {
  return { ...target, harness: target.run === 'host' ? 'host/multi_main.c' : 'harness/multi_main.c' };
}

/** CONVGEN_GUARD_BYTES (firmware/include/convgen_poison.h): poisoned bytes before and after every output. */
const GUARD_BYTES = 16;

function storageBytes(m: KernelModel): number {
  return m.numeric.storage.bits / 8;
}

function inBytes(m: KernelModel): number {
  return m.inC * m.inH * m.inW * storageBytes(m);
}

function outBytes(m: KernelModel): number {
  return m.outC * m.outH * m.outW * storageBytes(m);
}

/** RAM a case needs in a multi-kernel image on top of the harness: both tensors and the output's two guards. */
export function caseRamBytes(m: KernelModel): number {
  return inBytes(m) + outBytes(m) + 2 * GUARD_BYTES;
}

/** Whether a case fits the target's RAM next to the stack (2–8 KiB) and the harness's statics. */
export function fitsTarget(m: KernelModel, target: Target): boolean {
  return caseRamBytes(m) <= target.ramBytes - 4096;
}

/** Flash a kernel is expected to take: its tables and ~4 KiB of code. */
function flashEstimate(m: KernelModel): number {
  return m.weights.length * storageBytes(m) + (m.bias ? m.bias.length * 8 : 0) + 4096;
}

/**
 * Build one image with every kernel of `kernels` and run it; one outcome per kernel. A build failure is narrowed
 * down by halving; a run that dies (sanitizer, fault, hang) is narrowed down by how far output.bin got.
 */
export async function runBatch(target: Target, kernels: BatchKernel[], o: BatchOptions): Promise<KernelOutcome[]> {
  throwIfInterrupted();
  const { dir: work, remove } = makeTempDir(`convgen-fuzz-${target.name}-`);
  try {
    const batchDir = path.join(work, 'batch');
    let instructions = 0;
    const views = kernels.map((k) => {
      const m: KernelModel = { ...k.case.model, name: k.name };
      const gen = generate(m, { variant: k.variant, target, optimize: k.optimize });
      // Each kernel its own translation unit, side by side in the batch folder (not convgen_entry.h, which every
      // kernel names alike): compiled exactly as a user's build compiles it, with GCC's per-unit inlining budget
      // to itself (in one unit with 40 others, a helper GCC inlines alone can stay out of line, and a bug with it).
      writeKernel({ ...gen, files: gen.files.filter((f) => f.name !== 'convgen_entry.h') }, batchDir);
      const cFile = path.join(batchDir, `${k.name}.c`);
      if (o.tamper) fs.writeFileSync(cFile, o.tamper(cFile, fs.readFileSync(cFile, 'utf8')));
      instructions += k.case.inputs.length * callInstructions(m, target, k.variant, gen.family);
      return {
        name: k.name, cType: m.numeric.storage.cType,
        inBytes: inBytes(m), outBytes: outBytes(m), tensors: k.case.inputs.length,
      };
    });
    const maxIn = Math.max(...views.map((v) => v.inBytes));
    const maxOut = Math.max(...views.map((v) => v.outBytes)) + 2 * GUARD_BYTES;
    fs.writeFileSync(path.join(batchDir, 'batch.c'), renderBatch({
      kernels: views, count: views.length, inWords: Math.ceil(maxIn / 8), outWords: Math.ceil(maxOut / 8),
    }));
    const extraFlags = ['-I', path.join(firmwareDir, 'include'), ...(o.sanitize && target.run === 'host' ? SANITIZE_FLAGS : [])];
    let built;
    try {
      // Sanitized host builds use -O1 (what ASan recommends; UBSan's checks go in before optimization): half the
      // compile time of -O2. Every image for an ARM target is built at -O2, as `convgen build` builds it.
      const optimize = o.sanitize && target.run === 'host' ? '-O1' : '-O2';
      built = await buildImage(multiTarget(target), batchDir, path.join(work, 'build'), { extraFlags, optimize });
    } catch (e) {
      if (!(e instanceof ConvgenError)) throw e;
      if (kernels.length === 1) return [outcome(kernels[0], target, 'error', e.message)];
      // A diagnostic in one kernel's file names it; one in batch.c or the harness concerns them all.
      const culprit = kernels.findIndex((k) => e.message.includes(`/batch/${k.name}.c:`) || e.message.includes(`/batch/${k.name}.h:`));
      if (culprit >= 0) {
        const rest = kernels.filter((_, i) => i !== culprit);
        return [outcome(kernels[culprit], target, 'error', e.message), ...await runBatch(target, rest, o)];
      }
      if (/batch\.c:|multi_main\.c:/.test(e.message)) return kernels.map((k) => outcome(k, target, 'error', e.message));
      const half = Math.ceil(kernels.length / 2);
      return [...await runBatch(target, kernels.slice(0, half), o), ...await runBatch(target, kernels.slice(half), o)];
    }
    if (target.run === 'build-only') return kernels.map((k) => outcome(k, target, 'pass'));
    const input = Buffer.concat(kernels.map((k) => encodeTensors(k.case.inputs, k.case.model.numeric.storage.bits)));
    const runDir = path.join(work, 'run');
    let output: Buffer;
    let runError: string | undefined;
    try {
      const timeout = o.timeoutSeconds !== undefined ? { seconds: o.timeoutSeconds, why: `--timeout ${o.timeoutSeconds}` }
        : { seconds: BASE_SECONDS + Math.ceil(instructions / EMULATOR_IPS), why: `the default for this image's ${kernels.length} kernels at a pessimistic emulator speed; --timeout sets another` };
      output = (await runImage(built, input, runDir, { timeoutSeconds: timeout.seconds, timeoutWhy: timeout.why })).output;
    } catch (e) {
      if (!(e instanceof ConvgenError)) throw e;
      runError = e.message;
      const partial = path.join(runDir, 'output.bin');
      output = fs.existsSync(partial) ? fs.readFileSync(partial) : Buffer.alloc(0);
    }
    // Compare every kernel whose outputs are complete; the first incomplete one is where the run stopped.
    const results: KernelOutcome[] = [];
    let offset = 0;
    for (const [i, k] of kernels.entries()) {
      const m = k.case.model;
      const bytes = outBytes(m) * k.case.inputs.length;
      if (offset + bytes > output.length || (runError && i === kernels.length - 1)) {
        if (!runError) return [...results, ...kernels.slice(i).map((r) => outcome(r, target, 'error', `the image wrote ${output.length} bytes, fewer than the table needs`))];
        // The run died in kernel i (or, with every output present, at the very end).
        if (kernels.length === 1) return [outcome(k, target, 'error', runError)];
        const alone = await runBatch(target, [k], o);
        if (alone[0].status === 'pass') alone[0] = outcome(k, target, 'error', `fails only next to other kernels: ${runError}`);
        return [...results, ...alone, ...(i + 1 < kernels.length ? await runBatch(target, kernels.slice(i + 1), o) : [])];
      }
      const actual = decodeTensors(output.subarray(offset, offset + bytes), m.numeric.storage.bits, m.outC * m.outH * m.outW);
      offset += bytes;
      const { mismatches, first } = compareOutputs(m, k.case.expected, actual);
      if (mismatches === 0) results.push(outcome(k, target, 'pass'));
      else {
        const total = k.case.expected.reduce((a, t) => a + t.length, 0);
        const where = first ? `; first at tensor ${first.tensor} (channel ${first.channel}, y ${first.y}, x ${first.x}): expected ${first.expected}, got ${first.actual}` : '';
        results.push({ ...outcome(k, target, 'fail', `${mismatches} of ${total} elements differ${where}`), first });
      }
    }
    return results;
  } finally {
    remove();
  }
}

function outcome(k: BatchKernel, target: Target, status: KernelOutcome['status'], message?: string): KernelOutcome {
  return { case: k.case, variant: k.variant, optimize: k.optimize ?? 'default', target: target.name, status, ...(message ? { message } : {}) };
}

/** Split kernels into images: at most `size` each, and within the flash the target's memory map leaves. */
function packBatches(kernels: BatchKernel[], target: Target, size: number): BatchKernel[][] {
  const flash = target.run === 'host' ? Infinity : (target.flashBytes ?? target.ramBytes) * 0.6;
  const batches: BatchKernel[][] = [];
  let current: BatchKernel[] = [];
  let used = 0;
  for (const k of kernels) {
    const f = flashEstimate(k.case.model);
    if (current.length > 0 && (current.length >= size || used + f > flash)) {
      batches.push(current);
      current = [];
      used = 0;
    }
    current.push(k);
    used += f;
  }
  if (current.length) batches.push(current);
  return batches;
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
