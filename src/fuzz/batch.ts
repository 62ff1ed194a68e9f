/**
 * One image per batch of kernels per target: the kernels (each its own translation unit) with a table of them
 * (templates/fuzz/batch.c.hbs), built, run once natively or under QEMU, and each kernel's outputs compared.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { ConvgenError, throwIfInterrupted } from '../errors.ts';
import { generate, writeKernel, type OptimizeGoal, type VariantName } from '../codegen/index.ts';
import { runImage } from '../qemu/index.ts';
import { BASE_SECONDS, callInstructions, EMULATOR_IPS } from '../qemu/timeout.ts';
import type { KernelModel } from '../ops/conv_2d/spec/index.ts';
import type { Target } from '../targets/index.ts';
import { buildImage, firmwareDir } from '../toolchain/index.ts';
import { compareOutputs, decodeTensors, encodeTensors } from '../verify/index.ts';
import { makeTempDir } from '../files/cleanup.ts';
import { SANITIZE_FLAGS, type FuzzCase, type KernelOutcome, type FuzzOptions } from './types.ts';

export interface BatchKernel {
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
export function packBatches(kernels: BatchKernel[], target: Target, size: number): BatchKernel[][] {
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
