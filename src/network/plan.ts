/**
 * The static memory plan: every tensor that is not the caller's gets an offset in one arena, from its lifetime.
 *
 *   lifetime   a tensor lives from the layer that writes it to the last layer that reads it (a network output to
 *              the end); two tensors whose lifetimes share a layer cannot share bytes, except as below
 *   alias      RESHAPE's output is its input's bytes (a buffer shared for the union of both lifetimes)
 *   in place   an op whose MemoryFacts allow it writes its output over an input whose buffer dies at that op (no
 *              other tensor in that buffer is read later), when the output fits in it
 *   external   with `external` (the default, the C interface `run(input, output, arena)`), the network's inputs and
 *              outputs are the caller's buffers and take no arena; an in-place write never targets the caller's input
 *   placement  greedy first fit, as TFLite Micro's GreedyMemoryPlanner (largest buffer first); also tried in order of
 *              first use (also reusing freed slots first) and of lifetime, and the smallest arena kept (ties: the first). Offsets are multiples of `align`.
 */
import { elemBytes, elements } from '../ops/op.ts';
import type { Network } from './network.ts';

export interface PlanOptions {
  /** Inputs and outputs live in the caller's buffers (default true); false counts them in the arena, as TFLM does. */
  external?: boolean;
  /** Offset alignment in bytes (default 8: any word or doubleword load of a tensor start is aligned). */
  align?: number;
}

export interface Placement {
  tensor: string;
  bytes: number;
  /** Layer index that writes it (−1: a network input) and the last that reads it (layers.length: a network output). */
  first: number;
  last: number;
  /** The buffer it occupies; tensors of one buffer share bytes by alias or in place. */
  buffer: number;
  /** Arena offset, or null for the caller's input or output buffer. */
  offset: number | null;
  /** How it came to share its buffer (absent for the tensor that opened the buffer). */
  shares?: { kind: 'alias' | 'in-place'; with: string; layer: string };
}

export interface MemoryPlan {
  external: boolean;
  align: number;
  arenaBytes: number;
  /** max over layers of its inputs' and output's bytes in the arena: the issue's "largest input+output pair". */
  pairBound: number;
  pairBoundLayer: string;
  /** max over layers of the bytes of buffers live there: no arena for these buffers can be smaller. */
  liveBound: number;
  placements: Placement[];
  /** Which placement order won. */
  order: string;
  notes: string[];
}

interface Buffer {
  id: number;
  members: string[];
  bytes: number;
  first: number;
  last: number;
  external: 'input' | 'output' | null;
}

export function planMemory(net: Network, o: PlanOptions = {}): MemoryPlan {
  const external = o.external ?? true;
  const align = o.align ?? 8;
  const n = net.layers.length;
  const bytesOf = (t: string) => elements(net.tensors.get(t)!.shape) * elemBytes(net.tensors.get(t)!.dtype);
  const life = new Map<string, { first: number; last: number }>();
  for (const t of net.inputs) life.set(t, { first: -1, last: -1 });
  net.layers.forEach((l, s) => {
    for (const t of l.inputs) life.get(t)!.last = Math.max(life.get(t)!.last, s);
    for (const t of l.outputs) life.set(t, { first: s, last: s });
  });
  for (const t of net.outputs) life.get(t)!.last = n;

  const buffers: Buffer[] = [];
  const bufferOf = new Map<string, Buffer>();
  const shares = new Map<string, Placement['shares']>();
  const notes: string[] = [];
  const open = (t: string): Buffer => {
    const kind = external ? (net.inputs.includes(t) ? 'input' : net.outputs.includes(t) ? 'output' : null) : null;
    const b: Buffer = { id: buffers.length, members: [t], bytes: bytesOf(t), ...life.get(t)!, external: kind };
    buffers.push(b);
    bufferOf.set(t, b);
    return b;
  };
  const join = (b: Buffer, t: string, kind: 'alias' | 'in-place', w: string, layer: string) => {
    b.members.push(t);
    b.bytes = Math.max(b.bytes, bytesOf(t));
    b.first = Math.min(b.first, life.get(t)!.first);
    b.last = Math.max(b.last, life.get(t)!.last);
    bufferOf.set(t, b);
    shares.set(t, { kind, with: w, layer });
  };
  for (const t of net.inputs) open(t);
  net.layers.forEach((l, s) => {
    const out = l.outputs[0];
    const outExternal = external && net.outputs.includes(out);
    const m = l.memory;
    if (m.alias !== undefined) {
      const b = bufferOf.get(l.inputs[m.alias])!;
      // A view of the caller's input cannot also be the caller's output, and a buffer that held a larger tensor
      // (a pooling in place) cannot become the caller's output, which holds the output only: then the bytes are copied.
      if (!(outExternal && (b.external === 'input' || b.bytes > bytesOf(out)))) {
        if (outExternal) b.external = 'output';
        join(b, out, 'alias', l.inputs[m.alias], l.name);
        return;
      }
      notes.push(`${l.name}: the network's output is a view of ${b.external === 'input' ? 'its input' : 'a larger buffer'}; the bytes are copied`);
    }
    if (!outExternal)
      for (const p of m.inPlace) {
        const b = bufferOf.get(l.inputs[p])!;
        if (b.external || b.last !== s || bytesOf(out) > b.bytes) continue;
        join(b, out, 'in-place', l.inputs[p], l.name);
        return;
      }
    open(out);
  });

  const arenaBuffers = buffers.filter((b) => !b.external);
  const orders: [string, Buffer[], boolean][] = [
    ['largest first (TFLM greedy)', [...arenaBuffers].sort((a, b) => b.bytes - a.bytes || a.first - b.first || a.id - b.id), false],
    ['first use', [...arenaBuffers].sort((a, b) => a.first - b.first || b.bytes - a.bytes || a.id - b.id), false],
    ['first use, reusing freed slots', [...arenaBuffers].sort((a, b) => a.first - b.first || b.bytes - a.bytes || a.id - b.id), true],
    ['longest lifetime first', [...arenaBuffers].sort((a, b) => (b.last - b.first) - (a.last - a.first) || b.bytes - a.bytes || a.id - b.id), false],
  ];
  let best: { order: string; offsets: Map<number, number>; size: number } | null = null;
  for (const [order, list, reuse] of orders) {
    const offsets = place(list, align, reuse);
    const size = Math.max(0, ...list.map((b) => offsets.get(b.id)! + b.bytes));
    if (!best || size < best.size) best = { order, offsets, size };
  }

  const inArena = (t: string) => !bufferOf.get(t)!.external;
  let pairBound = 0;
  let pairBoundLayer = '';
  let liveBound = 0;
  net.layers.forEach((l, s) => {
    const pair = [...new Set([...l.inputs, ...l.outputs])].filter(inArena).reduce((a, t) => a + bytesOf(t), 0);
    if (pair > pairBound) [pairBound, pairBoundLayer] = [pair, l.name];
    const live = arenaBuffers.filter((b) => b.first <= s && s <= b.last).reduce((a, b) => a + b.bytes, 0);
    liveBound = Math.max(liveBound, live);
  });

  const placements: Placement[] = [...life.keys()].map((t) => {
    const b = bufferOf.get(t)!;
    return {
      tensor: t, bytes: bytesOf(t), ...life.get(t)!, buffer: b.id, offset: b.external ? null : best!.offsets.get(b.id)!,
      ...(shares.get(t) ? { shares: shares.get(t) } : {}),
    };
  });
  return { external, align, arenaBytes: best?.size ?? 0, pairBound, pairBoundLayer, liveBound, placements, order: best?.order ?? '', notes };
}

/**
 * First fit: each buffer at the lowest aligned offset clear of every placed buffer whose lifetime meets its own.
 * With `reuse`, a buffer first tries the offsets of placed buffers it does not meet that are at least as large (the
 * slot a dead tensor leaves), lowest first: in a chain of layers this keeps buffers in two alternating slots.
 */
function place(list: Buffer[], align: number, reuse: boolean): Map<number, number> {
  const offsets = new Map<number, number>();
  const placed: Buffer[] = [];
  const up = (x: number) => Math.ceil(x / align) * align;
  for (const b of list) {
    const meets = (p: Buffer) => p.first <= b.last && b.first <= p.last;
    const busy = placed.filter(meets).map((p) => [offsets.get(p.id)!, offsets.get(p.id)! + p.bytes] as const).sort((x, y) => x[0] - y[0]);
    const free = (at: number) => busy.every(([lo, hi]) => at + b.bytes <= lo || at >= hi);
    const slots = reuse ? placed.filter((p) => !meets(p) && p.bytes >= b.bytes).map((p) => offsets.get(p.id)!).sort((x, y) => x - y) : [];
    let at = slots.find(free) ?? -1;
    if (at < 0) {
      at = 0;
      for (const [lo, hi] of busy) {
        if (at + b.bytes <= lo) break;
        at = Math.max(at, up(hi));
      }
    }
    offsets.set(b.id, at);
    placed.push(b);
  }
  return offsets;
}
