/**
 * The ONNX rounding note, measured: convgen's (TFLite's) fixed-point requantization against ONNX Runtime's float one
 * on random QLinearConv models (test/onnx/rounding.ts). Every difference is one step and lies within about
 * 2^−(right shift + 1) of a rounding boundary; the rates are the ones the note, the import and the docs state.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROUNDING_NOTE } from '../../src/onnx/quant.ts';
import { root } from '../helpers.ts';
import { roundingCase, type RoundingCase } from './rounding.ts';

function measure(models: number) {
  const cases: RoundingCase[] = Array.from({ length: models }, (_, i) => roundingCase(i + 1));
  const differing = cases.flatMap((c) => c.differing);
  return { outputs: cases.reduce((a, c) => a + c.outputs, 0), differing };
}

const fmt = (n: number) => n.toLocaleString('en-US');

describe('QLinearConv: convgen against ONNX Runtime', () => {
  const twenty = measure(20);
  const many = measure(2000);

  it('differs by at most one step, only next to a rounding boundary (within 2^-(right shift + 1), plus float32 error)', () => {
    expect(twenty.differing.length).toBeGreaterThan(0);
    for (const d of many.differing) {
      expect(Math.abs(d.got - d.onnx)).toBe(1);
      // the multiplier's 31 bits and ONNX Runtime's float32 product add far less than 2^-20 of a step here
      expect(d.distance).toBeLessThanOrEqual(d.bound + 2 ** -20);
    }
  });

  it('at the rates the note states (and the docs repeat)', () => {
    const stated = `${twenty.differing.length} of ${fmt(twenty.outputs)} outputs on 20 random QLinearConv models, ` +
      `${many.differing.length} of ${fmt(many.outputs)} (${(100 * many.differing.length / many.outputs).toFixed(2)}%) on 2,000`;
    expect(ROUNDING_NOTE).toContain(stated);
    expect(many.differing.filter((d) => d.tie)).toHaveLength(0);
    const docs = fs.readFileSync(path.join(root, 'docs', 'pytorch.md'), 'utf8').replace(/\s+/g, ' ');
    expect(docs).toContain(stated);
  });
});
