/**
 * The single form's taps as A32 assembly with each weight loaded one weight ahead (families/blocked/asm-arm9.ts) on
 * the ARM9 cores, bit-exact under QEMU against the golden model: MLA on the ARM920T, SMLABB on the ARM926EJ-S, in
 * every function kind (interior, row loops, column and band functions), blocks of one to four channels and pixels
 * with their tails (odd channel counts, a row's remainder), int8 with an input offset (folded in the interior, added
 * per input at the borders), stride 2, a 5x5 kernel, groups and a depthwise kernel (the ARM920T's row only).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelFromValue } from '../../src/ops/conv_2d/spec/index.ts';
import { findTarget } from '../../src/targets/index.ts';
import { verifyPair } from '../../src/verify/index.ts';
import { generate } from '../../src/codegen/index.ts';
import { scheduledTaps } from '../../src/families/blocked/asm-arm9.ts';
import { baseSpec, root } from '../helpers.ts';

const int8 = (over: Record<string, unknown>) => baseSpec({
  layout: 'hwc',
  numeric: { type: 'int8', inputOffset: 128, outputOffset: -3, multiplier: 1300000000, shift: -8 },
  weights: { random: { seed: 51 }, layout: 'ohwi' },
  bias: { random: { seed: 52 } },
  ...over,
});
const q7 = (over: Record<string, unknown>) => baseSpec({
  numeric: { type: 'q7', inputFrac: 5, weightFrac: 6, outputFrac: 5, rounding: 'nearest' },
  weights: { random: { seed: 53 } },
  bias: { random: { seed: 54 } },
  ...over,
});

const specs: Record<string, Record<string, unknown>> = {
  // 5 output channels (a tail block), 9 outputs wide (a row's remainder), per-channel requantization
  sch_offset_odd: int8({ name: 'sco', input: { channels: 16, height: 8, width: 10 }, output: { channels: 5 }, padding: [1, 1, 1, 1],
    numeric: { type: 'int8', inputOffset: 128, outputOffset: -3, multiplier: [1300000000, 1100000000, 1700000000, 1250000000, 2000000000],
      shift: [-8, -7, -9, -8, -8], activationMin: -128, activationMax: 127 } }),
  // CHW, stride 2, 'same' padding (column and band functions), a negative offset
  sch_stride2: int8({ name: 'scs', layout: 'chw', input: { channels: 8, height: 13, width: 18 }, output: { channels: 6 }, stride: 2,
    padding: 'same', numeric: { type: 'int8', inputOffset: -100, outputOffset: 7, multiplier: 1500000000, shift: -9 } }),
  // q7 5x5, 3 input channels, 7 output channels, padding on two sides only
  sch_5x5: q7({ name: 'sc5', input: { channels: 3, height: 11, width: 13 }, output: { channels: 7 }, kernel: [5, 5], padding: [2, 0, 2, 0] }),
  // q7, two groups
  sch_groups: q7({ name: 'scg', input: { channels: 8, height: 9, width: 9 }, output: { channels: 6 }, groups: 2, padding: [1, 1, 1, 1] }),
  // depthwise (one input channel per group), int8 with an offset
  sch_depthwise: int8({ name: 'scd', layout: 'chw', input: { channels: 6, height: 10, width: 11 }, output: { channels: 6 }, groups: 6,
    padding: [1, 1, 1, 1] }),
};
const models = Object.entries(specs).map(([key, spec]) => [key, modelFromValue(spec, path.join(root, `${key}.json`))] as const);
const targets = ['arm920t', 'arm926ej-s'] as const;
const cOf = (m: (typeof models)[number][1], t: string) =>
  generate(m, { variant: 'optimized', isa: findTarget(t)!.features, optimize: 'default' }).files.find((f) => f.name.endsWith('.c'))!.content;

describe('single taps with weights loaded ahead (ARM9 assembly)', () => {
  it('emits the scheduled assembly where the core\'s row asks for it: MLA on the ARM920T, SMLABB on the ARM926EJ-S', () => {
    for (const [key, m] of models)
      for (const t of targets) {
        const c = cOf(m, t);
        const depthwiseOff = t === 'arm926ej-s' && key === 'sch_depthwise';
        expect(/"ldrsb %\[w\d+\], \[%\[wr?\], #\d+\]/.test(c), `${key} ${t}`).toBe(!depthwiseOff);
        if (!depthwiseOff) expect(c, `${key} ${t}`).toContain(t === 'arm920t' ? '"mla %[' : '"smlabb %[');
        expect(c.includes('"smlabb'), `${key} ${t}`).toBe(t === 'arm926ej-s' && !depthwiseOff);
      }
    // the Cortex-A9 shares the A32 forms but not the row: plain C there
    expect(cOf(models[0][1], 'cortex-a9')).not.toContain('ldrsb %[');
  });

  it('loads a group\'s new plain inputs first in its statement, a weight beyond LDRSB\'s reach and an input with an offset in C', () => {
    const taps = [0, 300].map((index, i) => ({ weights: [{ id: `w${i}`, index }], macs: [{ acc: 'a0_0', x: `x${i + 1}`, w: `w${i}` }, { acc: 'a0_1', x: 'x0', w: `w${i}` }] }));
    const px = { k: 'id', name: 'px' } as const;
    const inputs = ['x0', 'x1', 'x2'].map((id, at) => ({ id, stmts: [{ k: 'load', load: { k: 'elem', name: id, type: 'int32_t', base: px, at: { k: 'int', v: at }, cast: true,
      // x1 adds the input offset: a C load
      ...(id === 'x1' ? { add: { k: 'id' as const, name: 'OFFSET' } } : {}) } } as const] }));
    const out = scheduledTaps(taps, inputs, 'w', 'mla');
    const asm = out.filter((s) => s.k === 'asm');
    expect(asm.map((s) => s.k === 'asm' && s.lines)).toEqual([
      ['ldrsb %[x0], [%[px], #0]', 'mla %[a0_0], %[w0], %[x1], %[a0_0]', 'mla %[a0_1], %[w0], %[x0], %[a0_1]'],
      // x2 is new in the second group: loaded first, its MAC last
      ['ldrsb %[x2], [%[px], #2]', 'mla %[a0_1], %[w1], %[x0], %[a0_1]', 'mla %[a0_0], %[w1], %[x2], %[a0_0]'],
    ]);
    const at = (name: string) => out.findIndex((s) => s.k === 'load' && s.load.k === 'elem' && s.load.name === name);
    // x1 is a C load before the first statement; w1 (300 bytes on) a C load between the two statements
    expect(at('x1')).toBeLessThan(out.indexOf(asm[0]));
    expect(at('w1')).toBeGreaterThan(out.indexOf(asm[0]));
    expect(at('w1')).toBeLessThan(out.indexOf(asm[1]));
    // a statement that loads inputs clobbers memory (GCC keeps it after any store to them)
    expect(asm.map((s) => s.k === 'asm' && s.clobbers)).toEqual([['memory'], ['memory']]);
  });

  for (const target of targets)
    it(`${target}: every spec bit-exact`, async () => {
      const failures: string[] = [];
      for (const [key, m] of models) {
        const r = await verifyPair(m, findTarget(target)!, { seed: 9, timeoutSeconds: 120, variant: 'optimized', optimize: 'default' });
        if (r.status !== 'pass') failures.push(`${key}: ${r.error ?? JSON.stringify(r.first)}`);
      }
      expect(failures).toEqual([]);
    }, 600_000);
});
