/** Shared test helpers: build models from inline values, find fixtures, run the CLI in-process. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, beforeEach, vi } from 'vitest';
import { generate, writeKernel } from '../src/codegen/index.ts';
import { modelFromValue, type KernelModel } from '../src/ops/conv_2d/spec/index.ts';
import { findTarget } from '../src/targets/index.ts';
import { buildImage } from '../src/toolchain/index.ts';
import { checkImage, testInputs } from '../src/verify/index.ts';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const fixtures = path.join(root, 'test', 'fixtures');

/** A small valid q15 spec; override any field. */
export function baseSpec(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'k',
    input: { channels: 2, height: 5, width: 6 },
    output: { channels: 3 },
    kernel: 3,
    padding: 1,
    numeric: { type: 'q15', inputFrac: 12, weightFrac: 14, outputFrac: 12 },
    weights: { random: { seed: 1 } },
    bias: { random: { seed: 2 } },
    ...over,
  };
}

export function model(over: Record<string, unknown> = {}, file = path.join(root, 'inline.json')): KernelModel {
  return modelFromValue(baseSpec(over), file);
}

/**
 * For tests that call the CLI's main() in-process: before each test a fresh temp folder (`dir`), console.log and
 * console.error captured into `out` and `err` (cleared in place, so destructured aliases stay valid) and
 * process.exitCode reset; afterwards the mocks restored and the folder removed. `stderrWrites` also captures what
 * is written to process.stderr directly (commander's messages for bad option values).
 */
export function cliSandbox(prefix: string, opts: { stderrWrites?: boolean } = {}): { dir: string; readonly out: string[]; readonly err: string[] } {
  const io = { dir: '', out: [] as string[], err: [] as string[] };
  beforeEach(() => {
    io.dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    io.out.length = 0;
    io.err.length = 0;
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void io.out.push(a.join(' ')));
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void io.err.push(a.join(' ')));
    if (opts.stderrWrites)
      vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { io.err.push(String(s).trimEnd()); return true; });
    process.exitCode = undefined;
  });
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
    fs.rmSync(io.dir, { recursive: true, force: true });
  });
  return io;
}

/**
 * A harness entry (convgen_entry.h) that runs the kernel on a copy of its input `shift` halfwords into a word-aligned
 * buffer with alignment faults on (ARM926EJ-S, SCTLR.A), for kernels whose word loads depend on the input's alignment.
 */
export function alignmentFaultEntry(entry: string, shift: number): string {
  return entry.replace(/#define CONVGEN_RUN\(in, out\) (\w+)\(\(in\), \(out\)\)/, (_all, fn: string) =>
    `static int32_t convgen_shifted_[(CONVGEN_IN_ELEMS + ${shift}) / 2 + 1];\n` +
    `#define CONVGEN_RUN(in, out) do { CONVGEN_IN_T *s_ = (CONVGEN_IN_T *)convgen_shifted_ + ${shift}; ` +
    `for (unsigned i_ = 0; i_ < (unsigned)CONVGEN_IN_ELEMS; ++i_) s_[i_] = (in)[i_]; ` +
    // SCTLR.A: an unaligned word load faults (QEMU would otherwise perform it, where an ARM926 rotates the word).
    `__asm__ __volatile__("mrc p15, 0, r0, c1, c0, 0\\n orr r0, r0, #2\\n mcr p15, 0, r0, c1, c0, 0" ::: "r0", "memory"); ` +
    `${fn}(s_, (out)); ` +
    `__asm__ __volatile__("mrc p15, 0, r0, c1, c0, 0\\n bic r0, r0, #2\\n mcr p15, 0, r0, c1, c0, 0" ::: "r0", "memory"); } while (0)`);
}

/**
 * Builds a spec's optimized kernel for arm926ej-s under alignmentFaultEntry (its input `shift` halfwords off a word,
 * alignment faults on), after `patchC` may rewrite its C, and checks it against the golden model.
 */
export async function runWithAlignmentFaults(spec: Record<string, unknown>, shift: number,
  opts: { patchC?: (c: string, m: KernelModel) => string; timeoutSeconds?: number } = {}) {
  const target = findTarget('arm926ej-s')!;
  const m = modelFromValue(spec, path.join(root, `${spec.name as string}.json`));
  const k = generate(m, { variant: 'optimized', isa: target.features });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `convgen-align-${m.name}-`));
  try {
    const dir = path.join(work, 'kernel');
    writeKernel(k, dir);
    const entryPath = path.join(dir, 'convgen_entry.h');
    fs.writeFileSync(entryPath, alignmentFaultEntry(fs.readFileSync(entryPath, 'utf8'), shift));
    if (opts.patchC) {
      const cPath = path.join(dir, `${m.name}.c`);
      fs.writeFileSync(cPath, opts.patchC(fs.readFileSync(cPath, 'utf8'), m));
    }
    const built = await buildImage(target, dir, path.join(work, 'build'));
    return { m, r: await checkImage(m, built, testInputs(m, 2), path.join(work, 'run'), opts.timeoutSeconds ?? 60) };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Every process below `pid` (a ps snapshot), for tests that check what a command leaves running. */
export async function descendants(pid: number): Promise<{ pid: number; comm: string }[]> {
  const ps = await execa('ps', ['-eo', 'pid=,ppid=,comm='], { reject: false });
  const rows = ps.stdout.split('\n').map((l) => l.trim().split(/\s+/)).map(([p, pp, c]) => ({ pid: Number(p), ppid: Number(pp), comm: c ?? '' }));
  const found: { pid: number; comm: string }[] = [];
  let frontier = [pid];
  while (frontier.length) {
    const next = rows.filter((r) => frontier.includes(r.ppid));
    found.push(...next.map((r) => ({ pid: r.pid, comm: r.comm })));
    frontier = next.map((r) => r.pid);
  }
  return found;
}

/** Whether a process exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    return !/^\d+ \([^)]*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Writes a C program to dir/<name>.c, builds it for the host (C99, warnings as errors) and runs it: its result. */
export async function runHostC(dir: string, name: string, text: string) {
  const src = path.join(dir, `${name}.c`);
  fs.writeFileSync(src, text);
  const exe = path.join(dir, name);
  await execa('gcc', ['-std=c99', '-O2', '-Wall', '-Wextra', '-Werror', src, '-o', exe]);
  return execa(exe, [], { reject: false });
}
