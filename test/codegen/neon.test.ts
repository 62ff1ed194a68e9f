/** Which specs the NEON family accepts on Cortex-A9, and what it refuses (those fall back to `blocked`). */
import { describe, expect, it } from 'vitest';
import { chooseFamily } from '../../src/codegen/families.ts';
import { generate, planAccumulator } from '../../src/codegen/index.ts';
import { lineLength, neonApplies, slabBytes, SLAB_BUDGET } from '../../src/codegen/neon.ts';
import { findTarget } from '../../src/targets/index.ts';
import { model } from '../helpers.ts';

const a9 = findTarget('cortex-a9')!.features;
const m4 = findTarget('cortex-m4')!.features;
const wide = { input: { channels: 3, height: 6, width: 12 } };
const familyOf = (over: Record<string, unknown>, isa = a9) => {
  const m = model(over);
  return chooseFamily(m, planAccumulator(m), isa).name;
};

describe('neon family: applies', () => {
  it('accepts CHW q15 and q7, stride 1 and 2, dilation, groups and depthwise, int32 and int64 bounds', () => {
    expect(familyOf(wide)).toBe('neon');
    expect(familyOf({ ...wide, numeric: { type: 'q7', inputFrac: 5, weightFrac: 6, outputFrac: 5 } })).toBe('neon');
    expect(familyOf({ ...wide, stride: 2, padding: 'same', input: { channels: 2, height: 8, width: 20 } })).toBe('neon');
    expect(familyOf({ ...wide, dilation: [2, 3], padding: [2, 3, 1, 2] })).toBe('neon');
    expect(familyOf({ input: { channels: 4, height: 5, width: 9 }, output: { channels: 6 }, groups: 2 })).toBe('neon');
    expect(familyOf({ input: { channels: 3, height: 5, width: 9 }, output: { channels: 6 }, groups: 3 })).toBe('neon');
  });

  it('refuses cores without NEON, HWC, q31, int8, strides above 2 and rows narrower than a vector', () => {
    expect(familyOf(wide, m4)).toBe('blocked');
    expect(familyOf({ ...wide, layout: 'hwc' })).toBe('blocked');
    expect(familyOf({ ...wide, numeric: { type: 'q31', inputFrac: 20, weightFrac: 24, outputFrac: 16 }, weights: { values: new Array(81).fill(1000) }, bias: { values: [1, 2, 3] } })).toBe('blocked');
    expect(familyOf({ ...wide, numeric: { type: 'int8', inputOffset: 3, multiplier: 1073741824, shift: -5 } })).toBe('blocked');
    expect(familyOf({ ...wide, stride: [1, 3] })).toBe('blocked');
    expect(familyOf({ input: { channels: 3, height: 6, width: 7 } })).toBe('blocked');
  });

  it('refuses a spec whose padded input lines would exceed the stack budget', () => {
    const m = model({ input: { channels: 64, height: 8, width: 40 }, output: { channels: 4 } });
    expect(slabBytes(m)).toBeGreaterThan(SLAB_BUDGET);
    expect(neonApplies(m, planAccumulator(m), a9)).toBe(false);
  });

  it('sizes the padded line to the last element a stride-2 load reads', () => {
    const m = model({ stride: 2, padding: [1, 1, 1, 1], input: { channels: 1, height: 8, width: 16 } });
    // outW = 8: the last vector reads (8 - 1) * 2 + 2 + 1 = 17, so 18 elements (left pad 1 + 16 + 1 zero).
    expect(lineLength(m)).toBe(18);
  });
});

describe('neon family: generated C', () => {
  it('uses vmlal_s16 for an int32 bound and vmull_s16 + vaddw_s32 for an int64 bound', () => {
    const q7 = model({ ...wide, numeric: { type: 'q7', inputFrac: 5, weightFrac: 6, outputFrac: 5 } });
    expect(planAccumulator(q7).accType).toBe('int32_t');
    const c7 = generate(q7, { variant: 'optimized', isa: a9 }).files[1].content;
    expect(c7).toMatch(/vmlal_lane_s16/);
    expect(c7).not.toMatch(/vaddw_s32/);
    const q15 = model({ ...wide, weights: { values: new Array(81).fill(-32768) } });
    expect(planAccumulator(q15).accType).toBe('int64_t');
    const c15 = generate(q15, { variant: 'optimized', isa: a9 });
    expect(c15.family).toBe('neon');
    expect(c15.files[1].content).toMatch(/vmull_lane_s16/);
    expect(c15.files[1].content).toMatch(/vaddw_s32/);
    expect(c15.files[1].content).not.toMatch(/vmlal_lane_s16/);
  });

  it('stores the weights blocked with the same count as the model', () => {
    const m = model({ input: { channels: 4, height: 5, width: 9 }, output: { channels: 6 }, groups: 2 });
    const c = generate(m, { variant: 'optimized', isa: a9 }).files[1].content;
    expect(c).toContain(`_weights[${m.weights.length}]`);
  });
});
