/**
 * generate, build, test and run for a network (a network spec or a .tflite model): the network's one C module
 * (src/network/c), proved bit-exact under QEMU with the network harness (src/network/verify.ts). Output is
 * written only after everything it depends on succeeded, through temporary names.
 */
import { networkTimeout } from '../qemu/timeout.ts';
import path from 'node:path';
import { EnvironmentError, ExitCode, InputError } from '../errors.ts';
import type { OptimizeGoal } from '../codegen/index.ts';
import { analyzeKernelObject } from '../measure/index.ts';
import { generateNetwork, type NetworkModule } from '../network/c/module.ts';
import { runNetwork } from '../network/golden.ts';
import { describeNetworkInputs, networkTestInputs } from '../network/inputs.ts';
import { loadNetwork } from '../network/load.ts';
import type { Network } from '../network/network.ts';
import { buildNetworkImage, concat, describeNetworkMismatch, verifyNetwork, writeModule, type NetworkCheck } from '../network/verify.ts';
import { writeNpyAtomic } from '../npy/index.ts';
import { pool } from '../pool.ts';
import { runImage } from '../qemu/index.ts';
import { OutputFolder, writeOutputFile, writeOutputFolder } from '../files/write.ts';
import { makeTempDir } from '../files/cleanup.ts';
import { Progress } from '../report/progress.ts';
import { targets, type Target } from '../targets/index.ts';
import { fnv1a } from './build.ts';
import { describeNetwork, networkHeadLine, readNetworkInput } from './network.ts';

/** The QEMU target that runs a build-only board's code: same core flags and ISA (s3c2410 -> arm920t). */
export function emulatedTwin(t: Target): Target | undefined {
  if (t.run === 'qemu') return t;
  return targets.find((x) => x.run === 'qemu' && x.cpuFlags.join(' ') === t.cpuFlags.join(' '));
}

/**
 * The stack of the module's run function on the target (worst call path), measured on its compiled object; null
 * on the host, or when the cross compiler is missing (the header then says it was not measured, and a warning says
 * why).
 */
async function measureStack(mod: NetworkModule, target: Target): Promise<number | null> {
  if (target.run === 'host') return null;
  const { dir: work, remove } = makeTempDir('convgen-netstack-');
  try {
    writeModule(mod, path.join(work, 'net'));
    return (await analyzeKernelObject(target, mod.name, path.join(work, 'net'), path.join(work, 'obj'))).stack.bytes;
  } catch (e) {
    if (e instanceof EnvironmentError && /not found on PATH/.test(e.message)) {
      console.error(`convgen: warning: ${e.message}; the header does not state the stack`);
      return null;
    }
    throw e;
  } finally {
    remove();
  }
}

/** The module with its measured stack stated in the header. */
async function moduleWithStack(net: Network, target: Target, o: { optimize?: OptimizeGoal; builtinInput?: { data: Int8Array; what: string } }) {
  const first = generateNetwork(net, { target, ...o });
  const stack = await measureStack(first, target);
  return stack === null ? first : generateNetwork(net, { target, ...o, stackBytes: stack });
}

const netMacs = (net: Network) => net.layers.reduce((a, l) => a + l.macs, 0);
const netTimeout = (net: Network, t: Target, tensors: number, given?: number) => {
  const { seconds, why } = networkTimeout(netMacs(net), t, tensors, given);
  return { timeoutSeconds: seconds, timeoutWhy: why };
};

export async function networkGenerate(file: string, target: Target, out: string, optimize: OptimizeGoal, root?: string): Promise<void> {
  const net = loadNetwork(file, root);
  const mod = await moduleWithStack(net, target, { optimize });
  for (const line of [networkHeadLine(net), ...describeNetwork(net)]) console.log(line);
  for (const f of writeOutputFolder(out, mod.files)) console.log(`wrote ${f}`);
}

export interface NetworkBuildOptions {
  optimize: OptimizeGoal;
  seed: number;
  verify: boolean;
  /** --timeout; by default scaled to the network's MACs (networkTimeout). */
  timeoutSeconds?: number;
  /** --root: where the spec's .npy files may be (as for kernel specs). */
  root?: string;
}

/** The UART line the board image prints, from the golden model on its built-in input. */
export function expectedNetworkLine(net: Network, name: string, input: Int8Array): string {
  const out = runNetwork(net, [input]).outputs[0];
  const sum = fnv1a(new Uint8Array(out.buffer, out.byteOffset, out.length)).toString(16).padStart(8, '0');
  return `CONVGEN-RESULT name=${name} elems=${out.length} checksum=0x${sum}`;
}

/** `convgen build NET`: the module, proved bit-exact on the target (or its emulated twin), then its image. */
export async function networkBuild(file: string, target: Target, outDir: string, o: NetworkBuildOptions): Promise<number> {
  if (target.run === 'host') throw new InputError('--target', 'host is for checking only; choose an ARM target (see `convgen targets`)');
  const net = loadNetwork(file, o.root);
  for (const line of [networkHeadLine(net), ...describeNetwork(net)]) console.log(line);
  const inputs = networkTestInputs(net, o.seed);
  if (target.builtinInput && !(inputs[0] instanceof Int8Array))
    throw new InputError(file, `${target.name}'s board image runs a built-in int8 input; this network is ${net.numeric} (prove it on ${emulatedTwin(target)?.name ?? 'its emulated twin'})`);
  const builtinInput = target.builtinInput ? { data: inputs[0] as Int8Array, what: `the first seeded test input (seed ${o.seed})` } : undefined;
  const mod = await moduleWithStack(net, target, { optimize: o.optimize, builtinInput });
  const runner = o.verify ? emulatedTwin(target) : undefined;
  // Locked for the whole command; everything is staged and moved into place at the end (src/files/write.ts).
  const folder = new OutputFolder(outDir);
  const staging = folder.work;
  try {
    let check: NetworkCheck | undefined;
    if (runner) {
      check = await verifyNetwork(net, runner, { inputs, ...netTimeout(net, runner, inputs.length, o.timeoutSeconds), optimize: o.optimize, module: mod, workRoot: staging });
      if (check.status !== 'pass') {
        console.log(`verdict    NOT verified on ${runner.name}: ${check.status === 'fail' ? describeNetworkMismatch(check) : check.note ?? check.error}`);
        console.log(`nothing was written to ${outDir}`);
        return check.status === 'fail' ? ExitCode.mismatch : check.status === 'does-not-fit' ? ExitCode.badInput : check.exitCode;
      }
    }
    const dir = path.join(staging, 'net');
    writeModule(mod, dir);
    const built = await buildNetworkImage(mod, target, dir, path.join(staging, 'build'));
    const line = builtinInput ? expectedNetworkLine(net, mod.name, builtinInput.data) : undefined;
    const elf = `${mod.name}-${target.name}.elf`;
    const bin = `${mod.name}-${target.name}.bin`;
    const report = {
      network: file, name: mod.name, target: target.name, macs: mod.macs,
      memory: { arenaBytes: mod.arenaBytes, inputBytes: mod.inputBytes, outputBytes: mod.outputBytes, staticBytes: mod.staticBytes, parameterBytes: mod.parameterBytes },
      layers: mod.layers.map((l) => ({ name: l.name, op: l.op, code: l.code, summary: l.summary })),
      verified: check ? { on: runner!.name, inputs: check.inputs, elements: check.elements, seed: o.seed } : null,
      ...(line ? { expectedUartResult: line } : {}),
      files: [...mod.files.map((f) => f.name), elf, bin, 'report.json'],
    };
    folder.add([
      ...mod.files.map((f) => ({ name: f.name, from: path.join(dir, f.name) })),
      { name: elf, from: built.image }, { name: bin, from: built.bin! },
      { name: 'report.json', content: JSON.stringify(report, null, 2) + '\n' },
    ]);
    folder.commit();
    console.log(`target     ${target.name}: ${target.core}, ${target.arch}${target.qemu ? '' : ' (build only: no emulator exists)'}`);
    console.log(`memory     arena ${mod.arenaBytes} B, input ${mod.inputBytes} B, output ${mod.outputBytes} B (the caller's), parameters ${mod.parameterBytes} B in flash`);
    if (line) console.log(`uart       the board prints: ${line}`);
    console.log(check
      ? `verdict    BIT-EXACT on ${runner!.name}${runner !== target ? ` (the same C and -mcpu as ${target.name})` : ''}: ${check.elements} outputs over ${check.inputs} inputs (seed ${o.seed}: ${describeNetworkInputs()}) match the golden model`
      : `verdict    built, not run${o.verify ? ' (no emulator runs this core)' : ' (--no-verify)'}`);
    console.log(`wrote      ${outDir}/: ${report.files.join(', ')}`);
    return ExitCode.ok;
  } finally {
    folder.close();
  }
}

export function networkResultLine(c: NetworkCheck): string {
  const head = `${c.status === 'does-not-fit' ? 'SKIP ' : c.status.toUpperCase().padEnd(5)} ${path.basename(c.network)} on ${c.target}`;
  if (c.status === 'pass') return `${head}: bit-exact, ${c.elements} output elements over ${c.inputs} inputs, ${c.seconds.toFixed(1)} s`;
  if (c.status === 'fail') return `${head}: ${describeNetworkMismatch(c)}`;
  if (c.status === 'does-not-fit') return `${head}: ${c.note}`;
  return `${head}: ${c.error}`;
}

export interface NetworkTestOptions {
  seed: number;
  jobs: number;
  /** --timeout; by default scaled to the network's MACs (networkTimeout). */
  timeoutSeconds?: number;
  optimize: OptimizeGoal;
  /** Extra inputs (.npy, one tensor or a batch) checked besides the seeded ones. */
  input?: string;
  json?: string;
  root?: string;
}

/** `convgen test NET... --target ...`: every (network, target) pair; targets the network does not fit are named, with why. */
export async function networkTest(files: string[], ts: Target[], o: NetworkTestOptions): Promise<number> {
  const nets = files.map((f) => loadNetwork(f, o.root));
  const extra = (n: Network) => (o.input ? readNetworkInput(n.tensors.get(n.inputs[0])!, o.input).samples : []);
  const inputs = new Map(nets.map((n) => [n, [...networkTestInputs(n, o.seed), ...extra(n)]]));
  const pairs = nets.flatMap((net) => ts.map((t) => ({ net, t })));
  const progress = new Progress({ label: 'test', total: pairs.length, unit: 'pairs' });
  let results: NetworkCheck[];
  try {
    results = await pool(pairs, o.jobs, ({ net, t }) => verifyNetwork(net, t, { inputs: inputs.get(net)!, ...netTimeout(net, t, inputs.get(net)!.length, o.timeoutSeconds), optimize: o.optimize }),
      (r) => {
        progress.tick(`${path.basename(r.network)} on ${r.target}`);
        progress.log(networkResultLine(r));
      });
  } finally {
    progress.stop();
  }
  if (o.json) writeOutputFile(o.json, JSON.stringify({ results }, null, 2) + '\n');
  const count = (s: NetworkCheck['status']) => results.filter((r) => r.status === s).length;
  console.log(`${count('pass')} passed, ${count('fail')} failed, ${count('error')} errors, ${count('does-not-fit')} do not fit`);
  if (results.some((r) => r.status === 'error')) return Math.max(...results.filter((r) => r.status === 'error').map((r) => r.exitCode));
  if (results.some((r) => r.status === 'fail')) return ExitCode.mismatch;
  if (results.every((r) => r.status === 'does-not-fit')) {
    console.log('the network fits none of the targets: nothing was checked');
    return ExitCode.environment;
  }
  return ExitCode.ok;
}

/** `convgen run NET --input X.npy --output Y.npy`: what the device computes, in one emulator start. */
export async function networkRun(file: string, target: Target,
  o: { input: string; output: string; timeoutSeconds?: number; optimize: OptimizeGoal; root?: string; strict?: boolean }): Promise<void> {
  const net = loadNetwork(file, o.root);
  const inT = net.tensors.get(net.inputs[0])!;
  const outT = net.tensors.get(net.outputs[0])!;
  const { samples, batched } = readNetworkInput(inT, o.input, o.strict);
  const mod = generateNetwork(net, { target, optimize: o.optimize });
  const { dir: work, remove } = makeTempDir('convgen-netrun-');
  try {
    const dir = path.join(work, 'net');
    writeModule(mod, dir);
    const built = await buildNetworkImage(mod, target, dir, path.join(work, 'build'));
    const t = networkTimeout(netMacs(net), target, samples.length, o.timeoutSeconds);
    const run = await runImage(built, concat(samples), path.join(work, 'run'), { timeoutSeconds: t.seconds, timeoutWhy: t.why });
    if (run.output.length !== mod.outputBytes * samples.length)
      throw new EnvironmentError(`${file}: ${target.name}: the device wrote ${run.output.length} bytes for ${samples.length} inputs of ${mod.outputBytes} B`);
    const bytes = new Uint8Array(run.output).buffer; // a copy: aligned for int16
    const data = outT.dtype === 'int16' ? new Int16Array(bytes) : new Int8Array(bytes);
    writeNpyAtomic(o.output, { dtype: outT.dtype, shape: batched ? [samples.length, ...outT.shape.slice(1)] : [...outT.shape], data });
    console.log(`wrote ${o.output} (${batched ? `${samples.length} x ` : ''}${outT.shape.join('x')} ${outT.dtype}, tensor ${outT.name}): computed on ${target.name}`);
  } finally {
    remove();
  }
}
