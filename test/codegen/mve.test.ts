/** The MVE kernel family: which specs it takes (exactly) and which it leaves to `blocked`, and what it emits. */
import { describe, expect, it } from 'vitest';
import { generate, planAccumulator } from '../../src/codegen/index.ts';
import { chooseFamily } from '../../src/families/index.ts';
import { mveShape } from '../../src/families/mve/plan.ts';
import { findTarget } from '../../src/targets/index.ts';
import { lowerWith } from '../../src/families/family.ts';
import { prune } from '../../src/ir/prune.ts';
import { vectorIntrinsicHeader } from '../../src/ir/requirements.ts';
import { visitItems } from '../../src/ir/walk.ts';
import { model } from '../helpers.ts';

const m55 = findTarget('cortex-m55')!.features;
const m33 = findTarget('cortex-m33')!.features;

const int8 = (over: Record<string, unknown> = {}) => ({
  layout: 'hwc', input: { channels: 17, height: 6, width: 7 }, output: { channels: 5 },
  numeric: { type: 'int8', inputOffset: 128, outputOffset: -3, multiplier: 1300000000, shift: -8 },
  weights: { random: { seed: 3 }, layout: 'ohwi' }, bias: { random: { seed: 4 } }, ...over,
});
const q15hwc = (over: Record<string, unknown> = {}) => ({ layout: 'hwc', input: { channels: 9, height: 5, width: 5 }, ...over });
const extremeQ15 = { numeric: { type: 'q15', inputFrac: 15, weightFrac: 15, outputFrac: 8 }, bias: { values: [5, -5, 7] } };

function shapeOf(over: Record<string, unknown>, isa = m55) {
  const m = model(over);
  return mveShape(m, planAccumulator(m), isa);
}

describe('mve family: applies', () => {
  it('takes HWC int8, q7 and q15 convolutions on an MVE core (dot products over contiguous spans)', () => {
    expect(shapeOf(int8())).toBe('dot');
    expect(shapeOf(q15hwc())).toBe('dot');
    expect(shapeOf(q15hwc({ numeric: { type: 'q7', inputFrac: 5, weightFrac: 6, outputFrac: 5 } }))).toBe('dot');
    expect(shapeOf(int8({ groups: 17, output: { channels: 17 }, dilation: 2, padding: 2 }))).toBe('dw');
    expect(shapeOf(int8({ groups: 17, output: { channels: 34 } }))).toBe('dw');
  });

  it('takes q15 with a 64-bit accumulator through VMLALDAVA, and refuses it where no exact 64-bit path exists', () => {
    const wide = q15hwc({ ...extremeQ15, weights: { values: new Array(3 * 9 * 9).fill(-32768) } });
    expect(planAccumulator(model(wide)).accType).toBe('int64_t');
    expect(shapeOf(wide)).toBe('dot');
    const dw = q15hwc({ ...extremeQ15, groups: 9, output: { channels: 9 }, bias: { values: new Array(9).fill(3) },
      weights: { values: new Array(9 * 9).fill(100) } });
    expect(planAccumulator(model(dw)).accType).toBe('int32_t');
    expect(shapeOf(dw)).toBe('dw');
    // Depthwise accumulates in int32x4 lanes: a 64-bit bound goes to blocked.
    const dw64 = { ...dw, weights: { values: new Array(9 * 9).fill(-32768) } };
    expect(planAccumulator(model(dw64)).accType).toBe('int64_t');
    expect(shapeOf(dw64)).toBeNull();
  });

  it('leaves CHW, q31, and cores without MVE to the blocked family', () => {
    expect(shapeOf({})).toBeNull();
    expect(shapeOf(int8({ layout: 'chw', weights: { random: { seed: 3 } } }))).toBeNull();
    expect(shapeOf(q15hwc({ numeric: { type: 'q31', inputFrac: 20, weightFrac: 24, outputFrac: 16 }, weights: { values: new Array(3 * 81).fill(1000) } }))).toBeNull();
    expect(shapeOf(int8(), m33)).toBeNull();
    const m = model(int8());
    expect(chooseFamily(m, planAccumulator(m), m33).name).toBe('blocked');
    expect(chooseFamily(m, planAccumulator(m), m55).name).toBe('mve');
  });
});

describe('mve family: generated C', () => {
  const cOf = (over: Record<string, unknown>) => {
    const k = generate(model(over), { isa: m55 });
    return { k, c: k.files.find((f) => f.name.endsWith('.c'))!.content };
  };

  it('uses tail-predicated VMLADAVA for int8 and VMLALDAVA for a 64-bit q15 accumulator', () => {
    const { k, c } = cOf(int8());
    expect(k.family).toBe('mve');
    expect(c).toContain('#include <arm_mve.h>');
    expect(c).toContain('vmladavaq_s8(');
    // 17 channels x 3 columns = 51 bytes a row: three full vectors and a 3-lane tail.
    expect(c).toMatch(/vctp8q\(3\)/);
    expect(c).toContain('vldrbq_z_s8(');
    const wide = cOf(q15hwc({ ...extremeQ15, weights: { values: new Array(3 * 9 * 9).fill(-32768) } })).c;
    expect(wide).toContain('vmlaldavaq_s16(');
    expect(wide).not.toContain('vmladavaq_s16(');
  });

  it('folds the input offset into interior seeds and adds it per valid weight at borders', () => {
    const { c } = cOf(int8());
    expect(c).toContain('_interior_seed[');
    expect(c).toContain('vaddvaq_s8(');
    const q7 = cOf(q15hwc({ numeric: { type: 'q7', inputFrac: 5, weightFrac: 6, outputFrac: 5 } })).c;
    expect(q7).not.toContain('_interior_seed[');
    expect(q7).not.toContain('vaddvaq');
  });

  it('stores the weights as a permutation of the spec\'s (the same bytes, no padding)', () => {
    for (const over of [int8(), int8({ groups: 17, output: { channels: 34 } })]) {
      const m = model(over);
      const c = cOf(over).c;
      const body = c.slice(c.indexOf('_weights['), c.indexOf('};', c.indexOf('_weights[')));
      const values = body.slice(body.indexOf('{') + 1).split(',').map((s) => s.trim()).filter(Boolean).map(Number);
      expect(values.length).toBe(m.weights.length);
      expect([...values].sort((a, b) => a - b)).toEqual([...m.weights].sort((a, b) => a - b));
    }
  });

  it('vectorizes depthwise over channels with a predicated channel tail', () => {
    const { c } = cOf(int8({ groups: 17, output: { channels: 34 } }));
    expect(c).toContain('vldrbq_s32(');
    expect(c).toContain('vctp32q(1)');
    expect(c).toContain('vmulq_s32(');
  });

  it('runs int8 output stages on 4 channels per vector where channels are consecutive, scalar otherwise', () => {
    const vector = (over: Record<string, unknown>) => cOf(over).c.includes('_finish4(');
    expect(vector(int8())).toBe(true);
    expect(vector(int8({ groups: 17, output: { channels: 17 } }))).toBe(true);
    // Channel multiplier 2: a vector's lanes are every other output channel.
    expect(vector(int8({ groups: 17, output: { channels: 34 } }))).toBe(false);
    expect(vector(q15hwc({ numeric: { type: 'q7', inputFrac: 5, weightFrac: 6, outputFrac: 5 } }))).toBe(false);
    // Shared multiplier and shift: broadcast constants, no tables; per-channel ones: padded int32 tables.
    const c = cOf(int8()).c;
    expect(c).not.toContain('_vq_multiplier[');
    expect(c).toContain('vdupq_n_s32(1300000000)');
    const per = cOf(int8({ numeric: { type: 'int8', inputOffset: 128, outputOffset: -3, multiplier: [1300000000, 1300000001, 1, 2, 3], shift: [-8, 2, -8, -8, -8] } })).c;
    expect(per).toContain('_vq_multiplier[8]');
    expect(per).toContain('_vq_left[8]');
    expect(per).toContain('vqshlq_s32(');
  });
});

describe('mve families: requirements', () => {
  it('every vector intrinsic the MVE kernels call is in the intrinsic table (its header and ISA need are stated)', () => {
    const specs = [
      int8(), int8({ groups: 17, output: { channels: 17 }, dilation: 2, padding: 2 }), int8({ groups: 17, output: { channels: 34 } }),
      q15hwc(), q15hwc({ ...extremeQ15 }), q15hwc({ numeric: { type: 'q7', inputFrac: 5, weightFrac: 6, outputFrac: 5 } }),
      { input: { channels: 3, height: 6, width: 12 }, numeric: { type: 'q7', inputFrac: 5, weightFrac: 6, outputFrac: 5 } },
      { input: { channels: 3, height: 6, width: 12 }, stride: 2, numeric: { type: 'q7', inputFrac: 2, weightFrac: 3, outputFrac: 7, biasFrac: 4 } },
    ];
    const families = new Set<string>();
    for (const over of specs) {
      const m = model(over);
      const acc = planAccumulator(m);
      const f = chooseFamily(m, acc, m55);
      expect(f.kind).toBe('ir');
      if (f.kind !== 'ir') continue;
      families.add(f.name);
      const names = new Set<string>();
      visitItems(prune(lowerWith(f, m, { acc, isa: m55, optimize: 'default' })).items, { expr: (e) => { if (e.k === 'call') names.add(e.fn); } });
      const vector = [...names].filter((n) => /^v[a-z]+[0-9]*q|^vctp/.test(n));
      expect(vector.length, m.name).toBeGreaterThan(3);
      for (const n of vector) expect(vectorIntrinsicHeader(n), n).toBe('arm_mve.h');
    }
    expect([...families].sort()).toEqual(['mve', 'mve-chw']);
  });
});
