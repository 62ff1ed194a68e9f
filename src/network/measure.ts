/**
 * What one network costs on one target, measured under QEMU on code proved bit-exact in the same run:
 * - instructions per inference: the harness's markers around `<net>_run`, on the first input, minus the window of
 *   an empty `<net>_run` built with the same harness and flags (the markers' and the call's own instructions);
 * - instructions per layer: the same module built with the markers around each layer (its layer hooks), minus the
 *   window of an empty layer;
 * - flash: the module object's .text (code) and .rodata + .data (parameters), and per layer the symbols that start
 *   with the layer's C name; the weights as stored (`<layer>_weights*`);
 * - RAM: the arena from the memory plan, the stack as the worst call path from `<net>_run` (and from each layer's
 *   function) over -fstack-usage frames and the -fcallgraph-info graph (src/measure).
 * Outputs of every run are compared with the golden model: a fast wrong network is a failure, not a result.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConvgenError, EnvironmentError } from '../errors.ts';
import { makeTempDir } from '../files/cleanup.ts';
import type { OptimizeGoal } from '../codegen/index.ts';
import { analyzeKernelObject, runCounted, worstStack, type SectionSizes, type WindowCounts } from '../measure/index.ts';
import type { Target } from '../targets/index.ts';
import { runTool, tools, MemoryShortage } from '../toolchain/index.ts';
import { generateNetwork, type NetworkModule } from './c/module.ts';
import { fitNote } from './fit.ts';
import { isMemoryShortage } from '../toolchain/memory.ts';
import { runNetwork } from './golden.ts';
import type { Network } from './network.ts';
import type { TensorData } from '../ops/op.ts';
import { buildNetworkImage, concat, viewAs, writeModule } from './verify.ts';

/** Compiler flags that put the instruction-count markers around each layer instead of the whole inference. */
export const LAYER_MARK_FLAGS = [
  '-DCONVGEN_NET_LAYER_MARKS',
  '-DCONVGEN_LAYER_BEGIN(i)=convgen_mark_begin()',
  '-DCONVGEN_LAYER_END(i,t,n)=convgen_mark_end()',
  '-include', 'convgen_fw.h',
];

export interface LayerFigures {
  name: string;
  op: string;
  macs: number;
  /** Null for a layer without code (an alias). */
  instructions: number | null;
  instructionsPerMac: number | null;
  /** The arena's high-water mark while the layer runs: the end of the highest live tensor. */
  arenaBytes: number;
  /** Worst stack from the layer's function, null for a layer without code. */
  stackBytes: number | null;
  /** Code and parameters of the layer's own symbols (shared helpers and the run function are the module's). */
  size: { text: number; rodata: number } | null;
}

export interface NetworkMeasurement {
  network: string;
  name: string;
  target: string;
  /** The kernel families' optimize goal ('speed' may widen weights for speed). */
  optimize: OptimizeGoal;
  status: 'ok' | 'does-not-fit' | 'fail' | 'error' | 'skipped';
  macs: number;
  instructions: number | null;
  instructionsPerMac: number | null;
  /** Largest count over the inputs (clamps make counts data-dependent). */
  instructionsWorst: number | null;
  arenaBytes: number;
  stackBytes: number | null;
  /** The module object's sections: text is code; rodata + data are the parameters and constant tables. */
  size: SectionSizes | null;
  /** Parameters: all static const bytes, the weights as stored, and the model's own weight (and bias) bytes. */
  parameters: { flash: number | null; weights: number | null; modelWeights: number; modelWeightsAndBiases: number };
  layers: LayerFigures[];
  verified: { inputs: number; elements: number; mismatches: number };
  note?: string;
  error?: string;
}

export interface MeasureNetworkOptions {
  inputs: TensorData[];
  timeoutSeconds: number;
  optimize?: OptimizeGoal;
  workRoot?: string;
  keep?: boolean;
}

const perMac = (v: number, macs: number) => (macs > 0 ? Math.round((v / macs) * 1e4) / 1e4 : null);

/** Symbol sizes of an object by name (`nm -S`): text (t/T) and read-only data (r/R). */
async function symbolSizes(obj: string): Promise<{ name: string; bytes: number; kind: 'text' | 'rodata' }[]> {
  const out = await runTool(tools.nm, ['-S', obj], { what: 'nm' });
  const list: { name: string; bytes: number; kind: 'text' | 'rodata' }[] = [];
  for (const line of out.split('\n')) {
    const m = /^[0-9a-fA-F]+ ([0-9a-fA-F]+) ([tTrR]) (\S+)$/.exec(line.trim());
    if (m) list.push({ name: m[3], bytes: parseInt(m[1], 16), kind: /[tT]/.test(m[2]) ? 'text' : 'rodata' });
  }
  return list;
}

/** The arena's high-water mark at each layer: the end of the highest arena tensor live there. */
function arenaMarks(mod: NetworkModule): number[] {
  return mod.layers.map((_, s) => Math.max(0, ...mod.plan.placements
    .filter((p) => p.offset !== null && p.first <= s && s <= p.last).map((p) => p.offset! + p.bytes)));
}

const overheadCache = new Map<string, Promise<{ run: WindowCounts; layer: WindowCounts }>>();

/**
 * Windows of an empty inference and of an empty layer on this target: the same header, entry header and harness,
 * a module whose run does nothing (whole-inference markers) or marks one empty layer (layer markers).
 */
function emptyOverhead(mod: NetworkModule, target: Target, workRoot: string | undefined, timeoutSeconds: number) {
  const key = `${target.name}\0${mod.inputBytes}\0${mod.outputBytes}\0${mod.arenaBytes}\0${mod.elem}`;
  let p = overheadCache.get(key);
  if (!p) {
    p = (async () => {
      const { dir: work, remove } = makeTempDir(`convgen-net-empty-${target.name}-`, workRoot);
      try {
        const counts = async (body: string, flags: string[], tag: string) => {
          const dir = path.join(work, tag);
          fs.mkdirSync(dir, { recursive: true });
          for (const f of mod.files.filter((x) => x.name.endsWith('.h'))) fs.writeFileSync(path.join(dir, f.name), f.content);
          fs.writeFileSync(path.join(dir, `${mod.name}.c`), `/* Empty network: measures the window overhead. */\n#include "${mod.name}.h"\n` +
            '#ifndef CONVGEN_LAYER_BEGIN\n#define CONVGEN_LAYER_BEGIN(i) ((void)0)\n#endif\n#ifndef CONVGEN_LAYER_END\n#define CONVGEN_LAYER_END(i, t, n) ((void)0)\n#endif\n' +
            `int ${mod.name}_run(const ${mod.elem} *input, ${mod.elem} *output, void *arena)\n{\n    (void)input;\n    (void)arena;\n${body}    return 0;\n}\n`);
          const built = await buildNetworkImage(mod, target, dir, path.join(work, `build-${tag}`), flags);
          const { calls } = await runCounted(built, new Uint8Array(mod.inputBytes), path.join(work, `run-${tag}`), timeoutSeconds);
          if (calls.length !== 1) throw new EnvironmentError(`${target.name}: the empty network measured ${calls.length} windows, expected 1`);
          return calls[0];
        };
        return {
          run: await counts('    (void)output;\n', [], 'run'),
          layer: await counts('    CONVGEN_LAYER_BEGIN(0);\n    CONVGEN_LAYER_END(0, output, 0);\n    (void)output;\n', LAYER_MARK_FLAGS, 'layer'),
        };
      } finally {
        remove();
      }
    })();
    overheadCache.set(key, p);
    p.catch(() => overheadCache.delete(key));
  }
  return p;
}

export async function measureNetwork(net: Network, target: Target, o: MeasureNetworkOptions): Promise<NetworkMeasurement> {
  const macs = net.layers.reduce((a, l) => a + l.macs, 0);
  const base: NetworkMeasurement = {
    network: net.source, name: net.name, target: target.name, optimize: o.optimize ?? 'default', status: 'ok', macs, instructions: null, instructionsPerMac: null,
    instructionsWorst: null, arenaBytes: 0, stackBytes: null, size: null,
    parameters: { flash: null, weights: null, modelWeights: 0, modelWeightsAndBiases: 0 }, layers: [],
    verified: { inputs: 0, elements: 0, mismatches: 0 },
  };
  let mod: NetworkModule;
  try {
    mod = generateNetwork(net, { target, optimize: o.optimize });
  } catch (e) {
    if (!(e instanceof ConvgenError)) throw e;
    return { ...base, status: 'error', error: e.message };
  }
  const marks = arenaMarks(mod);
  const withPlan: NetworkMeasurement = {
    ...base, arenaBytes: mod.arenaBytes,
    parameters: { ...base.parameters, modelWeights: modelWeights(net), modelWeightsAndBiases: mod.modelWeightBytes },
    layers: mod.layers.map((l, i) => ({
      name: l.name, op: l.op, macs: l.macs, instructions: null, instructionsPerMac: null, arenaBytes: marks[i], stackBytes: null, size: null,
    })),
  };
  if (target.run !== 'qemu')
    return { ...withPlan, status: 'skipped', note: `${target.name} is ${target.run === 'host' ? 'the host (no instruction counts)' : 'build-only (no emulator)'}` };
  const workRoot = o.workRoot;
  const { dir: work, remove, keep } = makeTempDir(`convgen-netbench-${mod.name}-${target.name}-`, workRoot);
  try {
    const dir = path.join(work, 'net');
    writeModule(mod, dir);
    const facts = await analyzeKernelObject(target, mod.name, dir, path.join(work, 'obj'));
    const symbols = await symbolSizes(path.join(work, 'obj', `${mod.name}.o`));
    const weights = [...facts.sizeText.matchAll(/^\.rodata\.(\S+)_weights\S*\s+(\d+)/gm)].reduce((a, m) => a + Number(m[2]), 0);
    const layers: LayerFigures[] = withPlan.layers.map((lf, i) => {
      const l = mod.layers[i];
      if (l.code === 'alias') return lf;
      const own = symbols.filter((s) => s.name.startsWith(`${l.cName}_`));
      const entry = `${l.cName}_run`;
      const hasEntry = [...facts.graph.cg.nodes.values()].some((n) => n.name === entry);
      return {
        ...lf,
        size: { text: own.filter((s) => s.kind === 'text').reduce((a, s) => a + s.bytes, 0), rodata: own.filter((s) => s.kind === 'rodata').reduce((a, s) => a + s.bytes, 0) },
        stackBytes: hasEntry ? worstStack(entry, facts.graph.cg, facts.graph.su, facts.graph.code, facts.graph.symbols).bytes : null,
      };
    });
    const sized: NetworkMeasurement = {
      ...withPlan, size: facts.size, stackBytes: facts.stack.bytes, layers,
      parameters: { ...withPlan.parameters, flash: facts.size.rodata + facts.size.data, weights },
    };
    let built;
    try {
      built = await buildNetworkImage(mod, target, dir, path.join(work, 'build'));
    } catch (e) {
      // The linker's shortage (MemoryShortage, bad input for a kernel build) is a finding here, with the numbers.
      if (e instanceof MemoryShortage || (e instanceof EnvironmentError && isMemoryShortage(e.message)))
        return { ...sized, status: 'does-not-fit', note: await fitNote(mod, target, dir, path.join(work, 'fit')) };
      throw e;
    }
    const golden = o.inputs.map((x) => runNetwork(net, [x]).outputs[0]);
    const per = mod.outputBytes;
    const total = golden.reduce((a, g) => a + g.length, 0);
    const check = (output: Uint8Array) => {
      if (output.length !== golden.length * per) return { inputs: o.inputs.length, elements: total, mismatches: total };
      let mismatches = 0;
      golden.forEach((g, k) => {
        const actual = viewAs(output, k * per, per, g);
        g.forEach((v, i) => { if (actual[i] !== v) mismatches++; });
      });
      return { inputs: o.inputs.length, elements: total, mismatches };
    };
    const whole = await runCounted(built, concat(o.inputs), path.join(work, 'run'), o.timeoutSeconds);
    const verified = check(whole.output);
    if (verified.mismatches > 0) return { ...sized, status: 'fail', verified, error: `not bit-exact: ${verified.mismatches} of ${verified.elements} output elements differ` };
    if (whole.calls.length !== o.inputs.length)
      throw new EnvironmentError(`${target.name}: the plugin measured ${whole.calls.length} inferences for ${o.inputs.length} inputs`);
    // Per layer: the markers around each layer, on the first input (whose output is checked too).
    const markedBuilt = await buildNetworkImage(mod, target, dir, path.join(work, 'build-marks'), LAYER_MARK_FLAGS);
    const perLayer = await runCounted(markedBuilt, concat(o.inputs.slice(0, 1)), path.join(work, 'run-marks'), o.timeoutSeconds);
    if (perLayer.output.length !== per || viewAs(perLayer.output, 0, per, golden[0]).some((v, i) => v !== golden[0][i]))
      return { ...sized, status: 'fail', verified, error: 'not bit-exact with the layer markers compiled in' };
    const codeLayers = mod.layers.filter((l) => l.code === 'call');
    if (perLayer.calls.length !== codeLayers.length)
      throw new EnvironmentError(`${target.name}: the plugin measured ${perLayer.calls.length} layer windows for ${codeLayers.length} layers with code`);
    const overhead = await emptyOverhead(mod, target, workRoot, o.timeoutSeconds);
    const instructions = whole.calls[0].insns - overhead.run.insns;
    codeLayers.forEach((l, j) => {
      const n = perLayer.calls[j].insns - overhead.layer.insns;
      layers[l.index] = { ...layers[l.index], instructions: n, instructionsPerMac: l.macs ? perMac(n, l.macs) : null };
    });
    return {
      ...sized, layers, verified, instructions, instructionsPerMac: perMac(instructions, macs),
      instructionsWorst: Math.max(...whole.calls.map((c) => c.insns)) - overhead.run.insns,
    };
  } catch (e) {
    if (!(e instanceof ConvgenError)) throw e;
    return { ...withPlan, status: 'error', error: e.message };
  } finally {
    if (o.keep) keep();
    else remove();
  }
}

/** The model's weight bytes (int8, or int16 in a q15 network) of its conv and fully connected layers. */
function modelWeights(net: Network): number {
  const size = net.numeric === 'q15' ? 2 : 1;
  return net.layers.reduce((a, l) => a + ((l.model as { kernel?: { weights: Int32Array } }).kernel?.weights.length ?? 0) * size, 0);
}
