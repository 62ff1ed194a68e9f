/**
 * Reading an ONNX model with the generated protobuf definitions (onnx-buf, @bufbuild/protobuf), and turning its
 * tensors and attributes into plain numbers. Every problem is an InputError naming the model file.
 */
import { fromBinary } from '@bufbuild/protobuf';
import {
  AttributeProto_AttributeType as AttrType,
  ModelProtoSchema,
  TensorProto_DataLocation,
  TensorProto_DataType as DataType,
  type AttributeProto,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
} from 'onnx-buf';
import { InputError } from '../errors.ts';

export { DataType };
export type { GraphProto, ModelProto, NodeProto, TensorProto };

/** Decode the bytes of a .onnx file; anything that is not a model with a graph is an InputError. */
export function decodeModel(bytes: Uint8Array, file: string): ModelProto {
  let model: ModelProto;
  try {
    model = fromBinary(ModelProtoSchema, bytes);
  } catch (e) {
    throw new InputError(file, `not an ONNX model, or a truncated one (protobuf decoding failed: ${(e as Error).message})`);
  }
  // Random bytes can decode as an almost empty message: a model has an IR version and a graph with nodes.
  if (model.irVersion === 0n || !model.graph || model.graph.node.length === 0)
    throw new InputError(file, 'not an ONNX model: no IR version or no graph nodes (is it truncated, or another format?)');
  return model;
}

/** The opset of the default ONNX domain (attribute forms changed between opsets, e.g. Clip's min/max). */
export function defaultOpset(model: ModelProto): number {
  const entry = model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  return entry ? Number(entry.version) : 1;
}

/** A constant tensor as plain numbers, in C order. */
export interface Tensor {
  name: string;
  dims: number[];
  dataType: number;
  values: number[];
}

const ELEMENT: Partial<Record<number, { bytes: number; read: (v: DataView, off: number) => number }>> = {
  [DataType.FLOAT]: { bytes: 4, read: (v, o) => v.getFloat32(o, true) },
  [DataType.DOUBLE]: { bytes: 8, read: (v, o) => v.getFloat64(o, true) },
  [DataType.INT8]: { bytes: 1, read: (v, o) => v.getInt8(o) },
  [DataType.UINT8]: { bytes: 1, read: (v, o) => v.getUint8(o) },
  [DataType.INT16]: { bytes: 2, read: (v, o) => v.getInt16(o, true) },
  [DataType.INT32]: { bytes: 4, read: (v, o) => v.getInt32(o, true) },
  [DataType.INT64]: { bytes: 8, read: (v, o) => safeNumber(v.getBigInt64(o, true)) },
};

export function typeName(t: number): string {
  return DataType[t] ?? `data type ${t}`;
}

export const isFloatType = (t: number): boolean => t === DataType.FLOAT || t === DataType.DOUBLE;

function safeNumber(b: bigint): number {
  if (b > BigInt(Number.MAX_SAFE_INTEGER) || b < BigInt(Number.MIN_SAFE_INTEGER)) throw new RangeError(`${b} is too large`);
  return Number(b);
}

/** Decode a TensorProto (raw_data little-endian, or the typed repeated fields). */
export function decodeTensor(t: TensorProto, where: string): Tensor {
  const name = t.name;
  const at = `${where}: tensor '${name}'`;
  if (t.dataLocation === TensorProto_DataLocation.EXTERNAL || t.externalData.length > 0)
    throw new InputError(at, 'is stored as external data (a separate file); re-export with the weights inside the .onnx file');
  if (t.segment) throw new InputError(at, 'is a segmented tensor, which convgen does not read');
  const el = ELEMENT[t.dataType];
  if (!el) throw new InputError(at, `has type ${typeName(t.dataType)}; convgen reads FLOAT, DOUBLE, INT8, UINT8, INT16, INT32 and INT64`);
  let dims: number[];
  try {
    dims = t.dims.map(safeNumber);
  } catch {
    throw new InputError(at, `has impossible dimensions [${t.dims.join(', ')}]`);
  }
  const count = dims.reduce((a, b) => a * b, 1);
  if (dims.some((d) => d < 0) || count > 1 << 26) throw new InputError(at, `has impossible or too large dimensions [${dims.join(', ')}]`);
  let values: number[];
  try {
    if (t.rawData.length > 0) {
      if (t.rawData.length !== count * el.bytes)
        throw new InputError(at, `holds ${t.rawData.length} bytes of raw data; dims [${dims.join(', ')}] of ${typeName(t.dataType)} need ${count * el.bytes}`);
      const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
      values = Array.from({ length: count }, (_, i) => el.read(view, i * el.bytes));
    } else if (t.dataType === DataType.FLOAT) values = t.floatData;
    else if (t.dataType === DataType.DOUBLE) values = t.doubleData;
    else if (t.dataType === DataType.INT64) values = t.int64Data.map(safeNumber);
    // int32_data holds every integer type narrower than 64 bits
    else values = t.int32Data;
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(at, `holds a value that does not fit a double exactly (${(e as Error).message})`);
  }
  if (values.length !== count)
    throw new InputError(at, `holds ${values.length} values; dims [${dims.join(', ')}] need ${count}`);
  return { name, dims, dataType: t.dataType, values: [...values] };
}

/** Node attributes by name, with typed getters that fail with one line. */
export class Attributes {
  private readonly byName = new Map<string, AttributeProto>();

  constructor(private readonly node: NodeProto, private readonly where: string) {
    for (const a of node.attribute) this.byName.set(a.name, a);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  private get(name: string, type: AttrType): AttributeProto | undefined {
    const a = this.byName.get(name);
    if (a && a.type !== AttrType.UNDEFINED && a.type !== type)
      throw new InputError(this.where, `attribute '${name}' has type ${AttrType[a.type]}, expected ${AttrType[type]}`);
    return a;
  }

  int(name: string, dflt: number): number {
    const a = this.get(name, AttrType.INT);
    return a ? Number(a.i) : dflt;
  }

  float(name: string): number | undefined {
    return this.get(name, AttrType.FLOAT)?.f;
  }

  ints(name: string): number[] | undefined {
    const a = this.get(name, AttrType.INTS);
    return a ? a.ints.map(Number) : undefined;
  }

  string(name: string, dflt: string): string {
    const a = this.get(name, AttrType.STRING);
    return a ? new TextDecoder().decode(a.s) : dflt;
  }

  tensor(name: string): TensorProto | undefined {
    return this.get(name, AttrType.TENSOR)?.t;
  }
}
