/**
 * `convgen build`: the build-step command. Generates the kernel, proves it bit-exact under QEMU -- on the target's
 * own machine, or for a build-only board (s3c2410) the same C on its emulated twin (arm920t, the ARMv4T ti925t) --
 * and only then builds the board image and places sources, ELF, .bin and report.json in the output folder. With
 * --no-verify nothing is run, and the header, report.json and the verdict line say NOT VERIFIED. Everything is
 * assembled in a staging folder first: a failed build leaves the folder untouched, and the folder is locked while the
 * command runs.
 */
import path from 'node:path';
import { EnvironmentError, ExitCode, InputError } from '../errors.ts';
import fs from 'node:fs';
import { generate, writeKernel, type OptimizeGoal, type VariantName } from '../codegen/index.ts';
import { findTarget, type Target } from '../targets/index.ts';
import { buildImage, MemoryShortage, type BuiltImage } from '../toolchain/index.ts';
import type { KernelModel } from '../ops/conv_2d/spec/index.ts';
import { macCount } from '../ops/conv_2d/spec/index.ts';
import { runGolden } from '../ops/conv_2d/spec/golden.ts';
import { checkImage, checkKernelMemory, describeMismatch, describeTestInputs, testInputs } from '../verify/index.ts';
import { OutputFolder } from '../files/write.ts';
import { givenTimeout, scaledTimeout } from '../qemu/timeout.ts';

export interface BuildStepOptions {
  variant: VariantName;
  optimize?: OptimizeGoal;
  seed: number;
  verify: boolean;
  /** Seconds before a hung run is killed; default: scaled to the layer (qemu/timeout.ts). */
  timeoutSeconds?: number;
  /** For testing the verification itself: rewrite the kernel's C after it is generated (never set by the CLI). */
  tamper?: (file: string, text: string) => string;
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

/** Where a build for `target` is proved: under its own QEMU machine, or a build-only board's emulated twin. */
export function verificationTarget(target: Target): Target | undefined {
  if (target.run === 'qemu') return target;
  return target.verifyOn ? findTarget(target.verifyOn) : undefined;
}

function machineText(t: Target): string {
  return t.qemu ? `qemu-system-arm -M ${t.qemu.machine}${t.qemu.cpu ? ` -cpu ${t.qemu.cpu}` : ''}` : 'none';
}

export async function buildStep(m: KernelModel, target: Target, outDir: string, o: BuildStepOptions): Promise<number> {
  if (target.run === 'host') throw new InputError('--target', 'host is for checking only; choose an ARM target (see `convgen targets`)');
  const twin = verificationTarget(target);
  if (o.verify && !twin)
    throw new EnvironmentError(`${target.name}: no emulator and no emulated twin to prove the code on; --no-verify builds it marked NOT VERIFIED`);
  // Locked for the whole command, so a second build into the same folder fails at once instead of mixing files.
  const folder = new OutputFolder(outDir);
  const staging = folder.work;
  try {
    // One generated kernel: the image that is proved and the image that is written compile these same files.
    const notVerified = o.verify ? undefined
      : `built by \`convgen build --no-verify\` for ${target.name}: compiled and linked, never run against the golden model`;
    const builtinInput = target.builtinInput ? { data: testInputs(m, o.seed)[0], seed: o.seed } : undefined;
    const kernel = generate(m, { variant: o.variant, builtinInput, target, optimize: o.optimize, notVerified });
    checkKernelMemory(m, kernel, target);
    if (twin && twin !== target) checkKernelMemory(m, kernel, twin);
    const kernelDir = path.join(staging, 'kernel');
    writeKernel(kernel, kernelDir);
    if (o.tamper) {
      const c = path.join(kernelDir, `${m.name}.c`);
      fs.writeFileSync(c, o.tamper(c, fs.readFileSync(c, 'utf8')));
    }
    let check: Awaited<ReturnType<typeof checkImage>> | undefined;
    let built: BuiltImage | undefined;
    if (o.verify && twin) {
      const proved = await naming(m, buildImage(twin, kernelDir, path.join(staging, twin === target ? 'build' : 'verify-build')));
      const inputs = testInputs(m, o.seed);
      const timeout = o.timeoutSeconds !== undefined ? givenTimeout(o.timeoutSeconds) : scaledTimeout(m, twin, o.variant, kernel.family, inputs.length);
      check = await naming(m, checkImage(m, proved, inputs, path.join(staging, 'run'), timeout));
      if (twin === target) built = proved;
    }
    const lines = [
      `target     ${target.name}: ${target.core}, ${target.arch}${target.qemu ? `, run under ${machineText(target)}`
        : ` (build only: no emulator exists)${twin ? `; its C is proved on ${twin.name} under ${machineText(twin)}` : ''}`}`,
      `variant    ${o.variant}${kernel.family ? ` (${kernel.family})` : ''}: ${kernel.summary}`,
      `accumulator ${kernel.plan.accType}, |acc| <= ${kernel.plan.bound} proved for every input`,
      `memory     input ${kernel.ram.input} B + output ${kernel.ram.output} B RAM (caller-owned), scratch ${kernel.ram.scratch} B`
        + (kernel.ram.static > 0 ? `, static ${kernel.ram.static} B (the kernel's .bss)` : ''),
    ];
    if (check && check.status !== 'pass') {
      for (const l of lines) console.log(l);
      console.log(`verdict    NOT bit-exact on ${twin!.name}: ${check.error ?? describeMismatch({ ...check, spec: m.source, name: m.name, target: twin!.name, variant: o.variant, macs: 0, seconds: 0 })}`);
      console.log(`nothing was written to ${outDir}`);
      return ExitCode.mismatch;
    }
    // Only a proved kernel (or one marked NOT VERIFIED) reaches the board's build.
    built ??= await naming(m, buildImage(target, kernelDir, path.join(staging, 'build')));
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
      verified: check
        ? { status: check.status, on: twin!.name, machine: machineText(twin!), tensors: check.tensors, elements: check.elements, seed: o.seed }
        : { status: 'NOT VERIFIED', reason: notVerified },
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
      ? `verdict    BIT-EXACT${twin === target ? '' : ` on ${twin!.name} (the same C, then built for ${target.name})`}: ${check.elements} outputs over ${check.tensors} inputs (seed ${o.seed}: ${describeTestInputs()}) match the golden model`
      : `verdict    NOT VERIFIED (--no-verify): compiled and linked, never run; ${m.name}.h and report.json say so`);
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
    if (e instanceof MemoryShortage) throw new InputError(m.source, e.detail);
    throw e;
  }
}

/** The line the UART harness ends with, computed from the golden model for the built-in input. */
export function expectedResultLine(m: KernelModel, seed: number): string {
  const out = runGolden(m, testInputs(m, seed)[0]);
  const sum = fnv1a(outputBytes(m, out)).toString(16).padStart(8, '0');
  return `CONVGEN-RESULT name=${m.name} elems=${out.length} checksum=0x${sum}`;
}
