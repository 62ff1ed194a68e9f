/**
 * quad's interior rows as M-profile inline assembly (families/blocked/asm-m.ts; `--optimize speed` on Cortex-M4 and
 * M33), bit-exact under QEMU on poisoned memory: several quads per iteration, a 5x5 kernel with a negative input
 * offset, one output channel over three pixels (an input word loaded between MACs), and a tap whose weights are zero in every channel (left out of the interior: the assembly steps the weight
 * pointer over it).
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate, planAccumulator } from '../../src/codegen/index.ts';
import { planKernel } from '../../src/families/blocked/kernel-plan.ts';
import { modelFromValue } from '../../src/ops/conv_2d/spec/index.ts';
import { findTarget } from '../../src/targets/index.ts';
import { verifyPair } from '../../src/verify/index.ts';
import { baseSpec, root } from '../helpers.ts';

/** OHWI int8 weights from a small LCG, with kernel tap (ky, kx) zero in every output channel. */
function weightsWithZeroTap(o: number, k: number, i: number, zero: [number, number]): number[] {
  let s = 12345;
  const out: number[] = [];
  for (let oc = 0; oc < o; oc++)
    for (let ky = 0; ky < k; ky++)
      for (let kx = 0; kx < k; kx++)
        for (let ic = 0; ic < i; ic++) {
          s = (s * 1103515245 + 12345) % 2147483648;
          out.push(ky === zero[0] && kx === zero[1] ? 0 : (s % 255) - 127);
        }
  return out;
}

const int8 = (over: Record<string, unknown>) => baseSpec({
  layout: 'hwc',
  numeric: { type: 'int8', inputOffset: 128, outputOffset: -3, multiplier: 1300000000, shift: -9 },
  weights: { random: { seed: 31 }, layout: 'ohwi' },
  bias: { random: { seed: 32 } },
  ...over,
});

const specs: Record<string, Record<string, unknown>> = {
  // 8 inputs (two quads per iteration), 4 outputs (two channel blocks)
  asm_quads: int8({ name: 'am_q', input: { channels: 8, height: 7, width: 10 }, output: { channels: 4 } }),
  // the middle tap of the right column zero everywhere: dropped from the interior, its weights stepped over
  asm_zero_tap: int8({ name: 'am_z', input: { channels: 8, height: 6, width: 10 }, output: { channels: 4 },
    weights: { values: weightsWithZeroTap(4, 3, 8, [1, 2]), layout: 'ohwi' } }),
  // one output channel x 3 pixels: the last pixel's input word loaded mid-tap, into the first pixel's registers
  asm_lazy: int8({ name: 'am_l', input: { channels: 8, height: 16, width: 16 }, output: { channels: 16 }, kernel: 5, padding: 2 }),
  // 16 inputs, a negative input offset, a 5x5 kernel
  asm_5x5: int8({ name: 'am_5', input: { channels: 16, height: 9, width: 12 }, output: { channels: 16 }, kernel: 5,
    padding: 2, numeric: { type: 'int8', inputOffset: -100, outputOffset: 7, multiplier: 1500000000, shift: -10 } }),
};

const models = Object.entries(specs).map(([key, spec]) => [key, modelFromValue(spec, path.join(root, `${key}.json`))] as const);

describe('quad interior rows in M-profile assembly', () => {
  for (const t of ['cortex-m4', 'cortex-m33'])
    it(`${t}: speed plans them and prints the interior as asm (post-indexed weight loads, SMLAD)`, () => {
      const target = findTarget(t)!;
      for (const [key, m] of models) {
        const k = planKernel(m, { isa: target.features, acc: planAccumulator(m), optimize: 'speed' });
        expect(k.opt.asmRows, key).toBe(true);
        const c = generate(m, { variant: 'optimized', target, optimize: 'speed' }).files.find((f) => f.name.endsWith('.c'))!.content;
        const interior = c.slice(c.indexOf('_interior'));
        // a channel's two weight words: one LDRD, or two LDRs behind the tap's input loads
        expect(interior, key).toMatch(/"(ldrd %\[we\], %\[wo\], \[%\[w\]\], #8|ldr %\[wo\], \[%\[w\]\], #4)\\n\\t"/);
        expect(interior, key).toMatch(/"smlad %\[a0_0\], %\[t\d\], %\[we\], %\[a0_0\]\\n\\t"/);
        if (key === 'asm_zero_tap') expect(interior, key).toMatch(/"add %\[w\], %\[w\], #\d+\\n\\t"/);
        if (key === 'asm_lazy') expect(interior, key).toMatch(/"smlad [^\n]*\n\s*"ldr %\[t\d\], \[%\[px\], #\d+\]\\n\\t"/);
      }
    });

  it('default, the other cores and 64-bit accumulators keep C', () => {
    for (const [t, optimize] of [['cortex-m4', 'default'], ['cortex-m7', 'speed']] as const)
      for (const [key, m] of models)
        expect(planKernel(m, { isa: findTarget(t)!.features, acc: planAccumulator(m), optimize }).opt.asmRows, `${key} ${t} ${optimize}`).toBe(false);
    // a bias near INT32_MAX: int64 sums, which the rows' SMLADs cannot hold
    const i64 = modelFromValue(int8({ name: 'am_w', input: { channels: 8, height: 7, width: 10 }, output: { channels: 4 },
      bias: { values: [2147483647, -2147483648, 1000, 0] } }), path.join(root, 'am_w.json'));
    expect(planAccumulator(i64).accType).toBe('int64_t');
    expect(planKernel(i64, { isa: findTarget('cortex-m4')!.features, acc: planAccumulator(i64), optimize: 'speed' }).opt.asmRows).toBe(false);
  });

  for (const t of ['cortex-m4', 'cortex-m33'])
    it(`${t} (speed): every spec bit-exact`, async () => {
      const failures: string[] = [];
      for (const [key, m] of models) {
        const r = await verifyPair(m, findTarget(t)!, { seed: 9, timeoutSeconds: 120, variant: 'optimized', optimize: 'speed' });
        if (r.status !== 'pass') failures.push(`${key}: ${r.error ?? JSON.stringify(r.first)}`);
      }
      expect(failures).toEqual([]);
    }, 300_000);
});
