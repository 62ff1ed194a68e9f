/**
 * int8 (TFLite) on the host: random specs over the whole int8 space, compiled with gcc and compared bit for bit
 * with the golden model on seeded random inputs plus the extremes (test/int8-arbitraries.ts says what is covered).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generate } from '../../src/codegen/index.ts';
import { modelFromValue } from '../../src/ops/conv_2d/spec/index.ts';
import { findTarget } from '../../src/targets/index.ts';
import { verifyPair } from '../../src/verify/index.ts';
import { int8SpecArbitrary } from '../int8-arbitraries.ts';

const host = findTarget('host')!;
const runs = Number(process.env.CONVGEN_PROPERTY_RUNS ?? 40);

describe('int8 host-compiled C against the golden model', () => {
  it('the arbitrary reaches every form: per-tensor, per-channel, scales, saturation, 64-bit accumulators, padding', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(int8SpecArbitrary(), (spec) => {
        const m = modelFromValue(spec, 'fuzz8.json');
        if (m.numeric.kind !== 'int8') throw new Error('not int8');
        const plan = generate(m).plan;
        const nf = m.numeric;
        seen.add(nf.scales ? 'scales' : nf.perChannel ? 'perChannel' : 'perTensor');
        if (plan.stage.kind === 'requantize' && plan.stage.saturate) seen.add('saturate');
        if (plan.accType === 'int64_t') seen.add('int64');
        if (nf.shift.some((s) => s > 0)) seen.add('positive shift');
        if (nf.shift.some((s) => s < 0)) seen.add('negative shift');
        if (m.pad.top + m.pad.left + m.pad.bottom + m.pad.right > 0 && nf.inputOffset !== 0) seen.add('offset with padding');
        if (m.groups === m.inC && m.outC > m.inC) seen.add('depthwise multiplier');
        if (m.actMin > -128 || m.actMax < 127) seen.add('clamp');
      }),
      { numRuns: 300, seed: 8 },
    );
    expect([...seen].sort()).toEqual(['clamp', 'depthwise multiplier', 'int64', 'negative shift', 'offset with padding',
      'perChannel', 'perTensor', 'positive shift', 'saturate', 'scales']);
  });

  it('property: random int8 specs are bit-exact (host gcc)', async () => {
    await fc.assert(
      fc.asyncProperty(int8SpecArbitrary(), fc.nat(1000), async (spec, seed) => {
        const m = modelFromValue(spec, 'fuzz8.json');
        const r = await verifyPair(m, host, { seed, timeoutSeconds: 30 });
        if (r.status !== 'pass') throw new Error(`${JSON.stringify(spec)}: ${r.error ?? JSON.stringify(r.first)}`);
      }),
      { numRuns: runs, seed: 20260805, endOnFailure: true },
    );
  });

  it('property: int8 specs stay clean under AddressSanitizer and UBSan (shifts, saturation, SRDHM)', async () => {
    const sanitize = ['-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-g'];
    await fc.assert(
      fc.asyncProperty(int8SpecArbitrary({ maxChannels: 3, maxSize: 4 }), fc.nat(1000), async (spec, seed) => {
        const m = modelFromValue(spec, 'fuzz8.json');
        const r = await verifyPair(m, host, { seed, timeoutSeconds: 60, extraFlags: sanitize });
        if (r.status !== 'pass') throw new Error(`${JSON.stringify(spec)}: ${r.error ?? JSON.stringify(r.first)}`);
      }),
      { numRuns: Math.max(4, Math.floor(runs / 8)), seed: 77, endOnFailure: true },
    );
  });

  it('the naive variant computes the same int8 results', async () => {
    await fc.assert(
      fc.asyncProperty(int8SpecArbitrary({ maxChannels: 3 }), fc.nat(1000), async (spec, seed) => {
        const m = modelFromValue(spec, 'fuzz8.json');
        const r = await verifyPair(m, host, { seed, timeoutSeconds: 30, variant: 'naive' });
        if (r.status !== 'pass') throw new Error(`${JSON.stringify(spec)}: ${r.error ?? JSON.stringify(r.first)}`);
      }),
      { numRuns: Math.max(4, Math.floor(runs / 4)), seed: 5, endOnFailure: true },
    );
  });
});
