/**
 * Static guarantees: generated C compiles warning-free under the strictest flags we promise, with gcc and with clang,
 * for the host and for every ARM target's cpuFlags (compile only: clang has no ARM linker set-up on Debian). Each
 * kernel is its own translation unit here, so a missing #include cannot hide behind a neighbour.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { cancelSignal } from '../errors.ts';
import type { Target } from '../targets/index.ts';

export const STRICT_FLAGS = ['-std=c99', '-pedantic', '-Wall', '-Wextra', '-Wconversion', '-Wshadow', '-Wcast-align', '-Werror'];

export type CompilerName = 'gcc' | 'clang';

export interface CompilerCommand {
  compiler: CompilerName;
  command: string;
  args: string[];
}

let newlibInclude: string | undefined;

/** newlib's include folder, next to the libc.a that arm-none-eabi-gcc links (Debian's gcc has no sysroot). */
export async function armNewlibInclude(): Promise<string | undefined> {
  if (newlibInclude === undefined) {
    const sysroot = (await execa('arm-none-eabi-gcc', ['-print-sysroot'], { reject: false })).stdout.trim();
    const libc = (await execa('arm-none-eabi-gcc', ['-print-file-name=libc.a'], { reject: false })).stdout.trim();
    const candidates = [sysroot && path.join(sysroot, 'include'), libc && path.resolve(path.dirname(libc), '..', 'include')].filter(Boolean) as string[];
    newlibInclude = candidates.find((d) => fs.existsSync(path.join(d, 'stdint.h'))) ?? '';
  }
  return newlibInclude || undefined;
}

/** The compile-only command line for `compiler` on `target` (without the sources). */
export async function strictCommand(compiler: CompilerName, target: Target): Promise<CompilerCommand> {
  const base = [...STRICT_FLAGS, '-O2', '-c'];
  if (target.run === 'host') return { compiler, command: compiler, args: base };
  if (compiler === 'gcc') return { compiler, command: 'arm-none-eabi-gcc', args: [...target.cpuFlags, ...base] };
  const inc = await armNewlibInclude();
  return {
    compiler,
    command: 'clang',
    args: ['--target=arm-none-eabi', ...target.cpuFlags, '-ffreestanding', ...(inc ? ['-isystem', inc] : []), ...base],
  };
}

export interface StrictResult {
  compiler: CompilerName;
  target: string;
  command: string;
  files: number;
  ok: boolean;
  /** The compiler's diagnostics when it failed. */
  output?: string;
}

/**
 * One translation unit that #includes every source, #undef'ing the macros each defines after it: a compiler start
 * costs more than a small kernel, so the per-target checks compile one unit (the host check keeps one per kernel).
 */
export function unitySource(sources: string[]): string {
  return sources.map((f) => {
    const macros = [...new Set([...fs.readFileSync(f, 'utf8').matchAll(/^\s*#\s*define\s+([A-Za-z_]\w*)/gm)].map((m) => m[1]))];
    return [`#include "${f}"`, ...macros.map((m) => `#undef ${m}`)].join('\n');
  }).join('\n') + '\n';
}

/**
 * Compile every `.c` file with one compiler invocation, objects into `objDir`: each file its own translation unit,
 * or (unity) all of them as one.
 */
export async function strictCompile(compiler: CompilerName, target: Target, sources: string[], objDir: string,
  opts: { unity?: boolean } = {}): Promise<StrictResult> {
  const cmd = await strictCommand(compiler, target);
  fs.mkdirSync(objDir, { recursive: true });
  let inputs = sources;
  if (opts.unity) {
    inputs = [path.join(objDir, 'unity.c')];
    fs.writeFileSync(inputs[0], unitySource(sources));
  }
  const r = await execa(cmd.command, [...cmd.args, ...inputs], { cwd: objDir, reject: false, all: true, cancelSignal: cancelSignal() });
  return {
    compiler, target: target.name, command: `${cmd.command} ${cmd.args.join(' ')}`, files: sources.length,
    ok: r.exitCode === 0, ...(r.exitCode === 0 ? {} : { output: String(r.all ?? r.message) }),
  };
}
