/**
 * Every message the schema stage gives says what is expected: every field of three valid kernel specs (Q, int8 with
 * multipliers, int8 with scales) is set in turn to values of the wrong kind, and each refusal must be one line at
 * a JSON path that says what the field takes, never the schema library's own words ("Invalid input"). The network
 * spec (and its ops' params), worded by the same describer, gets the same treatment.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.ts';
import { buildNetwork } from '../../src/network/network.ts';
import { modelFromValue } from '../../src/ops/conv_2d/spec/index.ts';
import { specSchema } from '../../src/ops/conv_2d/spec/schema.ts';
import { importTflite } from '../../src/tflite/import.ts';
import { fixtures } from '../helpers.ts';

const q = {
  name: 'k', layout: 'chw', input: { channels: 2, height: 4, width: 4 }, output: { channels: 2 }, kernel: [3, 3], stride: [1, 1],
  padding: [1, 1, 1, 1], dilation: [1, 1], groups: 1, activation: { clamp: [-5, 5] },
  numeric: { type: 'q15', inputFrac: 12, weightFrac: 14, biasFrac: 26, outputFrac: 12, rounding: 'nearest', inputRange: [-1, 1] },
  weights: { random: { seed: 7 }, layout: 'oihw' }, bias: { values: [1, 2] },
};
const int8 = {
  name: 'k', input: { channels: 2, height: 4, width: 4 }, output: { channels: 2 }, kernel: 1,
  numeric: { type: 'int8', inputOffset: 1, outputOffset: 2, multiplier: [1073741824, 1073741824], shift: [-1, 0], activationMin: -128, activationMax: 127 },
  weights: { values: [1, 2, 3, 4] }, bias: { random: { seed: 1 } },
};
const scales = { ...int8, numeric: { type: 'int8', inputScale: 0.5, inputZeroPoint: 1, weightScales: [0.1, 0.2], outputScale: 0.3, outputZeroPoint: 0 } };

const wrong: unknown[] = [1.5, -1, 'x', null, [], {}, true, [1.5, 2], [1, 2, 3], { foo: 1 }, 9007199254740993n];

type Path = (string | number)[];
function paths(v: unknown, p: Path = []): Path[] {
  const out: Path[] = p.length ? [p] : [];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...p, i])));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...p, k]));
  return out;
}

function setAt(v: unknown, p: Path, x: unknown): unknown {
  const copy = structuredClone(v) as Record<string | number, unknown>;
  let o = copy;
  for (const k of p.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
  o[p.at(-1)!] = x;
  return copy;
}

/** What the schema library writes on its own; none of it may reach a user. */
const LIBRARY_WORDS = /Invalid input|Invalid option|received|Too small|Too big|expected int\b|expected tuple|another form|another value/;
/** A schema message names what the field takes. */
const SAYS_WHAT = /expected |must be at (least|most) |required .* is missing|unknown key '.*'; (allowed keys|expected)\b/;

describe('schema messages say what is expected', () => {
  it('for every field of three specs set to every kind of wrong value', () => {
    let checked = 0;
    for (const base of [q, int8, scales])
      for (const p of paths(base))
        for (const bad of wrong) {
          const value = setAt(base, p, bad);
          if (specSchema.safeParse(value).success) continue; // a later stage's message (ranges, relations)
          let message = '';
          try {
            modelFromValue(value, 'spec.json');
          } catch (e) {
            expect(e).toBeInstanceOf(InputError);
            message = (e as Error).message;
          }
          const what = `${JSON.stringify(p)} = ${String(bad)}: ${message}`;
          expect(message, what).toMatch(/^spec\.json: \$[^ ]*: /);
          expect(message, what).not.toContain('\n');
          expect(message, what).not.toMatch(LIBRARY_WORDS);
          expect(message, what).toMatch(SAYS_WHAT);
          checked++;
        }
    expect(checked).toBeGreaterThan(600);
  });

  it('the two cases of the review, at the exact path', () => {
    const msg = (over: Record<string, unknown>) => {
      try {
        modelFromValue({ ...q, ...over }, 'spec.json');
      } catch (e) {
        return (e as Error).message;
      }
      return 'accepted';
    };
    expect(msg({ activation: { clamp: [0.5, 100] } })).toBe('spec.json: $.activation.clamp[0]: expected an integer, found the number 0.5');
    expect(msg({ weights: { random: { seed: 1.5 } } })).toBe('spec.json: $.weights.random.seed: expected an integer, found the number 1.5');
    expect(msg({ activation: { clamp: [1] } })).toBe('spec.json: $.activation.clamp: expected [lo, hi]: two integers in raw output units, found an array of 1');
    expect(msg({ weights: {} })).toMatch(/^spec\.json: \$\.weights: expected \{ "npy": path \}, .*, found an object$/);
  });

  it('for every field of a network spec (the int8 keyword-spotting model) set to every kind of wrong value', () => {
    const file = path.join(fixtures, 'models', 'kws_ref_model', 'kws_ref_model.tflite');
    const imported = importTflite(fs.readFileSync(file), file);
    const load = (ref: { npy: string }) => imported.arrays.get(ref.npy) ?? (() => { throw new InputError('s.json', `no ${ref.npy}`); })();
    let refused = 0;
    // One element stands for each array (the rest are alike), five kinds of wrong value.
    for (const p of paths(imported.spec).filter((q) => q.every((k) => k === 0 || typeof k === 'string')))
      for (const bad of [1.5, 'x', null, { foo: 1 }, [1, 2, 3]]) {
        let message = '';
        try {
          buildNetwork(setAt(imported.spec, p, bad), 's.json', load);
        } catch (e) {
          expect(e, `${JSON.stringify(p)} = ${String(bad)}`).toBeInstanceOf(InputError);
          message = (e as Error).message;
        }
        if (!message) continue;
        refused++;
        const what = `${JSON.stringify(p)} = ${String(bad)}: ${message}`;
        expect(message, what).not.toContain('\n');
        expect(message, what).not.toMatch(LIBRARY_WORDS);
      }
    expect(refused).toBeGreaterThan(100);
  });
});
