/**
 * The MVE family's vector int8 output stage, modelled op by op in BigInt after the Armv8.1-M pseudocode, against the
 * golden requantization (src/numerics requantize + offset + clamp). The C (src/families/mve/lower.ts,
 * finish4) runs exactly this sequence per lane:
 *   x = VQSHL(acc, left)                 saturating left shift
 *   x = VQRDMULH(x, multiplier)          sat((2·x·m + 2^31) >> 32)
 *   x = VQADD(x, (x >> 31) & nz)         nz = -1 where right > 0: x - 1 for negative x, saturating at INT32_MIN
 *   x = VRSHL(x, -right)                 (x + 2^(right-1)) >> right, computed without overflow
 *   v = min(max(x, lo - offset), hi - offset) + offset
 */
import { describe, expect, it } from 'vitest';
import { requantize } from '../../src/numerics/index.ts';
import { edgeAccs, goldenStage } from './requant-cases.ts';

const MIN = -(2n ** 31n);
const MAX = 2n ** 31n - 1n;
const sat = (v: bigint) => (v > MAX ? MAX : v < MIN ? MIN : v);
const vqshl = (x: bigint, l: number) => sat(x << BigInt(l));
// Arm: VQRDMULH.S32 = SignedSat((2·a·b + 2^31) >> 32); >> on BigInt floors, as the pseudocode's arithmetic shift.
const vqrdmulh = (a: bigint, b: bigint) => sat((2n * a * b + (1n << 31n)) >> 32n);
const vqadd = (a: bigint, b: bigint) => sat(a + b);
const vrshr = (x: bigint, r: number) => (r === 0 ? x : (x + (1n << BigInt(r - 1))) >> BigInt(r));

function vectorStage(acc: number, mult: number, shift: number, offset: number, lo: number, hi: number): number {
  const left = Math.max(0, shift);
  const right = Math.max(0, -shift);
  let x = vqshl(BigInt(acc), left);
  x = vqrdmulh(x, BigInt(mult));
  const nz = right > 0 ? -1n : 0n;
  x = vqadd(x, (x < 0n ? -1n : 0n) & nz);
  x = vrshr(x, right);
  const preLo = BigInt(lo - offset);
  const preHi = BigInt(hi - offset);
  x = x < preLo ? preLo : x > preHi ? preHi : x;
  return Number(x + BigInt(offset));
}

const golden = goldenStage;


const MULTS = [0, 1, -1, 2 ** 30, 2 ** 30 + 1, 1518500250, 2147483647, 2147483646, -2147483648, -2147483647, 1073741823];

describe('MVE vector requantization equals the golden MultiplyByQuantizedMultiplier', () => {
  it('over edge accumulators, multipliers and every shift from -31 to +30', () => {
    const accs = edgeAccs();
    let checked = 0;
    for (let shift = -31; shift <= 30; shift++)
      for (const mult of MULTS)
        for (const acc of accs) {
          // Full int32 output range (no clamp) and the int8 clamp with an offset.
          for (const [off, lo, hi] of [[0, -2147483648, 2147483647], [-3, -128, 127], [100, -20, 90]]) {
            const want = golden(acc, mult, shift, off, lo, hi);
            const got = vectorStage(acc, mult, shift, off, lo, hi);
            if (got !== want) expect({ acc, mult, shift, off, got }).toEqual({ acc, mult, shift, off, got: want });
            checked++;
          }
        }
    expect(checked).toBeGreaterThan(100_000);
  });

  it('SRDHM products at exact ties: the nudge and VQRDMULH agree for both signs', () => {
    // a·b = ±2^30 + d·2^31 lands exactly on a rounding boundary of the doubled product.
    for (const [a, b] of [[2 ** 15, 2 ** 15], [-(2 ** 15), 2 ** 15], [3 * 2 ** 15, 2 ** 15], [-3 * 2 ** 15, 2 ** 15], [2 ** 30, 1], [-(2 ** 30), 1]])
      for (const right of [0, 1, 5])
        expect(vectorStage(a, b, -right, 0, -2147483648, 2147483647)).toBe(golden(a, b, -right, 0, -2147483648, 2147483647));
  });

  it('fails without the negative fixup (the test can see the difference)', () => {
    const noFix = (acc: number, r: number) => Number(vrshr(vqrdmulh(BigInt(acc), 2147483647n), r));
    const diffs = edgeAccs().filter((acc) => noFix(acc, 3) !== requantize(acc, 2147483647, -3));
    expect(diffs.length).toBeGreaterThan(0);
  });

  it('random accumulators, multipliers and shifts', () => {
    let seed = 12345;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) | 0) >>> 0);
    for (let i = 0; i < 50_000; i++) {
      const acc = rnd() | 0;
      const mult = rnd() | 0;
      const shift = (rnd() % 62) - 31;
      expect(vectorStage(acc, mult, shift, -3, -128, 127)).toBe(golden(acc, mult, shift, -3, -128, 127));
    }
  });
});
