import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate, planAccumulator } from '../../src/codegen/index.ts';
import { chooseFamily, optimizedFamilies } from '../../src/families/index.ts';
import { formFor } from '../../src/families/pointwise/forms.ts';
import { planPointwise, pointwiseApplies } from '../../src/families/pointwise/plan.ts';
import { loadSpec, type KernelModel } from '../../src/ops/conv_2d/spec/index.ts';
import { findTarget } from '../../src/targets/index.ts';
import { model, root } from '../helpers.ts';

const isa = (t: string) => findTarget(t)!.features;
const pw = (over: Record<string, unknown> = {}) => model({ kernel: 1, padding: 0, input: { channels: 8, height: 4, width: 5 }, output: { channels: 6 }, ...over });
const int8 = (over: Record<string, unknown> = {}) => pw({
  layout: 'hwc', input: { channels: 12, height: 3, width: 4 }, output: { channels: 5 },
  numeric: { type: 'int8', inputOffset: 128, outputOffset: -3, multiplier: 1374632181, shift: -9 },
  weights: { random: { seed: 3 }, layout: 'ohwi' }, ...over,
});
const applies = (m: KernelModel, t: string) => pointwiseApplies(m, planAccumulator(m), isa(t));
const bench = (s: string) => loadSpec(path.join(root, 'bench', `c_1x1_32to32_16x16_${s}.json`));

describe('pointwise family', () => {
  it('sits between the vector families and blocked', () => {
    expect(optimizedFamilies.map((f) => f.name)).toEqual(['mve', 'mve-chw', 'neon', 'neon-hwc', 'pointwise', 'dsp-rows', 'blocked', 'loops']);
  });

  it('applies to 1x1 convolutions it computes exactly, with stride and padding, in both layouts', () => {
    for (const t of ['arm920t', 'arm926ej-s', 'cortex-m0', 'cortex-m3', 'cortex-m4', 'host']) {
      expect(applies(pw(), t)).toBe(true);
      expect(applies(pw({ layout: 'hwc', stride: 2, padding: [1, 0, 2, 1] }), t)).toBe(true);
      expect(applies(pw({ numeric: { type: 'q7', inputFrac: 5, weightFrac: 6, outputFrac: 5 } }), t)).toBe(true);
      expect(applies(int8(), t)).toBe(true);
      const m = pw();
      expect(chooseFamily(m, planAccumulator(m), isa(t)).name).toBe('pointwise');
    }
  });

  it('refuses what it does not handle, so blocked generates it', () => {
    // The last: every output lies in the padding (test/regressions/no_interior_outputs.json), nothing to multiply.
    const refused = [pw({ kernel: 3, padding: 1 }), pw({ kernel: [1, 3] }), pw({ groups: 2 }),
      pw({ input: { channels: 4, height: 1, width: 1 }, stride: [2, 1], padding: 1 })];
    for (const m of refused) {
      expect(applies(m, 'cortex-m4')).toBe(false);
      expect(chooseFamily(m, planAccumulator(m), isa('cortex-m4')).name).toBe('blocked');
    }
    // q31 products need a 32x32->64 multiply: none on Thumb-1 (it would call __aeabi_lmul per MAC).
    const q31 = pw({ numeric: { type: 'q31', inputFrac: 20, weightFrac: 24, outputFrac: 16 }, weights: { values: Array.from({ length: 48 }, (_, i) => i * 1000 - 20000) } });
    expect(applies(q31, 'cortex-m0')).toBe(false);
    expect(applies(q31, 'arm920t')).toBe(true);
  });

  it('chooses the MAC form per ISA feature row', async () => {
    const q15 = await bench('q15');
    const q7 = await bench('q7');
    const i8 = await bench('int8');
    const form = (m: KernelModel, t: string) => formFor(m, isa(t)).form;
    expect(form(q15, 'arm920t')).toBe('plain');
    expect(form(q15, 'arm926ej-s')).toBe('halves-pixels');
    // An odd plane (planes alternate word alignment) or a strided run: pixels are loaded as halfwords.
    const oddPlane = pw({ input: { channels: 8, height: 5, width: 5 } });
    expect(form(oddPlane, 'arm926ej-s')).toBe('halves');
    expect(form(pw({ stride: 2 }), 'arm926ej-s')).toBe('halves');
    expect(form(pw(), 'arm926ej-s')).toBe('halves-pixels');
    expect(form(q15, 'cortex-m3')).toBe('plain');
    expect(form(q15, 'cortex-m4')).toBe('dual');
    // CHW int8 data: no adjacent channels to unpack, but pixel pairs pack into SMLAL's lanes.
    expect(form(q7, 'cortex-m4')).toBe('lane2');
    expect(form(i8, 'cortex-m4')).toBe('quad');
    expect(form(i8, 'arm926ej-s')).toBe('lane2');
    expect(form(i8, 'arm920t')).toBe('lane2');
    expect(form(q7, 'arm920t')).toBe('lane2');
    expect(form(q15, 'cortex-m0')).toBe('plain');
    // Thumb-1 has no SMLAL; 16-bit data does not fit a lane.
    expect(form(q7, 'cortex-m0')).toBe('plain');
    expect(form(q15, 'arm920t')).toBe('plain');
  });

  it('halves-pixels: word-aligned pixel pairs from pixel 0, or from pixel 1 when the input is off by a halfword', () => {
    const m = pw();
    const c = generate(m, { variant: 'optimized', isa: isa('arm926ej-s') }).files.find((f) => f.name === 'k.c')!.content;
    expect(c).toMatch(/if \(\(\(uintptr_t\)input & 2u\) == 0\)/);
    // 20 pixels: 10 pairs aligned; shifted, pixel 0 alone, 9 pairs from pixel 1, pixel 19 alone.
    expect(c).toMatch(/k_block0_o2_p2\(input, [^;]*, o0, 10\);/);
    expect(c).toMatch(/k_block1_o2_p1\(input, [^;]*, o0, 1\);\s+k_block0_o2_p2\(input \+ 1, [^;]*, o0, 9\);\s+k_block1_o2_p1\(input \+ 19, [^;]*, o0, 1\);/);
  });

  it('packs pixel pairs into lanes only where every channel\'s sum fits 2^22, and only for whole pairs', () => {
    // 300 input channels of weight ±127: 300 * 127 * 128 > 2^22.
    const big = pw({ numeric: { type: 'q7', inputFrac: 5, weightFrac: 6, outputFrac: 5 }, input: { channels: 300, height: 2, width: 3 }, output: { channels: 2 },
      weights: { values: Array.from({ length: 600 }, (_, i) => (i % 2 ? 127 : -127)) } });
    expect(formFor(big, isa('arm920t')).form).toBe('plain');
    const small = pw({ numeric: { type: 'q7', inputFrac: 5, weightFrac: 6, outputFrac: 5 }, input: { channels: 8, height: 1, width: 5 } });
    const p = planPointwise(small, planAccumulator(small), isa('arm920t'));
    expect(p.form.form).toBe('lane2');
    expect(p.tile.pb % 2).toBe(0);
    // Five pixels: the odd one left over multiplies plainly.
    const c = generate(small, { variant: 'optimized', isa: isa('arm920t') }).files.find((f) => f.name === 'k.c')!.content;
    expect(c).toMatch(/lane2: `count`/);
    expect(c).toMatch(/plain: `count`/);
  });

  it('keeps each tile within its ISA row register budget and tiles more than one MAC where registers allow', async () => {
    for (const s of ['q15', 'q7', 'int8']) {
      const m = await bench(s);
      const plan = planAccumulator(m);
      const tiles = Object.fromEntries(['arm920t', 'arm926ej-s', 'cortex-m0', 'cortex-m3', 'cortex-m4'].map((t) => [t, planPointwise(m, plan, isa(t)).tile]));
      for (const [t, tile] of Object.entries(tiles)) {
        const budget = t === 'cortex-m0' ? 5 : 11;
        expect(tile.registers, `${s} ${t}`).toBeLessThanOrEqual(budget + 1);
        expect(tile.codeBytes, `${s} ${t}`).toBeLessThanOrEqual(3600);
      }
      for (const t of ['arm920t', 'arm926ej-s', 'cortex-m3', 'cortex-m4']) expect(tiles[t].ob * tiles[t].pb, `${s} ${t}`).toBeGreaterThanOrEqual(4);
      // Thumb-1 has eight low registers: a smaller tile than Thumb-2.
      expect(tiles['cortex-m0'].ob * tiles['cortex-m0'].pb).toBeLessThan(tiles['cortex-m3'].ob * tiles['cortex-m3'].pb);
    }
  });

  it('stores the same weight bytes as the raw weights by default, every value once', async () => {
    const specs = [await bench('q15'), await bench('q7'), await bench('int8'), pw({ input: { channels: 5, height: 3, width: 3 }, output: { channels: 7 } }),
      int8({ input: { channels: 33, height: 2, width: 3 }, output: { channels: 3 } })];
    for (const m of specs)
      for (const t of ['arm920t', 'arm926ej-s', 'cortex-m0', 'cortex-m4', 'host']) {
        const p = planPointwise(m, planAccumulator(m), isa(t));
        const bytes = p.classes.reduce((a, c) => a + c.weights.length * (c.form.form === 'plain' || c.form.form === 'lane2' ? m.numeric.storage.bits / 8 : 4)
          + c.kTailWeights.length * (m.numeric.storage.bits / 8), 0);
        expect(bytes, `${m.name} ${t}`).toBe(m.weights.length * (m.numeric.storage.bits / 8));
        const c = generate(m, { variant: 'optimized', isa: isa(t) }).files.find((f) => f.name === `${m.name}.c`)!.content;
        expect(c).toMatch(/the same bytes as the raw weights/);
      }
  });

  it("pre-widens int8 weights only under optimize 'speed', and says so in the header", async () => {
    const m = await bench('int8');
    const gen = (optimize: 'default' | 'speed') => generate(m, { variant: 'optimized', isa: isa('cortex-m4'), optimize }).files.find((f) => f.name === `${m.name}.c`)!.content;
    expect(gen('default')).toMatch(/MAC form: quad:/);
    expect(gen('speed')).toMatch(/MAC form: quad-widened:/);
    expect(gen('speed')).toMatch(/pre-widened to int16 pairs, 2048 bytes where the raw weights take 1024/);
    // No DSP: nothing to pre-widen for, the default layout stays.
    const plain = generate(m, { variant: 'optimized', isa: isa('cortex-m3'), optimize: 'speed' }).files.find((f) => f.name === `${m.name}.c`)!.content;
    expect(plain).toMatch(/the same bytes as the raw weights/);
  });

  it("keeps quad under 'speed' where the core's row measured it faster (Cortex-M7 over many pixels), and the header says why", async () => {
    const m = await bench('int8');
    const files = (optimize: 'default' | 'speed') => generate(m, { variant: 'optimized', isa: isa('cortex-m7'), optimize }).files;
    const c = files('speed').find((f) => f.name === `${m.name}.c`)!.content;
    expect(c).toMatch(/MAC form: quad:/);
    expect(c).toBe(files('default').find((f) => f.name === `${m.name}.c`)!.content.replaceAll("optimize 'default'", "optimize 'speed'"));
    expect(files('speed').find((f) => f.name === `${m.name}.h`)!.content).toMatch(/Optimize +speed: default's form \(quad/);
    // One pixel (a fully connected layer): every weight is unpacked once per MAC, and pre-widened weights win there.
    const fc = int8({ input: { channels: 64, height: 1, width: 1 }, output: { channels: 8 } });
    const fcC = generate(fc, { variant: 'optimized', isa: isa('cortex-m7'), optimize: 'speed' }).files.find((f) => f.name === 'k.c')!.content;
    expect(fcC).toMatch(/MAC form: quad-widened:/);
  });

  it('folds the int8 input offset into the seeds of the outputs that see the input', () => {
    const m = int8({ padding: 1 });
    const c = generate(m, { variant: 'optimized', isa: isa('cortex-m4') }).files.find((f) => f.name === 'k.c')!.content;
    expect(c).toMatch(/k_interior_seed\[K_OUT_C\]/);
    // Padded outputs keep the plain seed (no input, no offset).
    expect(c).toMatch(/k_bias_only[\s\S]*k_seed\(o\)/);
  });

  for (const [spec, target] of [['q15', 'arm920t'], ['q15', 'arm926ej-s'], ['int8', 'cortex-m4'], ['int8', 'arm920t']] as const)
    it(`matches the committed golden for bench ${spec} on ${target}`, async () => {
      const k = generate(await bench(spec), { variant: 'optimized', isa: isa(target) });
      expect(k.family).toBe('pointwise');
      const c = k.files.find((f) => f.name.endsWith('.c'))!;
      await expect(c.content).toMatchFileSnapshot(path.join('__golden__', 'pointwise', target, c.name));
    });
});
