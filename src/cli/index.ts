/**
 * Command-line front end. Every user mistake ends as one line `convgen: <where>: <what>` and a distinct exit code
 * (2 bad input, 3 environment); only a bug in convgen itself shows a stack trace.
 */
import os from 'node:os';
import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import {
  ConvgenError, EnvironmentError, ExitCode, InputError, InterruptedError, STOP_SIGNALS, interrupt, interruptSignal, interrupted, resetInterrupt,
  signalExit, type StopSignal,
} from '../errors.ts';
import { DEFAULT_VARIANT, generate, writeKernel, variantNames, VERSION, type OptimizeGoal, type VariantName } from '../codegen/index.ts';
import { runGolden } from '../ops/conv_2d/spec/golden.ts';
import { describeNumeric, loadSpec, macCount, type KernelModel } from '../ops/conv_2d/spec/index.ts';
import { DEFAULT_TARGET, targets, targetsMakefile } from '../targets/index.ts';
import { oneTarget, targetList } from './target-args.ts';
import { readInputTensors, writeOutputTensors, inputShape, outputShape, type InputTensors } from '../tensors/index.ts';
import { buildImage } from '../toolchain/index.ts';
import { runImage } from '../qemu/index.ts';
import { givenTimeout, scaledTimeout } from '../qemu/timeout.ts';
import { checkKernelMemory, decodeTensors, encodeTensors, verifyPair, type PairResult } from '../verify/index.ts';
import { jsonReport, junitReport, resultLine, summaryLine, writeFileAtomic } from '../report/index.ts';
import { Progress } from '../report/progress.ts';
import { testHtml } from '../report/html.ts';
import { doctor } from './doctor.ts';
import { registerBench } from './bench.ts';
import { registerFuzz } from './fuzz.ts';
import { registerImport } from './import.ts';
import { registerQuantize } from './quantize.ts';
import { checkOutputFile, checkOutputFolder, writeError, writeOutputFolder } from '../files/write.ts';
import { buildStep, naming } from './build.ts';
import { pool } from '../pool.ts';
import { makeTempDir } from '../files/cleanup.ts';
import { isNetworkFile, networkGolden, refuseKernelOptions, refuseMixed, typedBy } from './network.ts';
import { networkBuild, networkGenerate, networkRun, networkTest } from './network-commands.ts';

function intArg(name: string, min: number) {
  return (v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}`);
    return Number(v);
  };
}

function variantArg(v: string): VariantName {
  if (!(variantNames as string[]).includes(v)) throw new InvalidArgumentError(`unknown variant '${v}'; variants: ${variantNames.join(', ')}`);
  return v as VariantName;
}

const optimizeGoals: readonly OptimizeGoal[] = ['default', 'speed'];
const TIMEOUT_HELP = 'seconds before a guest counts as hung and is killed (default: 60 plus the layer\'s worst-case instructions at a pessimistic emulator speed)';
export const ROOT_HELP = "the folder paths inside a spec must stay in (default: the nearest folder above the spec holding .git, else the spec's folder)";
const OPTIMIZE_HELP = "optimized variant's goal: default (weight flash = the raw weight bytes) or speed (may pre-widen weights)";

function optimizeArg(v: string): OptimizeGoal {
  if (!(optimizeGoals as readonly string[]).includes(v)) throw new InvalidArgumentError(`unknown goal '${v}'; goals: ${optimizeGoals.join(', ')}`);
  return v as OptimizeGoal;
}

function shard(spec: string): [number, number] {
  const m = /^(\d+)\/(\d+)$/.exec(spec);
  if (!m || Number(m[1]) < 1 || Number(m[1]) > Number(m[2]))
    throw new InvalidArgumentError('--shard takes K/N with 1 ≤ K ≤ N, e.g. 2/4');
  return [Number(m[1]), Number(m[2])];
}

const STRICT_HELP = 'make the warnings about the input (uint8 data read as raw values, saturated floats) errors (exit 2)';

/** The input tensors, with a warning line per likely mistake on stderr, or, with --strict, an error (exit 2). */
function readInputs(m: KernelModel, file: string, strict?: boolean): InputTensors {
  const input = readInputTensors(m, file);
  if (strict && input.warnings.length) throw new InputError(file, `--strict: ${input.warnings[0]}`);
  for (const w of input.warnings) console.error(`convgen: warning: ${file}: ${w}`);
  return input;
}

function outputDims(m: KernelModel, input: InputTensors): number[] {
  return input.batched ? [input.tensors.length, ...outputShape(m)] : outputShape(m);
}

export function describeModel(m: KernelModel): string[] {
  return [
    `spec       ${m.source} (${m.name})`,
    `shape      input (${inputShape(m).join(', ')}) -> output (${outputShape(m).join(', ')}), layout ${m.layout}`,
    `conv       kernel ${m.kH}x${m.kW}, stride ${m.strideH}x${m.strideW}, dilation ${m.dilH}x${m.dilW}, padding t${m.pad.top} l${m.pad.left} b${m.pad.bottom} r${m.pad.right}, groups ${m.groups}`,
    `numeric    ${describeNumeric(m.numeric)}, activation ${m.activationName}`,
    `work       ${macCount(m)} MACs per call`,
    ...chosenLine(m),
  ];
}

/** Which fraction bits convgen chose for a spec that asked it to ("auto", inputRange). */
function chosenLine(m: KernelModel): string[] {
  const c = m.real?.chosen;
  if (!c) return [];
  const auto = ([['input', c.input], ['weights', c.weights], ['bias', c.bias], ['output', c.output]] as const)
    .filter(([, f]) => f?.auto).map(([k, f]) => `${k} ${f!.frac}`);
  return auto.length ? [`chosen     fraction bits ${auto.join(', ')} (\`convgen quantize\` says why and measures the error)`] : [];
}

/** One line for commander's own messages (`error: unknown option '--jbos'\n(Did you mean --jobs?)`). */
export function commanderLine(text: string): string {
  const lines = text.trim().split('\n').map((l) => l.trim()).filter(Boolean);
  const hint = lines.slice(1).map((l) => l.replace(/^\((.*)\)$/, '$1').replace(/^Did you mean/, 'did you mean')).join('; ');
  const head = (lines[0] ?? '').replace(/^error: /, '');
  return `convgen: ${head}${hint ? ` (${hint})` : ''}`;
}

export function buildProgram(): Command {
  const program = new Command('convgen')
    .description('conv2d kernel spec -> fixed-point C for ARM cores, verified bit-exact against a golden model')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ outputError: (s, write) => write(`${commanderLine(s)}\n`) })
    .configureHelp({ showGlobalOptions: true })
    .option('--root <dir>', ROOT_HELP);
  const readSpec = (file: string) => loadSpec(file, { root: program.opts().root as string | undefined });

  program
    .command('generate')
    .description('write <name>.c, <name>.h and convgen_entry.h for a spec; for a network, its one C module <net>.c/.h')
    .argument('<spec>', 'kernel spec (.json or .kernel.ts), network spec (.json) or .tflite model')
    .requiredOption('-o, --out <dir>', 'output folder')
    .option('--target <t>', 'the target the code is written for (see `convgen targets`)', DEFAULT_TARGET)
    .option('--variant <v>', `kernel variant (${variantNames.join(', ')})`, variantArg, DEFAULT_VARIANT)
    .option('--optimize <goal>', OPTIMIZE_HELP, optimizeArg, 'default')
    .action(async (spec: string, o: { out: string; target: string; variant: VariantName; optimize: OptimizeGoal }, cmd: Command) => {
      const target = oneTarget(o.target);
      checkOutputFolder(o.out);
      if (isNetworkFile(spec)) refuseKernelOptions(typedBy(cmd), ['variant']);
      if (isNetworkFile(spec)) return networkGenerate(spec, target, o.out, o.optimize, program.opts().root as string | undefined);
      const m = await readSpec(spec);
      const k = generate(m, { variant: o.variant, optimize: o.optimize, target });
      for (const f of writeOutputFolder(o.out, k.files)) console.log(`wrote ${f}`);
    });

  program
    .command('golden')
    .description('run the golden model on an input tensor or a batch of them (a kernel spec, a network spec or a .tflite model)')
    .argument('<spec>', 'kernel spec, network spec (.json) or .tflite model')
    .requiredOption('--input <npy>', 'input tensor (.npy): (C, H, W) / (H, W, C) by the layout, or a batch (N, ...); a network\'s int8 input or a batch of them')
    .requiredOption('--output <npy>', 'where to write the output tensor (.npy), (N, ...) for a batch')
    .option('--strict', STRICT_HELP)
    .option('--intermediates <dir>', 'networks: also write every tensor into this folder (t<index>_<name>.npy)')
    .action(async (spec: string, o: { input: string; output: string; strict?: boolean; intermediates?: string }) => {
      checkOutputFile(o.output);
      if (isNetworkFile(spec)) {
        if (o.intermediates) checkOutputFolder(o.intermediates);
        return networkGolden(spec, { ...o, root: program.opts().root as string | undefined });
      }
      if (o.intermediates) throw new InputError('--intermediates', 'is for networks (a .tflite model or a network spec), not a kernel spec');
      const m = await readSpec(spec);
      const input = readInputs(m, o.input, o.strict);
      writeOutputTensors(m, o.output, input.tensors.map((t) => runGolden(m, t)), input.batched);
      console.log(`wrote ${o.output} (${outputDims(m, input).join('x')} ${m.numeric.storage.npyDtype})`);
    });

  program
    .command('run')
    .description('build the kernel for a target, run it (natively or under QEMU) and write what the device computed')
    .argument('<spec>')
    .option('--target <t>', 'target (see `convgen targets`)', DEFAULT_TARGET)
    .requiredOption('--input <npy>', 'input tensor (.npy): (C, H, W) / (H, W, C) by the layout, or a batch (N, ...) run in one image')
    .requiredOption('--output <npy>', 'where to write the output tensor (.npy), (N, ...) for a batch')
    .option('--variant <v>', 'kernel variant', variantArg, DEFAULT_VARIANT)
    .option('--strict', STRICT_HELP)
    .option('--timeout <s>', `${TIMEOUT_HELP}; for the whole batch`, intArg('--timeout', 1))
    .action(async (spec: string, o: { target: string; input: string; output: string; variant: VariantName; strict?: boolean; timeout?: number }, cmd: Command) => {
      const target = oneTarget(o.target);
      if (target.run === 'build-only') throw new InputError('--target', `${target.name} has no emulator; use \`convgen build\``);
      checkOutputFile(o.output);
      if (isNetworkFile(spec)) refuseKernelOptions(typedBy(cmd), ['variant']);
      if (isNetworkFile(spec))
        return networkRun(spec, target, { input: o.input, output: o.output, timeoutSeconds: o.timeout, optimize: 'default', strict: o.strict, root: program.opts().root as string | undefined });
      const m = await readSpec(spec);
      const input = readInputs(m, o.input, o.strict);
      const { dir: work, remove } = makeTempDir('convgen-run-');
      try {
        const kdir = path.join(work, 'kernel');
        const kernel = generate(m, { variant: o.variant, target });
        checkKernelMemory(m, kernel, target);
        writeKernel(kernel, kdir);
        const built = await naming(m, buildImage(target, kdir, path.join(work, 'build')));
        // Every tensor of a batch goes into one input.bin: the harness runs the kernel on each in turn.
        const t = o.timeout !== undefined ? givenTimeout(o.timeout) : scaledTimeout(m, target, o.variant, kernel.family, input.tensors.length);
        const run = await naming(m, runImage(built, encodeTensors(input.tensors, m.numeric.storage.bits), path.join(work, 'run'), { timeoutSeconds: t.seconds, timeoutWhy: t.why }));
        const outs = decodeTensors(run.output, m.numeric.storage.bits, m.outC * m.outH * m.outW);
        if (outs.length !== input.tensors.length)
          throw new EnvironmentError(`${m.source}: ${target.name}: the device wrote ${outs.length} output tensors for ${input.tensors.length} inputs`);
        writeOutputTensors(m, o.output, outs, input.batched);
        console.log(`wrote ${o.output} (${outputDims(m, input).join('x')} ${m.numeric.storage.npyDtype}): computed on ${target.name}`);
      } finally {
        remove();
      }
    });

  program
    .command('test')
    .description('generate, build and run every (spec, target) pair on seeded inputs and compare bit for bit with the golden model')
    .argument('<specs...>')
    .option('--target <list>', 'targets, comma-separated, or all', DEFAULT_TARGET)
    .option('--variant <v>', 'kernel variant', variantArg, DEFAULT_VARIANT)
    .option('--optimize <goal>', OPTIMIZE_HELP, optimizeArg, 'default')
    .option('--seed <n>', 'seed of the random inputs', intArg('--seed', 0), 1)
    .option('--jobs <n>', 'pairs run at once', intArg('--jobs', 1), os.availableParallelism())
    .option('--shard <k/n>', 'run only the K-th of N deterministic parts of the matrix', shard)
    .option('--json <file>', 'write a JSON report')
    .option('--junit <file>', 'write a JUnit XML report')
    .option('--html <file>', 'write a self-contained HTML report (per-target table, chart, failing pairs)')
    .option('--timeout <s>', TIMEOUT_HELP, intArg('--timeout', 1))
    .option('--sanitize', 'host builds: compile with -fsanitize=address,undefined')
    .option('--input <npy>', 'networks: also check these inputs (one tensor or a batch (N, ...)) besides the seeded ones')
    .action(async (specs: string[], o: {
      target: string; variant: VariantName; optimize: OptimizeGoal; seed: number; jobs: number; shard?: [number, number]; json?: string;
      junit?: string; html?: string; timeout?: number; sanitize?: boolean; input?: string;
    }, cmd: Command) => {
      const networks = refuseMixed(specs, 'test');
      const ts = targetList(o.target);
      for (const f of [o.json, o.junit, o.html]) if (f) checkOutputFile(f);
      if (networks) {
        for (const [flag, v] of [['--junit', o.junit], ['--html', o.html], ['--shard', o.shard], ['--sanitize', o.sanitize]] as const)
          if (v) throw new InputError(flag, 'is for kernel specs; a network test writes --json');
        refuseKernelOptions(typedBy(cmd), ['variant']);
        process.exitCode = await networkTest(specs, ts, {
          seed: o.seed, jobs: o.jobs, timeoutSeconds: o.timeout, optimize: o.optimize, input: o.input, json: o.json, root: program.opts().root as string | undefined,
        });
        return;
      }
      if (o.input) throw new InputError('--input', 'is for networks; a kernel test runs seeded inputs');
      const models = await Promise.all(specs.map((s) => readSpec(s)));
      let pairs = models.flatMap((m) => ts.map((t) => ({ m, t })));
      if (o.shard) {
        const [k, n] = o.shard;
        pairs = pairs.filter((_, i) => i % n === k - 1);
      }
      // One result line per pair on stdout; the progress line (done/total, estimate) on stderr.
      const progress = new Progress({ label: 'test', total: pairs.length, unit: 'pairs' });
      let results: PairResult[];
      try {
        results = await pool(pairs, o.jobs, ({ m, t }) =>
          verifyPair(m, t, {
            seed: o.seed, timeoutSeconds: o.timeout, variant: o.variant, optimize: o.optimize,
            extraFlags: o.sanitize && t.run === 'host' ? ['-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-g'] : undefined,
          }),
        (r: PairResult) => {
          progress.tick(`${r.name} on ${r.target}`);
          progress.log(resultLine(r));
        });
      } finally {
        progress.stop();
      }
      if (o.json) writeFileAtomic(o.json, jsonReport(results));
      if (o.junit) writeFileAtomic(o.junit, junitReport(results));
      if (o.html) writeFileAtomic(o.html, testHtml(results, { seed: o.seed }));
      console.log(summaryLine(results));
      process.exitCode = worstExit(results);
    });

  program
    .command('build')
    .description('the build step: generate, cross-compile, prove bit-exact under QEMU, then write sources, ELF, .bin and report.json')
    .argument('<spec>')
    .option('--target <t>', 'target (see `convgen targets`)', DEFAULT_TARGET)
    .requiredOption('-o, --out <dir>', 'output folder')
    .option('--variant <v>', 'kernel variant', variantArg, DEFAULT_VARIANT)
    .option('--optimize <goal>', OPTIMIZE_HELP, optimizeArg, 'default')
    .option('--seed <n>', 'seed of the verification inputs', intArg('--seed', 0), 1)
    .option('--no-verify', 'skip the QEMU run')
    .option('--timeout <s>', TIMEOUT_HELP, intArg('--timeout', 1))
    .action(async (spec: string, o: { target: string; out: string; variant: VariantName; optimize: OptimizeGoal; seed: number; verify: boolean; timeout?: number }, cmd: Command) => {
      const target = oneTarget(o.target);
      checkOutputFolder(o.out);
      if (isNetworkFile(spec)) {
        refuseKernelOptions(typedBy(cmd), ['variant']);
        process.exitCode = await networkBuild(spec, target, o.out, {
          optimize: o.optimize, seed: o.seed, verify: o.verify, timeoutSeconds: o.timeout, root: program.opts().root as string | undefined,
        });
        return;
      }
      const m = await readSpec(spec);
      for (const line of describeModel(m)) console.log(line);
      process.exitCode = await buildStep(m, target, o.out, { variant: o.variant, optimize: o.optimize, seed: o.seed, verify: o.verify, timeoutSeconds: o.timeout });
    });

  program
    .command('targets')
    .description('list the targets')
    .option('--makefile', 'print firmware/targets.mk')
    .option('--json', 'print the table as JSON')
    .action((o: { makefile?: boolean; json?: boolean }) => {
      if (o.makefile) return void process.stdout.write(targetsMakefile());
      if (o.json) return void console.log(JSON.stringify(targets, null, 2));
      for (const t of targets)
        console.log(`${t.name.padEnd(11)} ${t.arch.padEnd(17)} ${t.core.padEnd(32)} ${t.run === 'qemu' ? `qemu ${t.qemu!.machine}${t.qemu!.cpu ? ` -cpu ${t.qemu!.cpu}` : ''}` : t.run}`);
    });

  program
    .command('doctor')
    .description('check the cross compiler, newlib and QEMU, and say how to install what is missing')
    .action(async () => {
      process.exitCode = await doctor();
    });

  registerBench(program);
  registerFuzz(program);
  registerImport(program);
  registerQuantize(program);
  return program;
}

/** Errors (the environment) outrank mismatches, which outrank success. */
export function worstExit(results: PairResult[]): number {
  if (results.some((r) => r.status === 'error')) return Math.max(...results.filter((r) => r.status === 'error').map((r) => r.exitCode));
  if (results.some((r) => r.status === 'fail')) return ExitCode.mismatch;
  return ExitCode.ok;
}

/**
 * Ctrl-C, SIGTERM, SIGHUP: the first of them kills every running tool (they all get the same cancel signal) and lets
 * the command unwind, which removes its temporary and staging folders and writes no report; the command then exits
 * 128 + the signal's number. A second signal, or a command still busy 10 s later, exits at once: execa still kills
 * the children, and the exit hook (src/files/cleanup.ts) removes what the unwinding did not reach.
 */
function onInterrupt(): () => void {
  resetInterrupt();
  let count = 0;
  const handler = (signal: StopSignal) => {
    if (++count > 1) process.exit(signalExit(interruptSignal()));
    interrupt(signal);
    setTimeout(() => process.exit(signalExit(interruptSignal())), 10_000).unref();
  };
  for (const s of STOP_SIGNALS) process.on(s, handler);
  return () => {
    for (const s of STOP_SIGNALS) process.off(s, handler);
  };
}

/** System errors that say the machine, not convgen or the input, is in the way. */
const ENVIRONMENT_ERRNO = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EIO', 'EMFILE', 'ENFILE']);

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const stopListening = onInterrupt();
  try {
    await program.parseAsync(argv, { from: 'user' });
    if (interrupted()) throw new InterruptedError();
    return Number(process.exitCode ?? 0);
  } catch (e) {
    if (e instanceof InterruptedError || interrupted()) {
      const signal = interruptSignal();
      console.error(`convgen: ${signal === 'SIGINT' ? 'interrupted' : `stopped by ${signal}`}; every child process was stopped and nothing was written`);
      return signalExit(signal);
    }
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return ExitCode.badInput;
    }
    if (e instanceof ConvgenError) {
      console.error(`convgen: ${e.message}`);
      return e.exitCode;
    }
    // A full disk or a read-only temp folder can fail any write, also in temporary folders: the environment.
    const sys = e as NodeJS.ErrnoException;
    if (sys && typeof sys.code === 'string' && ENVIRONMENT_ERRNO.has(sys.code)) {
      console.error(`convgen: ${writeError(e, sys.path ?? os.tmpdir()).message}`);
      return ExitCode.environment;
    }
    throw e;
  } finally {
    stopListening();
  }
}
