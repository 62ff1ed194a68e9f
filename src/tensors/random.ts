/**
 * The documented PRNG behind `{ "random": { "seed": n } }` and seeded test inputs: mulberry32.
 * state += 0x6D2B79F5; t = state; t = (t ^ t>>>15) * (t|1); t ^= t + (t ^ t>>>7) * (t|61); out = t ^ t>>>14
 * (all 32-bit). A value of a b-bit signed type is the top b bits of one output, minus 2^(b-1): exactly uniform.
 * These rules are part of the spec: the same seed gives the same values in every version and on every machine.
 */
export class Mulberry32 {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  nextU32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Uniform over the signed range of `bits` bits (bits ≤ 32). */
  nextSigned(bits: number): number {
    return (this.nextU32() >>> (32 - bits)) - 2 ** (bits - 1);
  }
  /** Uniform over [lo, hi] (hi - lo < 2^32), by rejection so that it stays exact. */
  nextInRange(lo: number, hi: number): number {
    const span = hi - lo + 1;
    const limit = Math.floor(2 ** 32 / span) * span;
    for (;;) {
      const u = this.nextU32();
      if (u < limit) return lo + (u % span);
    }
  }
}
