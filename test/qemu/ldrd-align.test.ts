/**
 * The halves form on ARMv5TE loads pairs of weight words with LDRD, whose address must be 8-byte aligned there; the
 * generator pairs only where it proved every address aligned. This runs such kernels under QEMU with SCTLR.A set
 * (alignment faults on, through a patched convgen_entry.h) and checks them bit for bit: with the input word-aligned
 * and off by a halfword (the interior's lead pixel), one spec with a tail channel block, one with groups, one whose
 * first pair is pre-indexed, one with stride 2 along W (a row off a word runs every pixel through the tail). QEMU 7.2
 * faults a misaligned LDRD only off a word, not off 8 bytes, so the kernel's LDRD macros are also patched to trap on an
 * address off 8 bytes. A control moves the same weights 4 bytes off an 8-byte boundary: that run must not pass.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { planAccumulator } from '../../src/codegen/index.ts';
import { planBlocked } from '../../src/families/blocked/search.ts';
import { modelFromValue } from '../../src/ops/conv_2d/spec/index.ts';
import { findTarget } from '../../src/targets/index.ts';
import { baseSpec, root, runWithAlignmentFaults } from '../helpers.ts';

const cases = [
  baseSpec({ name: 'ldrd_a', input: { channels: 8, height: 8, width: 10 }, output: { channels: 4 } }),
  baseSpec({ name: 'ldrd_b', input: { channels: 4, height: 7, width: 9 }, output: { channels: 6 }, padding: 0 }),
  baseSpec({ name: 'ldrd_c', input: { channels: 4, height: 7, width: 9 }, output: { channels: 8 }, groups: 2 }),
  // kernel position (0, 0) zero in every channel: the interior's first pair moves the pointer before it loads
  baseSpec({ name: 'ldrd_d', input: { channels: 4, height: 7, width: 9 }, output: { channels: 4 },
    weights: { values: Array.from({ length: 144 }, (_, i) => (i % 9 === 0 ? 0 : ((i * 7919) % 60000) - 30000)) } }),
  // small weights: a 32-bit accumulator (SMLAxy, no split 64-bit halves)
  baseSpec({ name: 'ldrd_e', input: { channels: 8, height: 8, width: 10 }, output: { channels: 4 },
    weights: { values: Array.from({ length: 288 }, (_, i) => (i % 7) * 40 - 120) } }),
  // stride 2 along W: no lead pixel puts a row that starts off a word on one (the whole row through the tail then)
  baseSpec({ name: 'ldrd_f', input: { channels: 4, height: 11, width: 16 }, output: { channels: 4 }, stride: 2, padding: 'same' }),
];

/** The same weight values 4 bytes past an 8-byte boundary (a struct with one word before them). */
function misalignedWeights(c: string, name: string): string {
  const out = c.replace(new RegExp(`static const int16_t ${name}_weights\\[(\\d+)\\] __attribute__\\(\\(aligned\\(8\\)\\)\\) = \\{([^}]*)\\};`),
    (_all, n: string, body: string) => `static const struct { int32_t pad_; int16_t v[${n}]; } ${name}_weights_s __attribute__((aligned(8))) = { 0, {${body}} };\n` +
      `#define ${name}_weights (${name}_weights_s.v)`);
  expect(out).not.toBe(c);
  return out;
}

/** Every LDRD checks its address first: a trap (undefined instruction) if it is not 8-byte aligned. */
function checkedLdrd(c: string): string {
  const out = c.replace('#define LDRD_POST(lo, hi, p, step) do { uint64_t v_;',
    '#define LDRD_POST(lo, hi, p, step) do { uint64_t v_; if (((uintptr_t)(p) & 7u) != 0) __builtin_trap();')
    .replace('#define LDRD_PRE(lo, hi, p, step) do { uint64_t v_;',
      '#define LDRD_PRE(lo, hi, p, step) do { uint64_t v_; if ((((uintptr_t)(p) + (step)) & 7u) != 0) __builtin_trap();');
  expect(out.match(/__builtin_trap/g)).toHaveLength(2);
  return out;
}

/** The kernel with its LDRDs checked (and, misaligned, its weights 4 bytes off 8) under alignment faults. */
const run = (spec: Record<string, unknown>, shift: number, misalign: boolean) => runWithAlignmentFaults(spec, shift, {
  patchC: (c, m) => (misalign ? misalignedWeights(checkedLdrd(c), m.name) : checkedLdrd(c)), timeoutSeconds: misalign ? 20 : 60 });

describe('halves LDRD weight pairs with alignment faults on (arm926ej-s)', () => {
  it('are bit-exact, and a copy of the weights 4 bytes off 8-byte alignment is not', async () => {
    const isa = findTarget('arm926ej-s')!.features;
    for (const spec of cases) {
      const m = modelFromValue(spec, path.join(root, `${spec.name as string}.json`));
      const plan = planBlocked(m, isa, planAccumulator(m).accType);
      expect(plan.macForm).toBe('halves');
      expect(plan.fns.some((f) => f.pairHis.length > 0), `${m.name} pairs`).toBe(true);
      if (spec.name === 'ldrd_e') expect(planAccumulator(m).accType).toBe('int32_t');
      for (const shift of [0, 1]) {
        const { r } = await run(spec, shift, false);
        expect(r.status, `${m.name} shift ${shift}: ${JSON.stringify(r.first ?? r.error)}`).toBe('pass');
      }
    }
    // the control traps in the first LDRD check (QEMU reports the guest fault)
    const control = await run(cases[0], 0, true).then(({ r }) => r.status, (e: unknown) => String(e));
    expect(control).toMatch(/guest fault: undefined-instruction/);
  }, 300_000);
});
