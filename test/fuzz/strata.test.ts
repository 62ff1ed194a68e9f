/**
 * The fuzzer's stratified stream (src/fuzz/arbitraries.ts): every round of 192 specs draws each (numeric type ×
 * layout × kernel class × family steer) stratum once, and the specs land where their stratum says. On every target
 * the first three rounds reach every (type × layout × class × optimized family) cell that 3,000 unstratified specs
 * reach, and the two corners of issue 15 among them. No compiler runs here.
 */
import { describe, expect, it } from 'vitest';
import { planAccumulator } from '../../src/codegen/accumulator.ts';
import os from 'node:os';
import path from 'node:path';
import { allStrata, sampleSpecs, stratumOf } from '../../src/fuzz/index.ts';
import { modelFromValue } from '../../src/ops/conv_2d/spec/index.ts';
import { cellCounts, kernelClassOf } from '../../src/fuzz/coverage.ts';
import { targets } from '../../src/targets/index.ts';

const SEED = 7;
const strata = allStrata();
/** The models alone (no inputs or golden outputs: only their cells are needed). */
const models = (n: number, seed: number, stratified: boolean) =>
  sampleSpecs(n, seed, { stratified }).map((s, i) => modelFromValue({ ...s, name: `s${i}` }, path.join(os.tmpdir(), `s${i}.json`)));

describe('stratified fuzz stream', () => {
  it('each round of 192 specs draws every stratum once, in a seeded order', () => {
    expect(strata).toHaveLength(4 * 2 * 3 * 2 * 4);
    const key = (s: object) => JSON.stringify(s);
    for (const round of [0, 1]) {
      const drawn = strata.map((_, i) => key(stratumOf(round * strata.length + i, SEED)));
      expect(new Set(drawn).size).toBe(strata.length);
    }
    const order = (seed: number) => [0, 1, 2, 3].map((i) => key(stratumOf(i, seed)));
    expect(order(SEED)).toEqual(order(SEED));
    expect(order(SEED)).not.toEqual(order(SEED + 1));
  });

  it('every spec is in its stratum: type, layout, kernel class, accumulator width, shape', () => {
    const ms = models(strata.length, SEED, true);
    ms.forEach((m, i) => {
      const s = stratumOf(i, SEED);
      const where = `spec ${i} (${JSON.stringify(s)})`;
      expect(m.numeric.kind === 'q' ? m.numeric.type : 'int8', where).toBe(s.type);
      expect(m.layout, where).toBe(s.layout);
      expect(kernelClassOf(m), where).toBe(s.kernelClass);
      const acc = planAccumulator(m).accType;
      if (s.acc === 'int64') expect(acc, where).toBe('int64_t');
      else if (s.type !== 'q31') expect(acc, where).toBe('int32_t'); // q31 products always need 64 bits
      if (s.shape === 'vector') {
        expect(m.strideW, where).toBeLessThanOrEqual(2);
        expect(m.outW, where).toBeGreaterThanOrEqual(4);
        if (s.kernelClass !== 'depthwise') expect(m.groups, where).toBe(1);
      }
      if (s.shape === 'scalar') expect(m.strideW, where).toBeGreaterThanOrEqual(3);
      if (s.shape === 'grouped') expect(s.kernelClass === 'depthwise' ? m.outPerGroup : m.groups, where).toBeGreaterThanOrEqual(2);
      if (s.shape === 'large' && s.kernelClass !== '1x1') expect(Math.min(m.kH, m.kW), where).toBeGreaterThanOrEqual(9);
      if (s.shape === 'large' && s.kernelClass === '1x1') expect(m.inPerGroup, where).toBeGreaterThanOrEqual(13);
    });
  });

  it('on every target, 576 stratified specs (three rounds) reach every cell 3,000 unstratified ones reach', () => {
    const strat = models(3 * strata.length, SEED, true);
    const plain = models(3000, SEED, false);
    for (const t of targets.filter((x) => x.run !== 'build-only')) {
      const reached = cellCounts(strat, t);
      const missed = [...cellCounts(plain, t).keys()].filter((c) => !reached.has(c));
      expect(missed, t.name).toEqual([]);
      // Every (type × layout × class) appears on every target.
      expect(new Set([...reached.keys()].map((c) => c.split(' ').slice(0, 3).join(' '))).size, t.name).toBe(24);
    }
  });

  it("reaches issue 15's corners in the first round: q7 CHW depthwise on mve-chw, q31 1x1 CHW on A32's pointwise", () => {
    const first = models(strata.length, SEED, true);
    const byName = (n: string) => targets.find((t) => t.name === n)!;
    expect(cellCounts(first, byName('cortex-m55')).get('q7 chw depthwise mve-chw')).toBeGreaterThan(0);
    for (const t of ['arm920t', 'arm926ej-s', 'cortex-a9'])
      expect(cellCounts(first, byName(t)).get('q31 chw 1x1 pointwise'), t).toBeGreaterThan(0);
  });
});
