/**
 * The blocked family's plan decisions: which MAC form each ISA row gets for which spec, that the default keeps the
 * weight bytes (only reordered) while `speed` widens them and says so, and where A32 loads go through row pointers, and where int8's output stage is called.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate, planAccumulator } from '../../src/codegen/index.ts';
import { chooseMacForm, macForms } from '../../src/families/blocked/forms.ts';
import type { BlockFn } from '../../src/families/blocked/plan.ts';
import { planBlocked } from '../../src/families/blocked/search.ts';
import { tuningOf } from '../../src/tuning/cores.ts';
import { findTarget, targets } from '../../src/targets/index.ts';
import { loadSpec, modelFromValue } from '../../src/ops/conv_2d/spec/index.ts';
import fs from 'node:fs';
import { model, root } from '../helpers.ts';

const loadSpecSync = (file: string) => {
  const text = fs.readFileSync(path.join(root, 'bench', file), 'utf8');
  return modelFromValue(JSON.parse(text), path.join(root, 'bench', file));
};

const isa = (name: string) => findTarget(name)!.features;

const int8Hwc = (channels: number, over: Record<string, unknown> = {}) => model({
  layout: 'hwc', input: { channels, height: 6, width: 6 }, output: { channels: 5 },
  numeric: { type: 'int8', inputOffset: 128, multiplier: 1300000000, shift: -8 },
  weights: { random: { seed: 3 }, layout: 'ohwi' }, ...over,
});
const q15Hwc = (channels: number) => model({ layout: 'hwc', input: { channels, height: 5, width: 5 } });
const q7Chw = model({ input: { channels: 8, height: 5, width: 5 }, numeric: { type: 'q7', inputFrac: 5, weightFrac: 6, outputFrac: 5 } });

const q15HwcEven = model({ layout: 'hwc', input: { channels: 3, height: 5, width: 7 }, output: { channels: 4 } });
const q15Chw = (over: Record<string, unknown> = {}) => model({ input: { channels: 3, height: 7, width: 9 }, output: { channels: 4 }, ...over });
/** halves specs whose interior weight addresses stay 8-byte aligned (LDRD pairs on ARMv5TE), with and without a tail block. */
const ldrdSpecs = [q15Chw({ input: { channels: 8, height: 8, width: 10 }, output: { channels: 4 }, padding: 1 }),
  q15Chw({ input: { channels: 4, height: 7, width: 9 }, output: { channels: 6 } }),
  q15Chw({ input: { channels: 4, height: 7, width: 9 }, output: { channels: 8 }, groups: 2 })];
/** Kernel position (0, 0) zero in every channel: the interior leaves it out, so its first pair moves the pointer first (pre). */
const ldrdFirstTapZero = q15Chw({ input: { channels: 4, height: 7, width: 9 }, output: { channels: 4 },
  weights: { values: Array.from({ length: 144 }, (_, i) => (i % 9 === 0 ? 0 : ((i * 37) % 200) - 100)) } });

/**
 * What a block function computes, read off its loads and MACs with the instructions' half selection: per
 * accumulator, the (input element, weight element) products. A wrong B/T choice or pairing changes the multiset.
 */
function products(f: BlockFn): Map<string, string[]> {
  const out = new Map<string, string[]>();
  // weights by id across the function: an LDRD pair's second word (element index + 2) is read by later taps
  const ws = new Map<string, { index: number; word?: boolean }>();
  for (const r of f.rows)
    for (const t of r.taps)
      for (const w of t.weights) {
        ws.set(w.id, w);
        if (w.pair) ws.set(w.pair.hi, { index: w.index + 2, word: true });
      }
  for (const r of f.rows) {
    const xs = new Map(r.loads.map((l) => [l.id, l]));
    for (const t of r.taps) {
      for (const mac of t.macs) {
        const x = xs.get(mac.x)!;
        const w = ws.get(mac.w)!;
        // a halfword load holds its element in the bottom half; the top of a word is the next element
        const el = (base: number, word: boolean | undefined, half: string) => {
          if (half === 't') expect(word).toBe(true);
          return base + (half === 't' ? 1 : 0);
        };
        const pairs = mac.halves === 'd'
          ? [[x.offset, w.index], [x.offset + 1, w.index + 1]]
          : [[el(x.offset, x.word, mac.halves![0]), el(w.index, w.word, mac.halves![1])]];
        if (mac.halves === 'd') expect(x.word && w.word).toBe(true);
        const list = out.get(mac.acc) ?? [];
        for (const [a, b] of pairs) list.push(`${r.channel ?? 0}/${r.ky}:${a}*${b}`);
        out.set(mac.acc, list);
      }
    }
  }
  for (const l of out.values()) l.sort();
  return out;
}

/** Kernel columns a row-loop function covers: its MACs per row over (pixels x channels). */
function countColumns(f: BlockFn): number {
  const r = f.rows[0];
  const products = r.taps.reduce((a, t) => a + t.macs.reduce((b, mac) => b + (mac.halves === 'd' ? 2 : 1), 0), 0);
  return products / (f.ob * f.pb);
}

describe('MAC form table', () => {
  it('q15: taps on v7E-M for CHW with stride and dilation 1 along W, halves on ARMv5TE, single on ARMv4T', () => {
    const cases: [string, ReturnType<typeof model>, string][] = [
      ['cortex-m4', q15Chw(), 'taps'],
      ['cortex-m7', q15Chw(), 'taps'],
      ['cortex-m33', q15Chw({ kernel: [3, 2], padding: 0 }), 'taps'],
      // stride 2 along W: the columns of one pixel are not adjacent pairs of another's; dual (even channels) then
      ['cortex-m4', q15Chw({ stride: 2, input: { channels: 4, height: 7, width: 9 } }), 'dual'],
      ['cortex-m4', q15Chw({ dilation: [1, 2], padding: 2 }), 'halves'],
      // 5 wide: dual (measured faster on Cortex-M7)
      ['cortex-m4', q15Chw({ kernel: 5, padding: 2, input: { channels: 4, height: 7, width: 9 } }), 'dual'],
      ['cortex-m4', q15Hwc(4), 'dual'],
      ['arm926ej-s', q15Chw(), 'halves'],
      ['arm926ej-s', q15HwcEven, 'halves'],
      ['arm926ej-s', q15Chw({ output: { channels: 3 } }), 'single'],
      ['arm920t', q15Chw(), 'single'],
      ['cortex-m3', q15Chw(), 'single'],
    ];
    for (const [target, m, form] of cases) expect(chooseMacForm(m, isa(target)), `${target} ${m.layout} k${m.kW} s${m.strideW} d${m.dilW} o${m.outC}`).toBe(form);
  });

  it('dwpair: q15 CHW depthwise on ARMv5TE only; weight words on both parities where blocks start on both', () => {
    const dw = (over: Record<string, unknown> = {}) => model({ input: { channels: 4, height: 8, width: 10 }, output: { channels: 4 }, groups: 4, ...over });
    const cases: [string, ReturnType<typeof model>, string][] = [
      ['arm926ej-s', dw(), 'dwpair'],
      // a channel multiplier of 2: halves (two output channels per weight word)
      ['arm926ej-s', dw({ output: { channels: 8 } }), 'halves'],
      ['arm926ej-s', dw({ layout: 'hwc' }), 'single'],
      ['arm920t', dw(), 'single'],
      ['cortex-m4', dw(), 'taps'],
    ];
    for (const [target, m, form] of cases) expect(chooseMacForm(m, isa(target)), `${target} ${m.layout} o${m.outC}`).toBe(form);
    for (const [m, odd] of [[dw(), true], [dw({ kernel: 2 }), false], [dw({ input: { channels: 1, height: 8, width: 10 }, output: { channels: 1 }, groups: 1 }), false]] as const) {
      const plan = planBlocked(m, isa('arm926ej-s'), planAccumulator(m).accType);
      expect(plan.macForm).toBe('dwpair');
      const interior = plan.fns.find((f) => f.kind === 'unrolled' && f.dw)!;
      // 9 taps a channel: channel blocks start on odd elements too (a second body); 4 taps or one channel: even only
      expect(interior.dw!.odd !== null, `${m.kW} taps ${m.outC} channels`).toBe(odd);
      for (const [body, parity] of [[interior.dw!, 0], ...(interior.dw!.odd ? [[interior.dw!.odd, 1] as const] : [])] as const)
        for (const w of body.weights) if (w.word) expect((w.index + parity) % 2).toBe(0);
      // every tap multiplied once per pixel, from the weights loaded once per call
      const macs = interior.rows.flatMap((r) => r.taps.flatMap((t) => t.macs));
      expect(macs).toHaveLength(m.kH * m.kW * interior.pb);
      expect(interior.rows.every((r) => r.taps.every((t) => t.weights.length === 0))).toBe(true);
    }
  });

  it('halves on ARMv5TE pairs weight words by LDRD only where every address is 8-byte aligned', () => {
    // Where alignment is not proved: 3 input channels x 3 x 3 taps make every block of 2 channels 54 elements (108
    // bytes, not a multiple of 8); 1 input channel steps 18 elements an iteration; groups of 6 channels x 3 inputs x
    // 3 x 3 taps start 162 elements apart.
    const unaligned = [q15Chw(), q15Chw({ input: { channels: 1, height: 7, width: 9 } }),
      q15Chw({ input: { channels: 6, height: 7, width: 9 }, output: { channels: 12 }, groups: 2 })];
    let paired = 0;
    let pre = 0;
    for (const m of [...ldrdSpecs, ldrdFirstTapZero, ...unaligned, q15Chw({ padding: 1, input: { channels: 6, height: 7, width: 9 }, output: { channels: 6 } })]) {
      const plan = planBlocked(m, isa('arm926ej-s'), planAccumulator(m).accType);
      expect(plan.macForm).toBe('halves');
      const per = m.inPerGroup * m.kH * m.kW;
      for (const f of plan.fns) {
        const loads = f.rows.flatMap((r) => r.taps.flatMap((t) => t.weights));
        const pairs = loads.filter((w) => w.pair);
        expect(pairs.length, f.fn).toBe(f.pairHis.length);
        if (pairs.length === 0) continue;
        paired++;
        expect(f.kind).toBe('unrolled');
        // The pointer's walk: each pair loads at its element, every other weight is read relative to the pointer.
        let at = 0;
        for (const w of loads) {
          if (!w.pair) {
            expect(at + w.rel!).toBe(w.index);
            continue;
          }
          if (w.pair.pre) {
            at += w.pair.step;
            pre++;
          }
          expect(at, `${f.fn} ${w.id}`).toBe(w.index);
          if (!w.pair.pre) at += w.pair.step;
          expect(Math.abs(w.pair.step) * 2).toBeLessThanOrEqual(255);
        }
        expect(at).toBe(f.wAdvance);
        // Every address any call loads a pair from, in bytes from the aligned(8) array: every group, block (the
        // interior's functions start at tap 0) and iteration.
        const size = f.ob;
        const blocks = size === plan.ob ? Array.from({ length: plan.fullBlocks }, (_, b) => b * plan.ob * per) : [plan.fullBlocks * plan.ob * per];
        for (let g = 0; g < m.groups; g++)
          for (const b of blocks)
            for (let it = 0; it < m.inPerGroup / f.ciStep; it++)
              for (const w of pairs) expect((2 * (g * m.outPerGroup * per + b + it * f.ciStep * f.weightsPerCi + w.index)) % 8, f.fn).toBe(0);
      }
    }
    expect(paired).toBeGreaterThan(0);
    expect(pre).toBeGreaterThan(0);
    for (const m of unaligned) {
      const plan = planBlocked(m, isa('arm926ej-s'), planAccumulator(m).accType);
      expect(plan.fns.every((f) => f.pairHis.length === 0)).toBe(true);
    }
    // ARMv4T has no LDRD (and no halves); the Thumb-2 cores do not run halves.
    for (const t of ['arm920t', 'cortex-m4']) {
      const plan = planBlocked(ldrdSpecs[0], isa(t), planAccumulator(ldrdSpecs[0]).accType);
      expect(plan.fns.every((f) => f.pairHis.length === 0)).toBe(true);
    }
  });

  it('taps and halves compute exactly each function\'s taps (half selection read back from the plan)', () => {
    const specs = [q15Chw(), q15Chw({ padding: [1, 2, 0, 1] }), q15Chw({ kernel: [2, 4], padding: [0, 3, 1, 0] }), ...ldrdSpecs,
      q15Chw({ kernel: [3, 2], padding: 1, input: { channels: 2, height: 6, width: 8 } }), q15HwcEven,
      q15Chw({ stride: 2, padding: 1, output: { channels: 6 } })];
    let columns = 0;
    let bands = 0;
    for (const target of ['cortex-m4', 'arm926ej-s'])
      for (const m of specs) {
        const plan = planBlocked(m, isa(target), planAccumulator(m).accType);
        if (plan.macForm !== 'taps' && plan.macForm !== 'halves') continue;
        const s = m.layout === 'hwc' ? { ci: 1, row: m.inW * m.inC, col: m.inC } : { ci: m.inH * m.inW, row: m.inW, col: 1 };
        for (const f of plan.fns) {
          // Expected products of the same function: every (channel unit, kernel row, column, pixel, channel).
          const got = products(f);
          if (f.kind === 'column') {
            // a side band's column function: pixel p is p output rows down, each group one kernel column (its kx)
            const want = new Map<string, string[]>();
            const kxMin = f.rows[0].ky;
            for (const r of f.rows)
              for (let ky = 0; ky < m.kH; ky++)
                for (let j = 0; j < f.ob; j++)
                  for (let p = 0; p < f.pb; p++) {
                    const x = (p * m.strideH + ky * m.dilH) * s.row + (r.ky - kxMin) * m.dilW * s.col;
                    const list = want.get(`a${j}_${p}`) ?? [];
                    list.push(`0/${r.ky}:${x}*${(ky * m.kW + r.ky - kxMin) * f.ob + j}`);
                    want.set(`a${j}_${p}`, list);
                  }
            for (const l of want.values()) l.sort();
            expect(got, `${target} ${f.fn}`).toEqual(want);
            columns++;
            continue;
          }
          // the interior: every kernel row; a top or bottom band: its valid rows, offsets from its first
          const unrolled = f.kind === 'unrolled' || f.kind === 'band';
          const cols = unrolled ? Array.from({ length: m.kW }, (_, i) => i) : null;
          const want = new Map<string, string[]>();
          const kys = f.kind === 'band' ? [...new Set(f.rows.map((r) => r.ky))] : Array.from({ length: m.kH }, (_, ky) => ky);
          const kyMin = f.kind === 'band' ? kys[0] : 0;
          const rowsOf = unrolled ? Array.from({ length: f.ciStep }, (_, u) => kys.map((ky) => [u, ky])).flat() : [[0, 0]];
          if (f.kind === 'band') bands++;
          for (const [u, ky] of rowsOf) {
            const label = `${u}/${ky}`;
            const n = cols ? m.kW : countColumns(f);
            for (let j = 0; j < f.ob; j++)
              for (let p = 0; p < f.pb; p++)
                for (let c = 0; c < n; c++) {
                  const x = (unrolled ? u * s.ci + (ky - kyMin) * m.dilH * s.row : 0) + (p * m.strideW + c * m.dilW) * s.col;
                  const w = plan.macForm === 'taps'
                    ? (unrolled ? ((u * m.kH + ky - kyMin) * f.ob + j) * m.kW + c : j * m.kW + c)
                    : (unrolled ? (u * m.kH * m.kW + (ky - kyMin) * m.kW + c) * f.ob + j : c * f.ob + j);
                  const list = want.get(`a${j}_${p}`) ?? [];
                  list.push(`${label}:${x}*${w}`);
                  want.set(`a${j}_${p}`, list);
                }
          }
          for (const l of want.values()) l.sort();
          expect(got, `${target} ${f.fn}`).toEqual(want);
        }
      }
    // side bands run column functions (checked above) and top/bottom bands band functions, not only row loops
    expect(columns).toBeGreaterThan(0);
    expect(bands).toBeGreaterThan(0);
  });

  it('q7 CHW: taps8 on v7E-M for stride and dilation 1 along W, kernels 3 to 5 wide, no input offset', () => {
    const q7 = (over: Record<string, unknown> = {}) => model({ input: { channels: 3, height: 7, width: 9 }, output: { channels: 4 },
      numeric: { type: 'q7', inputFrac: 5, weightFrac: 6, outputFrac: 5 }, ...over });
    const cases: [string, ReturnType<typeof model>, string][] = [
      ['cortex-m4', q7(), 'taps8'],
      ['cortex-m7', q7({ kernel: [2, 4], padding: 1 }), 'taps8'],
      ['cortex-m33', q7({ kernel: 5, padding: 2 }), 'taps8'],
      // 2 wide: no columns c, c+2 to pair; stride or dilation 2 along W: a pixel's columns are not adjacent
      ['cortex-m4', q7({ kernel: 2, padding: 0 }), 'single'],
      ['cortex-m4', q7({ stride: 2 }), 'single'],
      ['cortex-m4', q7({ dilation: [1, 2], padding: 2 }), 'single'],
      // int8 CHW with an input offset: its interior seeds fold the offset, its borders add it per input (single)
      ['cortex-m4', int8Hwc(3, { layout: 'chw', weights: { random: { seed: 3 } } }), 'single'],
      // no SIMD32: two pixels in the bit lanes of one SMLAL (the bound holds for these weights)
      ['cortex-m3', q7(), 'lane2'],
      ['arm926ej-s', q7(), 'lane2'],
    ];
    for (const [target, m, form] of cases) expect(chooseMacForm(m, isa(target)), `${target} k${m.kH}x${m.kW} s${m.strideW} d${m.dilW}`).toBe(form);
    // the bench shapes: 3x3 16 -> 16 picks a blocking of more than 4 accumulators (measured: 1.56 instructions/MAC)
    const a = loadSpecSync('a_3x3_16to16_32x32_q7.json');
    const plan = planBlocked(a, isa('cortex-m4'), planAccumulator(a).accType);
    expect([plan.macForm, plan.ob, plan.pb]).toEqual(['taps8', 4, 2]);
  });

  it('taps8 computes exactly each function\'s taps (lanes read back from the plan) and reads only inside its rows', () => {
    const q7 = (over: Record<string, unknown> = {}) => model({ input: { channels: 3, height: 7, width: 9 }, output: { channels: 5 },
      numeric: { type: 'q7', inputFrac: 5, weightFrac: 6, outputFrac: 5 }, ...over });
    const specs = [q7(), q7({ padding: [1, 2, 0, 1] }), q7({ kernel: [2, 4], padding: [0, 3, 1, 0], input: { channels: 2, height: 6, width: 11 } }),
      q7({ kernel: 5, padding: 2, output: { channels: 1 } }), q7({ kernel: [1, 3], padding: 0, input: { channels: 2, height: 4, width: 5 } })];
    for (const m of specs) {
      const plan = planBlocked(m, isa('cortex-m4'), planAccumulator(m).accType);
      expect(plan.macForm).toBe('taps8');
      const s = { ci: m.inH * m.inW, row: m.inW, col: 1 };
      for (const f of plan.fns) {
        const unrolled = f.kind === 'unrolled';
        // lanes of a value: a word at o unpacks (o, o+2) (e) and (o+1, o+3) (o); a byte holds o; a pack o and o+2
        const lanes = (defs: { id: string; offset: number; b8?: { kind: string } }[], ref: string): [number, number | null] => {
          const d = defs.find((v) => v.id === ref.slice(0, -1))!;
          const odd = ref.endsWith('o');
          if (d.b8!.kind === 'byte') return [d.offset, null];
          return [d.offset + (odd ? 1 : 0), d.offset + (odd ? 3 : 2)];
        };
        const got = new Map<string, string[]>();
        let rowLo = Infinity;
        let rowHi = -Infinity;
        for (const r of f.rows) {
          const xs = r.loads.map((l) => ({ id: l.id, offset: l.offset, b8: l.b8 }));
          for (const t of r.taps) {
            const ws = t.weights.map((w) => ({ id: w.id, offset: w.index, b8: w.b8 }));
            for (const w of ws) {
              const span = w.b8!.kind === 'word' ? 3 : w.b8!.kind === 'pack' ? 2 : 0;
              rowLo = Math.min(rowLo, w.offset);
              rowHi = Math.max(rowHi, w.offset + span);
            }
            for (const mac of t.macs) {
              const x = lanes(xs, mac.x);
              const w = lanes(ws, mac.w);
              const pairs = mac.halves === 'd' ? [[x[0], w[0]], [x[1], w[1]]]
                : [[mac.halves![0] === 'b' ? x[0] : x[1], mac.halves![1] === 'b' ? w[0] : w[1]]];
              const list = got.get(mac.acc) ?? [];
              for (const [a, b] of pairs) {
                expect(a).not.toBeNull();
                expect(b).not.toBeNull();
                list.push(`${r.channel ?? 0}/${r.ky}:${a}*${b}`);
              }
              got.set(mac.acc, list);
            }
          }
        }
        // weights read stay inside the iteration's (unrolled) or the row's (row loop) block of the array
        if (unrolled) expect(rowLo >= 0 && rowHi < f.ciStep * m.kH * f.ob * m.kW, `${f.fn} weights ${rowLo}..${rowHi}`).toBe(true);
        const want = new Map<string, string[]>();
        const rowsOf = unrolled ? Array.from({ length: f.ciStep }, (_, u) => Array.from({ length: m.kH }, (_, ky) => [u, ky])).flat() : [[0, 0]];
        const n = unrolled ? m.kW : countColumns(f);
        const wrote = Array.from(got.values()).flat().length;
        if (!unrolled) expect(rowLo >= -m.kW && rowHi < f.ob * m.kW, `${f.fn} weights ${rowLo}..${rowHi}`).toBe(true);
        for (const [u, ky] of rowsOf) {
          const label = `${u}/${ky}`;
          for (let j = 0; j < f.ob; j++)
            for (let p = 0; p < f.pb; p++)
              for (let c = 0; c < n; c++) {
                const x = (unrolled ? u * s.ci + ky * m.dilH * s.row : 0) + p + c;
                const w = unrolled ? ((u * m.kH + ky) * f.ob + j) * m.kW + c : j * m.kW + c;
                const list = want.get(`a${j}_${p}`) ?? [];
                list.push(`${label}:${x}*${w}`);
                want.set(`a${j}_${p}`, list);
              }
        }
        for (const l of [...want.values(), ...got.values()]) l.sort();
        expect(wrote).toBe(Array.from(want.values()).flat().length);
        expect(got, `${f.fn}`).toEqual(want);
      }
    }
  });

  it('taps8 with optimize speed stores each weight element with the one two further as int16 lanes (the lanes its taps read)', () => {
    const q7 = (over: Record<string, unknown> = {}) => model({ input: { channels: 3, height: 7, width: 9 }, output: { channels: 5 },
      numeric: { type: 'q7', inputFrac: 5, weightFrac: 6, outputFrac: 5 }, ...over });
    for (const m of [q7(), q7({ kernel: 5, padding: 2 }), q7({ kernel: [2, 4], padding: [0, 3, 1, 0] })]) {
      const acc = planAccumulator(m).accType;
      const raw = planBlocked(m, isa('cortex-m4'), acc);
      const fast = planBlocked(m, isa('cortex-m4'), acc, 'speed');
      expect([raw.lanes8, fast.lanes8, fast.macForm]).toEqual([false, true, 'taps8']);
      // Same taps and element indices: a lane pair read at e (e, e+2) or e+1 (odd: e+1, e+3) is the word stored there.
      expect(fast.fns).toEqual(raw.fns);
      expect(fast.weights.length).toBe(raw.weights.length);
      for (let e = 0; e < raw.weights.length; e++) {
        expect((fast.weights[e] << 16) >> 16, `low lane ${e}`).toBe(raw.weights[e]);
        expect(fast.weights[e] >> 16, `high lane ${e}`).toBe(raw.weights[e + 2] ?? 0);
      }
      const files = generate(m, { variant: 'optimized', isa: isa('cortex-m4'), optimize: 'speed' }).files;
      expect(files.find((f) => f.name.endsWith('.h'))!.content)
        .toMatch(new RegExp(`Optimize   speed: .*pre-unpacked to int16 lane pairs .*, ${4 * m.weights.length} B of flash`));
      expect(files.find((f) => f.name.endsWith('.c'))!.content).not.toMatch(/__sxtb16\(w/);
    }
  });

  it('picks quad, dual or single by ISA feature and spec', () => {
    const cases: [string, ReturnType<typeof model>, string][] = [
      ['cortex-m4', int8Hwc(16), 'quad'],
      ['cortex-m7', int8Hwc(8), 'quad'],
      ['cortex-m33', int8Hwc(4), 'quad'],
      ['cortex-a9', int8Hwc(12), 'quad'],
      // 4 does not divide the channels: one word would mix pixels
      ['cortex-m4', int8Hwc(3), 'single'],
      ['cortex-m4', int8Hwc(18), 'single'],
      // CHW: the channels of a pixel are not adjacent, but a kernel row's inputs are (taps8)
      ['cortex-m4', q7Chw, 'taps8'],
      ['cortex-m3', q7Chw, 'lane2'],
      ['cortex-m4', q15Hwc(4), 'dual'],
      ['cortex-m4', q15Hwc(3), 'single'],
      // no SIMD32: no SXTB16/SMLAD, but a long multiply (lane2); Thumb-1 has none
      ['cortex-m3', int8Hwc(16), 'lane2'],
      ['arm926ej-s', int8Hwc(16), 'lane2'],
      ['arm920t', int8Hwc(16), 'lane2'],
      ['cortex-m0', int8Hwc(16), 'single'],
    ];
    for (const [target, m, form] of cases) expect(chooseMacForm(m, isa(target)), `${target} ${m.numeric.type} ${m.layout} ${m.inC}`).toBe(form);
  });

  it('is keyed by features only: two rows with the same features always agree', () => {
    const m = int8Hwc(8);
    for (const a of targets)
      for (const b of targets)
        if (JSON.stringify(a.features) === JSON.stringify(b.features)) expect(chooseMacForm(m, a.features)).toBe(chooseMacForm(m, b.features));
    expect(macForms[macForms.length - 1].form).toBe('single');
  });

  it('quad (default) stores the same weight bytes, reordered; speed widens them to int16 pairs and says so', () => {
    const m = int8Hwc(8, { groups: 2, output: { channels: 6 } });
    const acc = planAccumulator(m).accType;
    const plain = planBlocked(m, isa('cortex-m4'), acc, 'default');
    expect(plain.macForm).toBe('quad');
    expect(plain.weights.length).toBe(m.weights.length);
    expect(Array.from(plain.weights).sort((x, y) => x - y)).toEqual(Array.from(m.weights).sort((x, y) => x - y));
    const fast = planBlocked(m, isa('cortex-m4'), acc, 'speed');
    expect(fast.widened).toBe(true);
    expect(fast.weights.length * 4).toBe(2 * m.weights.length);
    // Each widened word is the two int16 lanes SXTB16 would give: the low half sign-extends back to a weight.
    const lows = Array.from(fast.weights, (w) => (w << 16) >> 16);
    const highs = Array.from(fast.weights, (w) => w >> 16);
    expect([...lows, ...highs].sort((x, y) => x - y)).toEqual(Array.from(m.weights).sort((x, y) => x - y));

    const header = (optimize: 'default' | 'speed') =>
      generate(m, { variant: 'optimized', isa: isa('cortex-m4'), optimize }).files.find((f) => f.name.endsWith('.h'))!.content;
    expect(header('default')).toMatch(new RegExp(`Optimize   default: .*weights ${m.weights.length} B of flash, the raw weight bytes`));
    expect(header('default')).toContain(`_WEIGHT_BYTES ${m.weights.length}u`);
    expect(header('speed')).toMatch(new RegExp(`Optimize   speed: .*pre-widened to int16 pairs, ${2 * m.weights.length} B of flash`));
    expect(header('speed')).toContain(`_WEIGHT_BYTES ${2 * m.weights.length}u`);
  });

  it('speed changes nothing where no form widens (single on ARMv4T)', () => {
    const m = int8Hwc(8);
    const c = (optimize: 'default' | 'speed') =>
      generate(m, { variant: 'optimized', isa: isa('arm920t'), optimize }).files.find((f) => f.name.endsWith('.c'))!.content;
    expect(c('speed')).toBe(c('default'));
  });

  it('A32 loads rows beyond the 8-bit LDRSB offset through a row pointer; Thumb-2 reaches them directly', () => {
    const m = int8Hwc(16, { input: { channels: 16, height: 8, width: 24 } });
    const src = (target: string) =>
      generate(m, { variant: 'optimized', isa: isa(target) }).files.find((f) => f.name.endsWith('.c'))!.content;
    // row stride 24 x 16 = 384 bytes > 255
    expect(src('arm920t')).toMatch(/const int8_t \*row\d+ = px \+ 384;/);
    expect(src('cortex-m3')).not.toMatch(/\*row\d+ = /);
  });

  it('int8 may inline the output stage in the interior and call one copy from the border functions only', async () => {
    const m = await loadSpec(path.join(root, 'bench', 'b_3x3_3to8_32x32_int8.json'));
    const plan = planBlocked(m, isa('arm920t'), planAccumulator(m).accType, 'default');
    expect(plan.outlineFinish).toBe(true);
    for (const f of plan.fns) expect(f.outlineFinish, f.fn).toBe(f.kind !== 'unrolled');
    expect(plan.codeBytes).toBeLessThanOrEqual(plan.codeBudget);
  });
});

/** Per accumulator pixel, the (input element, weight element) products a lane2 function computes. */
function laneProducts(f: BlockFn): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (key: string, v: string) => out.set(key, [...(out.get(key) ?? []), v]);
  for (const r of f.rows) {
    const xs = new Map(r.loads.map((l) => [l.id, l]));
    for (const t of r.taps) {
      const ws = new Map(t.weights.map((w) => [w.id, w]));
      for (const mac of t.macs) {
        const x = xs.get(mac.x)!;
        const w = ws.get(mac.w)!;
        const pair = f.laneAccs.find((a) => a.id === mac.acc)!;
        expect(x.lane).toBeDefined();
        add(`${pair.j}_${pair.p0}`, `${x.offset}*${w.index}`);
        add(`${pair.j}_${pair.p1}`, `${x.lane}*${w.index}`);
      }
    }
  }
  for (const l of out.values()) l.sort();
  return out;
}

describe('lane2 (two int8 pixels in bit lanes of one SMLAL)', () => {
  const int8Chw = (inC: number, weights: number[] | null, inputOffset: number, over: Record<string, unknown> = {}) => model({
    input: { channels: inC, height: 6, width: 10 }, output: { channels: 2 },
    numeric: { type: 'int8', inputOffset, multiplier: 1300000000, shift: -12 },
    ...(weights ? { weights: { values: weights } } : {}), ...over,
  });
  // every weight at |127|: 9 x inC taps x 127 x the largest |value| multiplied must stay under 2^22 = 4,194,304
  const full = (inC: number) => Array.from({ length: 2 * inC * 9 }, (_, i) => (i % 2 ? 127 : -127));

  it('is chosen only where every channel\'s sum of |products| is proved under 2^22 (exact, the offset counted)', () => {
    // no offset, |x| <= 128: 28 x 9 x 127 x 128 = 4,096,512 fits; 29 channels (4,243,968) do not
    expect(chooseMacForm(int8Chw(28, full(28), 0), isa('arm920t'))).toBe('lane2');
    expect(chooseMacForm(int8Chw(29, full(29), 0), isa('arm920t'))).toBe('single');
    expect(chooseMacForm(int8Chw(29, full(29), 0), isa('cortex-m3'))).toBe('single');
    // an offset of 128: border values up to 255 (28 x 9 x 127 x 255 > 2^22); 14 channels fit (4,080,330)
    expect(chooseMacForm(int8Chw(28, full(28), 128), isa('arm926ej-s'))).toBe('single');
    expect(chooseMacForm(int8Chw(14, full(14), 128), isa('arm926ej-s'))).toBe('lane2');
    // a negative offset counts its magnitude: -128 - 100 = -228 (16 channels: 4,169,664 fits; 17: 4,430,268 does not)
    expect(chooseMacForm(int8Chw(16, full(16), -100), isa('arm926ej-s'))).toBe('lane2');
    expect(chooseMacForm(int8Chw(17, full(17), -100), isa('arm926ej-s'))).toBe('single');
    // 64-bit accumulators (a bias near INT32_MAX): not lane2
    expect(chooseMacForm(int8Chw(4, null, 0, { bias: { values: [2147483647, 0] } }), isa('arm920t'))).toBe('single');
    // SIMD cores keep their forms; Thumb-1 and q15 never take it
    expect(chooseMacForm(int8Chw(4, null, 0, { layout: 'chw', kernel: 2 }), isa('cortex-m4'))).toBe('single');
    expect(chooseMacForm(int8Chw(4, null, 0), isa('cortex-m0'))).toBe('single');
    expect(chooseMacForm(model(), isa('arm920t'))).toBe('single');
  });

  it('the planner keeps single where lane2 loses in cycles (bench a and e on the ARM9 cores and the Cortex-M3: the tuning rows)', async () => {
    const a = await loadSpec(path.join(root, 'bench', 'a_3x3_16to16_32x32_int8.json'));
    const e = await loadSpec(path.join(root, 'bench', 'e_5x5_8to16_28x28_int8.json'));
    // Cortex-M3: one MLA per MAC (2 cycles) beats one SMLAL (5-7) per two, in both goals; ARM920T and ARM926EJ-S:
    // single's MLA beats lane2's interlocked SMLAL by default (the tuning rows)
    for (const goal of ['default', 'speed'] as const) expect(planBlocked(a, isa('cortex-m3'), planAccumulator(a).accType, goal).macForm, goal).toBe('single');
    for (const t of ['arm920t', 'arm926ej-s']) {
      const plan = planBlocked(a, isa(t), planAccumulator(a).accType);
      expect(plan.macForm, t).toBe('single');
      expect(plan.codeBytes).toBeLessThanOrEqual(plan.codeBudget);
    }
    // 4 x 2 does not fit A32's code budget for the 5x5 kernel, and 1 x 4 or 2 x 2 lose to single there (measured)
    for (const t of ['arm920t', 'arm926ej-s']) expect(planBlocked(e, isa(t), planAccumulator(e).accType).macForm, t).toBe('single');
  });

  it('computes exactly each interior function\'s taps for both pixels of a pair; odd blocks and row loops stay single', () => {
    const specs = [int8Chw(3, null, 7, { output: { channels: 4 } }), int8Chw(2, null, 0, { output: { channels: 4 }, stride: 2, padding: 'same', input: { channels: 2, height: 5, width: 17 } }),
      int8Chw(3, null, -5, { layout: 'hwc', output: { channels: 4 }, dilation: [1, 2], padding: 2, weights: { random: { seed: 9 }, layout: 'ohwi' } })];
    // No core's row takes lane2 at the moment (single wins in cycles): plan with the A32 blockings it was measured with.
    const lanes = { ...tuningOf(isa('arm920t')), lane2: { minOb: 2, minPairs: 3, extraRegs: 0 } };
    let laneFns = 0;
    for (const m of specs) {
      const plan = planBlocked(m, isa('arm920t'), planAccumulator(m).accType, 'default', 0, lanes);
      expect(chooseMacForm(m, isa('arm920t'))).toBe('lane2');
      laneFns += plan.fns.filter((f) => f.laneAccs.length > 0).length;
      const s = m.layout === 'hwc' ? { ci: 1, row: m.inW * m.inC, col: m.inC } : { ci: m.inH * m.inW, row: m.inW, col: 1 };
      for (const f of plan.fns) {
        if (f.laneAccs.length === 0) {
          expect(f.macForm).toBe('single');
          continue;
        }
        expect([f.kind, f.pb % 2, f.accs.length]).toEqual(['unrolled', 0, 0]);
        const want = new Map<string, string[]>();
        for (let j = 0; j < f.ob; j++)
          for (let p = 0; p < f.pb; p++) {
            const list: string[] = [];
            for (let u = 0; u < f.ciStep; u++)
              for (let ky = 0; ky < m.kH; ky++)
                for (let kx = 0; kx < m.kW; kx++)
                  list.push(`${u * s.ci + ky * m.dilH * s.row + (p * m.strideW + kx * m.dilW) * s.col}*${((u * m.kH + ky) * m.kW + kx) * f.ob + j}`);
            want.set(`${j}_${p}`, list.sort());
          }
        expect(laneProducts(f)).toEqual(want);
      }
    }
    expect(laneFns).toBeGreaterThan(0);
  });
});

describe('row remainders', () => {
  it('run as one block of the remainder where the form allows and the code fits, else pixel by pixel', () => {
    // 3x3 HWC q15 on Cortex-M4, padded left and right only: dual, 3-pixel blocks; 11 interior columns leave 2
    const m = model({ layout: 'hwc', input: { channels: 2, height: 6, width: 13 }, output: { channels: 2 }, padding: [0, 1, 0, 1] });
    const plan = planBlocked(m, findTarget('cortex-m4')!.features, planAccumulator(m).accType);
    const interior = plan.regions.find((r) => r.y.valid.length === 3 && r.x.valid.length === 3)!;
    const rest = (interior.x.hi - interior.x.lo + 1) % interior.pb;
    expect(rest).toBeGreaterThanOrEqual(2);
    expect(interior.tailPb).toBe(rest);
    const tailFn = plan.fns.find((f) => f.fn === interior.tail[plan.ob])!;
    expect(tailFn.pb).toBe(rest);
    // the generated run loop steps by the region's tail block
    const c = generate(m, { variant: 'optimized', isa: findTarget('cortex-m4')!.features }).files.find((f) => f.name === 'k.c')!.content;
    expect(c).toContain('ox += reg->tail_pb');
    // lane pairs (lane2 on ARMv4T int8) keep single pixels there
    for (const r of planBlocked(m, findTarget('arm926ej-s')!.features, planAccumulator(m).accType).regions) expect(r.tailPb).toBe(1);
  });
});
