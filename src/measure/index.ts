/**
 * Measurement: what one (spec, target, variant) costs on its core. Generate, build, run under QEMU with the
 * instruction-count plugin (firmware/plugin) on the seeded test inputs, prove the outputs bit-exact against the
 * golden model (a fast wrong kernel is a failure, not a result), and read flash, RAM and stack from the kernel's
 * own object file.
 *
 * Decisions, documented in docs/benchmarks.md:
 * - Instructions are counted between the harness markers around `<name>_run`. The fixed cost of that window (the
 *   markers' own instructions and the call site's argument set-up) is measured, not assumed: the same image is built
 *   again with an empty `<name>_run` (same header, same harness object code, same flags) and its window is
 *   subtracted. An empty function is one return instruction, so a kernel's count excludes exactly one return.
 * - `instructions` is the count for the first seeded random input; `instructionsWorst` the largest over all seeded
 *   inputs (random, all-max, all-min, alternating), since clamps make the count data-dependent on some cores.
 * - Flash and RAM come from `<name>.c` compiled alone to an object with the image's flags (weights are .rodata).
 * - Stack: the worst path through the kernel's call graph from `<name>_run`, with frame sizes from -fstack-usage and
 *   edges from -fcallgraph-info=su. libgcc helpers have no .su: their frames are read from their code in a link of
 *   the kernel object alone (every push/stmdb/vpush and `sub sp` counted, pops ignored, so an upper bound), following
 *   their calls, tail calls and fall-through into the next symbol.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConvgenError, EnvironmentError } from '../errors.ts';
import { cycleModel, estimate, parseObjdump, watchFile, type Breakdown, type CycleEstimate } from '../cycles/index.ts';
import { parseProfile } from '../cycles/profile.ts';
import { generate, writeKernel, type GeneratedKernel, type OptimizeGoal, type VariantName } from '../codegen/index.ts';
import { runGolden } from '../ops/conv_2d/spec/golden.ts';
import { MIN_QEMU_MAJOR, QEMU_UPGRADE, qemuVersion, runImage } from '../qemu/index.ts';
import { macCount, type KernelModel } from '../ops/conv_2d/spec/index.ts';
import type { Target } from '../targets/index.ts';
import { buildImage, firmwareDir, MemoryShortage, runTool, tools, type BuiltImage, type Tool } from '../toolchain/index.ts';
import { isMemoryShortage } from '../toolchain/memory.ts';
import { compareOutputs, decodeTensors, describeMismatch, encodeTensors, testInputs, type PairResult } from '../verify/index.ts';
import { makeTempDir } from '../files/cleanup.ts';
import { analyzeKernelObject, objdump, rawWeightBytes } from './kernel-object.ts';

export {
  analyzeKernelObject, kernelObjectFlags, objdump, parseCallGraph, parseDisassembly, parseSizeA, parseStackUsage, parseSymbols,
  rawWeightBytes, weightSectionBytes, worstStack, type CallGraph, type CodeFunction,
} from './kernel-object.ts';

export const pluginDir = path.join(firmwareDir, 'plugin');
export const pluginPath = path.join(pluginDir, 'build', 'libinsncount.so');

const make: Tool = { command: 'make', install: 'apt-get install -y make' };

export interface WindowCounts {
  insns: number;
  loads: number;
  stores: number;
  memInsns: number;
  /** Estimated cycles of the window by the target's cycle model (src/cycles), when it has one. */
  cycles?: number;
  breakdown?: Breakdown;
}

export interface SectionSizes {
  /** Code of the kernel object (.text*), bytes. */
  text: number;
  /** Constants: weights, bias, shape tables (.rodata*). */
  rodata: number;
  data: number;
  bss: number;
}

export interface StackFrame {
  function: string;
  bytes: number;
  /** 'su' from -fstack-usage; 'code' read from a libgcc helper's instructions. */
  from: 'su' | 'code';
}

export interface StackReport {
  /** Worst case over the call graph from `<name>_run`, bytes. */
  bytes: number;
  /** False when a frame is dynamic and unbounded, a callee is unknown, or the graph recurses. */
  bounded: boolean;
  /** The worst path, outermost first. */
  path: StackFrame[];
  notes: string[];
}

export type MeasureStatus = 'ok' | 'does-not-fit' | 'fail' | 'error' | 'skipped';

export interface Measurement {
  spec: string;
  name: string;
  target: string;
  variant: VariantName;
  /** The optimize goal the kernel was generated for (only the optimized variant's families read it). */
  optimize: OptimizeGoal;
  /**
   * Set when this row was not measured on its own: `--optimize speed` generated the same code (comments aside) as
   * the named goal, so its figures are that goal's.
   */
  sameCodeAs?: OptimizeGoal;
  /**
   * sha256 of the generated files with comments removed (codeDigest()): a committed bench whose digests no longer
   * match what convgen generates is stale. Null when generation failed.
   */
  codeDigest: string | null;
  status: MeasureStatus;
  macs: number;
  /** Per kernel call, window overhead subtracted; null unless status is 'ok'. */
  instructions: number | null;
  instructionsPerMac: number | null;
  loads: number | null;
  stores: number | null;
  memInsns: number | null;
  /** (instructions + loads + stores) / MACs: load-heavy code is not flattered. */
  instructionsPlusAccessesPerMac: number | null;
  /** Largest count over all seeded inputs (overhead subtracted). */
  instructionsWorst: number | null;
  /** What the empty kernel measured at the same call site (subtracted above). */
  overhead: WindowCounts | null;
  /**
   * Estimated cycles per call by the target's cycle model (src/cycles, docs/cycles.md), for the first seeded input,
   * the empty kernel's estimate subtracted like the instruction count's; null without a model or a measurement.
   */
  cycles: number | null;
  cyclesPerMac: number | null;
  /** Largest estimate over all seeded inputs (operand values change multiply timings on some cores). */
  cyclesWorst: number | null;
  /** The model that gave `cycles`: 'rough' models give only a rough figure (docs/cycles.md). */
  cycleModel: { id: string; kind: 'model' | 'rough' } | null;
  /** Where the estimated cycles of one call go, by cause (overhead subtracted). */
  cycleBreakdown: Breakdown | null;
  size: SectionSizes | null;
  /**
   * Weight flash: `raw` is the spec's weights at the storage width (elements × bytes); `flash` the bytes of the
   * kernel's `<name>_weights*` sections (null when it has none by that name).
   */
  weightBytes: { raw: number; flash: number | null };
  /** data + bss of the kernel + input + output + scratch buffers from the header. */
  ramBytes: number | null;
  /** `static`: the kernel's own buffers (a staging ring), already inside `bss`. */
  ram: { data: number; bss: number; input: number; output: number; scratch: number; static: number } | null;
  /** RAM the target offers for .data, .bss and the stack. */
  targetRamBytes: number;
  stackBytes: number | null;
  stack: StackReport | null;
  /** libgcc helpers the kernel calls, and the code they bring into the image (not part of size.text). */
  helpers: { calls: string[]; bytes: number };
  accumulator: string;
  /** Seeded inputs run and checked bit for bit. */
  verified: { tensors: number; elements: number; mismatches: number };
  note?: string;
  error?: string;
}

export interface MeasureOptions {
  /** Seed of the test inputs (as `convgen test --seed`). */
  seed: number;
  timeoutSeconds: number;
  workRoot?: string;
  keep?: boolean;
  /** Replace the seeded inputs (the first one is the one reported). */
  inputs?: Int32Array[];
  /** Passed to generate(): 'speed' lets a kernel family trade flash for speed. Default 'default'. */
  optimize?: OptimizeGoal;
  /** Edit the generated files before the build (tests: a wrong kernel must come out as a failure). */
  transform?: (k: GeneratedKernel) => GeneratedKernel;
}

let pluginReady: Promise<string> | undefined;

/** The instruction-count plugin, built with the host gcc on first use (as `make setup` does), for a QEMU that can load it. */
export function ensurePlugin(): Promise<string> {
  pluginReady ??= (async () => {
    const { line, major } = await qemuVersion();
    if (major < MIN_QEMU_MAJOR) throw new EnvironmentError(`qemu-system-arm is ${line.replace(/^QEMU emulator /, '')}: ${QEMU_UPGRADE}`);
    if (!fs.existsSync(pluginPath)) await runTool(make, ['-s', '-C', pluginDir], { what: 'building the QEMU plugin (make -C firmware/plugin)' });
    if (!fs.existsSync(pluginPath)) throw new EnvironmentError(`${pluginPath} is missing after make; run \`make setup\``);
    return pluginPath;
  })();
  pluginReady.catch(() => (pluginReady = undefined));
  return pluginReady;
}

/** Entry addresses of the two markers, from the image's symbol table. */
export async function markerAddresses(elf: string): Promise<{ begin: string; end: string }> {
  const out = await runTool(tools.nm, [elf], { what: 'nm' });
  const find = (sym: string): string => {
    const m = new RegExp(`^([0-9a-fA-F]+) [Tt] ${sym}$`, 'm').exec(out);
    if (!m) throw new EnvironmentError(`${elf}: no ${sym} symbol; the harness must call the markers around the kernel`);
    return `0x${m[1]}`;
  };
  return { begin: find('convgen_mark_begin'), end: find('convgen_mark_end') };
}

export function parsePluginOutput(text: string, file: string): WindowCounts[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new EnvironmentError(`${file}: the plugin output is not JSON`);
  }
  const calls = (parsed as { calls?: unknown }).calls;
  if (!Array.isArray(calls)) throw new EnvironmentError(`${file}: the plugin output has no calls array`);
  return calls.map((c: Record<string, unknown>) => ({
    insns: Number(c.insns), loads: Number(c.loads), stores: Number(c.stores), memInsns: Number(c.memInsns),
  }));
}

/**
 * Run an image under QEMU with the plugin; returns the output tensors' bytes and one window per kernel call. Where
 * the target has a cycle model, the plugin also profiles each window (watching what the model asks for, found in the
 * image's disassembly) and every window carries its estimated cycles.
 */
export async function runCounted(built: BuiltImage, input: Uint8Array, workDir: string, timeoutSeconds: number) {
  const plugin = await ensurePlugin();
  const { begin, end } = await markerAddresses(built.image);
  const outName = 'insncount.json';
  const profileName = 'profile.json';
  const model = built.target.cycleModel ? cycleModel(built.target.cycleModel) : undefined;
  let args = `${plugin},begin=${begin},end=${end},out=${outName}`;
  const insns = model ? parseObjdump(await runTool(objdump, ['-d', '-M', 'reg-names-raw', ...(model.objdumpArgs ?? []), built.image], { what: 'objdump' })) : undefined;
  if (model && insns) {
    fs.mkdirSync(workDir, { recursive: true });
    fs.writeFileSync(path.join(workDir, 'watch.txt'), watchFile(model, insns));
    args += `,profile=${profileName},watch=watch.txt`;
  }
  const run = await runImage(built, input, workDir, { timeoutSeconds, qemuExtra: ['-plugin', args] });
  const file = path.join(workDir, outName);
  if (!fs.existsSync(file)) throw new EnvironmentError(`${built.target.name}: the plugin wrote no ${outName}`);
  const calls = parsePluginOutput(fs.readFileSync(file, 'utf8'), file);
  const estimates: CycleEstimate[] = [];
  if (model && insns) {
    const pfile = path.join(workDir, profileName);
    if (!fs.existsSync(pfile)) throw new EnvironmentError(`${built.target.name}: the plugin wrote no ${profileName}`);
    const windows = parseProfile(fs.readFileSync(pfile, 'utf8'), pfile);
    if (windows.length !== calls.length) throw new EnvironmentError(`${pfile}: ${windows.length} profiled windows for ${calls.length} calls`);
    windows.forEach((w, i) => {
      const e = estimate(model, insns, w);
      estimates.push(e);
      calls[i] = { ...calls[i], cycles: e.cycles, breakdown: e.breakdown };
    });
  }
  return { output: run.output, calls, estimates };
}


// ---------------------------------------------------------------------------------------------------------------
// The empty-kernel window: what the call site itself costs

const overheadCache = new Map<string, Promise<WindowCounts>>();

export function stripComments(s: string): string {
  return s.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
}

/**
 * What a kernel compiles to, as a digest: its files' names and text with comments removed (they hold paths and
 * prose) and blank space normalised (a removed comment leaves some), line breaks kept for the preprocessor.
 */
export function codeDigest(k: GeneratedKernel): string {
  const h = crypto.createHash('sha256');
  const code = (s: string) => stripComments(s).split('\n').map((l) => l.trim().replace(/\s+/g, ' ')).filter(Boolean).join('\n');
  for (const f of k.files) h.update(`${f.name}\0${code(f.content)}\0`);
  return h.digest('hex');
}

/**
 * Window counts of an empty `<name>_run` at the same call site: the kernel's header and convgen_entry.h (what the
 * harness sees; comments do not change its code), the same harness and flags, one input.
 */
export function emptyKernelOverhead(kernel: GeneratedKernel, target: Target, cType: string, inputBytes: number,
  workRoot: string, timeoutSeconds: number): Promise<WindowCounts> {
  const headers = kernel.files.filter((f) => f.name.endsWith('.h'));
  const key = `${target.name}\0${crypto.createHash('sha256').update(headers.map((h) => `${h.name}\n${stripComments(h.content)}`).join('\0')).digest('hex')}`;
  let p = overheadCache.get(key);
  if (!p) {
    p = (async () => {
      const { dir: work, remove } = makeTempDir(`convgen-empty-${kernel.name}-${target.name}-`, workRoot);
      try {
        const kdir = path.join(work, 'kernel');
        fs.mkdirSync(kdir, { recursive: true });
        for (const h of headers) fs.writeFileSync(path.join(kdir, h.name), h.content);
        fs.writeFileSync(path.join(kdir, `${kernel.name}.c`),
          `/* Empty kernel: measures the window overhead of the harness call site. */\n#include "${kernel.name}.h"\n\n` +
          `void ${kernel.name}_run(const ${cType} *restrict input, ${cType} *restrict output)\n{\n    (void)input;\n    (void)output;\n}\n`);
        const built = await buildImage(target, kdir, path.join(work, 'build'));
        const { calls } = await runCounted(built, new Uint8Array(inputBytes), path.join(work, 'run'), timeoutSeconds);
        if (calls.length !== 1) throw new EnvironmentError(`${target.name}: the empty kernel measured ${calls.length} windows, expected 1`);
        return calls[0];
      } finally {
        remove();
      }
    })();
    overheadCache.set(key, p);
    p.catch(() => overheadCache.delete(key));
  }
  return p;
}

// ---------------------------------------------------------------------------------------------------------------

function subtractBreakdown(a: Breakdown, b: Breakdown): Breakdown {
  const out = { ...a };
  for (const k of Object.keys(out) as (keyof Breakdown)[]) out[k] = Math.round((a[k] - b[k]) * 100) / 100;
  return out;
}

function perMac(v: number, macs: number): number {
  return Math.round((v / macs) * 1e4) / 1e4;
}

/** A row with nothing measured yet. */
function blankMeasurement(m: KernelModel, target: Target, variant: VariantName, optimize: OptimizeGoal, accumulator: string): Measurement {
  return {
    spec: m.source, name: m.name, target: target.name, variant, optimize, codeDigest: null, status: 'ok', macs: macCount(m),
    instructions: null, instructionsPerMac: null, loads: null, stores: null, memInsns: null,
    instructionsPlusAccessesPerMac: null, instructionsWorst: null, overhead: null,
    cycles: null, cyclesPerMac: null, cyclesWorst: null, cycleBreakdown: null,
    cycleModel: target.cycleModel ? { id: target.cycleModel, kind: cycleModel(target.cycleModel).kind } : null,
    size: null, weightBytes: { raw: rawWeightBytes(m), flash: null }, ramBytes: null, ram: null, targetRamBytes: target.ramBytes, stackBytes: null, stack: null,
    helpers: { calls: [], bytes: 0 }, accumulator, verified: { tensors: 0, elements: 0, mismatches: 0 },
  };
}

export async function measure(m: KernelModel, target: Target, variant: VariantName, opts: MeasureOptions): Promise<Measurement> {
  const macs = macCount(m);
  const optimize = opts.optimize ?? 'default';
  let kernel: GeneratedKernel;
  try {
    kernel = generate(m, { variant, target, optimize });
    if (opts.transform) kernel = opts.transform(kernel);
  } catch (e) {
    if (!(e instanceof ConvgenError)) throw e;
    return { ...blankMeasurement(m, target, variant, optimize, ''), status: 'error', error: e.message };
  }
  const base = { ...blankMeasurement(m, target, variant, optimize, kernel.plan.accType), codeDigest: codeDigest(kernel) };
  if (target.run !== 'qemu')
    return { ...base, status: 'skipped', note: `${target.name} is ${target.run === 'host' ? 'the host (no instruction counts)' : 'build-only (no emulator)'}` };
  const workRoot = opts.workRoot ?? os.tmpdir();
  const { dir: work, remove, keep } = makeTempDir(`convgen-bench-${m.name}-${target.name}-${variant}-`, workRoot);
  try {
    const kdir = path.join(work, 'kernel');
    writeKernel(kernel, kdir);
    const facts = await analyzeKernelObject(target, m.name, kdir, path.join(work, 'obj'));
    const ram = { data: facts.size.data, bss: facts.size.bss, ...kernel.ram };
    const withSizes: Measurement = {
      ...base, size: facts.size, weightBytes: { raw: base.weightBytes.raw, flash: facts.weightFlash }, ram, ramBytes: ram.data + ram.bss + ram.input + ram.output + ram.scratch,
      stackBytes: facts.stack.bytes, stack: facts.stack, helpers: facts.helpers,
    };
    let built: BuiltImage;
    try {
      built = await buildImage(target, kdir, path.join(work, 'build'));
    } catch (e) {
      // The linker's shortage is bad input since issue 15 (MemoryShortage, with the numbers); here it is a finding.
      if (e instanceof MemoryShortage || (e instanceof EnvironmentError && isMemoryShortage(e.message)))
        return {
          ...withSizes, status: 'does-not-fit',
          note: `needs ${withSizes.ramBytes} B of RAM for data, bss and tensors; ${target.name} has ${target.ramBytes} B for those, the harness and the stack`,
        };
      throw e;
    }
    const inputs = opts.inputs ?? testInputs(m, opts.seed);
    const bits = m.numeric.storage.bits;
    const { output, calls } = await runCounted(built, encodeTensors(inputs, bits), path.join(work, 'run'), opts.timeoutSeconds);
    const outElems = m.outC * m.outH * m.outW;
    const actual = decodeTensors(output, bits, outElems);
    const expected = inputs.map((t) => runGolden(m, t));
    const { mismatches, first } = compareOutputs(m, expected, actual);
    const verified = { tensors: inputs.length, elements: outElems * inputs.length, mismatches };
    if (mismatches > 0 || actual.length !== expected.length) {
      const pr = { mismatches, first, elements: verified.elements } as PairResult;
      return {
        ...withSizes, status: 'fail', verified,
        error: actual.length !== expected.length
          ? `the device wrote ${actual.length} output tensors for ${expected.length} inputs`
          : `not bit-exact: ${describeMismatch(pr)}`,
      };
    }
    if (calls.length !== inputs.length)
      throw new EnvironmentError(`${target.name}: the plugin measured ${calls.length} kernel calls for ${inputs.length} inputs`);
    const overhead = await emptyKernelOverhead(kernel, target, m.numeric.storage.cType, kernel.ram.input, workRoot, opts.timeoutSeconds);
    const c = calls[0];
    const instructions = c.insns - overhead.insns;
    const loads = c.loads - overhead.loads;
    const stores = c.stores - overhead.stores;
    const cycles = c.cycles !== undefined && overhead.cycles !== undefined ? c.cycles - overhead.cycles : null;
    return {
      ...withSizes, verified, overhead,
      instructions,
      instructionsPerMac: perMac(instructions, macs),
      loads,
      stores,
      memInsns: c.memInsns - overhead.memInsns,
      instructionsPlusAccessesPerMac: perMac(instructions + loads + stores, macs),
      instructionsWorst: Math.max(...calls.map((k) => k.insns)) - overhead.insns,
      cycles,
      cyclesPerMac: cycles === null ? null : perMac(cycles, macs),
      cyclesWorst: cycles === null ? null : Math.max(...calls.map((k) => k.cycles!)) - overhead.cycles!,
      cycleBreakdown: cycles === null ? null : subtractBreakdown(c.breakdown!, overhead.breakdown!),
    };
  } catch (e) {
    if (!(e instanceof ConvgenError)) throw e;
    return { ...base, status: 'error', error: e.message };
  } finally {
    if (!opts.keep) remove();
    else keep();
  }
}
