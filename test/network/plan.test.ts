/**
 * The memory plan: no two tensors live at the same layer share a byte unless the plan made them share a buffer
 * legally (RESHAPE alias, or in place into an input that dies at that layer); deterministic; the arena figures of
 * the three models against the activations' lower bound and TensorFlow Lite Micro's.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadNetwork } from '../../src/network/load.ts';
import type { Network } from '../../src/network/network.ts';
import { planMemory, type MemoryPlan } from '../../src/network/plan.ts';
import { fixtures } from '../helpers.ts';
import { buildNetwork } from '../../src/network/network.ts';

const model = (name: string) => loadNetwork(path.join(fixtures, 'models', name, `${name}.tflite`));

/** Every violation: two tensors live at one layer with overlapping bytes, not legally sharing. */
function violations(net: Network, plan: MemoryPlan): string[] {
  const bad: string[] = [];
  const byName = new Map(plan.placements.map((p) => [p.tensor, p]));
  const layerIndex = new Map(net.layers.map((l, i) => [l.name, i]));
  // A sharing is legal when it is an alias, or in place at layer s into a buffer none of whose tensors is read after s.
  for (const p of plan.placements) {
    if (p.shares?.kind !== 'in-place') continue;
    const s = layerIndex.get(p.shares.layer)!;
    const layer = net.layers[s];
    if (!layer.inputs.includes(p.shares.with) || !layer.memory.inPlace.length) bad.push(`${p.tensor}: in place at ${layer.name} without an allowing input`);
    for (const q of plan.placements) if (q.buffer === p.buffer && q !== p && q.first <= s && q.last > s) bad.push(`${p.tensor}: in place over ${q.tensor}, read later at ${q.last}`);
  }
  for (let s = 0; s < net.layers.length; s++) {
    const live = plan.placements.filter((p) => p.offset !== null && p.first <= s && s <= p.last);
    for (let i = 0; i < live.length; i++)
      for (let j = i + 1; j < live.length; j++) {
        const [a, b] = [live[i], live[j]];
        const overlap = a.offset! < b.offset! + b.bytes && b.offset! < a.offset! + a.bytes;
        if (overlap && a.buffer !== b.buffer) bad.push(`layer ${s}: ${a.tensor} and ${b.tensor} overlap`);
      }
  }
  for (const p of plan.placements) {
    if (p.offset !== null && (p.offset % plan.align !== 0 || p.offset + p.bytes > plan.arenaBytes)) bad.push(`${p.tensor} misplaced`);
    if (p.offset === null && !net.inputs.includes(p.tensor) && !net.outputs.includes(p.tensor) && byName.get(p.tensor)?.shares?.kind !== 'alias')
      bad.push(`${p.tensor} has no offset`);
  }
  return bad;
}

describe.each([
  // model, arena with I/O in the arena (as TFLM counts), its lower bound, TFLM's activations, arena with caller I/O
  ['kws_ref_model', 16000, 16000, 16000, 16000],
  ['pretrainedResnet_quant', 49152, 49152, 49728, 49152],
  ['ad01_int8', 768, 768, 768, 256],
])('%s', (name, arenaTflm, bound, tflm, arenaExternal) => {
  const net = model(name);
  it('no two live tensors overlap, in either interface', () => {
    for (const external of [true, false]) expect(violations(net, planMemory(net, { external }))).toEqual([]);
  });
  it(`arena ${arenaTflm} B with I/O in the arena (lower bound ${bound}, TFLM ${tflm}); ${arenaExternal} B with the caller's I/O`, () => {
    const inArena = planMemory(net, { external: false });
    expect(inArena.pairBound).toBe(bound);
    expect(inArena.arenaBytes).toBe(arenaTflm);
    expect(inArena.arenaBytes).toBeLessThanOrEqual(tflm);
    expect(inArena.arenaBytes).toBeGreaterThanOrEqual(inArena.liveBound);
    const ext = planMemory(net);
    expect(ext.arenaBytes).toBe(arenaExternal);
    expect(ext.arenaBytes).toBeLessThanOrEqual(ext.pairBound);
  });
  it('is deterministic', () => {
    expect(planMemory(model(name))).toEqual(planMemory(net));
  });
});

describe('sharing', () => {
  // Each quantize changes the scale (between equal quantizations it would be an alias).
  const t = (shape: number[], scale = 0.5) => ({ shape, scale, zeroPoint: 0 });
  const layer = (name: string, op: string, inputs: string[], output: string, params = {}) => ({ name, op, inputs, outputs: [output], params });
  const build = (layers: unknown[], outputs: string[], extra: Record<string, unknown> = {}) => buildNetwork({
    format: 'convgen-network', version: 1, name: 'n', inputs: ['x'], outputs,
    tensors: { x: t([1, 8]), a: t([1, 8], 0.25), b: t([1, 8], 0.125), s: t([1, 8]), r: t([1, 2, 4]), y: t([1, 2, 4], 0.25), ...extra },
    layers,
  }, 'n.json', () => { throw new Error('no constants'); });
  const chain = [
    layer('q0', 'quantize', ['x'], 'a'), layer('q1', 'quantize', ['a'], 'b'), layer('add0', 'add', ['a', 'b'], 's'),
    layer('rs', 'reshape', ['s'], 'r', { shape: [1, 2, 4] }), layer('q2', 'quantize', ['r'], 'y'),
  ];

  it('RESHAPE aliases; ADD writes into an input that dies there; the caller\'s output is never in the arena', () => {
    const net = build(chain, ['y']);
    const plan = planMemory(net);
    const at = (n: string) => plan.placements.find((p) => p.tensor === n)!;
    expect(at('b').shares).toBeUndefined(); // a is still read by add0: q1 cannot write over it
    expect(at('s').shares).toEqual({ kind: 'in-place', with: 'a', layer: 'add0' });
    expect(at('r').shares).toEqual({ kind: 'alias', with: 's', layer: 'rs' });
    expect([at('x').offset, at('y').offset]).toEqual([null, null]);
    expect(plan.arenaBytes).toBe(16);
    expect(violations(net, plan)).toEqual([]);
  });

  it('no in place into an input read later: ADD takes the other operand\'s buffer', () => {
    const net = build([...chain, layer('q3', 'quantize', ['a'], 'z')], ['y', 'z'], { z: t([1, 8], 0.125) });
    const plan = planMemory(net);
    expect(plan.placements.find((p) => p.tensor === 's')!.shares).toEqual({ kind: 'in-place', with: 'b', layer: 'add0' });
    expect(violations(net, plan)).toEqual([]);
  });
});
