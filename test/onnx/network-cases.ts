/**
 * The ONNX networks of the test suite, from float (or QDQ) ONNX through calibration to a built network, in one list:
 * their QEMU proof (test/onnx/qemu.test.ts) is one loop over NETWORK_CASES × targets (each case gives the built
 * network and float input samples; `inputsInt8` are the network's own int8 inputs for them).
 */
import type { NpyArray } from '../../src/npy/index.ts';
import type { TensorData } from '../../src/ops/op.ts';
import { buildNetwork, type Network } from '../../src/network/network.ts';
import { importOnnxNetwork, type OnnxNetworkImport } from '../../src/onnx/net/index.ts';
import { networkInput } from '../../src/onnx/net/layout.ts';
import { make } from '../../src/onnx/eval/tensor.ts';
import type { RawNetwork } from '../../src/network/schema.ts';
import { actCnn, classData, concatPadCnn, dsCnn, fittedResidualCnn, residualCnn, ACT_INPUT, DS_INPUT, RESIDUAL_INPUT } from './cnns.ts';
import type { QdqSource } from './builder.ts';
import { expect } from 'vitest';
import type { NetworkCheck } from '../../src/network/verify.ts';

export interface NetworkCase {
  name: string;
  onnx: Uint8Array;
  /** Calibration samples (N, C, H, W) float32, or none for a model that carries its quantization. */
  calibration?: NpyArray;
  /** Float samples from the calibration distribution, with labels where the data has classes. */
  test: { samples: NpyArray; labels?: number[] };
}

export interface ImportedCase extends NetworkCase {
  result: OnnxNetworkImport;
  net: Network;
  /** The network's input for each test sample (what a device would be given: int8, or int16 in a q15 network). */
  inputsInt8: TensorData[];
}

const f32 = (shape: number[], data: Float32Array): NpyArray => ({ dtype: 'float32', shape, data });

/** The case imported (int8, or with `type` one Q format per tensor) and built. */
export function build(c: NetworkCase, type?: 'q7' | 'q15'): ImportedCase {
  const result = importOnnxNetwork(c.onnx, `${c.name}.onnx`, {
    ...(c.calibration ? { calibration: { file: `${c.name}-calibration.npy`, array: c.calibration } } : {}), ...(type ? { type } : {}),
  });
  const net = buildNetwork(result.imported.spec, `${c.name}.json`, (ref) => result.imported.arrays.get(ref.npy)!);
  const t = net.tensors.get(net.inputs[0])!;
  const [n, ...per] = c.test.samples.shape;
  const size = per.reduce((a, b) => a * b, 1);
  const data = c.test.samples.data as Float32Array;
  const inputsInt8 = Array.from({ length: n }, (_, k) => networkInput(t, make([1, ...per], Float64Array.from(data.subarray(k * size, (k + 1) * size)))));
  return { ...c, result, net, inputsInt8 };
}

let cache: { residual: NetworkCase; ds: NetworkCase; act: NetworkCase } | undefined;

function floatCases(): { residual: NetworkCase; ds: NetworkCase; act: NetworkCase } {
  if (cache) return cache;
  const cal = classData(100, 11);
  const test = classData(200, 99);
  const residual: NetworkCase = {
    name: 'residual_cnn', onnx: fittedResidualCnn(), calibration: f32([100, ...RESIDUAL_INPUT.slice(1)], cal.samples),
    test: { samples: f32([200, ...RESIDUAL_INPUT.slice(1)], test.samples), labels: test.labels },
  };
  const ds: NetworkCase = {
    name: 'ds_cnn', onnx: dsCnn(), calibration: f32([100, ...DS_INPUT.slice(1)], cal.samples),
    test: { samples: f32([200, ...DS_INPUT.slice(1)], test.samples) },
  };
  const act: NetworkCase = {
    name: 'act_cnn', onnx: actCnn(), calibration: f32([100, ...ACT_INPUT.slice(1)], cal.samples),
    test: { samples: f32([200, ...ACT_INPUT.slice(1)], test.samples) },
  };
  cache = { residual, ds, act };
  return cache;
}

export const residualCase = () => floatCases().residual;
export const dsCase = () => floatCases().ds;
/** Pad, Concat (of branches with different ranges) and the rest, for the Q-format networks. */
export const concatPadCase = (): NetworkCase => ({ ...floatCases().ds, name: 'concat_pad_cnn', onnx: concatPadCnn() });
/** The depthwise-separable CNN ending at its logits: a softmax has no Q-format path (q7, q15). */
export const dsLogitsCase = (): NetworkCase => ({ ...floatCases().ds, name: 'ds_cnn_logits', onnx: dsCnn(undefined, { logits: true }) });
export const actCase = () => floatCases().act;

/** The QDQ form of the residual CNN, written from its calibrated float import (no calibration of its own). */
export function residualQdqCase(): NetworkCase {
  const f = build(residualCase());
  const onnx = residualCnn(qdqSourceOf(f.result.imported.spec, f.result.imported.arrays));
  return { name: 'residual_cnn_qdq', onnx, test: f.test };
}

/** Every ONNX network of the suite: the QEMU proof is `for (const c of NETWORK_CASES.map(build)) for (const t of targets) …` (qemu.test.ts). */
export const NETWORK_CASES: (() => NetworkCase)[] = [residualCase, dsCase, actCase, residualQdqCase];

/** The ONNX value a QDQ model's conv output has, in the float model (whose BatchNormalization followed the conv). */
const bnValue = (v: string) => v.replace(/\/conv\/Conv_output_0$/, '/bn/BatchNormalization_output_0').replace(/\/conv(\d)\/Conv_output_0$/, '/bn$1/BatchNormalization_output_0');

/** What the QDQ builder needs, read from an imported float network: its tensors' quantization and its integers. */
export function qdqSourceOf(spec: RawNetwork, arrays: Map<string, NpyArray>): QdqSource {
  const byName = new Map(Object.values(spec.tensors).filter((t) => t.name).map((t) => [t.name!, t]));
  return {
    activation(v) {
      const t = byName.get(v) ?? byName.get(bnValue(v));
      if (!t) throw new Error(`no tensor for ${v}`);
      return { scale: t.scale, zeroPoint: t.zeroPoint };
    },
    layer(nodeName) {
      const id = nodeName.toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
      const l = spec.layers.find((x) => x.name === id)!;
      const p = l.params as { weights: { npy: string; scales: number[] }; bias: { npy: string } };
      const w = arrays.get(p.weights.npy)!;
      const b = arrays.get(p.bias.npy)!;
      const inScale = spec.tensors[l.inputs[0]].scale;
      const ints = w.data as Int8Array;
      // network layouts back to ONNX's: conv OHWI -> OIHW, depthwise [1, kh, kw, m] -> [m, 1, kh, kw], fc as is
      let dims: number[];
      let oihw: Int8Array;
      if (l.op === 'conv_2d') {
        const [m, kh, kw, c] = w.shape;
        dims = [m, c, kh, kw];
        oihw = Int8Array.from({ length: ints.length }, (_, i) => {
          const [o, ch, y, x] = [Math.floor(i / (c * kh * kw)), Math.floor(i / (kh * kw)) % c, Math.floor(i / kw) % kh, i % kw];
          return ints[((o * kh + y) * kw + x) * c + ch];
        });
      } else if (l.op === 'depthwise_conv_2d') {
        const [, kh, kw, m] = w.shape;
        dims = [m, 1, kh, kw];
        oihw = Int8Array.from({ length: ints.length }, (_, i) => ints[(i % (kh * kw)) * m + Math.floor(i / (kh * kw))]);
      } else {
        // fully connected: a flattened NCHW input had its columns put in H·W·C order; ONNX's are C·H·W
        dims = w.shape;
        const layout = spec.tensors[l.inputs[0]].sourceLayout;
        const depth = w.shape[1];
        if (layout && layout !== 'nchw') {
          const [c, h, wd] = layout.flattenedNchw;
          oihw = Int8Array.from({ length: ints.length }, (_, i) => {
            const [u, j] = [Math.floor(i / depth), i % depth];
            const [ch, pix] = [Math.floor(j / (h * wd)), j % (h * wd)];
            return ints[u * depth + pix * c + ch];
          });
        } else oihw = ints;
      }
      return { weights: oihw, dims, scales: p.weights.scales, bias: b.data as Int32Array, inScale };
    },
  };
}

/** A device run that passed at every layer for `inputs` inputs of a 10-element output (the suite's networks). */
export function expectBitExact(r: NetworkCheck, inputs: number): void {
  expect(r.error).toBeUndefined();
  expect(r.firstLayer).toBeUndefined();
  expect(r.status).toBe('pass');
  expect(r.inputs).toBe(inputs);
  expect(r.elements).toBe(inputs * 10);
}
