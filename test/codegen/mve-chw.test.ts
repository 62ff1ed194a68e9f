/** Which CHW specs the MVE CHW family accepts on Cortex-M55, what it refuses (those fall back), and its generated C. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { chooseFamily } from '../../src/families/index.ts';
import { generate, planAccumulator, writeKernel } from '../../src/codegen/index.ts';
import { MVE_CHW_CODE_BUDGET, mveChwApplies, planMveChw } from '../../src/families/mve-chw/plan.ts';
import { kernelObjectFlags, parseSizeA } from '../../src/measure/index.ts';
import { slabBytes, SLAB_BUDGET } from '../../src/codegen/lines.ts';
import { loadSpec } from '../../src/ops/conv_2d/spec/index.ts';
import { findTarget } from '../../src/targets/index.ts';
import { model, root } from '../helpers.ts';

const m55 = findTarget('cortex-m55')!.features;
const m4 = findTarget('cortex-m4')!.features;
const q7 = { type: 'q7', inputFrac: 5, weightFrac: 6, outputFrac: 5 };
const q15 = { type: 'q15', inputFrac: 12, weightFrac: 14, outputFrac: 12 };
const wide = { input: { channels: 3, height: 6, width: 12 }, numeric: q7 };
const familyOf = (over: Record<string, unknown>, isa = m55) => {
  const m = model(over);
  return chooseFamily(m, planAccumulator(m), isa).name;
};

describe('mve-chw family: applies', () => {
  it('accepts CHW q7 and int32-bound q15, stride 1 and 2, dilation, groups, depthwise and 1x1', () => {
    expect(familyOf(wide)).toBe('mve-chw');
    expect(familyOf({ ...wide, numeric: q15, weights: { values: new Array(81).fill(100) } })).toBe('mve-chw');
    expect(familyOf({ ...wide, stride: 2, padding: 'same', input: { channels: 2, height: 8, width: 20 } })).toBe('mve-chw');
    expect(familyOf({ ...wide, dilation: [2, 3], padding: [2, 3, 1, 2] })).toBe('mve-chw');
    expect(familyOf({ ...wide, input: { channels: 4, height: 5, width: 9 }, output: { channels: 6 }, groups: 2 })).toBe('mve-chw');
    expect(familyOf({ ...wide, input: { channels: 3, height: 5, width: 9 }, output: { channels: 6 }, groups: 3 })).toBe('mve-chw');
    expect(familyOf({ ...wide, kernel: 1, padding: 0 })).toBe('mve-chw');
  });

  it('refuses cores without MVE, HWC, int64 bounds, q31, int8, strides above 2 and rows narrower than a vector', () => {
    expect(familyOf(wide, m4)).toBe('blocked');
    expect(familyOf({ ...wide, layout: 'hwc' })).toBe('mve');
    // Full-range q15 weights over 27 taps: the bound needs int64, which VMLA.S32 cannot hold.
    const i64 = model({ ...wide, numeric: q15, weights: { values: new Array(81).fill(-32768) } });
    expect(planAccumulator(i64).accType).toBe('int64_t');
    expect(chooseFamily(i64, planAccumulator(i64), m55).name).toBe('blocked');
    expect(familyOf({ ...wide, numeric: { type: 'q31', inputFrac: 20, weightFrac: 24, outputFrac: 16 }, weights: { values: new Array(81).fill(1000) }, bias: { values: [1, 2, 3] } })).toBe('blocked');
    expect(familyOf({ ...wide, numeric: { type: 'int8', inputOffset: 3, multiplier: 1073741824, shift: -5 } })).toBe('blocked');
    expect(familyOf({ ...wide, stride: [1, 3] })).toBe('blocked');
    expect(familyOf({ ...wide, padding: 0, input: { channels: 3, height: 6, width: 5 } })).toBe('blocked');
  });

  it('refuses a spec whose padded input lines would exceed the stack budget, or a tap beyond a load offset', () => {
    const big = model({ input: { channels: 64, height: 8, width: 40 }, output: { channels: 4 }, numeric: q7 });
    expect(slabBytes(big)).toBeGreaterThan(SLAB_BUDGET);
    expect(mveChwApplies(big, planAccumulator(big), m55)).toBe(false);
    const far = model({ input: { channels: 1, height: 8, width: 140 }, kernel: [1, 3], dilation: [1, 64], padding: 0, numeric: q7 });
    expect(mveChwApplies(far, planAccumulator(far), m55)).toBe(false);
  });
});

describe('mve-chw family: generated C', () => {
  it('stores the weights blocked with the same count as the model, and a vector stage only where qfinish applies', () => {
    const m = model({ ...wide, input: { channels: 4, height: 5, width: 9 }, output: { channels: 6 }, groups: 2 });
    const c = generate(m, { variant: 'optimized', isa: m55 }).files[1].content;
    expect(c).toContain(`_weights[${m.weights.length}]`);
    expect(c).toMatch(/vmlaq_n_s32/);
    expect(c).toMatch(/vminq_s32/);
    // A left shift saturates before it multiplies: the common scalar finish.
    const shl = model({ ...wide, numeric: { type: 'q7', inputFrac: 2, weightFrac: 3, outputFrac: 7, biasFrac: 4 } });
    const cs = generate(shl, { variant: 'optimized', isa: m55 }).files[1].content;
    expect(cs).not.toMatch(/vminq_s32/);
    expect(cs).toMatch(/_finish\(v\[p\]\)/);
  });

  it('matches the committed golden for bench a q7 on cortex-m55', async () => {
    const k = generate(await loadSpec(path.join(root, 'bench', 'a_3x3_16to16_32x32_q7.json')), { variant: 'optimized', isa: m55 });
    expect(k.family).toBe('mve-chw');
    const c = k.files.find((f) => f.name.endsWith('.c'))!;
    await expect(c.content).toMatchFileSnapshot(path.join('__golden__', 'mve-chw', c.name));
  });
});

describe('mve-chw code-size estimate', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'convgen-mvechw-size-'));
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
  const small = (n: number) => ({ values: Array.from({ length: n }, (_, i) => ((i * 7919) % 401) - 200) });
  // The bench's q7 shapes and the biggest kernels the family makes: 7-wide kernels with a channel tail and a pixel
  // remainder (four block functions), stride 2, the scalar left-shift stage, q15.
  const big: Record<string, Record<string, unknown>> = {
    k7_tails_shl: { input: { channels: 3, height: 10, width: 30 }, output: { channels: 5 }, kernel: 7, padding: 3,
      numeric: { type: 'q7', inputFrac: 2, weightFrac: 3, outputFrac: 7, biasFrac: 4 } },
    k7_s2_q15: { input: { channels: 4, height: 12, width: 30 }, output: { channels: 5 }, kernel: 7, stride: 2, padding: 3, weights: small(5 * 4 * 49) },
    k5_q7: { input: { channels: 6, height: 10, width: 27 }, output: { channels: 7 }, kernel: 5, padding: 2, numeric: q7 },
  };

  it('is at least the real .text and keeps it under 4 KiB on cortex-m55', async () => {
    const t = findTarget('cortex-m55')!;
    const models = [
      ...await Promise.all(['a_3x3_16to16_32x32', 'b_3x3_3to8_32x32', 'c_1x1_32to32_16x16', 'd_dw3x3_32_32x32', 'e_5x5_8to16_28x28', 'f_3x3s2same_16to16_32x32']
        .map((s) => loadSpec(path.join(root, 'bench', `${s}_q7.json`)))),
      ...Object.entries(big).map(([name, over]) => model({ name, ...over })),
    ];
    await Promise.all(models.map(async (m) => {
      const k = generate(m, { variant: 'optimized', isa: t.features });
      expect(k.family, m.name).toBe('mve-chw');
      const est = planMveChw(m, planAccumulator(m)).codeBytes;
      const dir = path.join(work, m.name);
      writeKernel(k, dir);
      const obj = path.join(dir, 'kernel.o');
      await execa('arm-none-eabi-gcc', [...kernelObjectFlags(t, dir), '-c', path.join(dir, `${k.name}.c`), '-o', obj]);
      const text = parseSizeA((await execa('arm-none-eabi-size', ['-A', obj])).stdout).text;
      expect(est, `${m.name}: estimate ${est} B, real .text ${text} B`).toBeGreaterThanOrEqual(text);
      expect(est).toBeLessThanOrEqual(MVE_CHW_CODE_BUDGET);
      expect(text).toBeLessThanOrEqual(4096);
    }));
  }, 120_000);
});
