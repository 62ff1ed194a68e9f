/**
 * The single form's 32-bit multiply-accumulates as SMLABB where the core's row says it is faster (ARM926EJ-S: one
 * cycle against MLA's two) and both operands fit 16 bits; MLA (`+=`) elsewhere. Bit-exactness runs under QEMU
 * (`convgen test`, test/qemu); here: which code each core gets.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate } from '../../src/codegen/index.ts';
import { modelFromValue, type KernelModel } from '../../src/ops/conv_2d/spec/index.ts';
import { findTarget } from '../../src/targets/index.ts';
import { tuningOf } from '../../src/tuning/cores.ts';
import { root } from '../helpers.ts';

const benchModel = (file: string): KernelModel => {
  const p = path.join(root, 'bench', file);
  return modelFromValue(JSON.parse(fs.readFileSync(p, 'utf8')), p);
};
const source = (m: KernelModel, target: string, tune?: ReturnType<typeof tuningOf>) =>
  generate(m, { variant: 'optimized', isa: findTarget(target)!.features, ...(tune ? { tune } : {}) }).files.find((f) => f.name.endsWith('.c'))!.content;
// in C, or in the assembly that loads weights ahead of their use (families/blocked/asm-arm9.ts)
const smlabbs = (c: string) => (c.match(/= __smlabb\(|"smlabb %\[/g) ?? []).length;
const mlas = (c: string) => (c.match(/\w+ \+= x\d+ \* w\d+;|"mla %\[/g) ?? []).length;

describe('single MACs as SMLABB', () => {
  // int8 with an input offset (borders add it: |x + 128| <= 255 still fits a half) and q7, both int32 accumulators
  const specs = ['a_3x3_16to16_32x32_int8.json', 'b_3x3_3to8_32x32_q7.json', 'd_dw3x3_32_32x32_int8.json'];

  it('ARM926EJ-S: every single MAC is an SMLABB, and the header names the DSP instructions', () => {
    for (const f of specs) {
      const m = benchModel(f);
      const c = source(m, 'arm926ej-s');
      expect(smlabbs(c), f).toBeGreaterThan(0);
      expect(mlas(c), f).toBe(0);
      const h = generate(m, { variant: 'optimized', isa: findTarget('arm926ej-s')!.features }).files.find((x) => x.name.endsWith('.h'))!.content;
      expect(h, f).toMatch(/C {10}C99 with <stdint\.h>.*Instructions: SMLAxy/);
    }
  });

  it('MLA where the row does not ask for it: ARM920T (no SMLAxy), Cortex-M4 (MLA is one cycle), ARM926EJ-S with the row off', () => {
    const off = { ...tuningOf(findTarget('arm926ej-s')!.features), smlabbSingle: false };
    for (const f of specs) {
      const m = benchModel(f);
      for (const c of [source(m, 'arm920t'), source(m, 'arm926ej-s', off)]) {
        expect(smlabbs(c), f).toBe(0);
        expect(mlas(c), f).toBeGreaterThan(0);
      }
    }
    // q7 depthwise multiplies in the single form on the Cortex-M4 too (a and b take quad and taps8 there; int8
    // depthwise goes to dsp-rows)
    const d = source(benchModel('d_dw3x3_32_32x32_q7.json'), 'cortex-m4');
    expect(smlabbs(d)).toBe(0);
    expect(mlas(d)).toBeGreaterThan(0);
  });

  it('not with 64-bit accumulators (q15 depthwise on the ARM926EJ-S keeps SMLAL and SMLALxy)', () => {
    const c = source(benchModel('d_dw3x3_32_32x32_q15.json'), 'arm926ej-s');
    expect(smlabbs(c)).toBe(0);
  });
});
