import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { modelFromValue } from '../../src/ops/conv_2d/spec/index.ts';
import { findTarget } from '../../src/targets/index.ts';
import { compareOutputs, verifyPair } from '../../src/verify/index.ts';
import { specArbitrary } from '../arbitraries.ts';
import { model } from '../helpers.ts';

const host = findTarget('host')!;
const sanitize = ['-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-g'];

describe('host-compiled C against the golden model', () => {
  it('is bit-exact on a spec with border and interior', async () => {
    const r = await verifyPair(model({ input: { channels: 3, height: 9, width: 11 }, output: { channels: 4 } }), host, { seed: 1, timeoutSeconds: 30 });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('pass');
    expect(r.tensors).toBe(5);
  });

  it('is bit-exact under AddressSanitizer and UBSan', async () => {
    const m = model({ layout: 'hwc', padding: [2, 0, 1, 3], stride: [2, 1], input: { channels: 2, height: 7, width: 6 } });
    const r = await verifyPair(m, host, { seed: 2, timeoutSeconds: 60, extraFlags: sanitize });
    expect(r.error).toBeUndefined();
    expect(r.status).toBe('pass');
  });

  it('counts mismatches and locates the first as (channel, y, x) in either layout', () => {
    const chw = model({ input: { channels: 2, height: 5, width: 6 } });
    const expected = [new Int32Array(chw.outC * chw.outH * chw.outW)];
    const actual = [expected[0].slice()];
    actual[0][1 * chw.outH * chw.outW + 2 * chw.outW + 4] = 7; // channel 1, y 2, x 4
    actual[0][expected[0].length - 1] = -3;
    const r = compareOutputs(chw, expected, actual);
    expect(r.mismatches).toBe(2);
    expect(r.first).toEqual({ tensor: 0, channel: 1, y: 2, x: 4, expected: 0, actual: 7 });
    const hwc = model({ layout: 'hwc' });
    const a2 = [expected[0].slice()];
    a2[0][(2 * hwc.outW + 4) * hwc.outC + 1] = 9;
    expect(compareOutputs(hwc, expected, a2).first).toEqual({ tensor: 0, channel: 1, y: 2, x: 4, expected: 0, actual: 9 });
    expect(compareOutputs(hwc, [...expected, ...expected], a2).mismatches).toBe(1 + expected[0].length);
  });

  it('property: random specs over the whole space are bit-exact (host gcc)', async () => {
    await fc.assert(
      fc.asyncProperty(specArbitrary(), fc.nat(1000), async (spec, seed) => {
        const m = modelFromValue(spec, 'fuzz.json');
        const r = await verifyPair(m, host, { seed, timeoutSeconds: 30 });
        if (r.status !== 'pass') throw new Error(`${JSON.stringify(spec)}: ${r.error ?? JSON.stringify(r.first)}`);
      }),
      { numRuns: Number(process.env.CONVGEN_PROPERTY_RUNS ?? 40), seed: 20261128 },
    );
  });
});
