/**
 * Small .tflite models built in the tests with the `flatbuffers` Builder (field slots as in schema.fbs), for the ops,
 * options and malformations the three MLPerf models do not have.
 */
import { Builder } from 'flatbuffers';
import { BUILTIN_NAMES, TensorType } from '../../src/tflite/schema.ts';

export interface TTensor {
  shape: number[];
  type?: number;
  name?: string;
  scale?: number | number[];
  zeroPoint?: number | number[];
  qdim?: number;
  /** Constant contents (raw little-endian bytes). */
  data?: Uint8Array;
}

export type Field = [slot: number, kind: 'int8' | 'int32' | 'float32' | 'bool', value: number | boolean];

export interface TOp {
  op: string;
  inputs: number[];
  outputs: number[];
  options?: { type: number; fields: Field[] };
  custom?: string;
}

export interface TModel {
  tensors: TTensor[];
  ops: TOp[];
  inputs: number[];
  outputs: number[];
}

export const int8Bytes = (v: number[]) => new Uint8Array(Int8Array.from(v).buffer);
export const int32Bytes = (v: number[]) => new Uint8Array(Int32Array.from(v).buffer);

export function buildTflite(m: TModel): Uint8Array {
  const b = new Builder(1024);
  b.forceDefaults(true); // write every field given, even at its schema default
  const ints = (v: number[]) => {
    b.startVector(4, v.length, 4);
    for (let i = v.length - 1; i >= 0; i--) b.addInt32(v[i]);
    return b.endVector();
  };
  const floats = (v: number[]) => {
    b.startVector(4, v.length, 4);
    for (let i = v.length - 1; i >= 0; i--) b.addFloat32(v[i]);
    return b.endVector();
  };
  const longs = (v: number[]) => {
    b.startVector(8, v.length, 8);
    for (let i = v.length - 1; i >= 0; i--) b.addInt64(BigInt(v[i]));
    return b.endVector();
  };
  const offsets = (v: number[]) => {
    b.startVector(4, v.length, 4);
    for (let i = v.length - 1; i >= 0; i--) b.addOffset(v[i]);
    return b.endVector();
  };
  // Buffers: 0 is the empty sentinel, then one per constant tensor.
  const bufferIndex = new Map<number, number>();
  const bufferData: Uint8Array[] = [];
  m.tensors.forEach((t, i) => {
    if (t.data) {
      bufferIndex.set(i, bufferData.length + 1);
      bufferData.push(t.data);
    }
  });
  const buffers = [new Uint8Array(0), ...bufferData].map((d) => {
    const data = d.length ? b.createByteVector(d) : 0;
    b.startObject(3);
    if (data) b.addFieldOffset(0, data, 0);
    return b.endObject();
  });
  const tensors = m.tensors.map((t, i) => {
    const shape = ints(t.shape);
    const name = b.createString(t.name ?? `tensor_${i}`);
    let quant = 0;
    if (t.scale !== undefined) {
      const scales = floats(Array.isArray(t.scale) ? t.scale : [t.scale]);
      const zps = longs(Array.isArray(t.zeroPoint) ? t.zeroPoint : [t.zeroPoint ?? 0]);
      b.startObject(7);
      b.addFieldOffset(2, scales, 0);
      b.addFieldOffset(3, zps, 0);
      b.addFieldInt32(6, t.qdim ?? 0, -1);
      quant = b.endObject();
    }
    b.startObject(6);
    b.addFieldOffset(0, shape, 0);
    b.addFieldInt8(1, t.type ?? TensorType.INT8, -1);
    b.addFieldInt32(2, bufferIndex.get(i) ?? 0, -1);
    b.addFieldOffset(3, name, 0);
    if (quant) b.addFieldOffset(4, quant, 0);
    return b.endObject();
  });
  const codes: string[] = [];
  const codeIndex = (op: TOp) => {
    const key = op.custom ? `CUSTOM:${op.custom}` : op.op;
    if (!codes.includes(key)) codes.push(key);
    return codes.indexOf(key);
  };
  const operators = m.ops.map((op) => {
    const idx = codeIndex(op);
    const ins = ints(op.inputs);
    const outs = ints(op.outputs);
    let options = 0;
    if (op.options) {
      b.startObject(8);
      for (const [slot, kind, v] of op.options.fields) {
        if (kind === 'int8') b.addFieldInt8(slot, Number(v), -1);
        else if (kind === 'int32') b.addFieldInt32(slot, Number(v), -1);
        else if (kind === 'float32') b.addFieldFloat32(slot, Number(v), -1);
        else b.addFieldInt8(slot, v ? 1 : 0, -1);
      }
      options = b.endObject();
    }
    b.startObject(9);
    b.addFieldInt32(0, idx, -1);
    b.addFieldOffset(1, ins, 0);
    b.addFieldOffset(2, outs, 0);
    if (op.options) {
      b.addFieldInt8(3, op.options.type, -1);
      b.addFieldOffset(4, options, 0);
    }
    return b.endObject();
  });
  const opcodes = codes.map((key) => {
    const custom = key.startsWith('CUSTOM:') ? b.createString(key.slice(7)) : 0;
    const code = custom ? BUILTIN_NAMES.indexOf('CUSTOM') : BUILTIN_NAMES.indexOf(key);
    if (code < 0) throw new Error(`unknown builtin ${key}`);
    b.startObject(4);
    b.addFieldInt8(0, Math.min(code, 127), -1);
    if (custom) b.addFieldOffset(1, custom, 0);
    b.addFieldInt32(2, 1, -1);
    b.addFieldInt32(3, code, -1);
    return b.endObject();
  });
  const tensorVec = offsets(tensors);
  const inVec = ints(m.inputs);
  const outVec = ints(m.outputs);
  const opVec = offsets(operators);
  b.startObject(5);
  b.addFieldOffset(0, tensorVec, 0);
  b.addFieldOffset(1, inVec, 0);
  b.addFieldOffset(2, outVec, 0);
  b.addFieldOffset(3, opVec, 0);
  const subgraph = b.endObject();
  const codeVec = offsets(opcodes);
  const subVec = offsets([subgraph]);
  const bufVec = offsets(buffers);
  b.startObject(5);
  b.addFieldInt32(0, 3, -1);
  b.addFieldOffset(1, codeVec, 0);
  b.addFieldOffset(2, subVec, 0);
  b.addFieldOffset(4, bufVec, 0);
  const model = b.endObject();
  b.finish(model, 'TFL3');
  return b.asUint8Array();
}
