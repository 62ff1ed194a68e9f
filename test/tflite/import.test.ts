/**
 * The .tflite reader and importer: malformed files are one InputError (never another exception), every unsupported
 * operator is named in one line, float edges move to the caller, options are read into params, PAD fuses exactly.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.ts';
import { fuseNetwork } from '../../src/network/fuse.ts';
import { runNetwork } from '../../src/network/golden.ts';
import { buildNetwork } from '../../src/network/network.ts';
import type { NpyArray } from '../../src/npy/index.ts';
import { importTflite } from '../../src/tflite/import.ts';
import { OptionsType, TensorType } from '../../src/tflite/schema.ts';
import { fixtures } from '../helpers.ts';
import { buildTflite, int32Bytes, int8Bytes, type TModel } from './builder.ts';

const kws = fs.readFileSync(path.join(fixtures, 'models', 'kws_ref_model', 'kws_ref_model.tflite'));

function refusal(bytes: Uint8Array): string {
  try {
    importTflite(bytes, 'm.tflite');
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    const msg = (e as Error).message;
    expect(msg).not.toContain('\n');
    return msg;
  }
  throw new Error('the model was accepted');
}

const conv = (i: number, w: number, b: number, o: number, act = 0) => ({
  op: 'CONV_2D', inputs: [i, w, b], outputs: [o],
  options: { type: OptionsType.Conv2DOptions, fields: [[0, 'int8', 1], [1, 'int32', 1], [2, 'int32', 1], [3, 'int8', act]] as never },
});

describe('malformed files', () => {
  it.each([
    ['empty', new Uint8Array(0), /too short/],
    ['no identifier', Uint8Array.from([8, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0]), /file identifier is/],
    ['truncated to half', kws.subarray(0, kws.length / 2), /not a valid \.tflite model: .*outside the file/],
    ['root offset past the end', Uint8Array.from([...[0xff, 0xff, 0, 0], ...Buffer.from('TFL3'), 0, 0, 0, 0]), /outside the file/],
  ])('%s: one line', (_, bytes, re) => {
    expect(refusal(bytes)).toMatch(re);
  });

  it('any corruption of a real model is refused with an InputError or imported and built, never a crash', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(kws.length - 1), fc.nat(255)), { minLength: 1, maxLength: 8 }), (edits) => {
      const bytes = Uint8Array.from(kws);
      for (const [at, v] of edits) bytes[at] = v;
      try {
        const { spec, arrays } = importTflite(bytes, 'm.tflite');
        buildNetwork(spec, 'm.tflite', (ref) => arrays.get(ref.npy)!);
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        expect(e.message).not.toContain('\n');
      }
    }), { numRuns: 400, seed: 17 });
  });
});

describe('unsupported models', () => {
  const t = (shape: number[], extra = {}) => ({ shape, scale: 0.5, zeroPoint: 0, ...extra });
  it('names every unsupported operator and its tensors in one line', () => {
    const m: TModel = {
      tensors: [t([1, 4]), t([1, 4]), t([1, 4]), t([1, 4]), t([1, 4])],
      ops: [
        { op: 'MUL', inputs: [0, 1], outputs: [2] },
        { op: 'TANH', inputs: [2], outputs: [3] },
        { op: 'CUSTOM', custom: 'MyOp', inputs: [3], outputs: [4] },
      ],
      inputs: [0, 1], outputs: [4],
    };
    const msg = refusal(buildTflite(m));
    expect(msg).toMatch(/^m\.tflite: unsupported: MUL \(operator 0: t0, t1 -> t2\); TANH \(operator 1: t2 -> t3\); CUSTOM\(MyOp\) \(operator 2: t3 -> t4\)\. convgen runs these ops on int8 tensors: conv_2d, /);
  });

  it('names a float tensor inside the graph and an unsupported fused activation', () => {
    const m: TModel = {
      tensors: [
        t([1, 3, 3, 1]), t([1, 3, 3, 1], { type: TensorType.FLOAT32 }), t([1, 1, 1, 1], { data: int8Bytes([1]) }),
        t([1], { type: TensorType.INT32, data: int32Bytes([0]) }), t([1, 3, 3, 1]), t([1, 3, 3, 1]),
      ],
      ops: [conv(0, 2, 3, 1), conv(1, 2, 3, 4), conv(4, 2, 3, 5, 4)],
      inputs: [0], outputs: [5],
    };
    const msg = refusal(buildTflite(m));
    expect(msg).toContain("CONV_2D (operator 0: t0, t2, t3 -> t1): t1 'tensor_1' is FLOAT32, only int8 tensors are supported inside the graph");
    expect(msg).toContain("CONV_2D (operator 1: t1, t2, t3 -> t4): t1 'tensor_1' is FLOAT32");
    expect(msg).toContain('CONV_2D (operator 2: t4, t2, t3 -> t5): fused activation TANH');
  });

  it('refuses weights with a non-zero zero point', () => {
    const m: TModel = {
      tensors: [t([1, 3, 3, 1]), t([1, 1, 1, 1], { data: int8Bytes([1]), zeroPoint: 3 }), t([1], { type: TensorType.INT32, data: int32Bytes([0]) }), t([1, 3, 3, 1])],
      ops: [conv(0, 1, 2, 3)], inputs: [0], outputs: [3],
    };
    expect(refusal(buildTflite(m))).toMatch(/weights \(t1\) with a non-zero zero point/);
  });
});

describe('float edges', () => {
  it('QUANTIZE after a float input and DEQUANTIZE before a float output move to the caller', () => {
    const m: TModel = {
      tensors: [
        { shape: [1, 2], type: TensorType.FLOAT32, name: 'x' }, { shape: [1, 2], scale: 0.5, zeroPoint: 1 },
        { shape: [2, 2], data: int8Bytes([1, 2, 3, 4]), scale: 0.25 }, { shape: [1, 2], scale: 0.25, zeroPoint: -3 },
        { shape: [1, 2], type: TensorType.FLOAT32, name: 'y' },
      ],
      ops: [
        { op: 'QUANTIZE', inputs: [0], outputs: [1] },
        { op: 'FULLY_CONNECTED', inputs: [1, 2, -1], outputs: [3] },
        { op: 'DEQUANTIZE', inputs: [3], outputs: [4] },
      ],
      inputs: [0], outputs: [4],
    };
    const { spec } = importTflite(buildTflite(m), 'edge.tflite');
    expect(spec.inputs).toEqual(['t1']);
    expect(spec.outputs).toEqual(['t3']);
    expect(spec.tensors.t1.callerConverts).toBe('quantize');
    expect(spec.tensors.t3.callerConverts).toBe('dequantize');
    expect(spec.layers.map((l) => l.op)).toEqual(['fully_connected']);
    expect(spec.notes?.join(' ')).toMatch(/quantized by the caller into t1 \(scale 0.5, zero point 1\)/);
  });
});

describe('options into params', () => {
  const t = (shape: number[], extra = {}) => ({ shape, scale: 0.5, zeroPoint: 2, ...extra });
  it('pools, mean, concatenation, PADV2, depthwise multiplier from the shapes', () => {
    const m: TModel = {
      tensors: [
        t([1, 4, 4, 2]), t([1, 2, 2, 2]), t([1, 2, 2, 2]), t([2], { type: TensorType.INT32, data: int32Bytes([1, 2]) }),
        t([1, 2]), t([1, 2, 2, 4]), t([1, 1, 1, 4], { data: int8Bytes([1, 2, 3, 4]), scale: [1, 1, 1, 1], zeroPoint: [0, 0, 0, 0], qdim: 3 }),
        t([1, 2, 2, 4]), t([4, 2], { type: TensorType.INT32, data: int32Bytes([0, 0, 1, 1, 0, 0, 0, 0]) }),
        t([1], { data: int8Bytes([7]) }), t([1, 4, 2, 4]),
      ],
      ops: [
        { op: 'MAX_POOL_2D', inputs: [0], outputs: [1], options: { type: OptionsType.Pool2DOptions, fields: [[0, 'int8', 1], [1, 'int32', 2], [2, 'int32', 2], [3, 'int32', 2], [4, 'int32', 2], [5, 'int8', 1]] } },
        { op: 'AVERAGE_POOL_2D', inputs: [0], outputs: [2], options: { type: OptionsType.Pool2DOptions, fields: [[0, 'int8', 0], [1, 'int32', 2], [2, 'int32', 2], [3, 'int32', 3], [4, 'int32', 1]] } },
        { op: 'MEAN', inputs: [1, 3], outputs: [4], options: { type: OptionsType.ReducerOptions, fields: [[0, 'bool', false]] } },
        { op: 'CONCATENATION', inputs: [1, 2], outputs: [5], options: { type: OptionsType.ConcatenationOptions, fields: [[0, 'int32', -1]] } },
        { op: 'DEPTHWISE_CONV_2D', inputs: [1, 6, -1], outputs: [7], options: { type: OptionsType.DepthwiseConv2DOptions, fields: [[0, 'int8', 1], [1, 'int32', 1], [2, 'int32', 1], [3, 'int32', 0]] } },
        { op: 'PADV2', inputs: [7, 8, 9], outputs: [10] },
      ],
      inputs: [0], outputs: [4, 5, 10],
    };
    const { spec } = importTflite(buildTflite(m), 'o.tflite');
    const params = Object.fromEntries(spec.layers.map((l) => [l.name, l.params]));
    expect(params.max_pool_2d_0).toEqual({ padding: 'valid', stride: [2, 2], filter: [2, 2], activation: 'relu' });
    expect(params.average_pool_2d_0).toEqual({ padding: 'same', stride: [2, 2], filter: [1, 3], activation: 'none' });
    expect(params.mean_0).toEqual({ axes: [1, 2], keepDims: false });
    expect(params.concatenation_0).toEqual({ axis: -1 });
    expect(params.depthwise_conv_2d_0).toMatchObject({ depthMultiplier: 2, padding: 'valid' });
    expect(params.pad_0).toEqual({ paddings: [[0, 0], [1, 1], [0, 0], [0, 0]], value: 7 });
  });
});

describe('PAD fused into the convolution', () => {
  const t = (shape: number[], scale = 0.5, zeroPoint = -3) => ({ shape, scale, zeroPoint });
  const model = (padValue: number | null, padOutQuant: [number, number] = [0.5, -3]): TModel => ({
    tensors: [
      t([1, 4, 4, 2]), t([1, 6, 5, 2], ...padOutQuant), { shape: [3, 3, 3, 2], scale: [0.1, 0.2, 0.3], zeroPoint: [0, 0, 0], data: int8Bytes(Array.from({ length: 54 }, (_, i) => ((i * 37) % 255) - 127)) },
      { shape: [3], type: TensorType.INT32, scale: 0.05, data: int32Bytes([100, -200, 300]) }, t([1, 4, 3, 3], 0.25, 5),
      { shape: [4, 2], type: TensorType.INT32, data: int32Bytes([0, 0, 1, 1, 0, 1, 0, 0]) },
      { shape: [1], data: int8Bytes([padValue ?? 0]), scale: padOutQuant[0], zeroPoint: padOutQuant[1] },
    ],
    ops: [
      padValue === null ? { op: 'PAD', inputs: [0, 5], outputs: [1] } : { op: 'PADV2', inputs: [0, 5, 6], outputs: [1] },
      { op: 'CONV_2D', inputs: [1, 2, 3], outputs: [4], options: { type: OptionsType.Conv2DOptions, fields: [[0, 'int8', 1], [1, 'int32', 1], [2, 'int32', 1], [3, 'int8', 0]] } },
    ],
    inputs: [0], outputs: [4],
  });
  const loader = (arrays: Map<string, NpyArray>) => (ref: { npy: string }) => arrays.get(ref.npy)!;

  it('fuses when the pad value is the zero point, and computes the same outputs', () => {
    const { spec, arrays } = importTflite(buildTflite(model(null)), 'p.tflite');
    expect(spec.layers.map((l) => l.op)).toEqual(['conv_2d']);
    expect(spec.layers[0].params.padding).toEqual([1, 0, 1, 1]);
    expect(spec.tensors.t1).toBeUndefined();
    // The same network unfused: rebuild the spec with the PAD layer in front.
    const unfused = {
      ...spec,
      tensors: { ...spec.tensors, t1: { shape: [1, 6, 5, 2], scale: 0.5, zeroPoint: -3 } },
      layers: [
        { name: 'pad_0', op: 'pad', inputs: ['t0'], outputs: ['t1'], params: { paddings: [[0, 0], [1, 1], [0, 1], [0, 0]] } },
        { ...spec.layers[0], inputs: ['t1'], params: { ...spec.layers[0].params, padding: 'valid' } },
      ],
    };
    const a = buildNetwork(spec, 'fused', loader(arrays));
    const b = buildNetwork(unfused, 'unfused', loader(arrays));
    expect(fuseNetwork(unfused, arrays).layers).toHaveLength(1);
    fc.assert(fc.property(fc.array(fc.integer({ min: -128, max: 127 }), { minLength: 32, maxLength: 32 }), (x) => {
      const input = Int8Array.from(x);
      expect(Array.from(runNetwork(a, [input]).outputs[0])).toEqual(Array.from(runNetwork(b, [input]).outputs[0]));
    }), { numRuns: 50, seed: 3 });
  });

  it('does not fuse a pad value other than the zero point, or a PAD that changes the quantization', () => {
    expect(importTflite(buildTflite(model(0)), 'p.tflite').spec.layers.map((l) => l.op)).toEqual(['pad', 'conv_2d']);
    expect(importTflite(buildTflite(model(-3)), 'p.tflite').spec.layers.map((l) => l.op)).toEqual(['conv_2d']);
    expect(importTflite(buildTflite(model(null, [0.25, -3])), 'p.tflite').spec.layers.map((l) => l.op)).toEqual(['pad', 'conv_2d']);
  });
});
