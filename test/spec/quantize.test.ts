/**
 * Float weights and automatic Q formats (issue 5 §2): the format choice on hand-checked cases, the output format's
 * no-saturation proof (property test against an independent BigInt convolution), and the bad inputs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.ts';
import { runGolden } from '../../src/ops/conv_2d/spec/golden.ts';
import { quantizeFloat, roundHalfAway } from '../../src/numerics/index.ts';
import { modelFromValue, type KernelModel } from '../../src/ops/conv_2d/spec/index.ts';
import { outputStage } from '../../src/ops/conv_2d/spec/quantize.ts';
import { baseSpec } from '../helpers.ts';

/** baseSpec (2 -> 3 channels, 3x3: 54 weights) with real weights and automatic formats. */
function auto(over: Record<string, unknown> = {}, numeric: Record<string, unknown> = {}): KernelModel {
  return modelFromValue(baseSpec({
    numeric: { type: 'q15', inputRange: [-1, 1], weightFrac: 'auto', outputFrac: 'auto', ...numeric },
    weights: { values: new Array(54).fill(0.01) },
    bias: { values: [0.1, -0.2, 0.3] },
    ...over,
  }), 'spec.json');
}

const withMax = (v: number) => ({ weights: { values: [v, ...new Array(53).fill(0.01)] } });

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as Error).message;
  }
  throw new Error('expected an InputError');
}

describe('automatic formats', () => {
  it('weightFrac: the most fraction bits at which the largest weight still fits, minding the asymmetric range', () => {
    // 0.74·2^15 = 24248 fits int16; 1.3·2^14 = 21299 fits but 1.3·2^15 does not; +1.0·2^15 = 32768 does not fit,
    // −1.0·2^15 = −32768 does.
    expect(auto(withMax(0.74)).numeric).toMatchObject({ weightFrac: 15 });
    expect(auto(withMax(1.3)).numeric).toMatchObject({ weightFrac: 14 });
    expect(auto(withMax(1.0)).numeric).toMatchObject({ weightFrac: 14 });
    expect(auto(withMax(-1.0)).numeric).toMatchObject({ weightFrac: 15 });
    // Rounding decides: 0.99999 · 2^15 = 32767.67 rounds to 32768, which does not fit.
    expect(auto(withMax(0.99999)).numeric).toMatchObject({ weightFrac: 14 });
    expect(auto(withMax(0.99997)).numeric).toMatchObject({ weightFrac: 15 }); // 32767.02 -> 32767
    // q7: 0.74·2^7 = 94.7 -> 95 fits; 1.0·2^7 = 128 does not; 5.3·2^4 = 84.8 fits, 5.3·2^5 = 169.6 does not.
    const q7 = { type: 'q7' };
    expect(auto(withMax(0.74), q7).numeric).toMatchObject({ weightFrac: 7 });
    expect(auto(withMax(1.0), q7).numeric).toMatchObject({ weightFrac: 6 });
    expect(auto(withMax(5.3), q7).numeric).toMatchObject({ weightFrac: 4 });
    // q31: 0.5·2^31 = 2^30 fits at 31 bits.
    expect(auto(withMax(0.5), { type: 'q31' }).numeric).toMatchObject({ weightFrac: 31 });
    // All zero: the most fraction bits.
    expect(auto({ weights: { values: new Array(54).fill(0) } }).numeric).toMatchObject({ weightFrac: 15 });
    // The quantized weights are the rounded reals and the reals are kept.
    const m = auto(withMax(0.74));
    expect(m.weights[0]).toBe(roundHalfAway(0.74 * 2 ** 15));
    expect(m.weights[1]).toBe(roundHalfAway(0.01 * 2 ** 15));
    expect(m.real!.weights[0]).toBe(0.74);
    expect(m.real!.chosen.weights).toMatchObject({ frac: 15, auto: true });
  });

  it('inputFrac from inputRange: the most fraction bits whose range covers it', () => {
    const frac = (r: [number, number], type = 'q15') => auto({}, { type, inputRange: r }).numeric;
    expect(frac([-1, 1])).toMatchObject({ inputFrac: 14 }); // Q0.15 holds −1…0.99997: 1 is outside
    expect(frac([-1, 0.99])).toMatchObject({ inputFrac: 15 });
    expect(frac([0, 3])).toMatchObject({ inputFrac: 13 }); // Q2.13 holds up to 3.9999
    expect(frac([-4, 0])).toMatchObject({ inputFrac: 13 }); // −4 = −32768·2^−13 fits exactly
    expect(frac([-4.0001, 0])).toMatchObject({ inputFrac: 12 });
    expect(frac([-6, 6], 'q7')).toMatchObject({ inputFrac: 4 }); // Q3.4: −8…7.9375
    expect(auto({}, { inputFrac: 12 }).numeric).toMatchObject({ inputFrac: 12 }); // given and covering: kept
  });

  it('biasFrac: inputFrac + weightFrac when the bias fits there, else the most that fits', () => {
    // inputFrac 14, weightFrac 15: 29 bits; 0.3·2^29 fits int32.
    expect(auto().numeric).toMatchObject({ inputFrac: 14, weightFrac: 15, biasFrac: 29, biasShift: 0 });
    // 100·2^24 = 1.68e9 fits int32, 100·2^25 = 3.36e9 does not.
    const big = auto({ bias: { values: [100, 0, -1] } });
    expect(big.numeric).toMatchObject({ biasFrac: 24, biasShift: 5 });
    expect(Number(big.bias![0])).toBe(100 * 2 ** 24);
    // "auto" with integer weightFrac: the bias is real, the weights stay raw.
    const mixed = modelFromValue(baseSpec({ numeric: { type: 'q15', inputFrac: 12, weightFrac: 14, outputFrac: 12, biasFrac: 'auto' },
      bias: { values: [1, 2, 3] } }), 'spec.json');
    expect(mixed.numeric).toMatchObject({ biasFrac: 26 });
    expect(Array.from(mixed.bias!, Number)).toEqual([2 ** 26, 2 ** 27, 3 * 2 ** 26]);
    // A given biasFrac quantizes the real bias with it.
    expect(auto({}, { biasFrac: 20 }).bias![1]).toBe(BigInt(roundHalfAway(-0.2 * 2 ** 20)));
  });

  it('outputFrac: the bound uses the quantized weights, the sign of each weight and the activation', () => {
    // One output channel, 1x1 kernel, no padding: y = 0.5·x0 − 0.25·x1 + 0.125 with x in [−1, 1] (inputFrac 14):
    // max y = 0.875, min y = −0.625 -> Q0.15 holds both (0.875·2^15 = 28672) -> 15.
    const one = (act: unknown, w: number[], b: number, range: [number, number] = [-1, 1]) => modelFromValue({
      name: 'k', input: { channels: 2, height: 2, width: 2 }, output: { channels: 1 }, kernel: 1, activation: act,
      numeric: { type: 'q15', inputRange: range, weightFrac: 'auto', outputFrac: 'auto' },
      weights: { values: w }, bias: { values: [b] },
    }, 'spec.json');
    expect(one('none', [0.5, -0.25], 0.125).numeric).toMatchObject({ outputFrac: 15 });
    // max y = 1.125: needs Q1.14 -> 14.
    expect(one('none', [0.5, -0.5], 0.125).numeric).toMatchObject({ outputFrac: 14 });
    // min y = −1.0 fits Q0.15 exactly (−32768), max 0.8 too -> 15; with 0.2 more at the bottom it does not.
    expect(one('none', [0.4, -0.4], 0).numeric).toMatchObject({ outputFrac: 15 });
    expect(one('none', [0.5, -0.5], -0.2).numeric).toMatchObject({ outputFrac: 14 }); // −1.2
    // relu ignores the negative side: max y = 0.8 -> 15.
    expect(one('relu', [0.5, -0.5], -0.2).numeric).toMatchObject({ outputFrac: 15 });
    // relu6 with max y = 10: 6·2^12 = 24576 fits q15 -> 12 (at 13, 6·2^13 and 10·2^13 both exceed 32767).
    expect(one('relu6', [0.5, 0.5], 9, [-1, 1]).numeric).toMatchObject({ outputFrac: 12 });
    expect(one('none', [0.5, 0.5], 9, [-1, 1]).numeric).toMatchObject({ outputFrac: 11 }); // 10 needs Q4.11
    // A range that excludes 0 on one side: x in [0, 2] (Q2.13, as Q1.14 stops at 1.99994), max y = 0.5·2 = 1.0
    // (32768 at 15 bits: too much), min y = −0.25·2 = −0.5 -> 14.
    expect(one('none', [0.5, -0.25], 0, [0, 2]).numeric).toMatchObject({ inputFrac: 13, outputFrac: 14 });
  });

  it('proves no output saturates for random and extreme inputs in range, and the next fraction bit could', () => {
    const arb = fc.record({
      type: fc.constantFrom('q7', 'q15', 'q31'),
      inC: fc.integer({ min: 1, max: 3 }), outC: fc.integer({ min: 1, max: 3 }), k: fc.integer({ min: 1, max: 3 }),
      h: fc.integer({ min: 3, max: 5 }), w: fc.integer({ min: 3, max: 5 }), pad: fc.constantFrom(0, 1),
      act: fc.constantFrom('none', 'relu', 'relu6'), rounding: fc.constantFrom('nearest', 'floor'),
      scale: fc.constantFrom(0.001, 0.05, 0.5, 3, 40), lo: fc.double({ min: -5, max: 0, noNaN: true }),
      hi: fc.double({ min: 0.01, max: 5, noNaN: true }), seed: fc.integer({ min: 1, max: 1e6 }),
    });
    fc.assert(fc.property(arb, (p) => {
      let s = p.seed;
      const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
      const spec = {
        name: 'k', input: { channels: p.inC, height: p.h, width: p.w }, output: { channels: p.outC }, kernel: p.k,
        padding: p.pad, activation: p.act,
        numeric: { type: p.type, inputRange: [p.lo, p.hi], weightFrac: 'auto', outputFrac: 'auto', rounding: p.rounding },
        weights: { values: Array.from({ length: p.outC * p.inC * p.k * p.k }, () => rnd() * p.scale) },
        bias: { values: Array.from({ length: p.outC }, () => rnd() * p.scale) },
      };
      const m = modelFromValue(spec, 'spec.json');
      const nf = m.numeric;
      if (nf.kind !== 'q') throw new Error('q');
      const bits = nf.storage.bits;
      const q = (v: number) => Number(quantizeFloat(v, nf.inputFrac, bits));
      const inputs: Int32Array[] = [];
      const n = p.inC * p.h * p.w;
      for (let i = 0; i < 3; i++) inputs.push(Int32Array.from({ length: n }, () => q(p.lo + (p.hi - p.lo) * (rnd() + 1) / 2)));
      inputs.push(new Int32Array(n).fill(q(p.lo)), new Int32Array(n).fill(q(p.hi)));
      // For each channel, the input that drives it highest and lowest (each tap at the end matching its weight's sign).
      const taps = p.inC * p.k * p.k;
      for (let o = 0; o < p.outC; o++)
        for (const up of [true, false]) {
          const x = new Int32Array(n);
          for (let c = 0; c < p.inC; c++) {
            // Per input channel one end of the range: the end that matches the sign of the channel's weight sum.
            let sum = 0;
            for (let t = 0; t < p.k * p.k; t++) sum += m.weights[o * taps + c * p.k * p.k + t];
            x.fill(q((sum >= 0) === up ? p.hi : p.lo), c * p.h * p.w, (c + 1) * p.h * p.w);
          }
          inputs.push(x);
        }
      for (const x of inputs) {
        const got = runGolden(m, x);
        const exact = exactConv(m, x);
        for (let i = 0; i < got.length; i++) {
          const v = outputStage(exact[i], nf.outputShift, nf.rounding);
          const act = p.act === 'none' ? v : p.act === 'relu' ? (v < 0n ? 0n : v)
            : v < 0n ? 0n : v > 6n << BigInt(nf.outputFrac) ? 6n << BigInt(nf.outputFrac) : v;
          // No saturation: the golden output is the unsaturated output stage, clamped only by the activation.
          expect(BigInt(got[i])).toBe(act);
        }
      }
      return true;
    }), { numRuns: 80, seed: 7 });
  });

  it('the chosen output format is the most: one more fraction bit saturates the extreme input (no padding, 0 in range)', () => {
    let cases = 0;
    for (let seed = 1; seed <= 20; seed++) {
      let s = seed;
      const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
      const weights = Array.from({ length: 36 }, () => rnd() * 0.3);
      const bias = [rnd(), rnd()];
      const spec = (outputFrac: number | 'auto') => ({
        name: 'k', input: { channels: 2, height: 3, width: 3 }, output: { channels: 2 }, kernel: 3,
        numeric: { type: 'q15', inputRange: [-1.5, 2], weightFrac: 'auto', outputFrac },
        weights: { values: weights }, bias: { values: bias },
      });
      const m = modelFromValue(spec('auto'), 'spec.json');
      const nf = m.numeric;
      if (nf.kind !== 'q' || nf.outputFrac === 15) continue;
      cases++;
      const next = modelFromValue(spec(nf.outputFrac + 1), 'spec.json');
      const xq = (v: number) => Number(quantizeFloat(v, nf.inputFrac, 16));
      // 3x3 input, 3x3 kernel, no padding: one output per channel, every tap real; the extreme input reaches the bound.
      let saturated = false;
      for (let o = 0; o < 2; o++)
        for (const up of [true, false]) {
          const x = Int32Array.from({ length: 18 }, (_, i) => xq((m.weights[o * 18 + i] >= 0) === up ? 2 : -1.5));
          const exact = outputStage(exactConv(next, x)[o], (next.numeric as typeof nf).outputShift, nf.rounding);
          if (exact > 32767n || exact < -32768n) saturated = true;
        }
      expect(saturated).toBe(true);
    }
    expect(cases).toBeGreaterThan(10);
  });

  it('integer specs keep their meaning; float .npy-style values with an integer weightFrac keep their reals', () => {
    const plain = modelFromValue(baseSpec(), 'spec.json');
    expect(plain.real).toBeUndefined();
    const floats = modelFromValue(baseSpec({
      numeric: { type: 'q7', inputFrac: 4, weightFrac: 2, outputFrac: 4 },
      weights: { values: [0.125, -0.125, 100.5, ...new Array(51).fill(0.5)] },
      bias: undefined,
    }), 'spec.json');
    expect(Array.from(floats.weights.slice(0, 3))).toEqual([1, -1, 127]);
    expect(floats.real!.weights[2]).toBe(100.5);
    expect(floats.real!.saturated.weights).toBe(1);
    expect(floats.real!.chosen.weights).toMatchObject({ frac: 2, auto: false });
  });

  it('q31 bias saturates to int64 max exactly (2^63 − 1 is not a double)', () => {
    expect(quantizeFloat(1e30, 0, 64)).toBe(2n ** 63n - 1n);
    expect(quantizeFloat(-1e30, 0, 64)).toBe(-(2n ** 63n));
    // Exact rounding: 0.49999999999999994 + 0.5 rounds up to 1 in doubles, but the value is below one half.
    expect(quantizeFloat(0.49999999999999994, 0, 16)).toBe(0n);
    expect(quantizeFloat(2 ** 52 + 1, 0, 64)).toBe(2n ** 52n + 1n);
  });

  const rejected: [string, () => unknown, RegExp][] = [
    ['NaN weight', () => auto({ weights: { values: [0.1, NaN, ...new Array(52).fill(0)] } }), /spec\.json: \$\.weights\.values\[1\]: NaN is not a finite number/],
    ['Infinity bias', () => auto({ bias: { values: [0, 0, -Infinity] } }), /\$\.bias\.values\[2\]: -Infinity is not a finite number/],
    ['random with auto', () => auto({ weights: { random: { seed: 1 } } }), /spec\.json: \$\.weights\.random: random draws raw integers.*"weightFrac": "auto"/],
    ['random bias with auto', () => auto({ bias: { random: { seed: 1 } } }), /\$\.bias\.random: random draws raw integers/],
    ['lo >= hi', () => auto({}, { inputRange: [1, 1] }), /spec\.json: \$\.numeric\.inputRange: the lower end 1 must be less than the upper end 1/],
    ['lo > hi', () => auto({}, { inputRange: [2, -1] }), /\$\.numeric\.inputRange: the lower end 2 must be less than the upper end -1/],
    ['neither inputFrac nor inputRange', () => auto({}, { inputRange: undefined }), /spec\.json: \$\.numeric\.inputFrac: required inputFrac is missing; give inputFrac, or inputRange/],
    ['range no format holds', () => auto({}, { inputRange: [-1e6, 1] }), /\$\.numeric\.inputRange: inputRange \[-1000000, 1\] does not fit int16 at any fraction bits/],
    ['range outside a given inputFrac', () => auto({}, { inputFrac: 15 }), /\$\.numeric\.inputRange: \[-1, 1\] does not fit inputFrac 15 \(Q0\.15 holds -1…0\.999969\)/],
    ['weight too large', () => auto(withMax(40000)), /spec\.json: \$\.weights: weight 40000 at index 0 does not fit int16 at any fraction bits/],
    ['output too large', () => auto({ bias: { values: [1e5, 0, 0] } }), /\$\.numeric\.outputFrac: the output can reach .* which int16 cannot hold at any fraction bits/],
    ['bias does not fit a given biasFrac', () => auto({ bias: { values: [100, 0, 0] } }, { biasFrac: 29 }),
      /\$\.bias: bias 100 at index 0 does not fit int32 at biasFrac 29/],
    ['a typo for auto', () => auto({}, { weightFrac: 'aut' }), /\$\.numeric\.weightFrac: expected a non-negative integer or "auto", found the string "aut"/],
  ];
  for (const [what, f, re] of rejected)
    it(`rejects ${what} with one line naming the path`, () => {
      const msg = errorOf(f);
      expect(msg).toMatch(re);
      expect(msg).not.toContain('\n');
    });
});

/** The exact accumulator of every output (BigInt, [C][H][W]), independent of the golden model. */
export function exactConv(m: KernelModel, x: Int32Array): bigint[] {
  const out: bigint[] = [];
  for (let o = 0; o < m.outC; o++) {
    const g = Math.floor(o / m.outPerGroup);
    for (let oy = 0; oy < m.outH; oy++)
      for (let ox = 0; ox < m.outW; ox++) {
        let acc = m.bias ? m.bias[o] << BigInt(m.numeric.biasShift) : 0n;
        for (let ci = 0; ci < m.inPerGroup; ci++)
          for (let ky = 0; ky < m.kH; ky++)
            for (let kx = 0; kx < m.kW; kx++) {
              const y = oy * m.strideH - m.pad.top + ky * m.dilH;
              const xx = ox * m.strideW - m.pad.left + kx * m.dilW;
              if (y < 0 || y >= m.inH || xx < 0 || xx >= m.inW) continue;
              acc += BigInt(m.weights[((o * m.inPerGroup + ci) * m.kH + ky) * m.kW + kx]) *
                BigInt(x[((g * m.inPerGroup + ci) * m.inH + y) * m.inW + xx]);
            }
        out.push(acc);
      }
  }
  return out;
}
