import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importOnnx, specName, writeImport, type ImportOptions } from '../../src/onnx/index.ts';
import { readNpy } from '../../src/npy/index.ts';
import { loadSpec, modelFromValue } from '../../src/ops/conv_2d/spec/index.ts';
import { specSchema } from '../../src/ops/conv_2d/spec/schema.ts';
import { nameProblem } from '../../src/codegen/names.ts';
import { runGolden } from '../../src/ops/conv_2d/spec/golden.ts';
import { attr, DT, ints, model, node, refConv, tensor, value, values } from './models.ts';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convgen-onnx-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function run(bytes: Uint8Array, o: ImportOptions = {}) {
  const result = importOnnx(bytes, 'm.onnx', o);
  const files = writeImport(result, dir);
  return { result, specs: files.map((f) => JSON.parse(fs.readFileSync(f, 'utf8'))) };
}
const npy = (f: string) => readNpy(path.join(dir, f));
const arr = (f: string) => Array.from(npy(f).data, Number);

/** A float spec with "auto" replaced by fixed fraction bits: checks the rest of it with today's loader. */
function loadWithFixedFracs(spec: Record<string, unknown>, file: string) {
  const fixed = { ...spec, numeric: { type: 'q15', inputFrac: 12, weightFrac: 12, outputFrac: 10 } };
  fs.writeFileSync(path.join(dir, file), JSON.stringify(fixed));
  return loadSpec(path.join(dir, file));
}

// One grouped, dilated, strided Conv with asymmetric pads: x (4, 7, 9) -> w (6, 2, 3, 2), group 2.
const geo = { stride: [2, 1] as [number, number], pads: [1, 0, 2, 1] as [number, number, number, number], dilation: [2, 1] as [number, number], groups: 2 };
const W1 = values(6 * 2 * 3 * 2, 1);
const B1 = values(6, 2);
function groupedModel(inputDims: (number | string)[] = [1, 4, 7, 9]) {
  return model({
    nodes: [node('Conv', ['x', 'w', 'b'], ['y'], '/features/conv.0/Conv', [
      attr.ints('kernel_shape', [3, 2]), attr.ints('strides', geo.stride), attr.ints('pads', geo.pads),
      attr.ints('dilations', geo.dilation), attr.int('group', 2)])],
    initializers: [tensor('w', DT.FLOAT, [6, 2, 3, 2], W1, true), tensor('b', DT.FLOAT, [6], B1)],
    inputs: [value('x', DT.FLOAT, inputDims)],
    outputs: [value('y', DT.FLOAT, [1, 6, 'h', 'w'])],
  });
}

describe('convgen import: float Conv', () => {
  it('carries kernel, strides, ONNX pads as [top, left, bottom, right], dilations and group into the spec', async () => {
    const { result, specs } = run(groupedModel());
    const [s] = specs;
    const ref = refConv(values(4 * 7 * 9, 3), [4, 7, 9], W1, [6, 2, 3, 2], B1, geo);
    expect(result.layers[0].outputShape).toEqual(ref.shape);
    expect(s).toMatchObject({
      name: 'features_conv_0_conv', layout: 'chw', input: { channels: 4, height: 7, width: 9 }, output: { channels: 6 },
      kernel: [3, 2], stride: [2, 1], padding: [1, 0, 2, 1], dilation: [2, 1], groups: 2, activation: 'none',
      numeric: { type: 'q15', inputRange: [-1, 1], weightFrac: 'auto', outputFrac: 'auto' },
      weights: { npy: 'features_conv_0_conv.weights.npy', layout: 'oihw' }, bias: { npy: 'features_conv_0_conv.bias.npy' },
    });
    expect(npy(s.weights.npy)).toMatchObject({ dtype: 'float32', shape: [6, 2, 3, 2] });
    expect(arr(s.weights.npy)).toEqual(Array.from(Float32Array.from(W1)));
    expect(arr(s.bias.npy)).toEqual(Array.from(Float32Array.from(B1)));
    expect(result.notes.join()).toMatch(/input range \[-1, 1\] \(the default/);
    // Everything but the numeric block passes today's loader, and its geometry is the reference conv's.
    const m = await loadWithFixedFracs(s, 'fixed.json');
    expect([m.outC, m.outH, m.outW]).toEqual(ref.shape);
    expect(m.pad).toEqual({ top: 1, left: 0, bottom: 2, right: 1 });
    // The whole spec, automatic formats included, is what the schema accepts.
    expect(specSchema.safeParse(s).success).toBe(true);
  });

  it('resolves auto_pad SAME_UPPER, SAME_LOWER and VALID to explicit pads', () => {
    const pads = (autoPad: string) => {
      const bytes = model({
        nodes: [node('Conv', ['x', 'w'], ['y'], 'c', [attr.str('auto_pad', autoPad), attr.ints('strides', [2, 2])])],
        initializers: [tensor('w', DT.FLOAT, [2, 1, 4, 3], values(24, 5))],
        inputs: [value('x', DT.FLOAT, [1, 1, 8, 7])], outputs: [value('y', DT.FLOAT, [1, 2, 4, 4])],
      });
      const l = importOnnx(bytes, 'm.onnx').layers[0];
      return { pads: l.spec.padding, out: l.outputShape };
    };
    // height 8, k 4, s 2: total 2 -> 1/1; width 7, k 3, s 2: total 2 -> 1/1 (odd totals below)
    expect(pads('SAME_UPPER')).toEqual({ pads: [1, 1, 1, 1], out: [2, 4, 4] });
    expect(pads('VALID')).toEqual({ pads: [0, 0, 0, 0], out: [2, 3, 3] });
    const odd = (autoPad: string) => importOnnx(model({
      nodes: [node('Conv', ['x', 'w'], ['y'], 'c', [attr.str('auto_pad', autoPad)])],
      initializers: [tensor('w', DT.FLOAT, [1, 1, 2, 4], values(8, 6))],
      inputs: [value('x', DT.FLOAT, [1, 1, 5, 5])], outputs: [value('y', DT.FLOAT, [1, 1, 5, 5])],
    }), 'm.onnx').layers[0];
    // total 1 (kh 2) and 3 (kw 4): the extra row/column goes to the end (UPPER) or the beginning (LOWER)
    expect(odd('SAME_UPPER').spec.padding).toEqual([0, 1, 1, 2]);
    expect(odd('SAME_LOWER').spec.padding).toEqual([1, 2, 0, 1]);
    expect(odd('SAME_LOWER').outputShape).toEqual([1, 5, 5]);
  });

  it('folds BatchNormalization into weights and bias and takes Relu as the activation', () => {
    const m = 3;
    const W = values(m * 2 * 3 * 3, 11);
    const bn = { scale: values(m, 12, 0.5, 2), B: values(m, 13), mean: values(m, 14), var: values(m, 15, 0.1, 3) };
    const eps = 1e-3;
    const bytes = model({
      nodes: [
        node('Conv', ['x', 'w'], ['c'], 'conv', [attr.ints('pads', [1, 1, 1, 1])]),
        node('BatchNormalization', ['c', 's', 'bb', 'mu', 'v'], ['n'], 'bn', [attr.float('epsilon', eps)]),
        node('Relu', ['n'], ['y'], 'relu'),
      ],
      initializers: [tensor('w', DT.FLOAT, [m, 2, 3, 3], W), tensor('s', DT.FLOAT, [m], bn.scale), tensor('bb', DT.FLOAT, [m], bn.B),
        tensor('mu', DT.FLOAT, [m], bn.mean), tensor('v', DT.FLOAT, [m], bn.var)],
      inputs: [value('x', DT.FLOAT, ['N', 2, 5, 6])], outputs: [value('y', DT.FLOAT, ['N', m, 5, 6])],
    });
    const { result, specs } = run(bytes);
    const [s] = specs;
    expect(result.layers[0].ops).toBe('Conv + BatchNormalization + Relu');
    expect(s.activation).toBe('relu');
    expect(s.bias).toEqual({ npy: 'conv.bias.npy' }); // the Conv had none: folding creates it
    // conv -> BN -> relu in float64 with the model's parameters, against conv with the folded float32 tensors
    const x = values(2 * 5 * 6, 16);
    const g = { stride: [1, 1] as [number, number], pads: [1, 1, 1, 1] as [number, number, number, number], dilation: [1, 1] as [number, number], groups: 1 };
    const f32 = (v: number[]) => Array.from(Float32Array.from(v));
    const conv = refConv(x, [2, 5, 6], f32(W), [m, 2, 3, 3], undefined, g);
    const per = conv.out.length / m;
    const expected = conv.out.map((v, i) => {
      const c = Math.floor(i / per);
      const p = (a: number[]) => Math.fround(a[c]);
      return Math.max(0, (p(bn.scale) * (v - p(bn.mean))) / Math.sqrt(p(bn.var) + Math.fround(eps)) + p(bn.B));
    });
    const folded = refConv(x, [2, 5, 6], arr(s.weights.npy), [m, 2, 3, 3], arr(s.bias.npy), g).out.map((v) => Math.max(0, v));
    folded.forEach((v, i) => expect(Math.abs(v - expected[i])).toBeLessThan(1e-5 * (1 + Math.abs(expected[i]))));
    // and the fold really changed the numbers
    expect(arr(s.weights.npy)).not.toEqual(f32(W));
  });

  it('maps Clip(0, 6) to relu6 (inputs from opset 11, attributes before) and refuses other bounds', () => {
    const clipModel = (lo: number, hi: number, opset: number) => model({
      opset,
      nodes: [node('Conv', ['x', 'w', 'b'], ['c'], 'conv'),
        opset >= 11 ? node('Clip', ['c', 'lo', 'hi'], ['y'], 'clip') : node('Clip', ['c'], ['y'], 'clip', [attr.float('min', lo), attr.float('max', hi)])],
      initializers: [tensor('w', DT.FLOAT, [2, 1, 1, 1], [0.5, -0.25]), tensor('b', DT.FLOAT, [2], [0, 1]),
        ...(opset >= 11 ? [tensor('lo', DT.FLOAT, [], [lo]), tensor('hi', DT.FLOAT, [], [hi])] : [])],
      inputs: [value('x', DT.FLOAT, [1, 1, 3, 3])], outputs: [value('y', DT.FLOAT, [1, 2, 3, 3])],
    });
    expect(importOnnx(clipModel(0, 6, 13), 'm.onnx').layers[0].spec.activation).toBe('relu6');
    expect(importOnnx(clipModel(0, 6, 9), 'm.onnx').layers[0].spec.activation).toBe('relu6');
    expect(() => importOnnx(clipModel(-1, 1, 13), 'm.onnx')).toThrow(/Clip node 'clip'.*Clip\(-1, 1\).*relu6/);
  });

  it('names specs as unique C identifiers and selects one node with --node', () => {
    const taken = new Set<string>();
    expect(['/conv1/Conv', '/conv1/Conv', '1x', 'int', '', 'A'.repeat(40), 'A'.repeat(40)].map((n, i) => specName(n, i, taken)))
      .toEqual(['conv1_conv', 'conv1_conv_2', 'conv_1x', 'int_', 'conv_4', 'a'.repeat(32), `${'a'.repeat(30)}_2`]);
    // Names of files convgen writes or headers it includes get a trailing '_', as keywords do, and pass validation.
    const reserved = ['stdint', 'String', 'convgen_entry', 'arm_mve', 'convgen_fw', `stdint${'_'.repeat(40)}`].map((n, i) => specName(n, i, taken));
    expect(reserved).toEqual(['stdint_', 'string_', 'convgen_entry_', 'arm_mve_', 'convgen_fw_', 'stdint__2']);
    for (const name of reserved) expect(nameProblem(name)).toBeUndefined();
    const two = model({
      nodes: [node('Conv', ['x', 'w'], ['c'], 'first'), node('Conv', ['c', 'w2'], ['y'], 'second', [attr.ints('pads', [0, 1, 0, 1])])],
      initializers: [tensor('w', DT.FLOAT, [3, 1, 3, 3], values(27, 1)), tensor('w2', DT.FLOAT, [2, 3, 1, 3], values(18, 2))],
      inputs: [value('x', DT.FLOAT, [1, 1, 'h', 'w'])], outputs: [value('y', DT.FLOAT, [1, 2, 'a', 'b'])],
    });
    // the second Conv's input shape is inferred through the first once the model input is known
    const all = importOnnx(two, 'm.onnx', { inputShape: [1, 10, 8] }).layers;
    expect(all.map((l) => [l.name, l.inputShape, l.outputShape])).toEqual([['first', [1, 10, 8], [3, 8, 6]], ['second', [3, 8, 6], [2, 8, 6]]]);
    expect(importOnnx(two, 'm.onnx', { node: 'second', inputShape: [3, 4, 4] }).layers.map((l) => l.spec.input))
      .toEqual([{ channels: 3, height: 4, width: 4 }]);
    expect(() => importOnnx(two, 'm.onnx', { node: 'third' })).toThrow(/--node: no Conv node 'third' in m.onnx; its Conv nodes: 'first', 'second'/);
    expect(() => importOnnx(two, 'm.onnx')).toThrow(/shape of its input 'x' is unknown.*--input-shape C,H,W/);
  });

  it('writes float specs that load with automatic fraction bits', async () => {
    const { specs } = run(groupedModel());
    const m = await loadSpec(path.join(dir, `${specs[0].name}.json`));
    expect([m.inC, m.outC, m.groups, m.dilH]).toEqual([4, 6, 2, 2]);
  });
});

/* ---------------------------------------------------------------------------------------------------------- */
/* int8: an independent reference of the requantization (BigInt, from the definitions in TFLite's reference code). */

function frexp(d: number): [number, number] {
  let e = Math.floor(Math.log2(d)) + 1;
  let q = d / 2 ** e;
  if (q >= 1) { q /= 2; e++; }
  if (q < 0.5) { q *= 2; e--; }
  return [q, e];
}
function tfliteRequant(acc: number, eff: number): number {
  let [q, shift] = frexp(eff);
  let m = Math.round(q * 2 ** 31); // q > 0: Math.round is half away from zero here
  if (m === 2 ** 31) { m /= 2; shift++; }
  const left = BigInt(Math.max(shift, 0));
  const right = BigInt(Math.max(-shift, 0));
  const ab = (BigInt(acc) << left) * BigInt(m);
  const high = (ab + (ab >= 0n ? 1n << 30n : 1n - (1n << 30n))) / (1n << 31n); // truncating, like C
  if (right === 0n) return Number(high);
  const half = 1n << (right - 1n);
  const mag = high < 0n ? -high : high;
  const r = (mag + half) >> right; // half away from zero
  return Number(high < 0n ? -r : r);
}
const roundHalfEven = (v: number) => {
  const f = Math.floor(v);
  const d = v - f;
  return d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
};

interface QConv { x: number[]; xs: number; xz: number; w: number[]; ws: number[]; b: number[]; ys: number; yz: number; lo: number; hi: number }

/** acc = Σ (x − xz)·w + b (exact integers) per output, then both requantizations. */
function int8Reference(q: QConv, inShape: number[], wDims: number[], g: { stride: [number, number]; pads: [number, number, number, number]; dilation: [number, number]; groups: number }) {
  const acc = refConv(q.x.map((v) => v - q.xz), inShape, q.w, wDims, q.b, g);
  const per = acc.out.length / wDims[0];
  const clamp = (v: number) => Math.min(q.hi, Math.max(q.lo, v));
  const eff = (o: number) => (Math.fround(q.xs) * Math.fround(q.ws[o])) / Math.fround(q.ys);
  return {
    tflite: acc.out.map((a, i) => clamp(tfliteRequant(a, eff(Math.floor(i / per))) + q.yz)),
    onnx: acc.out.map((a, i) => clamp(roundHalfEven(a * eff(Math.floor(i / per))) + q.yz)),
    real: acc.out.map((a, i) => a * eff(Math.floor(i / per))),
    // SRDHM rounds to 2^-right of an output step before the final rounding (double rounding), so the two
    // roundings can disagree within 2^-(right+1) of a tie (plus the multiplier's 2^-31 relative error).
    tieWindow: acc.out.map((a, i) => 2 ** -(Math.max(-frexp(eff(Math.floor(i / per)))[1], 0) + 1) + 1e-6 * (1 + Math.abs(a))),
  };
}

function compareGolden(golden: number[], ref: ReturnType<typeof int8Reference>) {
  expect(golden).toEqual(ref.tflite);
  expect(new Set(golden).size).toBeGreaterThan(10); // not a saturated or constant output
  // ONNX rounds the float product half to even; the fixed-point multiplier may differ by one only next to a tie.
  golden.forEach((v, i) => {
    if (v === ref.onnx[i]) return;
    expect(Math.abs(v - ref.onnx[i])).toBe(1);
    expect(Math.abs(Math.abs(ref.real[i] - Math.trunc(ref.real[i])) - 0.5)).toBeLessThanOrEqual(ref.tieWindow[i]);
  });
}

describe('convgen import: quantized Conv -> int8', () => {
  it('maps a per-channel QLinearConv and matches its arithmetic through loadSpec and the golden model', async () => {
    const m = 4;
    const q: QConv = {
      x: ints(3 * 6 * 5, 21, -128, 127), xs: Math.fround(0.0213), xz: -7,
      w: ints(m * 3 * 3 * 3, 22, -127, 127), ws: [0.0041, 0.0077, 0.0023, 0.011].map(Math.fround),
      b: ints(m, 23, -3000, 3000), ys: Math.fround(0.094), yz: 5, lo: -128, hi: 127,
    };
    const g = { stride: [1, 2] as [number, number], pads: [2, 1, 0, 1] as [number, number, number, number], dilation: [1, 1] as [number, number], groups: 1 };
    const bytes = model({
      nodes: [node('QLinearConv', ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz', 'b'], ['y'], 'qconv', [attr.ints('strides', g.stride), attr.ints('pads', g.pads)])],
      initializers: [tensor('xs', DT.FLOAT, [], [q.xs]), tensor('xz', DT.INT8, [], [q.xz]), tensor('w', DT.INT8, [m, 3, 3, 3], q.w, true),
        tensor('ws', DT.FLOAT, [m], q.ws), tensor('wz', DT.INT8, [m], [0, 0, 0, 0]), tensor('ys', DT.FLOAT, [], [q.ys]),
        tensor('yz', DT.INT8, [], [q.yz]), tensor('b', DT.INT32, [m], q.b)],
      inputs: [value('x', DT.INT8, [1, 3, 6, 5])], outputs: [value('y', DT.INT8, [1, m, 'h', 'w'])],
    });
    const { specs } = run(bytes);
    const [s] = specs;
    expect(s.numeric).toEqual({ type: 'int8', inputScale: q.xs, inputZeroPoint: q.xz, weightScales: q.ws, outputScale: q.ys,
      outputZeroPoint: q.yz, activationMin: -128, activationMax: 127 });
    expect(npy(s.weights.npy).dtype).toBe('int8');
    expect(npy(s.bias.npy).dtype).toBe('int32');
    const km = await loadSpec(path.join(dir, 'qconv.json'));
    expect(km.numeric).toMatchObject({ inputOffset: -q.xz, outputOffset: q.yz, perChannel: true });
    const golden = Array.from(runGolden(km, Int32Array.from(q.x)));
    compareGolden(golden, int8Reference(q, [3, 6, 5], [m, 3, 3, 3], g));
  });

  it('maps uint8 activations exactly onto int8 (zero point − 128)', () => {
    const bytes = model({
      nodes: [node('QLinearConv', ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz'], ['y'], 'u8')],
      initializers: [tensor('xs', DT.FLOAT, [], [0.5]), tensor('xz', DT.UINT8, [], [130]), tensor('w', DT.INT8, [1, 1, 1, 1], [3]),
        tensor('ws', DT.FLOAT, [], [0.25]), tensor('wz', DT.INT8, [], [0]), tensor('ys', DT.FLOAT, [], [1]), tensor('yz', DT.UINT8, [], [0])],
      inputs: [value('x', DT.UINT8, [1, 1, 2, 2])], outputs: [value('y', DT.UINT8, [1, 1, 2, 2])],
    });
    const l = importOnnx(bytes, 'm.onnx').layers[0];
    expect(l.spec.numeric).toMatchObject({ inputZeroPoint: 2, outputZeroPoint: -128, weightScales: 0.25 });
    expect(l.notes.join(' ')).toMatch(/input is uint8.*zero point 130 → 2/);
    // Each note says one thing: which way to convert, for its own side only.
    const input = l.notes.find((n) => n.startsWith('input is uint8'))!;
    const output = l.notes.find((n) => n.startsWith('output is uint8'))!;
    expect(input).toMatch(/subtract 128 from the model's uint8 inputs before giving them to the kernel$/);
    expect(input).not.toMatch(/add 128/);
    expect(output).toMatch(/add 128 to the kernel's int8 outputs to get the model's uint8 output$/);
    expect(output).not.toMatch(/subtract 128/);
  });

  it('maps a QDQ chain (DequantizeLinear -> Conv -> Relu -> QuantizeLinear) with its activation range', async () => {
    const m = 3;
    const q: QConv = {
      x: ints(2 * 5 * 5, 31, -128, 127), xs: Math.fround(0.031), xz: 3,
      w: ints(m * 2 * 9, 32, -127, 127), ws: [0.006, 0.013, 0.0095].map(Math.fround),
      b: ints(m, 33, -500, 500), ys: Math.fround(0.05), yz: -20, lo: -20, hi: 127,
    };
    const g = { stride: [1, 1] as [number, number], pads: [1, 1, 1, 1] as [number, number, number, number], dilation: [1, 1] as [number, number], groups: 1 };
    const biasScale = q.ws.map((w) => Math.fround(q.xs * w));
    const bytes = model({
      nodes: [
        node('QuantizeLinear', ['xf', 'xs', 'xz'], ['xq'], 'quant_in'),
        node('DequantizeLinear', ['xq', 'xs', 'xz'], ['xd'], 'dq_in'),
        node('DequantizeLinear', ['wq', 'ws', 'wz'], ['wd'], 'dq_w', [attr.int('axis', 0)]),
        node('DequantizeLinear', ['bq', 'bs'], ['bd'], 'dq_b', [attr.int('axis', 0)]),
        node('Conv', ['xd', 'wd', 'bd'], ['c'], 'conv', [attr.ints('pads', g.pads)]),
        node('Relu', ['c'], ['r'], 'relu'),
        node('QuantizeLinear', ['r', 'ys', 'yz'], ['y'], 'quant_out'),
      ],
      initializers: [tensor('xs', DT.FLOAT, [], [q.xs]), tensor('xz', DT.INT8, [], [q.xz]), tensor('wq', DT.INT8, [m, 2, 3, 3], q.w),
        tensor('ws', DT.FLOAT, [m], q.ws), tensor('wz', DT.INT8, [m], [0, 0, 0]), tensor('bq', DT.INT32, [m], q.b), tensor('bs', DT.FLOAT, [m], biasScale),
        tensor('ys', DT.FLOAT, [], [q.ys]), tensor('yz', DT.INT8, [], [q.yz])],
      inputs: [value('xf', DT.FLOAT, [1, 2, 5, 5])], outputs: [value('y', DT.INT8, [1, m, 5, 5])],
    });
    const { result, specs } = run(bytes);
    const [s] = specs;
    expect(result.layers[0].ops).toBe('Conv + Relu + QuantizeLinear');
    // Relu: the real bound 0 quantized with the output scale is the zero point
    expect(s.numeric).toEqual({ type: 'int8', inputScale: q.xs, inputZeroPoint: q.xz, weightScales: q.ws, outputScale: q.ys,
      outputZeroPoint: q.yz, activationMin: q.yz, activationMax: 127 });
    expect(arr(s.bias.npy)).toEqual(q.b);
    expect(arr(s.weights.npy)).toEqual(q.w);
    const km = await loadSpec(path.join(dir, 'conv.json'));
    compareGolden(Array.from(runGolden(km, Int32Array.from(q.x))), int8Reference(q, [2, 5, 5], [m, 2, 3, 3], g));
  });

  it('computes a Clip activation range as TFLite does and refuses a non-zero weight zero point', () => {
    const qdq = (clip: [number, number], wz: number) => model({
      nodes: [
        node('DequantizeLinear', ['x', 'xs', 'xz'], ['xd'], 'dq_in'),
        node('DequantizeLinear', ['wq', 'ws', 'wz'], ['wd'], 'dq_w'),
        node('Conv', ['xd', 'wd'], ['c'], 'conv'),
        node('Clip', ['c', 'lo', 'hi'], ['r'], 'clip'),
        node('QuantizeLinear', ['r', 'ys', 'yz'], ['y'], 'quant_out'),
      ],
      initializers: [tensor('xs', DT.FLOAT, [], [0.1]), tensor('xz', DT.INT8, [], [0]), tensor('wq', DT.INT8, [2, 1, 1, 1], [5, -5]),
        tensor('ws', DT.FLOAT, [], [0.02]), tensor('wz', DT.INT8, [], [wz]), tensor('lo', DT.FLOAT, [], [clip[0]]), tensor('hi', DT.FLOAT, [], [clip[1]]),
        tensor('ys', DT.FLOAT, [], [0.03]), tensor('yz', DT.INT8, [], [-10])],
      inputs: [value('x', DT.INT8, [1, 1, 4, 4])], outputs: [value('y', DT.INT8, [1, 2, 4, 4])],
    });
    // zp + round(f / scale): 0 -> -10, 1.5 -> -10 + 50 = 40; -0.5 -> -10 - 17 = -27 (16.67 rounds to 17)
    expect(importOnnx(qdq([0, 1.5], 0), 'm.onnx').layers[0].spec.numeric).toMatchObject({ activationMin: -10, activationMax: 40 });
    expect(importOnnx(qdq([-0.5, 100], 0), 'm.onnx').layers[0].spec.numeric).toMatchObject({ activationMin: -27, activationMax: 127 });
    expect(() => importOnnx(qdq([0, 6], 2), 'm.onnx')).toThrow(/weight zero point 'wz' is 2; .*zero point 0/);
  });
});
