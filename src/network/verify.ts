/**
 * The network's proof on one target: generate the module, build it with the network harness, run every input in
 * one emulator start (the harness poisons arena, output and stack before each inference) and compare each output
 * bit for bit with the network's golden model. On a mismatch the module is built again with its layer hooks writing
 * every layer's output (CONVGEN_NET_TRACE) and run on the same inputs: the first layer whose output differs from the
 * golden model's tensor is named. A network that does not fit the target's memory is a result with the numbers,
 * not an error.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConvgenError, EnvironmentError } from '../errors.ts';
import { makeTempDir } from '../files/cleanup.ts';
import type { OptimizeGoal } from '../codegen/index.ts';
import { runImage } from '../qemu/index.ts';
import type { Target } from '../targets/index.ts';
import { buildImage, type BuiltImage, MemoryShortage } from '../toolchain/index.ts';
import { generateNetwork, type NetworkModule, type NetworkModuleOptions } from './c/module.ts';
import { fitNote } from './fit.ts';
import { isMemoryShortage } from '../toolchain/memory.ts';
import { runNetwork } from './golden.ts';
import type { Network } from './network.ts';
import type { TensorData } from '../ops/op.ts';

/** Compiler flags that turn the module's layer hooks into the harness's trace (each layer's output to layers.bin). */
export const TRACE_FLAGS = [
  '-DCONVGEN_NET_TRACE',
  '-DCONVGEN_LAYER_END(i,t,n)=convgen_net_trace((i),(t),(n))',
  '-DCONVGEN_LAYER_VIEW(i,t,n)=convgen_net_trace((i),(t),(n))',
  // the harness defines it; the module sees its prototype
  '-include', 'convgen_net_trace.h',
];

export interface LayerMismatch {
  /** Which input (0-based) and which layer (execution order) first differ. */
  input: number;
  layer: number;
  name: string;
  tensor: string;
  /** Differing elements of that layer's output for that input, and the first one. */
  mismatches: number;
  index: number;
  expected: number;
  actual: number;
}

export interface NetworkCheck {
  network: string;
  target: string;
  status: 'pass' | 'fail' | 'error' | 'does-not-fit';
  inputs: number;
  /** Output elements compared, and how many differ. */
  elements: number;
  mismatches: number;
  first?: { input: number; index: number; expected: number; actual: number };
  firstLayer?: LayerMismatch;
  note?: string;
  error?: string;
  exitCode: number;
  seconds: number;
}

export interface VerifyNetworkOptions {
  inputs: TensorData[];
  timeoutSeconds: number;
  /** Where the timeout came from, for the message when a run is killed (the scaled default or --timeout). */
  timeoutWhy?: string;
  optimize?: OptimizeGoal;
  workRoot?: string;
  keep?: boolean;
  extraFlags?: string[];
  transformLayer?: NetworkModuleOptions['transformLayer'];
  /** Check this module (generated for another target with the same core: a board and its emulated twin). */
  module?: NetworkModule;
  /**
   * Compare every layer's output too, on every run (a traced build: the layer functions are the same, the run
   * function calls the hooks), so that a wrong layer is caught even where a saturated output would hide it.
   */
  layers?: boolean;
}

/** Write a module's files into a folder. */
export function writeModule(mod: NetworkModule, dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const f of mod.files) fs.writeFileSync(path.join(dir, f.name), f.content);
  // The trace hook's prototype, force-included into every unit of a trace build.
  fs.writeFileSync(path.join(dir, 'convgen_net_trace.h'),
    '/* The layer trace hook (convgen test builds with -DCONVGEN_NET_TRACE). */\n#ifndef __ASSEMBLER__\n#include <stdint.h>\n' +
    'void convgen_net_trace(int index, const void *tensor, uint32_t bytes);\n#endif\n');
}

/** Build a module's image (its files in `dir`) for a target with the network harness, into `buildDir`. */
export async function buildNetworkImage(mod: NetworkModule, target: Target, dir: string, buildDir: string, flags: string[] = []): Promise<BuiltImage> {
  void mod;
  return buildImage(target, dir, buildDir, { harness: target.networkHarness, extraFlags: flags });
}

/** The tensors' bytes back to back (little-endian int16 in a q15 network: the host's and the ARM targets' order). */
export function concat(list: TensorData[]): Uint8Array {
  const out = new Uint8Array(list.reduce((a, x) => a + x.byteLength, 0));
  let at = 0;
  for (const x of list) {
    out.set(new Uint8Array(x.buffer, x.byteOffset, x.byteLength), at);
    at += x.byteLength;
  }
  return out;
}

/** `bytes` of b from `at` as the element type of `like` (copied: the file's buffer need not be aligned). */
export function viewAs(b: Uint8Array, at: number, bytes: number, like: TensorData): TensorData {
  const copy = new Uint8Array(b.subarray(at, at + bytes));
  return like instanceof Int16Array ? new Int16Array(copy.buffer, 0, bytes / 2) : new Int8Array(copy.buffer, 0, bytes);
}

export async function verifyNetwork(net: Network, target: Target, o: VerifyNetworkOptions): Promise<NetworkCheck> {
  const started = Date.now();
  const base = { network: net.source, target: target.name, inputs: o.inputs.length, elements: 0, mismatches: 0 };
  const seconds = () => (Date.now() - started) / 1000;
  const { dir: work, remove, keep } = makeTempDir(`convgen-net-${target.name}-`, o.workRoot);
  try {
    const mod = o.module ?? generateNetwork(net, { target, optimize: o.optimize, transformLayer: o.transformLayer });
    const dir = path.join(work, 'net');
    writeModule(mod, dir);
    let built: BuiltImage;
    try {
      built = await buildNetworkImage(mod, target, dir, path.join(work, 'build'), o.extraFlags);
    } catch (e) {
      // The linker's shortage (MemoryShortage, bad input for a kernel build) is a finding here, with the numbers.
      if (e instanceof MemoryShortage || (e instanceof EnvironmentError && isMemoryShortage(e.message)))
        return { ...base, status: 'does-not-fit', note: await fitNote(mod, target, dir, path.join(work, 'fit')), exitCode: 0, seconds: seconds() };
      throw e;
    }
    const golden = o.inputs.map((x) => runNetwork(net, [x]));
    if (o.layers) built = await buildNetworkImage(mod, target, dir, path.join(work, 'build-trace'), [...(o.extraFlags ?? []), ...TRACE_FLAGS]);
    const run = await runImage(built, concat(o.inputs), path.join(work, 'run'), { timeoutSeconds: o.timeoutSeconds, timeoutWhy: o.timeoutWhy });
    const outBytes = mod.outputBytes;
    if (run.output.length !== outBytes * o.inputs.length)
      throw new EnvironmentError(`${target.name}: the device wrote ${run.output.length} output bytes for ${o.inputs.length} inputs of ${outBytes} B`);
    let mismatches = 0;
    let first: NetworkCheck['first'];
    golden.forEach((g, k) => {
      const actual = viewAs(run.output, k * outBytes, outBytes, g.outputs[0]);
      g.outputs[0].forEach((v, i) => {
        if (actual[i] !== v) {
          mismatches++;
          first ??= { input: k, index: i, expected: v, actual: actual[i] };
        }
      });
    });
    const elements = golden.reduce((a, g) => a + g.outputs[0].length, 0);
    const traced = o.layers ? firstDifferingLayer(mod, golden.map((g) => g.tensors), readTrace(mod, target, path.join(work, 'run'), o.inputs.length)) : undefined;
    if (mismatches === 0 && !traced) return { ...base, elements, status: 'pass', exitCode: 0, seconds: seconds() };
    const firstLayer = o.layers ? traced : await traceFirstLayer(net, mod, target, o, golden.map((g) => g.tensors), work);
    return { ...base, elements, mismatches, first, ...(firstLayer ? { firstLayer } : {}), status: 'fail', exitCode: 1, seconds: seconds() };
  } catch (e) {
    if (!(e instanceof ConvgenError)) throw e;
    return { ...base, status: 'error', error: e.message, exitCode: e.exitCode, seconds: seconds() };
  } finally {
    if (o.keep) keep();
    else remove();
  }
}

/** Rebuild with the trace hooks, run the same inputs, and find the first layer whose output differs. */
async function traceFirstLayer(net: Network, mod: NetworkModule, target: Target, o: VerifyNetworkOptions,
  golden: Map<string, TensorData>[], work: string): Promise<LayerMismatch | undefined> {
  const dir = path.join(work, 'net');
  const built = await buildNetworkImage(mod, target, dir, path.join(work, 'build-trace'), [...(o.extraFlags ?? []), ...TRACE_FLAGS]);
  const runDir = path.join(work, 'trace');
  await runImage(built, concat(o.inputs), runDir, { timeoutSeconds: o.timeoutSeconds, timeoutWhy: o.timeoutWhy });
  void net;
  return firstDifferingLayer(mod, golden, readTrace(mod, target, runDir, o.inputs.length));
}

/** layers.bin of a traced run: every layer's output, layer after layer, input after input. */
function readTrace(mod: NetworkModule, target: Target, runDir: string, inputs: number): Uint8Array {
  const file = path.join(runDir, 'layers.bin');
  if (!fs.existsSync(file)) throw new EnvironmentError(`${target.name}: the traced run wrote no layers.bin`);
  const layers = fs.readFileSync(file);
  const perInput = mod.layers.reduce((a, l) => a + l.outputBytes, 0);
  if (layers.length !== perInput * inputs)
    throw new EnvironmentError(`${target.name}: the trace holds ${layers.length} bytes; expected ${perInput * inputs}`);
  return layers;
}

/** The first (input, layer) whose traced output differs from the golden tensor: inputs in order, layers in order. */
export function firstDifferingLayer(mod: Pick<NetworkModule, 'layers'>, golden: Map<string, TensorData>[], trace: Uint8Array): LayerMismatch | undefined {
  const perInput = mod.layers.reduce((a, l) => a + l.outputBytes, 0);
  for (let k = 0; k < golden.length; k++) {
    let at = k * perInput;
    for (const l of mod.layers) {
      const expected = golden[k].get(l.output)!;
      const actual = viewAs(trace, at, l.outputBytes, expected);
      let count = 0;
      let firstAt = -1;
      for (let i = 0; i < expected.length; i++)
        if (actual[i] !== expected[i]) {
          count++;
          if (firstAt < 0) firstAt = i;
        }
      if (count > 0)
        return { input: k, layer: l.index, name: l.name, tensor: l.output, mismatches: count, index: firstAt, expected: expected[firstAt], actual: actual[firstAt] };
      at += l.outputBytes;
    }
  }
  return undefined;
}

/** One line on a failed check: where the outputs differ and which layer differs first. */
export function describeNetworkMismatch(c: NetworkCheck): string {
  const parts = [`${c.mismatches} of ${c.elements} output elements differ`];
  if (c.first) parts.push(`first at input ${c.first.input}, element ${c.first.index}: expected ${c.first.expected}, got ${c.first.actual}`);
  if (c.firstLayer) {
    const f = c.firstLayer;
    parts.push(`first differing layer: ${f.name} (layer ${f.layer}, tensor ${f.tensor}, input ${f.input}: ${f.mismatches} elements differ, ` +
      `first at ${f.index}: expected ${f.expected}, got ${f.actual})`);
  } else parts.push('every layer\'s traced output matches: the difference is in the code between layers or the harness');
  return parts.join('; ');
}
