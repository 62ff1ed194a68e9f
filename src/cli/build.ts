/**
 * `convgen build`: the build-step command. Generates the kernel, builds the image for a target, proves it bit-exact
 * under QEMU (unless --no-verify or the target is build-only) and only then places sources, ELF, .bin and report.json
 * in the output folder. Everything is assembled in a staging folder first: a failed build leaves the folder untouched,
 * and the folder is locked while the command runs.
 */
import path from 'node:path';
import { EnvironmentError, ExitCode, InputError } from '../errors.ts';
import type { OptimizeGoal, VariantName } from '../codegen/index.ts';
import type { Target } from '../targets/index.ts';
import type { KernelModel } from '../spec/index.ts';
import { macCount } from '../spec/index.ts';
import { runGolden } from '../golden/index.ts';
import { checkImage, describeMismatch, describeTestInputs, generateAndBuild, testInputs } from '../verify/index.ts';
import { OutputFolder } from '../files/write.ts';

export interface BuildStepOptions {
  variant: VariantName;
  optimize?: OptimizeGoal;
  seed: number;
  verify: boolean;
  timeoutSeconds: number;
}

/** FNV-1a 32 over the output bytes (little endian): what the UART harness prints as its checksum. */
export function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h >>> 0;
}

function outputBytes(m: KernelModel, out: Int32Array): Uint8Array {
  const bytes = m.numeric.storage.bits / 8;
  const buf = Buffer.alloc(out.length * bytes);
  out.forEach((v, i) => (bytes === 1 ? buf.writeInt8(v, i) : bytes === 2 ? buf.writeInt16LE(v, i * 2) : buf.writeInt32LE(v, i * 4)));
  return buf;
}

export async function buildStep(m: KernelModel, target: Target, outDir: string, o: BuildStepOptions): Promise<number> {
  if (target.run === 'host') throw new InputError('--target', 'host is for checking only; choose an ARM target (see `convgen targets`)');
  // Locked for the whole command, so a second build into the same folder fails at once instead of mixing files.
  const folder = new OutputFolder(outDir);
  const staging = folder.work;
  try {
    const { kernel, kernelDir, built } = await naming(m, generateAndBuild(m, target, staging, { variant: o.variant, seed: o.seed, optimize: o.optimize }));
    const verifyRun = o.verify && target.run === 'qemu';
    const check = verifyRun
      ? await naming(m, checkImage(m, built, testInputs(m, o.seed), path.join(staging, 'run'), o.timeoutSeconds))
      : undefined;
    const machine = target.qemu ? `-M ${target.qemu.machine}${target.qemu.cpu ? ` -cpu ${target.qemu.cpu}` : ''}` : 'none';
    const lines = [
      `target     ${target.name}: ${target.core}, ${target.arch}${target.qemu ? `, run under qemu-system-arm ${machine}` : ' (build only: no emulator exists)'}`,
      `variant    ${o.variant}${kernel.family ? ` (${kernel.family})` : ''}: ${kernel.summary}`,
      `accumulator ${kernel.plan.accType}, |acc| <= ${kernel.plan.bound} proved for every input`,
      `memory     input ${kernel.ram.input} B + output ${kernel.ram.output} B RAM (caller-owned), scratch ${kernel.ram.scratch} B`
        + (kernel.ram.static > 0 ? `, static ${kernel.ram.static} B (the kernel's .bss)` : ''),
    ];
    if (check && check.status !== 'pass') {
      for (const l of lines) console.log(l);
      console.log(`verdict    NOT bit-exact: ${check.error ?? describeMismatch({ ...check, spec: m.source, name: m.name, target: target.name, variant: o.variant, macs: 0, seconds: 0 })}`);
      console.log(`nothing was written to ${outDir}`);
      return ExitCode.mismatch;
    }
    const expectedLine = target.builtinInput ? expectedResultLine(m, o.seed) : undefined;
    const report = {
      spec: m.source,
      name: m.name,
      target: target.name,
      variant: o.variant,
      ...(kernel.family ? { family: kernel.family } : {}),
      macs: macCount(m),
      accumulator: { type: kernel.plan.accType, bound: kernel.plan.bound.toString() },
      ram: kernel.ram,
      verified: check ? { status: check.status, tensors: check.tensors, elements: check.elements, seed: o.seed } : null,
      ...(expectedLine ? { expectedUartResult: expectedLine } : {}),
      files: [...kernel.files.map((f) => f.name), `${m.name}-${target.name}.elf`, `${m.name}-${target.name}.bin`, 'report.json'],
    };
    // Stage every output, then move them into place (src/files/write.ts).
    const place: [string, string][] = kernel.files.map((f) => [path.join(kernelDir, f.name), f.name]);
    place.push([built.image, `${m.name}-${target.name}.elf`], [built.bin!, `${m.name}-${target.name}.bin`]);
    folder.add([...place.map(([from, name]) => ({ name, from })), { name: 'report.json', content: JSON.stringify(report, null, 2) + '\n' }]);
    folder.commit();
    for (const l of lines) console.log(l);
    if (expectedLine) console.log(`uart       the board prints: ${expectedLine}`);
    console.log(check
      ? `verdict    BIT-EXACT: ${check.elements} outputs over ${check.tensors} inputs (seed ${o.seed}: ${describeTestInputs()}) match the golden model`
      : `verdict    built, not run${target.run === 'build-only' ? ' (no emulator for this board)' : ' (--no-verify)'}`);
    console.log(`wrote      ${outDir}/: ${report.files.join(', ')}`);
    return ExitCode.ok;
  } finally {
    folder.close();
  }
}

/** Environment failures of a spec's build or run name the spec first: `spec.json: cortex-m3: guest fault: …`. */
export async function naming<T>(m: KernelModel, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (e) {
    if (e instanceof EnvironmentError) throw new EnvironmentError(`${m.source}: ${e.message}`);
    throw e;
  }
}

/** The line the UART harness ends with, computed from the golden model for the built-in input. */
export function expectedResultLine(m: KernelModel, seed: number): string {
  const out = runGolden(m, testInputs(m, seed)[0]);
  const sum = fnv1a(outputBytes(m, out)).toString(16).padStart(8, '0');
  return `CONVGEN-RESULT name=${m.name} elems=${out.length} checksum=0x${sum}`;
}
