import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate, interiorRange, planAccumulator, planBands } from '../../src/codegen/index.ts';
import { loadSpec } from '../../src/ops/conv_2d/spec/index.ts';
import { findTarget } from '../../src/targets/index.ts';
import { model, root } from '../helpers.ts';

/** Emitted C is part of the product: its text is committed beside this test and reviewed as a diff. */
const goldenSpecs = ['examples/edge3x3.json', 'examples/depthwise_s2.json', 'examples/q31_hwc.json', 'examples/q7_floor_shiftleft.json',
  'examples/int8_hwc.json', 'examples/q15_pairs_hwc.json', 'examples/q15_chw_rows.json'];

describe('generated C', () => {
  for (const spec of goldenSpecs)
    it(`matches the committed golden for ${spec} (reference)`, async () => {
      const k = generate(await loadSpec(path.join(root, spec)), { variant: 'reference' });
      for (const f of k.files) await expect(f.content).toMatchFileSnapshot(path.join('__golden__', path.basename(spec, '.json'), f.name));
    });

  // The optimized variant depends on the ISA: goldens for one core of each ISA family.
  for (const target of ['arm920t', 'arm926ej-s', 'cortex-m0', 'cortex-m4', 'cortex-m55', 'cortex-a9'])
    for (const spec of goldenSpecs)
      it(`matches the committed golden for ${spec} (optimized, ${target})`, async () => {
        const k = generate(await loadSpec(path.join(root, spec)), { variant: 'optimized', target: findTarget(target)! });
        const c = k.files.find((f) => f.name.endsWith('.c') && !f.name.endsWith('_input.c'))!;
        await expect(c.content).toMatchFileSnapshot(path.join('__golden__', 'optimized', target, c.name));
      });

  // optimize 'speed' where it changes the blocked family's code: lane2w's packed weight pairs (q7 on ARMv4T).
  it('matches the committed golden for bench/b_3x3_3to8_32x32_q7.json (optimized speed, arm920t: lane2w)', async () => {
    const k = generate(await loadSpec(path.join(root, 'bench/b_3x3_3to8_32x32_q7.json')), { variant: 'optimized', target: findTarget('arm920t')!, optimize: 'speed' });
    const c = k.files.find((f) => f.name.endsWith('.c') && !f.name.endsWith('_input.c'))!;
    expect(c.content).toContain('lane2w');
    await expect(c.content).toMatchFileSnapshot(path.join('__golden__', 'optimized-speed', 'arm920t', c.name));
  });

  // ... and quad's rows in M-profile assembly (weights pre-widened, Cortex-M4: families/blocked/asm-m.ts).
  it('matches the committed golden for bench/a_3x3_16to16_32x32_int8.json (optimized speed, cortex-m4: assembly rows)', async () => {
    const k = generate(await loadSpec(path.join(root, 'bench/a_3x3_16to16_32x32_int8.json')), { variant: 'optimized', target: findTarget('cortex-m4')!, optimize: 'speed' });
    const c = k.files.find((f) => f.name.endsWith('.c') && !f.name.endsWith('_input.c'))!;
    expect(c.content).toContain('__asm__(');
    await expect(c.content).toMatchFileSnapshot(path.join('__golden__', 'optimized-speed', 'cortex-m4', c.name));
  });

  it('splits the output plane so that only the border checks taps', () => {
    // 3x3, pad 1, 8x8: rows 1..6 and columns 1..6 are interior
    const bands = planBands(model({ input: { channels: 1, height: 8, width: 8 }, kernel: 3, padding: 1 }));
    expect(bands.map((b) => [b.yLo, b.yHi, b.segments.map((s) => `${s.fn}:${s.xLo}-${s.xHi}`).join(' ')])).toEqual([
      [0, 0, 'border:0-7'],
      [1, 6, 'border:0-0 inside:1-6 border:7-7'],
      [7, 7, 'border:0-7'],
    ]);
    // asymmetric padding with stride 2: top 0, bottom 2
    expect(interiorRange(5, 8, 3, 2, 1, 0)).toEqual([0, 2]);
    // valid padding: everything is interior
    const valid = planBands(model({ padding: 'valid' }));
    expect(valid).toHaveLength(1);
    expect(valid[0].segments.map((s) => s.fn)).toEqual(['inside']);
  });

  it('chooses a 32-bit accumulator only where the proved bound fits, 64-bit otherwise', () => {
    const small = model({ numeric: { type: 'q7', inputFrac: 4, weightFrac: 4, outputFrac: 4 } });
    expect(planAccumulator(small).accType).toBe('int32_t');
    // 2*9 taps of |w| = 32768 times |x| = 32768: 18 * 2^30 > 2^31
    const big = model({ weights: { values: new Array(54).fill(-32768) } });
    expect(planAccumulator(big).accType).toBe('int64_t');
    expect(planAccumulator(big).bound >= 18n * 2n ** 30n).toBe(true);
    // The same shape with small weights fits in 32 bits.
    const fits = model({ weights: { values: new Array(54).fill(100) }, bias: undefined });
    expect(planAccumulator(fits).accType).toBe('int32_t');
    expect(planAccumulator(fits).bound).toBe(18n * 100n * 32768n + 2n ** 13n);
  });

  it('refuses a q31 layer whose accumulator cannot be bounded in 64 bits, naming the bound', () => {
    const m = model({
      numeric: { type: 'q31', inputFrac: 30, weightFrac: 30, outputFrac: 30 },
      weights: { values: new Array(54).fill(-2147483648) },
    });
    expect(() => generate(m)).toThrow(/does not fit 64 bits/);
  });

  it('states shapes, formats, memory and the proved bound in the header', () => {
    const k = generate(model());
    const h = k.files.find((f) => f.name === 'k.h')!.content;
    expect(h).toMatch(/#define K_INPUT_BYTES 120u/);
    expect(h).toMatch(/#define K_OUTPUT_BYTES 180u/);
    expect(h).toMatch(/Accumulator int64_t: \|acc\| <= \d+/);
    expect(h).toMatch(/void k_run\(const int16_t \*CONVGEN_RESTRICT input, int16_t \*CONVGEN_RESTRICT output\);/);
    const code = k.files.map((f) => f.content.replace(/\/\*[\s\S]*?\*\//g, '')).join('\n');
    expect(code).not.toMatch(/\bfloat\b|\bdouble\b|malloc/);
  });
});
