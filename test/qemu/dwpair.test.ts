/**
 * The blocked family's dwpair form (q15 depthwise on ARMv5TE) under QEMU, bit-exact against the golden model with
 * alignment faults on (SCTLR.A, through alignmentFaultEntry): inputs and weights loaded as words of two int16 values,
 * SMLALxy picking the halves. The input runs word-aligned and off by a halfword (every row's lead pixel, the column
 * functions' run-time fallback). Shapes at the alignment edges: odd widths (rows alternating parity), an odd plane
 * (no input words across groups), pad 0, 1, 2 and asymmetric, kernel 2, 3 and 5 (weights on both parities, or even
 * only), stride 2, dilation 2, one channel, a 32-bit accumulator and an activation (the regular output stage).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { planAccumulator } from '../../src/codegen/index.ts';
import { planBlocked } from '../../src/families/blocked/search.ts';
import { modelFromValue } from '../../src/ops/conv_2d/spec/index.ts';
import { findTarget } from '../../src/targets/index.ts';
import { baseSpec, root, runWithAlignmentFaults } from '../helpers.ts';

const dw = (name: string, c: number, h: number, w: number, over: Record<string, unknown> = {}) =>
  baseSpec({ name, input: { channels: c, height: h, width: w }, output: { channels: c }, groups: c, ...over });

/** words: some interior or band function loads input words; columns: some column function does. */
const cases: { spec: Record<string, unknown>; words: boolean; columns: boolean }[] = [
  { spec: dw('dwp_a', 4, 10, 12), words: true, columns: true },
  // odd width: rows alternate parity (each odd row's lead pixel); the side bands' rows too, so no column words
  { spec: dw('dwp_oddw', 4, 10, 9), words: true, columns: false },
  // an odd plane: groups alternate parity, no input words anywhere (weight words only)
  { spec: dw('dwp_oddplane', 3, 7, 9), words: false, columns: false },
  // kernel 5, pad 2: 25 taps, two border bands per side; one channel (the interior's weights on even elements only)
  // fits pixel pairs, three (both parities: two bodies) fit single pixels only (the code budget)
  { spec: dw('dwp_k5', 1, 12, 14, { kernel: 5, padding: 2 }), words: true, columns: false },
  { spec: dw('dwp_k5c3', 3, 12, 14, { kernel: 5, padding: 2 }), words: false, columns: false },
  // pad 0: the interior only
  { spec: dw('dwp_p0', 2, 8, 10, { padding: 0 }), words: true, columns: false },
  // asymmetric padding: two left columns with different kernel columns, none on the right (row loops there: two
  // column functions would not fit the code budget)
  { spec: dw('dwp_asym', 3, 12, 10, { padding: [1, 2, 1, 0] }), words: true, columns: false },
  // stride 2 ('same' padding): no lead pixel puts a row that starts odd on a word (every pixel through the tail then);
  // kernel 2 (4 taps: weights on even elements only in the interior; pixel triples, odd blocks: halfword inputs)
  { spec: dw('dwp_s2', 4, 11, 16, { stride: 2, padding: 'same' }), words: true, columns: false },
  { spec: dw('dwp_k2', 3, 8, 10, { kernel: 2, padding: 1 }), words: false, columns: false },
  // dilation 2 (a column's inputs two apart: no column words), one channel (every interior call on even weights)
  { spec: dw('dwp_d2', 1, 12, 12, { dilation: 2, padding: 2 }), words: true, columns: false },
  // small weights: a 32-bit accumulator (SMLAxy; pixel quads, row loops at the borders); relu: the regular output stage
  { spec: dw('dwp_acc32', 4, 10, 12, { weights: { values: Array.from({ length: 36 }, (_, i) => (i % 7) * 40 - 120) } }), words: true, columns: false },
  { spec: dw('dwp_relu', 4, 10, 12, { activation: 'relu' }), words: true, columns: true },
];

describe('dwpair (q15 depthwise, ARMv5TE) with alignment faults on (arm926ej-s)', () => {
  const isa = findTarget('arm926ej-s')!.features;
  it('is what the plan chooses, with input words where the shapes allow them', () => {
    for (const { spec, words, columns } of cases) {
      const m = modelFromValue(spec, path.join(root, `${spec.name as string}.json`));
      const plan = planBlocked(m, isa, planAccumulator(m).accType);
      expect(plan.macForm, m.name).toBe('dwpair');
      const dwFns = plan.fns.filter((f) => f.dw);
      expect(dwFns.some((f) => f.kind === 'unrolled'), `${m.name} interior`).toBe(true);
      const loadsWords = (f: (typeof dwFns)[number]) => f.rows.some((r) => r.loads.some((l) => l.word));
      expect(dwFns.filter((f) => f.kind !== 'column').some(loadsWords), `${m.name} input words`).toBe(words);
      expect(dwFns.filter((f) => f.kind === 'column').some(loadsWords), `${m.name} column words`).toBe(columns);
      expect(dwFns.some((f) => f.dw!.weights.some((w) => w.word)), `${m.name} weight words`).toBe(true);
      if (spec.name === 'dwp_acc32') expect(planAccumulator(m).accType).toBe('int32_t');
    }
  });

  it('is bit-exact with the input on a word and off by a halfword', async () => {
    const failures: string[] = [];
    for (const { spec } of cases)
      for (const shift of [0, 1]) {
        const r = await runWithAlignmentFaults(spec, shift).then(({ r }) => r).catch((e: unknown) => ({ status: 'error', first: undefined, error: String(e) }));
        if (r.status !== 'pass') failures.push(`${spec.name as string} shift ${shift}: ${JSON.stringify(r.first ?? r.error)}`);
      }
    expect(failures).toEqual([]);
  }, 600_000);
});
