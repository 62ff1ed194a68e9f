/**
 * What an op's TFLite hook sees of one operator: its options table, its tensors, and helpers that turn constant
 * inputs into the network spec's .npy constants. A helper that meets something convgen does not implement calls
 * unsupported(), which the importer collects (every unsupported operator is named in one line).
 */
import type { NpyArray } from '../npy/index.ts';
import type { FusedActivation } from '../numerics/index.ts';
import { ACTIVATIONS, PADDINGS, TensorType } from './schema.ts';
import type { Table } from './flatbuffer.ts';
import { constantData, type TfliteModel, type TfliteOperator, type TfliteTensor } from './model.ts';

export class Unsupported extends Error {}

export interface TfliteImport {
  op: TfliteOperator;
  /** The layer's name in the network spec (prefix of its .npy files). */
  layer: string;
  /** The options table, when the operator has one of the expected kind (null: TFLite's defaults). */
  options(tag: number): Table | null;
  padding(o: Table | null, slot: number): 'same' | 'valid';
  activation(o: Table | null, slot: number): FusedActivation;
  hasInput(i: number): boolean;
  tensor(i: number): TfliteTensor;
  outputTensor(i: number): TfliteTensor;
  /** Constant int8 weights of input i with their scales (zero points must be 0; per-channel along `channelAxis`). */
  weights(i: number, role: string, channelAxis: number): { npy: string; scales: number[] };
  /** Constant int32 bias of input i. */
  bias(i: number): { npy: string };
  /** A small constant int32/int64 vector (a shape, paddings, axes). */
  ints(i: number, role: string): number[];
  /** A constant int8 scalar sharing the output's quantization (PADV2's value). */
  scalarInt8(i: number, role: string): number;
  unsupported(why: string): never;
}

export function importContext(model: TfliteModel, op: TfliteOperator, layer: string, arrays: Map<string, NpyArray>): TfliteImport {
  const unsupported = (why: string): never => {
    throw new Unsupported(why);
  };
  const tensor = (i: number): TfliteTensor => {
    const idx = op.inputs[i];
    if (idx === undefined || idx < 0) return unsupported(`input ${i} is missing`);
    return model.tensors[idx];
  };
  const constant = (i: number, role: string): { t: TfliteTensor; data: Uint8Array } => {
    const t = tensor(i);
    const data = constantData(model, t);
    if (!data) return unsupported(`its ${role} (t${t.index}) is not a constant`);
    return { t, data };
  };
  const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  const view = (data: Uint8Array) => new DataView(data.buffer, data.byteOffset, data.byteLength);
  return {
    op,
    layer,
    options(tag) {
      if (op.optionsType !== 0 && op.optionsType !== tag) unsupported(`an options table of kind ${op.optionsType} (expected ${tag})`);
      return op.options;
    },
    padding(o, slot) {
      const p = PADDINGS[o?.int8(slot) ?? 0];
      return p ?? unsupported(`padding kind ${o?.int8(slot)}`);
    },
    activation(o, slot) {
      const a = ACTIVATIONS[o?.int8(slot) ?? 0];
      if (a === undefined || a === 'tanh' || a === 'sign_bit') unsupported(`fused activation ${(a ?? String(o?.int8(slot))).toUpperCase()}`);
      return a as FusedActivation;
    },
    hasInput(i) {
      return i < op.inputs.length && op.inputs[i] >= 0;
    },
    tensor,
    outputTensor(i) {
      return model.tensors[op.outputs[i]];
    },
    weights(i, role, channelAxis) {
      const { t, data } = constant(i, role);
      if (t.type !== TensorType.INT8) unsupported(`${t.typeName} ${role} (t${t.index}); only int8 weights are supported`);
      if (t.sparse) unsupported(`sparse ${role} (t${t.index})`);
      const q = t.quant;
      if (!q) return unsupported(`${role} (t${t.index}) without quantization parameters`);
      if (q.zeroPoint.some((z) => z !== 0)) unsupported(`${role} (t${t.index}) with a non-zero zero point`);
      if (q.scale.length > 1 && (q.quantizedDimension !== channelAxis || q.scale.length !== t.shape[channelAxis]))
        unsupported(`${role} (t${t.index}) quantized per channel along axis ${q.quantizedDimension} (expected ${channelAxis})`);
      if (data.length !== count(t.shape)) unsupported(`${role} (t${t.index}) holds ${data.length} bytes for shape [${t.shape.join(', ')}]`);
      const npy = `${layer}_${role}.npy`;
      arrays.set(npy, { dtype: 'int8', shape: [...t.shape], data: new Int8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length)) });
      return { npy, scales: q.scale };
    },
    bias(i) {
      const { t, data } = constant(i, 'bias');
      if (t.type !== TensorType.INT32) unsupported(`${t.typeName} bias (t${t.index}); only int32 bias is supported`);
      const n = count(t.shape);
      if (data.length !== 4 * n) unsupported(`bias (t${t.index}) holds ${data.length} bytes for shape [${t.shape.join(', ')}]`);
      const v = view(data);
      const npy = `${layer}_bias.npy`;
      arrays.set(npy, { dtype: 'int32', shape: [n], data: Int32Array.from({ length: n }, (_, k) => v.getInt32(4 * k, true)) });
      return { npy };
    },
    ints(i, role) {
      const { t, data } = constant(i, role);
      const v = view(data);
      const n = count(t.shape);
      if (t.type === TensorType.INT32 && data.length === 4 * n) return Array.from({ length: n }, (_, k) => v.getInt32(4 * k, true));
      if (t.type === TensorType.INT64 && data.length === 8 * n) return Array.from({ length: n }, (_, k) => Number(v.getBigInt64(8 * k, true)));
      return unsupported(`${role} (t${t.index}) of type ${t.typeName} with ${data.length} bytes`);
    },
    scalarInt8(i, role) {
      const { t, data } = constant(i, role);
      if (t.type !== TensorType.INT8 || data.length !== 1) unsupported(`${role} (t${t.index}) is not one int8 value`);
      const out = model.tensors[op.outputs[0]];
      if (!t.quant || !out.quant || t.quant.zeroPoint[0] !== out.quant.zeroPoint[0] || t.quant.scale[0] !== out.quant.scale[0])
        unsupported(`${role} (t${t.index}) does not share the output's quantization (TFLite Micro requires it)`);
      return (data[0] << 24) >> 24;
    },
    unsupported,
  };
}
