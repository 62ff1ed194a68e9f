/** Which specs the NEON family accepts on Cortex-A9, and what it refuses (those fall back to `blocked`). */
import { describe, expect, it } from 'vitest';
import { chooseFamily } from '../../src/families/index.ts';
import { generate, planAccumulator } from '../../src/codegen/index.ts';
import { lineLength, slabBytes, SLAB_BUDGET } from '../../src/codegen/lines.ts';
import { neonApplies } from '../../src/families/neon/index.ts';
import { HWC_SLAB_BUDGET, hwcLinePixels, hwcSlabBytes, hwcSlots, neonHwcApplies } from '../../src/families/neon-hwc/index.ts';
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

  it('refuses cores without NEON, HWC (neon-hwc takes it), q31, int8, strides above 2 and rows narrower than a vector', () => {
    expect(familyOf(wide, m4)).toBe('blocked');
    expect(familyOf({ ...wide, layout: 'hwc', output: { channels: 8 } })).toBe('neon-hwc');
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

  it('states in the header what the C needs: <arm_neon.h> and NEON, derived from the intrinsics it calls', () => {
    for (const over of [wide, { ...wide, layout: 'hwc', output: { channels: 8 } }]) {
      const k = generate(model(over), { variant: 'optimized', isa: a9 });
      expect(['neon', 'neon-hwc']).toContain(k.family);
      const c = k.files[1].content;
      expect(c).toContain('#include <arm_neon.h>');
      expect(k.files[0].content).toMatch(/C99 with <stdint\.h>, <arm_neon\.h>; .*Instructions: NEON/s);
    }
  });

  it('stores the weights blocked with the same count as the model', () => {
    const m = model({ input: { channels: 4, height: 5, width: 9 }, output: { channels: 6 }, groups: 2 });
    const c = generate(m, { variant: 'optimized', isa: a9 }).files[1].content;
    expect(c).toContain(`_weights[${m.weights.length}]`);
  });
});

const hwc = { layout: 'hwc', output: { channels: 8 } };
const int8 = (extra: Record<string, unknown> = {}) => ({ type: 'int8', inputOffset: 128, outputOffset: -3, multiplier: 1300000000, shift: -8, ...extra });

describe('neon-hwc family: applies', () => {
  it('accepts HWC int8 (per-tensor, per-channel), q7 and q15 (int32 and int64 bounds), stride, dilation, groups, depthwise', () => {
    expect(familyOf({ ...hwc, numeric: int8() })).toBe('neon-hwc');
    expect(familyOf({ ...hwc, numeric: int8({ multiplier: new Array(8).fill(1300000000), shift: [-8, -7, 2, 0, -31, 30, -1, -2] }) })).toBe('neon-hwc');
    expect(familyOf({ ...hwc, numeric: { type: 'q7', inputFrac: 5, weightFrac: 6, outputFrac: 5 } })).toBe('neon-hwc');
    expect(familyOf({ ...hwc, weights: { values: new Array(8 * 18).fill(-32768) } })).toBe('neon-hwc');
    expect(familyOf({ ...hwc, stride: 2, dilation: 2, padding: 'same', input: { channels: 1, height: 9, width: 9 }, numeric: int8() })).toBe('neon-hwc');
    expect(familyOf({ ...hwc, groups: 2, input: { channels: 6, height: 5, width: 5 }, output: { channels: 16 }, numeric: int8() })).toBe('neon-hwc');
    // 4 to 7 output channels per group: 4 lanes
    expect(familyOf({ ...hwc, output: { channels: 5 }, numeric: int8() })).toBe('neon-hwc');
    // depthwise: 8 or more channels as lanes, any multiplier
    expect(familyOf({ ...hwc, groups: 9, input: { channels: 9, height: 5, width: 5 }, output: { channels: 18 }, numeric: int8() })).toBe('neon-hwc');
  });

  it('refuses cores without NEON, q31, fewer than 4 output channels per group, depthwise under 8 channels', () => {
    // (on Cortex-M4 its 2 input channels are the dsp-rows family's: taps paired along the row)
    expect(familyOf({ ...hwc, numeric: int8() }, m4)).toBe('dsp-rows');
    expect(familyOf({ ...hwc, numeric: { type: 'q31', inputFrac: 20, weightFrac: 24, outputFrac: 16 }, weights: { values: new Array(144).fill(1000) } })).toBe('blocked');
    expect(familyOf({ ...hwc, output: { channels: 3 }, numeric: int8() })).toBe('blocked');
    expect(familyOf({ ...hwc, groups: 4, input: { channels: 4, height: 5, width: 5 }, output: { channels: 8 }, numeric: int8() })).toBe('blocked');
  });

  it('refuses a spec whose ring of input lines would exceed the stack budget', () => {
    const m = model({ ...hwc, kernel: 5, input: { channels: 64, height: 8, width: 12 } });
    // 5 slots x (12 + 2 pixels) x 64 channels x 2 bytes
    expect(hwcSlots(m)).toBe(5);
    expect(hwcLinePixels(m)).toBe(14);
    expect(hwcSlabBytes(m)).toBe(5 * 14 * 64 * 2);
    expect(hwcSlabBytes(m)).toBeGreaterThan(HWC_SLAB_BUDGET);
    expect(neonHwcApplies(m, planAccumulator(m), a9)).toBe(false);
  });
});

describe('neon-hwc family: generated C', () => {
  it('int8: vector requantization, lane broadcast, raw int8 weights by default and int16 with optimize speed', () => {
    const m = model({ ...hwc, numeric: int8() });
    const c = generate(m, { variant: 'optimized', isa: a9 }).files[1].content;
    expect(c).toMatch(/vqrdmulhq_s32/);
    expect(c).toMatch(/vmlal_lane_s16/);
    expect(c).toContain(`static const int8_t k_weights[${m.weights.length}]`);
    expect(c).not.toMatch(/_srdhm\(/);
    const fast = generate(m, { variant: 'optimized', isa: a9, optimize: 'speed' }).files[1].content;
    expect(fast).toContain(`static const int16_t k_weights[${m.weights.length}]`);
    expect(fast).toMatch(/pre-widened to int16/);
  });

  it('q15 with an int64 bound widens exact int32 products; depthwise multiplies element-wise', () => {
    const q15 = model({ ...hwc, weights: { values: new Array(8 * 18).fill(-32768) } });
    expect(planAccumulator(q15).accType).toBe('int64_t');
    const c = generate(q15, { variant: 'optimized', isa: a9 }).files[1].content;
    expect(c).toMatch(/vmull_lane_s16/);
    expect(c).toMatch(/vaddw_s32/);
    const dw = generate(model({ ...hwc, groups: 8, input: { channels: 8, height: 5, width: 5 }, numeric: int8() }), { variant: 'optimized', isa: a9 }).files[1].content;
    expect(dw).toMatch(/vmlal_s16\(/);
    expect(dw).not.toMatch(/vmlal_lane_s16/);
  });
});
