/**
 * What a kernel's object file says, read with the binutils: flash and RAM by section, the weight tables' bytes, and
 * the worst stack path from `<name>_run` (call graph and frame sizes from GCC, libgcc helpers' frames from their code).
 */
import fs from 'node:fs';
import path from 'node:path';
import { EnvironmentError } from '../errors.ts';
import type { KernelModel } from '../ops/conv_2d/spec/index.ts';
import type { Target } from '../targets/index.ts';
import { buildImage, firmwareDir, runTool, tools, WARNING_FLAGS, type Tool } from '../toolchain/index.ts';
import type { SectionSizes, StackFrame, StackReport } from './index.ts';

export const objdump: Tool = { command: 'arm-none-eabi-objdump', install: 'apt-get install -y binutils-arm-none-eabi' };

// ---------------------------------------------------------------------------------------------------------------
// Flash and RAM of the kernel object

/** The flags buildImage compiles every source of an image with (see src/toolchain), for the kernel alone. */
export function kernelObjectFlags(target: Target, kernelDir: string): string[] {
  return [
    ...target.cpuFlags, ...WARNING_FLAGS, '-O2', '-ffunction-sections', '-fdata-sections', '-fstack-usage',
    '-iquote', kernelDir, '-I', path.join(firmwareDir, 'include'),
  ];
}

/** Sum `arm-none-eabi-size -A` sections by kind. */
export function parseSizeA(text: string): SectionSizes {
  const s: SectionSizes = { text: 0, rodata: 0, data: 0, bss: 0 };
  for (const line of text.split('\n')) {
    const m = /^(\.\S+)\s+(\d+)\s+\d+\s*$/.exec(line.trim());
    if (!m) continue;
    const [, name, size] = m;
    const kind = (['text', 'rodata', 'data', 'bss'] as const).find((k) => name === `.${k}` || name.startsWith(`.${k}.`));
    if (kind) s[kind] += Number(size);
  }
  return s;
}

/** Bytes of the `<name>_weights*` sections in `arm-none-eabi-size -A` output (-fdata-sections: one per array). */
export function weightSectionBytes(text: string, name: string): number | null {
  let total: number | null = null;
  for (const line of text.split('\n')) {
    const m = /^(\.\S+)\s+(\d+)\s+\d+\s*$/.exec(line.trim());
    if (m && m[1].startsWith(`.rodata.${name}_weights`)) total = (total ?? 0) + Number(m[2]);
  }
  return total;
}

/** The spec's weights as stored raw: one storage-width element per weight. */
export function rawWeightBytes(m: KernelModel): number {
  return m.weights.length * (m.numeric.storage.bits / 8);
}

// ---------------------------------------------------------------------------------------------------------------
// Stack: -fstack-usage frames over the -fcallgraph-info call graph, libgcc helpers from their code

interface CgNode {
  title: string;
  name: string;
  bytes?: number;
  qualifier?: string;
}

export interface CallGraph {
  nodes: Map<string, CgNode>;
  edges: Map<string, string[]>;
}

/** Parse a .ci file (VCG text written by -fcallgraph-info=su). */
export function parseCallGraph(text: string): CallGraph {
  const nodes = new Map<string, CgNode>();
  const edges = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const n = /^node: \{ title: "([^"]*)" label: "([^"]*)"/.exec(line);
    if (n) {
      const parts = n[2].split('\\n');
      const b = /^(\d+) bytes \(([^)]*)\)$/.exec(parts[2] ?? '');
      nodes.set(n[1], { title: n[1], name: parts[0], ...(b ? { bytes: Number(b[1]), qualifier: b[2] } : {}) });
      continue;
    }
    const e = /^edge: \{ sourcename: "([^"]*)" targetname: "([^"]*)"/.exec(line);
    if (e) {
      const list = edges.get(e[1]) ?? [];
      if (!list.includes(e[2])) list.push(e[2]);
      edges.set(e[1], list);
    }
  }
  return { nodes, edges };
}

/** Parse a .su file: `file:line:col:function<TAB>bytes<TAB>qualifier`. */
export function parseStackUsage(text: string): Map<string, { bytes: number; qualifier: string }> {
  const out = new Map<string, { bytes: number; qualifier: string }>();
  for (const line of text.split('\n')) {
    const m = /^(.*):(\d+):(\d+):([^\t]+)\t(\d+)\t(\S+)/.exec(line);
    if (m) out.set(m[4], { bytes: Number(m[5]), qualifier: m[6] });
  }
  return out;
}

export interface CodeFunction {
  addr: number;
  name: string;
  /** SP decrements summed over the body (upper bound of the frame). */
  frame: number;
  /** Start addresses of other functions it calls, tail-calls or falls into. */
  callees: number[];
  bytes: number;
}

/** Functions of a disassembly (`objdump -d --no-show-raw-insn`), with frames and call targets. */
export function parseDisassembly(text: string): Map<number, CodeFunction> {
  const chunks: { addr: number; name: string; insns: { addr: number; op: string; args: string }[] }[] = [];
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+) <([^>]+)>:$/.exec(line);
    if (head) {
      chunks.push({ addr: parseInt(head[1], 16), name: head[2], insns: [] });
      continue;
    }
    const ins = /^\s+([0-9a-f]+):\s+(\S+)\s*(.*)$/.exec(line);
    if (ins && chunks.length) chunks[chunks.length - 1].insns.push({ addr: parseInt(ins[1], 16), op: ins[2], args: ins[3] });
  }
  const starts = new Set(chunks.map((c) => c.addr));
  const fns = new Map<number, CodeFunction>();
  chunks.forEach((c, i) => {
    let frame = 0;
    const callees = new Set<number>();
    for (const { op, args } of c.insns) {
      const base = op.replace(/\.(n|w)$/, '');
      const regs = /\{([^}]*)\}/.exec(args)?.[1];
      const count = regs ? regs.split(',').reduce((n, r) => n + rangeLength(r.trim()), 0) : 0;
      if (base === 'push' || (/^stm(db|fd)/.test(base) && /^sp!/.test(args))) frame += 4 * count;
      else if (base === 'vpush') frame += (/\bd\d/.test(regs ?? '') ? 8 : 4) * count;
      else if (/^subs?$/.test(base)) {
        const m = /^sp,\s*(?:sp,\s*)?#(\d+)/.exec(args);
        if (m) frame += Number(m[1]);
      }
      const target = /^([0-9a-f]+) <[^>]+>/.exec(args);
      if (target && /^(bl|blx|b)(eq|ne|cs|cc|mi|pl|vs|vc|hi|ls|ge|lt|gt|le|al)?$/.test(base)) {
        const t = parseInt(target[1], 16);
        if (t !== c.addr && starts.has(t)) callees.add(t);
      }
    }
    const last = c.insns[c.insns.length - 1];
    const ends = last && (/^(b|bx)(\.n|\.w)?$/.test(last.op) || /\bpc\b/.test(last.args.split(',')[0] ?? '') || /\{[^}]*\bpc\}/.test(last.args));
    const next = chunks[i + 1];
    if (!ends && next) callees.add(next.addr);
    const endAddr = next ? next.addr : (last ? last.addr + 4 : c.addr);
    fns.set(c.addr, { addr: c.addr, name: c.name, frame, callees: [...callees], bytes: endAddr - c.addr });
  });
  return fns;
}

function rangeLength(r: string): number {
  const m = /^[a-z]+(\d+)-[a-z]+(\d+)$/.exec(r);
  return m ? Number(m[2]) - Number(m[1]) + 1 : r ? 1 : 0;
}

export function parseSymbols(nmText: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of nmText.split('\n')) {
    const m = /^([0-9a-fA-F]+) [TtWw] (\S+)$/.exec(line);
    if (m) out.set(m[2], parseInt(m[1], 16) & ~1);
  }
  return out;
}

/** Worst-case stack from `entry` over the kernel's graph, with helpers resolved in the code of a kernel-only link. */
export function worstStack(entry: string, cg: CallGraph, su: Map<string, { bytes: number; qualifier: string }>,
  code: Map<number, CodeFunction>, symbols: Map<string, number>): StackReport {
  const notes: string[] = [];
  let bounded = true;
  const note = (s: string) => {
    if (!notes.includes(s)) notes.push(s);
  };
  const memo = new Map<string, { bytes: number; path: StackFrame[] }>();
  const codeMemo = new Map<number, { bytes: number; path: StackFrame[] }>();
  const onPath = new Set<string>();

  const fromCode = (addr: number): { bytes: number; path: StackFrame[] } => {
    const hit = codeMemo.get(addr);
    if (hit) return hit;
    const key = `code:${addr}`;
    const fn = code.get(addr);
    if (!fn) return { bytes: 0, path: [] };
    if (onPath.has(key)) {
      bounded = false;
      note(`recursion through ${fn.name}`);
      return { bytes: 0, path: [] };
    }
    onPath.add(key);
    let best = { bytes: 0, path: [] as StackFrame[] };
    for (const c of fn.callees) {
      const r = fromCode(c);
      if (r.bytes > best.bytes || (r.bytes === best.bytes && best.path.length === 0 && r.path.length > 0)) best = r;
    }
    onPath.delete(key);
    const res = { bytes: fn.frame + best.bytes, path: [{ function: fn.name, bytes: fn.frame, from: 'code' as const }, ...best.path] };
    codeMemo.set(addr, res);
    return res;
  };

  const visit = (title: string): { bytes: number; path: StackFrame[] } => {
    const hit = memo.get(title);
    if (hit) return hit;
    const node = cg.nodes.get(title) ?? { title, name: title };
    if (onPath.has(title)) {
      bounded = false;
      note(`recursion through ${node.name}`);
      return { bytes: 0, path: [] };
    }
    const own = su.get(node.name) ?? (node.bytes !== undefined ? { bytes: node.bytes, qualifier: node.qualifier ?? 'static' } : undefined);
    let res: { bytes: number; path: StackFrame[] };
    if (own) {
      if (own.qualifier === 'dynamic') {
        bounded = false;
        note(`${node.name} has a dynamic (unbounded) frame`);
      } else if (own.qualifier !== 'static') note(`${node.name}: frame ${own.qualifier}`);
      onPath.add(title);
      let best = { bytes: 0, path: [] as StackFrame[] };
      for (const c of cg.edges.get(title) ?? []) {
        const r = visit(c);
        if (r.bytes > best.bytes || (r.bytes === best.bytes && best.path.length === 0 && r.path.length > 0)) best = r;
      }
      onPath.delete(title);
      res = { bytes: own.bytes + best.bytes, path: [{ function: node.name, bytes: own.bytes, from: 'su' as const }, ...best.path] };
    } else {
      const addr = symbols.get(node.name);
      if (addr === undefined || !code.has(addr)) {
        bounded = false;
        note(`${node.name}: no stack information (not in the kernel object nor in libgcc)`);
        res = { bytes: 0, path: [] };
      } else {
        note('libgcc helper frames are read from their code (pushes and sp subtractions summed): an upper bound');
        res = fromCode(addr);
      }
    }
    memo.set(title, res);
    return res;
  };

  const root = [...cg.nodes.values()].find((n) => n.name === entry)?.title;
  if (!root) throw new EnvironmentError(`the call graph has no ${entry}`);
  const r = visit(root);
  return { bytes: r.bytes, bounded, path: r.path, notes };
}

interface KernelObjectFacts {
  size: SectionSizes;
  weightFlash: number | null;
  stack: StackReport;
  helpers: { calls: string[]; bytes: number };
  /** What the stack walk read, for walks from other entries (a network's layers), and `size -A`'s text. */
  graph: { cg: CallGraph; su: Map<string, { bytes: number; qualifier: string }>; code: Map<number, CodeFunction>; symbols: Map<string, number> };
  sizeText: string;
}

/** Compile `<name>.c` alone, read its sections, link it alone with libgcc to resolve helpers, and walk its stack. */
export async function analyzeKernelObject(target: Target, name: string, kernelDir: string, objDir: string): Promise<KernelObjectFacts> {
  fs.mkdirSync(objDir, { recursive: true });
  const obj = path.join(objDir, `${name}.o`);
  await runTool(tools.armGcc, [...kernelObjectFlags(target, kernelDir), '-fcallgraph-info=su', '-c', path.join(kernelDir, `${name}.c`), '-o', obj],
    { cwd: objDir, what: `${target.name} compile of ${name}.c` });
  const sizeText = await runTool(tools.size, ['-A', obj], { what: 'size' });
  const size = parseSizeA(sizeText);
  const su = parseStackUsage(fs.readFileSync(path.join(objDir, `${name}.su`), 'utf8'));
  const cg = parseCallGraph(fs.readFileSync(path.join(objDir, `${name}.ci`), 'utf8'));
  // The kernel alone, entered at <name>_run, with the helpers it needs and nothing else: libgcc's, and the C library's
  // memcpy/memset where the kernel calls them (its header names <string.h>; newlib's need no system calls).
  const elf = path.join(objDir, `${name}-alone.elf`);
  await runTool(tools.armGcc, [...target.cpuFlags, '-nostartfiles', '-nostdlib', `-Wl,-e,${name}_run`, '-Wl,--gc-sections', obj,
    '-Wl,--start-group', '-lc', '-lgcc', '-Wl,--end-group', '-o', elf],
    { cwd: objDir, what: `${target.name} kernel-only link of ${name}` });
  const code = parseDisassembly(await runTool(objdump, ['-d', '--no-show-raw-insn', elf], { what: 'objdump' }));
  const symbols = parseSymbols(await runTool(tools.nm, [elf], { what: 'nm' }));
  const stack = worstStack(`${name}_run`, cg, su, code, symbols);
  const own = new Set([...cg.nodes.values()].filter((n) => n.bytes !== undefined).map((n) => n.name));
  // Helpers and what they pull in: every piece of code in the kernel-only link that is not the kernel's own.
  const helpers = {
    calls: [...cg.nodes.values()].filter((n) => n.bytes === undefined).map((n) => n.name).sort(),
    bytes: [...code.values()].filter((f) => !own.has(f.name)).reduce((a, f) => a + f.bytes, 0),
  };
  return { size, weightFlash: weightSectionBytes(sizeText, name), stack, helpers, graph: { cg, su, code, symbols }, sizeText };
}
