/** The network spec reader: any value anywhere in a real spec is built or refused with one InputError, never a crash. */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.ts';
import { runNetwork } from '../../src/network/golden.ts';
import { buildNetwork } from '../../src/network/network.ts';
import { importTflite } from '../../src/tflite/import.ts';
import { fixtures } from '../helpers.ts';

/** Every path into a JSON value. */
function paths(v: unknown, p: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(v)) return [p, ...v.flatMap((x, i) => paths(x, [...p, i]))];
  if (v && typeof v === 'object') return [p, ...Object.entries(v).flatMap(([k, x]) => paths(x, [...p, k]))];
  return [p];
}

describe('network spec robustness', () => {
  const file = path.join(fixtures, 'models', 'pretrainedResnet_quant', 'pretrainedResnet_quant.tflite');
  const imported = importTflite(fs.readFileSync(file), file);
  const all = paths(imported.spec).filter((p) => p.length > 0);
  const values = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.integer(), fc.double(), fc.constantFrom(0, -1, 1e9, 'same', 'x', [], [0, 0], null, true));

  it('replacing up to three values anywhere: built, or one InputError', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(all.length - 1), values), { minLength: 1, maxLength: 3 }), (edits) => {
      const spec = structuredClone(imported.spec) as unknown as Record<string | number, unknown>;
      for (const [i, v] of edits) {
        const p = all[i];
        let o = spec as Record<string | number, unknown> | null;
        for (const k of p.slice(0, -1)) o = o && typeof o === 'object' ? (o[k] as Record<string | number, unknown>) : null;
        if (o && typeof o === 'object') o[p[p.length - 1]] = v;
      }
      try {
        const net = buildNetwork(spec, 's.json', (ref) => {
          const a = imported.arrays.get(ref.npy);
          if (!a) throw new InputError('s.json', `no ${ref.npy}`);
          return a;
        });
        runNetwork(net, net.inputs.map((n) => new Int8Array(net.tensors.get(n)!.shape.reduce((a, b) => a * b, 1))));
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        expect(e.message).not.toContain('\n');
      }
    }), { numRuns: 300, seed: 11 });
  });
});
