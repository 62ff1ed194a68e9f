/**
 * Build stage: a generated kernel directory + a target row -> an executable image (host binary or ARM ELF).
 * Tools run through execa with argument arrays; nothing is ever passed through a shell.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ExecaError } from 'execa';
import { EnvironmentError, InputError, InterruptedError, cancelSignal, interrupted, throwIfInterrupted } from '../errors.ts';
import type { Target } from '../targets/index.ts';
import { linkerShortage } from './memory.ts';
import { diesWithParent, findOnPath } from './spawn.ts';

export const firmwareDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../firmware');

/** Flags every generated kernel must compile cleanly with, on every target. */
export const WARNING_FLAGS = ['-std=c99', '-Wall', '-Wextra', '-Werror'];

export interface Tool {
  command: string;
  /** The Debian packages that provide it (doctor merges them into one apt-get line). */
  packages?: readonly string[];
  /** The command that installs them. */
  install: string;
}

function tool(command: string, ...packages: string[]): Tool {
  return { command, packages, install: aptInstall(packages) };
}

/** QEMU 10 (plugin API 4): on Debian 12 from bookworm-backports, which `make setup` adds (scripts/setup). */
export const QEMU_RELEASE = 'bookworm-backports';

/** One apt-get line for a set of packages, each named once. */
export function aptInstall(packages: Iterable<string>): string {
  return `apt-get install -y ${[...new Set(packages)].join(' ')}`;
}

export const tools = {
  hostGcc: tool('gcc', 'gcc'),
  armGcc: tool('arm-none-eabi-gcc', 'gcc-arm-none-eabi', 'libnewlib-arm-none-eabi'),
  objcopy: tool('arm-none-eabi-objcopy', 'binutils-arm-none-eabi'),
  nm: tool('arm-none-eabi-nm', 'binutils-arm-none-eabi'),
  size: tool('arm-none-eabi-size', 'binutils-arm-none-eabi'),
  qemu: { command: 'qemu-system-arm', packages: [], install: `apt-get install -y -t ${QEMU_RELEASE} qemu-system-arm` },
} as const satisfies Record<string, Tool>;

export interface BuildOptions {
  /** Extra compiler flags (e.g. sanitizers for host builds). */
  extraFlags?: string[];
  optimize?: string;
  /** The harness instead of the target's (a network image's, firmware/harness/network_main.c and its twins). */
  harness?: string;
}

export interface BuiltImage {
  target: Target;
  /** The executable: a host binary or an ELF for QEMU. */
  image: string;
  /** Raw binary (objcopy -O binary) for ARM targets. */
  bin?: string;
  /** Directory holding objects and .su stack-usage files. */
  dir: string;
}

/** A tool that ran and failed: one line for the user, the whole output for whoever can say more. */
export class ToolFailure extends EnvironmentError {
  constructor(message: string, readonly output: string) {
    super(message);
  }
}

/** An image too big for its target's memory: bad input, named by the caller (the spec). */
export class MemoryShortage extends InputError {}

/** Run a tool (dying with convgen: ./spawn.ts); a missing tool or a failure becomes one EnvironmentError line. */
export async function runTool(tool: Tool, args: string[], opts: { cwd?: string; what: string }): Promise<string> {
  throwIfInterrupted();
  const missing = () => new EnvironmentError(`${tool.command} not found on PATH; install it with: ${tool.install} (or run \`convgen doctor\`)`);
  const file = findOnPath(tool.command);
  if (!file) throw missing();
  try {
    const r = await execa(...diesWithParent(file, args), { cwd: opts.cwd, all: true, stdin: 'ignore', cancelSignal: cancelSignal() });
    return r.stdout;
  } catch (e) {
    const err = e as ExecaError & { code?: string };
    if (err.isCanceled || interrupted()) throw new InterruptedError();
    if (err.code === 'ENOENT') throw missing();
    const firstError = String(err.all ?? err.message).split('\n').find((l) => /error|undefined reference|overflow|exceed RAM/i.test(l))
      ?? String(err.all ?? err.message).split('\n')[0];
    throw new ToolFailure(`${opts.what} failed: ${firstError.trim()}`, String(err.all ?? err.message));
  }
}

function kernelSources(kernelDir: string): string[] {
  return fs.readdirSync(kernelDir).filter((f) => f.endsWith('.c')).map((f) => path.join(kernelDir, f));
}

export async function buildImage(target: Target, kernelDir: string, outDir: string, opts: BuildOptions = {}): Promise<BuiltImage> {
  fs.mkdirSync(outDir, { recursive: true });
  const optimize = opts.optimize ?? '-O2';
  if (target.run === 'host') {
    const image = path.join(outDir, 'kernel-host');
    await runTool(tools.hostGcc, [
      ...WARNING_FLAGS, optimize, ...(opts.extraFlags ?? []), '-iquote', kernelDir, '-iquote', path.join(firmwareDir, 'include'),
      ...kernelSources(kernelDir), path.join(firmwareDir, opts.harness ?? target.harness!), '-o', image,
    ], { what: `host build of ${path.basename(kernelDir)}` });
    return { target, image, dir: outDir };
  }
  const elf = path.join(outDir, 'kernel.elf');
  const sources = [...kernelSources(kernelDir), ...firmwareSources(target, opts.harness)];
  await runTool(tools.armGcc, [
    ...target.cpuFlags, ...WARNING_FLAGS, optimize, ...(opts.extraFlags ?? []),
    '-ffunction-sections', '-fdata-sections', '-fstack-usage',
    '-iquote', kernelDir, '-I', path.join(firmwareDir, 'include'),
    '-nostartfiles', '-nostdlib', '-L', path.join(firmwareDir, 'ld'), '-T', path.join(firmwareDir, target.linkerScript!),
    '-Wl,--gc-sections', `-Wl,-Map=${path.join(outDir, 'kernel.map')}`,
    ...sources, '-lgcc', '-o', elf,
  ], { cwd: outDir, what: `${target.name} build of ${path.basename(kernelDir)}` }).catch((e: unknown) => {
    const short = e instanceof ToolFailure ? linkerShortage(e.output, target) : undefined;
    throw short ? new MemoryShortage(target.name, short) : e;
  });
  const bin = path.join(outDir, 'kernel.bin');
  await runTool(tools.objcopy, ['-O', 'binary', elf, bin], { what: 'objcopy' });
  return { target, image: elf, bin, dir: outDir };
}

/** Startup, harness and support sources of a target (the firmware Makefile uses the same list via targets.mk). */
export function firmwareSources(target: Target, harness = target.harness!): string[] {
  const common = fs.existsSync(path.join(firmwareDir, 'common'))
    ? fs.readdirSync(path.join(firmwareDir, 'common')).filter((f) => /\.(c|S)$/.test(f)).map((f) => path.join(firmwareDir, 'common', f))
    : [];
  return [target.startup!, harness].map((f) => path.join(firmwareDir, f)).concat(common);
}
