import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.ts';
import { loadSpec, modelFromValue, samePadding } from '../../src/ops/conv_2d/spec/index.ts';
import { Mulberry32 } from '../../src/tensors/random.ts';
import { baseSpec, model } from '../helpers.ts';

function errorOf(over: Record<string, unknown>): string {
  try {
    model(over, 'spec.json');
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as Error).message;
  }
  throw new Error('expected the spec to be rejected');
}

describe('spec validation', () => {
  it('applies the documented defaults', () => {
    const m = modelFromValue({ ...baseSpec(), padding: undefined, bias: undefined }, 'x.json');
    expect([m.strideH, m.strideW, m.dilH, m.dilW, m.groups]).toEqual([1, 1, 1, 1, 1]);
    expect(m.layout).toBe('chw');
    expect(m.pad).toEqual({ top: 0, left: 0, bottom: 0, right: 0 });
    expect(m.numeric).toMatchObject({ kind: 'q', rounding: 'nearest', biasFrac: 26 });
    expect(m.actMin).toBe(-32768);
    expect(m.bias).toBeNull();
  });

  it('resolves every padding form', () => {
    expect(model({ padding: 2 }).pad).toEqual({ top: 2, left: 2, bottom: 2, right: 2 });
    expect(model({ padding: [1, 2] }).pad).toEqual({ top: 1, left: 2, bottom: 1, right: 2 });
    expect(model({ padding: [0, 1, 2, 0] }).pad).toEqual({ top: 0, left: 1, bottom: 2, right: 0 });
    expect(model({ padding: 'valid' }).pad).toEqual({ top: 0, left: 0, bottom: 0, right: 0 });
  });

  it('computes "same" padding with TensorFlow rule, smaller half first', () => {
    // n=6, k=3, s=2: total = (3-1)*2 + 3 - 6 = 1 -> top 0, bottom 1
    expect(samePadding(6, 3, 2, 1)).toEqual([0, 1]);
    expect(samePadding(5, 3, 2, 1)).toEqual([1, 1]);
    expect(samePadding(7, 4, 1, 1)).toEqual([1, 2]);
    expect(samePadding(5, 3, 1, 2)).toEqual([2, 2]);
    expect(samePadding(4, 1, 4, 1)).toEqual([0, 0]);
    const m = model({ padding: 'same', stride: 2, input: { channels: 2, height: 6, width: 5 } });
    expect(m.pad).toEqual({ top: 0, left: 1, bottom: 1, right: 1 });
    expect([m.outH, m.outW]).toEqual([3, 3]);
  });

  it('computes output sizes with stride and dilation', () => {
    const m = model({ input: { channels: 2, height: 10, width: 9 }, kernel: [3, 2], stride: [2, 3], dilation: [2, 1], padding: [1, 0, 2, 1] });
    expect(m.outH).toBe(Math.floor((10 + 3 - 5) / 2) + 1);
    expect(m.outW).toBe(Math.floor((9 + 1 - 2) / 3) + 1);
  });

  it('resolves activations to clamps in raw output units', () => {
    expect([model({ activation: 'relu' }).actMin, model({ activation: 'relu' }).actMax]).toEqual([0, 32767]);
    const r6 = model({ activation: 'relu6' });
    expect([r6.actMin, r6.actMax]).toEqual([0, 6 * 4096]);
    const r6sat = model({ activation: 'relu6', numeric: { type: 'q7', inputFrac: 4, weightFrac: 6, outputFrac: 5 } });
    expect(r6sat.actMax).toBe(127);
    const c = model({ activation: { clamp: [-100, 200] } });
    expect([c.actMin, c.actMax]).toEqual([-100, 200]);
  });

  it('reads weights in OHWI order and reorders them to OIHW', () => {
    const values = Array.from({ length: 3 * 3 * 3 * 2 }, (_, i) => i - 20);
    const ohwi = model({ weights: { values, layout: 'ohwi' } });
    // weight (o=1, i=1, ky=2, kx=0): OHWI index ((1*3+2)*3+0)*2+1
    expect(ohwi.weights[((1 * 2 + 1) * 3 + 2) * 3 + 0]).toBe(values[((1 * 3 + 2) * 3 + 0) * 2 + 1]);
  });

  it('quantizes float values with round half away from zero and saturation', () => {
    const m = model({
      numeric: { type: 'q7', inputFrac: 4, weightFrac: 2, outputFrac: 4 },
      weights: { values: [0.125, -0.125, 0.375, 100.5, -100.5, 0.1, ...new Array(48).fill(0.5)] },
    });
    expect(Array.from(m.weights.slice(0, 6))).toEqual([1, -1, 2, 127, -128, 0]);
  });

  it('draws random weights from the documented mulberry32 stream', () => {
    // mulberry32(1) starts 0.6270739405881613 as a float (x 2^32 = 2693262067): the algorithm's usual JS form.
    const rng = new Mulberry32(1);
    expect([rng.nextU32(), rng.nextU32(), rng.nextU32()]).toEqual([2693262067, 11749833, 2265367787]);
    const r42 = new Mulberry32(42);
    expect([r42.nextSigned(8), r42.nextSigned(16), r42.nextSigned(32)]).toEqual([25, -3389, 1513829056]);
    const m = model();
    const again = model();
    expect(Array.from(m.weights)).toEqual(Array.from(again.weights));
    const r = new Mulberry32(1);
    expect(m.weights[0]).toBe(r.nextSigned(16));
  });

  const rejected: [string, Record<string, unknown>, RegExp][] = [
    ['unknown key with a suggestion', { strid: 2 }, /spec\.json: \$: unknown key 'strid' \(did you mean 'stride'\?\)/],
    ['nested unknown key', { numeric: { type: 'q15', inputFrac: 1, weightFrac: 1, outputFrac: 1, rounding: 'nearest', biasfrac: 2 } },
      /\$\.numeric: unknown key 'biasfrac' \(did you mean 'biasFrac'\?\)/],
    ['name not an identifier', { name: '3x3' }, /\$\.name: '3x3' is not a valid name/],
    ['name upper case', { name: 'Edge' }, /\$\.name: 'Edge' is not a valid name/],
    ['name too long', { name: 'a'.repeat(33) }, /\$\.name: .* is 33 characters long; at most 32/],
    ['C keyword', { name: 'static' }, /\$\.name: 'static' is a C keyword/],
    ['zero channels', { input: { channels: 0, height: 5, width: 5 } }, /\$\.input\.channels: must be at least 1/],
    ['fractional size', { input: { channels: 2, height: 5.5, width: 5 } }, /\$\.input\.height: expected an integer, found the number 5\.5/],
    ['groups do not divide', { groups: 3 }, /\$\.groups: groups \(3\) must divide input\.channels \(2\)/],
    ['kernel larger than padded input', { kernel: 9, padding: 0 }, /\$\.kernel: kernel height spans 9 rows .* only 5/],
    ['dilated kernel too large', { kernel: 3, dilation: 3, padding: 0 }, /\$\.kernel: kernel height spans 7 rows/],
    ['frac out of range', { numeric: { type: 'q7', inputFrac: 8, weightFrac: 1, outputFrac: 1 } }, /\$\.numeric\.inputFrac: inputFrac 8 is out of range for q7: 0…7/],
    ['biasFrac too large', { numeric: { type: 'q15', inputFrac: 2, weightFrac: 3, outputFrac: 1, biasFrac: 6 } }, /\$\.numeric\.biasFrac: biasFrac 6 must not exceed inputFrac \+ weightFrac \(5\)/],
    ['bad numeric type', { numeric: { type: 'q16', inputFrac: 1, weightFrac: 1, outputFrac: 1 } }, /\$\.numeric\.type: expected one of .*"q15".* \(did you mean "q15"\?\)/],
    ['bad rounding', { numeric: { type: 'q15', inputFrac: 1, weightFrac: 1, outputFrac: 1, rounding: 'up' } }, /\$\.numeric\.rounding: expected one of "nearest", "floor"/],
    ['bad padding string', { padding: 'full' }, /\$\.padding: expected a non-negative integer, \[h, w\], \[top, left, bottom, right\], "valid" or "same"/],
    ['padding of three', { padding: [1, 2, 3] }, /\$\.padding: expected a non-negative integer/],
    ['clamp outside range', { activation: { clamp: [0, 40000] } }, /\$\.activation\.clamp\[1\]: 40000 is outside the q15 output range/],
    ['clamp reversed', { activation: { clamp: [10, 0] } }, /\$\.activation\.clamp: the lower bound 10 is greater than the upper bound 0/],
    ['bad activation', { activation: 'tanh' }, /\$\.activation: expected "none", "relu", "relu6" or \{ "clamp": \[lo, hi\] \}/],
    ['weights source typo', { weights: { npyy: 'w.npy' } }, /\$\.weights: unknown key 'npyy' \(did you mean 'npy'\?\)/],
    ['too few values', { weights: { values: [1, 2, 3] } }, /\$\.weights\.values: expected 54 values \(shape \[3, 2, 3, 3\]\), found 3/],
    ['value out of range', { weights: { values: [40000, ...new Array(53).fill(0)] } }, /value 40000 at index 0 does not fit 16-bit storage/],
    ['non-number value', { weights: { values: ['a', ...new Array(53).fill(0)] } }, /\$\.weights\.values\[0\]: expected a number, found "a"/],
    ['absolute npy path', { weights: { npy: '/etc/passwd' } }, /\$\.weights\.npy: '\/etc\/passwd' is an absolute path/],
    ['escaping npy path', { weights: { npy: '../../w.npy' } }, /\$\.weights\.npy: '\.\.\/\.\.\/w\.npy' leaves the root folder /],
    ['missing required', { output: undefined }, /\$\.output: required object is missing/],
    ['huge shape', { input: { channels: 4096, height: 4096, width: 4096 } }, /\$\.input: input tensor has 68719476736 elements; convgen accepts at most/],
  ];
  for (const [what, over, message] of rejected)
    it(`rejects: ${what}`, () => {
      expect(errorOf(over)).toMatch(message);
    });

  it('names file and position of invalid JSON', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convgen-spec-'));
    const file = path.join(dir, 'bad.json');
    fs.writeFileSync(file, '{\n  "name": "x",\n  "input": {,\n}');
    await expect(loadSpec(file)).rejects.toThrow(/bad\.json:3:13: invalid JSON/);
    await expect(loadSpec(path.join(dir, 'missing.json'))).rejects.toThrow(/missing\.json: file not found/);
    await expect(loadSpec(path.join(dir, 'spec.yaml'))).rejects.toThrow(/a spec must be a \.json file or a \.kernel\.ts module/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('resolves npy paths relative to the spec file', async () => {
    const m = await loadSpec(path.join(__dirname, '..', 'fixtures', 'qformat', 'qf_00', 'spec.json'));
    expect(m.weights.length).toBe(m.outC * m.inPerGroup * m.kH * m.kW);
    expect(m.bias).not.toBeNull();
  });
});
