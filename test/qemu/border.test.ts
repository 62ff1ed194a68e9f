/**
 * The blocked family's border functions under QEMU. Column functions: side bands whose kernel rows are all inside
 * the input run their pixel blocks down each output column (the inputs of a kernel column are loaded once for the
 * block), instead of one pixel per call with a loop per kernel row. Band functions: top and bottom bands whose kernel
 * columns are all inside unroll their valid kernel rows. Each spec here must get the functions it is about from the
 * plan on its target (so the path is really exercised) and be bit-exact against the golden model: strides,
 * dilations, asymmetric padding, bands taller than a whole number of blocks (single-pixel tails), HWC, groups, int8's
 * input offset in border taps, and the MAC forms that take them (single, halves, dual, quad).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelFromValue } from '../../src/ops/conv_2d/spec/index.ts';
import { findTarget } from '../../src/targets/index.ts';
import { verifyPair } from '../../src/verify/index.ts';
import { planBlocked } from '../../src/families/blocked/search.ts';
import { planAccumulator } from '../../src/codegen/index.ts';
import { baseSpec, root } from '../helpers.ts';

const q15 = (over: Record<string, unknown>) => baseSpec({
  numeric: { type: 'q15', inputFrac: 12, weightFrac: 14, outputFrac: 12 }, weights: { random: { seed: 41 } }, bias: { random: { seed: 42 } }, ...over,
});

const int8Bands = (name: string) => baseSpec({ name, layout: 'hwc', input: { channels: 2, height: 6, width: 10 }, output: { channels: 2 },
  padding: [2, 0, 1, 0], weights: { random: { seed: 49 }, layout: 'ohwi' }, bias: { random: { seed: 50 } },
  numeric: { type: 'int8', inputOffset: -127, outputOffset: 7, multiplier: 1300000000, shift: -6 } });

/** column: the plan must run some side band down its columns; band: some top or bottom band unrolled. */
const cases: { key: string; target: string; form: string; column?: boolean; band?: boolean; spec: Record<string, unknown> }[] = [
  // 12 rows: the side bands (10 tall) end in a single-pixel tail after whole blocks
  { key: 'q15_pad1', target: 'arm920t', form: 'single', column: true, spec: q15({ name: 'c1', input: { channels: 3, height: 12, width: 8 }, output: { channels: 2 }, padding: 1 }) },
  // asymmetric padding: the bands on each side have different kernel columns; stride 2 down the column
  { key: 'q15_asym_s2', target: 'cortex-m3', form: 'single', column: true, spec: q15({ name: 'c2', input: { channels: 2, height: 17, width: 10 }, output: { channels: 3 },
    kernel: [3, 5], stride: 2, padding: [1, 3, 1, 1] }) },
  // dilation 2 in both directions, two side bands per side
  { key: 'q15_dil2', target: 'cortex-m0', form: 'single', column: true, band: true, spec: q15({ name: 'c3', input: { channels: 2, height: 13, width: 9 }, output: { channels: 2 },
    kernel: 3, dilation: 2, padding: 2 }) },
  // int8 HWC with an input offset: border taps add it to every input (the interior folds it into its seeds)
  { key: 'int8_hwc_offset', target: 'cortex-m0', form: 'single', column: true, spec: baseSpec({ name: 'c4', layout: 'hwc', input: { channels: 3, height: 10, width: 7 },
    output: { channels: 4 }, padding: [1, 1, 2, 1], weights: { random: { seed: 43 }, layout: 'ohwi' }, bias: { random: { seed: 44 } },
    numeric: { type: 'int8', inputOffset: 128, outputOffset: -5, multiplier: 1400000000, shift: -7 } }) },
  // depthwise q7 (groups = channels)
  { key: 'q7_depthwise', target: 'arm926ej-s', form: 'single', column: true, spec: baseSpec({ name: 'c5', input: { channels: 4, height: 12, width: 8 }, output: { channels: 4 },
    groups: 4, padding: 1, numeric: { type: 'q7', inputFrac: 5, weightFrac: 6, outputFrac: 4 }, weights: { random: { seed: 45 } } }) },
  // the same in A32 with the offset added by the column function's own loads
  { key: 'int8_hwc_offset_a32', target: 'arm920t', form: 'single', column: true, spec: baseSpec({ name: 'c4a', layout: 'hwc', input: { channels: 3, height: 10, width: 8 },
    output: { channels: 1 }, padding: [1, 1, 2, 1], weights: { random: { seed: 43 }, layout: 'ohwi' }, bias: { random: { seed: 44 } },
    numeric: { type: 'int8', inputOffset: 128, outputOffset: -5, multiplier: 1400000000, shift: -7 } }) },
  // halves: channel-pair weight words, inputs one halfword each down the column, 64-bit accumulators as two registers
  { key: 'q15_halves', target: 'arm926ej-s', form: 'halves', column: true, spec: q15({ name: 'c6', input: { channels: 3, height: 12, width: 8 }, output: { channels: 2 } }) },
  // dual: q15 HWC, pairs of input channels per SMLAD
  { key: 'q15_dual_hwc', target: 'cortex-m4', form: 'dual', column: true, spec: q15({ name: 'c7', layout: 'hwc', input: { channels: 4, height: 11, width: 6 },
    output: { channels: 3 }, padding: 1, weights: { random: { seed: 46 }, layout: 'ohwi' } }) },
  // quad: int8 HWC, four input channels per word
  { key: 'int8_quad', target: 'cortex-m7', form: 'quad', column: true, spec: baseSpec({ name: 'c8', layout: 'hwc', input: { channels: 8, height: 10, width: 6 },
    output: { channels: 3 }, padding: [2, 1, 0, 1], kernel: 3, weights: { random: { seed: 47 }, layout: 'ohwi' }, bias: { random: { seed: 48 } },
    numeric: { type: 'int8', inputOffset: -100, outputOffset: 3, multiplier: 1500000000, shift: -8 } }) },
  // int8 with a negative input offset: two top bands (two rows of padding) and a bottom band, A32 and Thumb-2
  { key: 'int8_bands_a32', target: 'arm920t', form: 'single', band: true, spec: int8Bands('b1') },
  { key: 'int8_bands_thumb2', target: 'cortex-m3', form: 'single', band: true, spec: int8Bands('b2') },
  // halves: pixel pairs in a band take halfword inputs (the interior's aligned words need its lead logic)
  { key: 'q15_halves_bands', target: 'arm926ej-s', form: 'halves', band: true, spec: q15({ name: 'b3', input: { channels: 3, height: 7, width: 10 },
    output: { channels: 2 }, padding: [1, 0, 1, 0] }) },
];

describe('column and band functions (the border bands) under QEMU', () => {
  for (const c of cases)
    it(`${c.key} on ${c.target} (${c.form}):${c.column ? ' side bands down the columns,' : ''}${c.band ? ' top/bottom bands unrolled,' : ''} bit-exact`, async () => {
      const m = modelFromValue(c.spec, path.join(root, `${c.key}.json`));
      const t = findTarget(c.target)!;
      const plan = planBlocked(m, t.features, planAccumulator(m).accType);
      const fns = plan.fns.map((f) => f.fn).join(' ');
      expect(plan.macForm).toBe(c.form);
      if (c.column) {
        expect(plan.fns.some((f) => f.kind === 'column'), fns).toBe(true);
        expect(plan.regions.some((r) => r.vertical)).toBe(true);
      }
      if (c.band) expect(plan.fns.some((f) => f.kind === 'band'), fns).toBe(true);
      const r = await verifyPair(m, t, { seed: 7, timeoutSeconds: 120, variant: 'optimized' });
      expect(r.status, r.error ?? JSON.stringify(r.first)).toBe('pass');
    }, 300_000);
});
