/**
 * The Q-format output stage with the rounding constant folded into the seeds (src/codegen/qfinish.ts, used by the
 * blocked and pointwise families), modelled in BigInt as the C spells it, against the golden model's stage
 * (finishBigInt, src/ops/conv_2d/spec/golden.ts) on edge accumulators: the proved bounds, rounding ties, the saturation
 * and activation edges and int32's edges, for both rounding modes, q7 and q15, 32- and 64-bit accumulators, with and
 * without the 32-bit narrowing.
 */
import { describe, expect, it } from 'vitest';
import { planAccumulator } from '../../src/codegen/accumulator.ts';
import { generate } from '../../src/codegen/index.ts';
import { qFinish, qFinishModel, type QFinish } from '../../src/codegen/qfinish.ts';
import { finishBigInt } from '../../src/ops/conv_2d/spec/golden.ts';
import { accumulatorBound } from '../../src/ops/conv_2d/spec/bounds.ts';
import { modelFromValue, type KernelModel } from '../../src/ops/conv_2d/spec/index.ts';
import { findTarget } from '../../src/targets/index.ts';

interface Case {
  type: 'q7' | 'q15';
  inputFrac: number;
  weightFrac: number;
  outputFrac: number;
  biasFrac?: number;
  /** Weight magnitude (every third tap negative; capped at the storage maximum) and the two channels' biases (raw). */
  w: number;
  bias: [number, number];
  activation?: unknown;
}

function model(c: Case, rounding: 'nearest' | 'floor'): KernelModel {
  const taps = 4 * 9;
  const max = c.type === 'q7' ? 127 : 32767;
  const weights = Array.from({ length: 2 * taps }, (_, i) => (i % 3 === 0 ? -c.w : Math.min(c.w, max)));
  return modelFromValue({
    name: 'qf',
    input: { channels: 4, height: 4, width: 4 },
    output: { channels: 2 },
    kernel: 3,
    padding: 1,
    numeric: { type: c.type, inputFrac: c.inputFrac, weightFrac: c.weightFrac, outputFrac: c.outputFrac, rounding, ...(c.biasFrac !== undefined ? { biasFrac: c.biasFrac } : {}) },
    ...(c.activation ? { activation: c.activation } : {}),
    weights: { values: weights },
    bias: { values: c.bias },
  }, 'q-finish.test.ts');
}

const cases: Case[] = [
  // 32-bit accumulators: only the rounding add goes.
  { type: 'q7', inputFrac: 7, weightFrac: 7, outputFrac: 7, w: 127, bias: [100, -128] },
  { type: 'q7', inputFrac: 7, weightFrac: 7, outputFrac: 0, w: 128, bias: [127, -3] },
  { type: 'q7', inputFrac: 1, weightFrac: 0, outputFrac: 0, w: 5, bias: [0, 1], activation: 'relu' },
  { type: 'q7', inputFrac: 4, weightFrac: 6, outputFrac: 3, w: 90, bias: [-77, 31], activation: { clamp: [-5, 100] } },
  { type: 'q15', inputFrac: 12, weightFrac: 14, outputFrac: 12, w: 100, bias: [12345, -32768] },
  // 64-bit accumulators, the shifted value fits int32: narrowed.
  { type: 'q15', inputFrac: 12, weightFrac: 14, outputFrac: 12, w: 32767, bias: [2 ** 31 - 1, -(2 ** 31)] },
  { type: 'q15', inputFrac: 15, weightFrac: 15, outputFrac: 15, w: 32768, bias: [-1, 7], activation: 'relu6' },
  { type: 'q15', inputFrac: 15, weightFrac: 15, outputFrac: 14, w: 30000, bias: [5, -5], activation: { clamp: [-1000, 20000] } },
  // 64-bit accumulators that do not narrow: no shift, or a bias far beyond int32 after the shift.
  { type: 'q15', inputFrac: 15, weightFrac: 15, outputFrac: 0, w: 32767, bias: [2 ** 31 - 1, -(2 ** 31)], biasFrac: 0 },
  { type: 'q15', inputFrac: 15, weightFrac: 15, outputFrac: 15, w: 32767, bias: [2 ** 31 - 1, -(2 ** 31)], biasFrac: 0 },
  { type: 'q15', inputFrac: 15, weightFrac: 15, outputFrac: 15, w: 32767, bias: [2 ** 31 - 1, 2 ** 31 - 1], biasFrac: 0 },
];

/** Accumulators (the golden's, before any rounding constant) at every edge the stage has, within ±bound. */
function edgeAccs(m: KernelModel, bound: bigint): bigint[] {
  const nf = m.numeric;
  if (nf.kind !== 'q') throw new Error('q only');
  const s = BigInt(Math.max(0, nf.outputShift));
  const r = nf.rounding === 'nearest' && s > 0n ? 1n << (s - 1n) : 0n;
  const lo = BigInt(Math.max(nf.storage.min, m.actMin));
  const hi = BigInt(Math.min(nf.storage.max, m.actMax));
  const set = new Set<bigint>();
  const near = (v: bigint) => { for (let d = -2n; d <= 2n; d++) set.add(v + d); };
  // Where (acc + r) >> s steps from v - 1 to v: ties (nearest) and floor boundaries, at the clamp and int32 edges.
  for (const v of [0n, 1n, -1n, lo - 1n, lo, lo + 1n, hi - 1n, hi, hi + 1n, 2n ** 31n - 1n, 2n ** 31n, -(2n ** 31n), -(2n ** 31n) - 1n,
    2n ** 32n, -(2n ** 32n), bound >> s, -(bound >> s)])
    near((v << s) - r);
  for (const v of [0n, bound, -bound, bound >> 1n, -(bound >> 1n)]) near(v);
  let seed = 12345;
  const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) | 0) >>> 0);
  for (let i = 0; i < 200; i++) set.add((bound * BigInt(rnd())) / 2n ** 32n * (i % 2 ? 1n : -1n) >> BigInt(rnd() % 40));
  return [...set].filter((a) => a >= -bound && a <= bound);
}

/** Every mismatch of the stage against the golden model over the edge accumulators of each channel. */
function mismatches(m: KernelModel, f: QFinish): string[] {
  const nf = m.numeric;
  if (nf.kind !== 'q') throw new Error('q only');
  const plan = planAccumulator(m);
  const limit = plan.accType === 'int32_t' ? 2n ** 31n - 1n : 2n ** 63n - 1n;
  const bad: string[] = [];
  const perChannel = accumulatorBound(m).perChannel;
  for (let o = 0; o < m.outC; o++) {
    const biasTerm = m.bias ? m.bias[o] << BigInt(nf.biasShift) : 0n;
    for (const acc of edgeAccs(m, perChannel[o])) {
      // The C accumulator: the folded seed instead of the aligned bias, then the same products.
      const c = acc - biasTerm + f.seeds[o];
      if (c > limit || c < -limit - 1n) bad.push(`o${o} acc ${acc}: the folded accumulator ${c} leaves ${plan.accType}`);
      const want = BigInt(finishBigInt(m, nf, acc));
      const got = qFinishModel(f, c);
      if (got !== want) bad.push(`o${o} acc ${acc}: ${got}, golden ${want}`);
    }
  }
  return bad;
}

describe('Q output stage with the rounding constant in the seeds', () => {
  for (const rounding of ['nearest', 'floor'] as const)
    for (const [i, c] of cases.entries())
      it(`${rounding}, case ${i} (${c.type} shift ${c.inputFrac + c.weightFrac - c.outputFrac})`, () => {
        const m = model(c, rounding);
        const plan = planAccumulator(m);
        const f = qFinish(m, plan);
        expect(f).not.toBeNull();
        expect(mismatches(m, f!)).toEqual([]);
      });

  it('covers 32-bit and 64-bit accumulators, narrowed and not', () => {
    const kinds = new Set(cases.map((c) => {
      const m = model(c, 'nearest');
      const plan = planAccumulator(m);
      return `${plan.accType} ${qFinish(m, plan)!.narrow}`;
    }));
    expect([...kinds].sort()).toEqual(['int32_t false', 'int64_t false', 'int64_t true']);
  });

  it('fails without the fold or without the int32 narrowing condition (the test can see either)', () => {
    let unfolded = 0;
    let wrapped = 0;
    for (const c of cases) {
      const m = model(c, 'nearest');
      const f = qFinish(m, planAccumulator(m))!;
      unfolded += mismatches(m, { ...f, seeds: f.seeds.map((v) => v - f.round) }).length;
      if (planAccumulator(m).accType === 'int64_t') wrapped += mismatches(m, { ...f, narrow: true }).length;
    }
    expect(unfolded).toBeGreaterThan(0);
    expect(wrapped).toBeGreaterThan(0);
  });

  it('left shifts keep the common finish (they saturate before the multiply)', () => {
    const m = model({ type: 'q15', inputFrac: 0, weightFrac: 0, outputFrac: 15, w: 3, bias: [1, 2] }, 'nearest');
    expect(qFinish(m, planAccumulator(m))).toBeNull();
  });

  it('the blocked family seeds and finishes every function alike; int8 keeps its own seeds', () => {
    const t = findTarget('arm920t')!;
    const m = model(cases[5], 'nearest');
    const k = generate(m, { variant: 'optimized', isa: t.features });
    expect(k.family).toBe('blocked');
    const c = k.files.find((f) => f.name === 'qf.c')!.content;
    expect(c).toContain('qf_q_finish(');
    // The common stage is not emitted (clang's -Wunused-function would reject it), nor any other seeds.
    expect(c).not.toMatch(/qf_finish\(/);
    expect(c).not.toMatch(/qf_seed\(|qf_interior_seed/);
    expect(c).toMatch(/static inline int32_t qf_q_finish\(int64_t acc\)/);
    const int8 = modelFromValue({
      name: 'qi', input: { channels: 4, height: 4, width: 4 }, output: { channels: 2 }, kernel: 3, padding: 1,
      numeric: { type: 'int8', inputOffset: 3, outputOffset: -2, multiplier: 1518500250, shift: -7 },
      weights: { values: Array.from({ length: 72 }, (_, i) => (i % 5) - 2) }, bias: { values: [10, -10] },
    }, 'q-finish.test.ts');
    const c8 = generate(int8, { variant: 'optimized', isa: t.features }).files.find((f) => f.name === 'qi.c')!.content;
    expect(c8).not.toContain('_q_seed');
    expect(c8).toContain('qi_interior_seed_of(');
  });

  it('clamps with SSAT where the core has it and the clamp is the whole storage range', () => {
    const c = (target: string, activation?: unknown) => generate(model({ ...cases[5], activation }, 'nearest'), { variant: 'optimized', isa: findTarget(target)!.features })
      .files.find((f) => f.name === 'qf.c')!.content;
    expect(c('cortex-m4')).toContain('return (int32_t)__builtin_arm_ssat(v, 16);');
    expect(c('cortex-m3')).toContain('return (int32_t)__builtin_arm_ssat(v, 16);');
    expect(c('arm926ej-s')).not.toContain('ssat');
    expect(c('cortex-m4', 'relu')).not.toContain('ssat');
  });

  it('the sign test equals the clamp to [-2^(b-1), 2^(b-1)-1] on every int32 edge (cores without SSAT)', () => {
    for (const b of [8, 16]) {
      const lo = -(2 ** (b - 1));
      const hi = 2 ** (b - 1) - 1;
      const edges = [0, 1, -1, lo, lo - 1, lo + 1, hi, hi - 1, hi + 1, 2 ** 31 - 1, -(2 ** 31), 2 ** 30, -(2 ** 30), 12345678, -12345678];
      for (const v of edges) {
        // (v >> (b-1)) == (v >> 31) ? v : (v >> 31) ^ hi, as int32
        const got = (v >> (b - 1)) === (v >> 31) ? v : (v >> 31) ^ hi;
        expect(got, `v ${v}, ${b} bits`).toBe(Math.min(hi, Math.max(lo, v)));
      }
    }
    const c = generate(model(cases[5], 'nearest'), { variant: 'optimized', isa: findTarget('arm920t')!.features }).files.find((f) => f.name === 'qf.c')!.content;
    expect(c).toContain('return (v >> 15) == (v >> 31) ? v : (v >> 31) ^ 32767;');
  });
});
