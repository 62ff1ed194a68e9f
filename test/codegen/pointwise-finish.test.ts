/**
 * The pointwise family's fused int8 output stage (templates/pointwise/kernel.c.hbs, <name>_pw_finish), modelled in
 * BigInt op by op as the C spells it, against the golden requantization (src/numerics requantize + offset +
 * clamp):
 *   c = C - [x + q < 0]                 C = (2·offset + 1) << (e - 1) in uint32, as int32; q = floor(2^30 / M)
 *   T = x·M + (c >> 1)·2^32 + (2^30 | (c & 1)·2^31)
 *   v = clamp((T >> 32) >> (e - 1), lo, hi)
 * for right shifts e >= 1, multipliers M > 0, no saturation before the multiply (|x| + q < 2^31), which is where
 * pointwiseFinish chooses it.
 */
import { describe, expect, it } from 'vitest';
import { requantize } from '../../src/numerics/index.ts';
import { edgeAccs, goldenStage } from './requant-cases.ts';

function fused(acc: number, mult: number, e: number, off: number, lo: number, hi: number): number {
  const x = BigInt(acc);
  const q = BigInt(Math.floor(2 ** 30 / mult));
  // C as the C computes it from the channel's shift: (int32_t)((uint32_t)(2·offset + 1) << (e - 1)).
  const C = BigInt.asIntN(32, BigInt.asUintN(32, BigInt(2 * off + 1)) << BigInt(e - 1));
  const c = C - (x + q < 0n ? 1n : 0n);
  const add = (c >> 1n) * 2n ** 32n + ((1n << 30n) | ((c & 1n) << 31n));
  const t = x * BigInt(mult) + add;
  const v = Number((t >> 32n) >> BigInt(e - 1));
  return Math.min(hi, Math.max(lo, v));
}

/** The golden stage for a right shift e. */
const golden = (acc: number, mult: number, e: number, off: number, lo: number, hi: number) => goldenStage(acc, mult, -e, off, lo, hi);


const MULTS = [1, 2, 3, 2 ** 29, 2 ** 30 - 1, 2 ** 30, 2 ** 30 + 1, 1518500250, 1969946270, 2147483647, 2147483646];

describe('pointwise fused int8 output stage equals the golden requantization', () => {
  it('over edge accumulators, multipliers, right shifts 1..31 and offsets', () => {
    let checked = 0;
    for (let e = 1; e <= 31; e++)
      for (const mult of MULTS) {
        const q = Math.floor(2 ** 30 / mult);
        for (const acc of edgeAccs()) {
          if (Math.abs(acc) + q >= 2 ** 31) continue;
          for (const [off, lo, hi] of [[0, -(2 ** 31), 2 ** 31 - 1], [-3, -128, 127], [100, -20, 90], [-128, -128, 127]]) {
            // c and c - 1 must fit int32 (pointwiseFinish refuses otherwise).
            const c = 2 ** (e - 1) + off * 2 ** e;
            if (c - 1 < -(2 ** 31) || c > 2 ** 31 - 1) continue;
            const want = golden(acc, mult, e, off, lo, hi);
            const got = fused(acc, mult, e, off, lo, hi);
            if (got !== want) expect({ acc, mult, e, off, got }).toEqual({ acc, mult, e, off, got: want });
            checked++;
          }
        }
      }
    expect(checked).toBeGreaterThan(50_000);
  });

  it('random accumulators, multipliers and shifts', () => {
    let seed = 777;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) | 0) >>> 0);
    for (let i = 0; i < 50_000; i++) {
      const mult = (rnd() % 2147483647) + 1;
      const q = Math.floor(2 ** 30 / mult);
      const acc = (rnd() | 0) >> (rnd() % 24);
      if (Math.abs(acc) + q >= 2 ** 31) continue;
      const e = (rnd() % 20) + 1;
      expect(fused(acc, mult, e, -3, -128, 127)).toBe(golden(acc, mult, e, -3, -128, 127));
    }
  });

  it('fails without the sign term (the test can see the difference)', () => {
    const noSign = (acc: number, e: number) => {
      const t = BigInt(acc) * 2147483647n + (1n << 30n) + BigInt(2 ** (e - 1)) * 2n ** 31n;
      return Number(t >> BigInt(31 + e));
    };
    expect(edgeAccs().filter((acc) => noSign(acc, 3) !== requantize(acc, 2147483647, -3)).length).toBeGreaterThan(0);
  });
});
