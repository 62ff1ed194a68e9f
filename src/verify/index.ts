/**
 * Verification: one (spec, target, variant) pair end to end. Generate, build, run on seeded inputs (random plus the
 * type's extremes), and compare every element with the golden model. A mismatch is a result; a tool failure is an error.
 */
import path from 'node:path';
import { ConvgenError, EnvironmentError } from '../errors.ts';
import { DEFAULT_VARIANT, generate, writeKernel, type OptimizeGoal, type VariantName } from '../codegen/index.ts';
import { runGolden } from '../ops/conv_2d/spec/golden.ts';
import { runImage } from '../qemu/index.ts';
import { Mulberry32 } from '../tensors/random.ts';
import { macCount, type KernelModel } from '../ops/conv_2d/spec/index.ts';
import { accumulatorBound } from '../ops/conv_2d/spec/bounds.ts';
import { findTarget, type Target } from '../targets/index.ts';
import { buildImage, type BuiltImage } from '../toolchain/index.ts';
import { checkMemory } from '../toolchain/memory.ts';
import { givenTimeout, scaledTimeout, type Timeout } from '../qemu/timeout.ts';
import type { GeneratedKernel } from '../codegen/index.ts';
import { makeTempDir } from '../files/cleanup.ts';
import type { CoreTuning } from '../tuning/cores.ts';

export interface Mismatch {
  /** Which test tensor (0-based) and where in it, as (channel, y, x). */
  tensor: number;
  channel: number;
  y: number;
  x: number;
  expected: number;
  actual: number;
}

export interface PairResult {
  spec: string;
  name: string;
  target: string;
  variant: VariantName;
  status: 'pass' | 'fail' | 'error';
  /** Differing elements over all test tensors. */
  mismatches: number;
  elements: number;
  tensors: number;
  macs: number;
  first?: Mismatch;
  error?: string;
  exitCode: number;
  seconds: number;
  /** Where it ran when that is not `target`: a build-only board's emulated twin (the same C). */
  verifiedOn?: string;
}

/** Seeded random tensors among the test inputs, by default. */
export const RANDOM_INPUTS = 2;

/** What testInputs returns, for the verdict line: "2 random, all-max, all-min, alternating". */
export function describeTestInputs(randomCount = RANDOM_INPUTS): string {
  return [`${randomCount} random`, 'all-max', 'all-min', 'alternating'].join(', ');
}

/** Seeded random tensors plus all-max, all-min and alternating max/min: the inputs that reach the bound. */
export function testInputs(m: KernelModel, seed: number, randomCount = RANDOM_INPUTS): Int32Array[] {
  const n = m.inC * m.inH * m.inW;
  const { bits, min, max } = m.numeric.storage;
  const rng = new Mulberry32(seed);
  const inputs: Int32Array[] = [];
  for (let r = 0; r < randomCount; r++) inputs.push(Int32Array.from({ length: n }, () => rng.nextSigned(bits)));
  inputs.push(new Int32Array(n).fill(max), new Int32Array(n).fill(min));
  inputs.push(Int32Array.from({ length: n }, (_, i) => (i % 2 === 0 ? max : min)));
  return inputs;
}

/**
 * Two inputs that drive the accumulator to its proved bound, one per polarity: for the output channel with the
 * largest bound, at the output position whose receptive field has the most taps inside the input, every tap's input
 * takes the extreme whose sign matches its weight (polarity +1) or opposes it (−1); every other element takes the
 * polarity's extreme. With the bias's sign, one of the two reaches |acc| = bound up to the |w|·(2^(b−1) − max)
 * asymmetry of two's complement.
 */
export function boundInputs(m: KernelModel): Int32Array[] {
  const { min, max } = m.numeric.storage;
  const per = accumulatorBound(m).perChannel;
  let o = 0;
  for (let c = 1; c < per.length; c++) if (per[c] > per[o]) o = c;
  const [oy] = bestPosition(m.outH, m.inH, m.kH, m.strideH, m.dilH, m.pad.top);
  const [ox] = bestPosition(m.outW, m.inW, m.kW, m.strideW, m.dilW, m.pad.left);
  const g = Math.floor(o / m.outPerGroup);
  const at = (c: number, y: number, x: number) => (m.layout === 'hwc' ? (y * m.inW + x) * m.inC + c : (c * m.inH + y) * m.inW + x);
  return [1, -1].map((polarity) => {
    const t = new Int32Array(m.inC * m.inH * m.inW).fill(polarity > 0 ? max : min);
    for (let ci = 0; ci < m.inPerGroup; ci++)
      for (let ky = 0; ky < m.kH; ky++)
        for (let kx = 0; kx < m.kW; kx++) {
          const y = oy * m.strideH - m.pad.top + ky * m.dilH;
          const x = ox * m.strideW - m.pad.left + kx * m.dilW;
          if (y < 0 || y >= m.inH || x < 0 || x >= m.inW) continue;
          const w = m.weights[((o * m.inPerGroup + ci) * m.kH + ky) * m.kW + kx];
          t[at(g * m.inPerGroup + ci, y, x)] = w * polarity >= 0 ? max : min;
        }
    return t;
  });
}

/** The output index (and its tap count) whose window [o·s − before, … + (k−1)·d] has the most taps inside [0, n). */
function bestPosition(outN: number, n: number, k: number, s: number, d: number, before: number): [number, number] {
  let best = 0;
  let bestTaps = -1;
  for (let o = 0; o < outN; o++) {
    let taps = 0;
    for (let t = 0; t < k; t++) {
      const i = o * s - before + t * d;
      if (i >= 0 && i < n) taps++;
    }
    if (taps > bestTaps) [best, bestTaps] = [o, taps];
    if (taps === k) break;
  }
  return [best, bestTaps];
}

export function encodeTensors(tensors: Int32Array[], bits: number): Uint8Array {
  const bytes = bits / 8;
  const n = tensors.reduce((a, t) => a + t.length, 0);
  const buf = Buffer.alloc(n * bytes);
  let off = 0;
  for (const t of tensors)
    for (const v of t) {
      if (bytes === 1) buf.writeInt8(v, off);
      else if (bytes === 2) buf.writeInt16LE(v, off);
      else buf.writeInt32LE(v, off);
      off += bytes;
    }
  return buf;
}

export function decodeTensors(buf: Uint8Array, bits: number, elems: number): Int32Array[] {
  const bytes = bits / 8;
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const count = Math.floor(b.length / (elems * bytes));
  const out: Int32Array[] = [];
  for (let t = 0; t < count; t++) {
    const a = new Int32Array(elems);
    for (let i = 0; i < elems; i++) {
      const off = (t * elems + i) * bytes;
      a[i] = bytes === 1 ? b.readInt8(off) : bytes === 2 ? b.readInt16LE(off) : b.readInt32LE(off);
    }
    out.push(a);
  }
  return out;
}

/** (channel, y, x) of flat index i in the model's output layout. */
export function outputPosition(m: KernelModel, i: number): { channel: number; y: number; x: number } {
  if (m.layout === 'hwc') {
    const channel = i % m.outC;
    const p = Math.floor(i / m.outC);
    return { channel, y: Math.floor(p / m.outW), x: p % m.outW };
  }
  const plane = m.outH * m.outW;
  const channel = Math.floor(i / plane);
  const p = i % plane;
  return { channel, y: Math.floor(p / m.outW), x: p % m.outW };
}

export function compareOutputs(m: KernelModel, expected: Int32Array[], actual: Int32Array[]): { mismatches: number; first?: Mismatch } {
  let mismatches = 0;
  let first: Mismatch | undefined;
  for (let t = 0; t < expected.length; t++) {
    const a = actual[t];
    const e = expected[t];
    if (!a) {
      mismatches += e.length;
      continue;
    }
    for (let i = 0; i < e.length; i++)
      if (e[i] !== a[i]) {
        mismatches++;
        first ??= { tensor: t, ...outputPosition(m, i), expected: e[i], actual: a[i] };
      }
  }
  return { mismatches, first };
}

export interface VerifyOptions {
  seed: number;
  /** Seconds before a hung run is killed; default: scaled to the layer (qemu/timeout.ts). */
  timeoutSeconds?: number;
  variant?: VariantName;
  /** The optimized variant's goal: 'speed' may grow weight flash (default 'default'). */
  optimize?: OptimizeGoal;
  /** Where build and run directories go; removed afterwards unless keep is set. */
  workRoot?: string;
  keep?: boolean;
  extraFlags?: string[];
  /** Extra inputs to check besides the seeded ones. */
  inputs?: Int32Array[];
  /** The core's tuning row when not the target's own (generate's tune). */
  tune?: CoreTuning;
}

/** Run a built image on `inputs` and compare every element with the golden model. */
export async function checkImage(m: KernelModel, built: BuiltImage, inputs: Int32Array[], workDir: string,
  timeout: number | Timeout): Promise<Pick<PairResult, 'status' | 'mismatches' | 'first' | 'elements' | 'tensors' | 'exitCode' | 'error'>> {
  const bits = m.numeric.storage.bits;
  const t = typeof timeout === 'number' ? givenTimeout(timeout) : timeout;
  const run = await runImage(built, encodeTensors(inputs, bits), workDir, { timeoutSeconds: t.seconds, timeoutWhy: t.why });
  const outElems = m.outC * m.outH * m.outW;
  const actual = decodeTensors(run.output, bits, outElems);
  const expected = inputs.map((t) => runGolden(m, t));
  const { mismatches, first } = compareOutputs(m, expected, actual);
  const ok = mismatches === 0 && actual.length === expected.length;
  return {
    status: ok ? 'pass' : 'fail',
    mismatches,
    first,
    elements: outElems * inputs.length,
    tensors: inputs.length,
    exitCode: ok ? 0 : 1,
    ...(actual.length === expected.length ? {} : { error: `the device wrote ${actual.length} output tensors for ${expected.length} inputs` }),
  };
}

/** Refuses, as bad input, a layer whose tensors, buffers, stacks and tables cannot fit `target`'s memory. */
export function checkKernelMemory(m: KernelModel, kernel: GeneratedKernel, target: Target): void {
  const st = m.numeric.storage;
  checkMemory(m.source, {
    inputBytes: kernel.ram.input, outputBytes: kernel.ram.output, staticBytes: kernel.ram.static,
    tableBytes: m.weights.length * (st.bits / 8) + (m.bias ? m.bias.length * (st.biasBits / 8) : 0),
  }, target);
}

/** Generate and build one (spec, target, variant) into `work`; returns the kernel folder and the image. */
export async function generateAndBuild(m: KernelModel, target: Target, work: string, opts: { variant: VariantName; seed: number; extraFlags?: string[]; optimize?: OptimizeGoal; tune?: CoreTuning }) {
  const builtinInput = target.builtinInput ? { data: testInputs(m, opts.seed)[0], seed: opts.seed } : undefined;
  const kernel = generate(m, { variant: opts.variant, builtinInput, target, optimize: opts.optimize, tune: opts.tune });
  checkKernelMemory(m, kernel, target);
  const kernelDir = path.join(work, 'kernel');
  writeKernel(kernel, kernelDir);
  const built = await buildImage(target, kernelDir, path.join(work, 'build'), { extraFlags: opts.extraFlags });
  return { kernel, kernelDir, built };
}

export async function verifyPair(m: KernelModel, target: Target, opts: VerifyOptions): Promise<PairResult> {
  const started = Date.now();
  const variant = opts.variant ?? DEFAULT_VARIANT;
  const base: Omit<PairResult, 'status' | 'exitCode' | 'seconds'> = {
    spec: m.source, name: m.name, target: target.name, variant, mismatches: 0, elements: 0, tensors: 0, macs: macCount(m),
  };
  const { dir: work, remove, keep } = makeTempDir(`convgen-${m.name}-${target.name}-`, opts.workRoot);
  const seconds = () => (Date.now() - started) / 1000;
  try {
    const { kernel, kernelDir, built } = await generateAndBuild(m, target, work, { variant, seed: opts.seed, extraFlags: opts.extraFlags, optimize: opts.optimize, tune: opts.tune });
    // A build-only board: its image is built (it must link), and the same C runs on its emulated twin.
    const runOn = target.run !== 'build-only' ? target : target.verifyOn ? findTarget(target.verifyOn) : undefined;
    if (!runOn) throw new EnvironmentError(`${target.name}: no emulator and no emulated twin to prove the code on`);
    if (runOn !== target) checkKernelMemory(m, kernel, runOn);
    const image = runOn === target ? built : await buildImage(runOn, kernelDir, path.join(work, 'verify-build'), { extraFlags: opts.extraFlags });
    const inputs = opts.inputs ?? testInputs(m, opts.seed);
    const timeout = opts.timeoutSeconds !== undefined ? givenTimeout(opts.timeoutSeconds) : scaledTimeout(m, runOn, variant, kernel.family, inputs.length);
    const checked = await checkImage(m, image, inputs, path.join(work, 'run'), timeout);
    return { ...base, ...checked, ...(runOn === target ? {} : { verifiedOn: runOn.name }), seconds: seconds() };
  } catch (e) {
    if (!(e instanceof ConvgenError)) throw e;
    return { ...base, status: 'error', error: e.message, exitCode: e.exitCode, seconds: seconds() };
  } finally {
    if (!opts.keep) remove();
    else keep();
  }
}

export function describeMismatch(r: PairResult): string {
  if (!r.first) return `${r.mismatches} of ${r.elements} elements differ`;
  const f = r.first;
  return `${r.mismatches} of ${r.elements} elements differ; first at tensor ${f.tensor} (channel ${f.channel}, y ${f.y}, x ${f.x}): expected ${f.expected}, got ${f.actual}`;
}
