/**
 * Small ONNX models built in the tests with the generated protobuf definitions (onnx-buf), and float64 reference
 * arithmetic that does not share code with src/onnx.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import {
  AttributeProto_AttributeType as AT,
  AttributeProtoSchema,
  GraphProtoSchema,
  ModelProtoSchema,
  NodeProtoSchema,
  OperatorSetIdProtoSchema,
  TensorProto_DataType as DT,
  TensorProtoSchema,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  ValueInfoProtoSchema,
  type AttributeProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from 'onnx-buf';

export { DT };

/** A tensor; floats go to raw_data when `raw` (both encodings occur in real models). */
export function tensor(name: string, dataType: DT, dims: number[], values: number[], raw = false): TensorProto {
  const t = create(TensorProtoSchema, { name, dataType, dims: dims.map(BigInt) });
  if (raw) {
    const bytes = dataType === DT.FLOAT ? new Uint8Array(Float32Array.from(values).buffer)
      : dataType === DT.INT8 ? new Uint8Array(Int8Array.from(values).buffer)
        : dataType === DT.INT32 ? new Uint8Array(Int32Array.from(values).buffer) : undefined;
    if (!bytes) throw new Error('raw: unsupported type');
    t.rawData = bytes;
  } else if (dataType === DT.FLOAT) t.floatData = values;
  else if (dataType === DT.DOUBLE) t.doubleData = values;
  else if (dataType === DT.INT64) t.int64Data = values.map(BigInt);
  else t.int32Data = values;
  return t;
}

export const attr = {
  ints: (name: string, v: number[]): AttributeProto => create(AttributeProtoSchema, { name, type: AT.INTS, ints: v.map(BigInt) }),
  int: (name: string, v: number): AttributeProto => create(AttributeProtoSchema, { name, type: AT.INT, i: BigInt(v) }),
  float: (name: string, v: number): AttributeProto => create(AttributeProtoSchema, { name, type: AT.FLOAT, f: v }),
  str: (name: string, v: string): AttributeProto => create(AttributeProtoSchema, { name, type: AT.STRING, s: new TextEncoder().encode(v) }),
};

export function node(opType: string, input: string[], output: string[], name = '', attribute: AttributeProto[] = []): NodeProto {
  return create(NodeProtoSchema, { opType, input, output, name, attribute });
}

/** A tensor value declaration; a string dimension is symbolic. */
export function value(name: string, elemType: DT, dims: (number | string)[]): ValueInfoProto {
  const dim = dims.map((d) => create(TensorShapeProto_DimensionSchema, {
    value: typeof d === 'number' ? { case: 'dimValue', value: BigInt(d) } : { case: 'dimParam', value: d },
  }));
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, { value: { case: 'tensorType', value: create(TypeProto_TensorSchema, { elemType, shape: create(TensorShapeProtoSchema, { dim }) }) } }),
  });
}

export function model(o: { nodes: NodeProto[]; initializers?: TensorProto[]; inputs: ValueInfoProto[]; outputs: ValueInfoProto[];
  valueInfo?: ValueInfoProto[]; opset?: number }): Uint8Array {
  const m = create(ModelProtoSchema, {
    irVersion: 8n,
    producerName: 'convgen-test',
    opsetImport: [create(OperatorSetIdProtoSchema, { domain: '', version: BigInt(o.opset ?? 13) })],
    graph: create(GraphProtoSchema, {
      name: 'g', node: o.nodes, initializer: o.initializers ?? [], input: o.inputs, output: o.outputs, valueInfo: o.valueInfo ?? [],
    }),
  });
  return toBinary(ModelProtoSchema, m);
}

/** Deterministic values in [lo, hi) (a small LCG; the tests only need variety). */
export function values(n: number, seed: number, lo = -1, hi = 1): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((s >>> 8) / 2 ** 24) * (hi - lo);
  });
}

export function ints(n: number, seed: number, lo: number, hi: number): number[] {
  return values(n, seed, 0, 1).map((v) => lo + Math.floor(v * (hi - lo + 1)));
}

export interface ConvGeometry {
  stride: [number, number];
  pads: [number, number, number, number];
  dilation: [number, number];
  groups: number;
}

/** Float64 reference conv in ONNX semantics: x (C, H, W), w (M, C/g, kh, kw), pads [top, left, bottom, right]. */
export function refConv(x: number[], [c, h, w]: number[], wt: number[], [m, cg, kh, kw]: number[], bias: number[] | undefined,
  g: ConvGeometry): { out: number[]; shape: [number, number, number] } {
  const [sh, sw] = g.stride;
  const [dh, dw] = g.dilation;
  const [pt, pl, pb, pr] = g.pads;
  const oh = Math.floor((h + pt + pb - ((kh - 1) * dh + 1)) / sh) + 1;
  const ow = Math.floor((w + pl + pr - ((kw - 1) * dw + 1)) / sw) + 1;
  const mPerG = m / g.groups;
  const out: number[] = [];
  for (let o = 0; o < m; o++)
    for (let y = 0; y < oh; y++)
      for (let xo = 0; xo < ow; xo++) {
        let acc = bias ? bias[o] : 0;
        const grp = Math.floor(o / mPerG);
        for (let i = 0; i < cg; i++)
          for (let ky = 0; ky < kh; ky++)
            for (let kx = 0; kx < kw; kx++) {
              const iy = y * sh - pt + ky * dh;
              const ix = xo * sw - pl + kx * dw;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              acc += x[((grp * cg + i) * h + iy) * w + ix] * wt[((o * cg + i) * kh + ky) * kw + kx];
            }
        out.push(acc);
      }
  return { out, shape: [m, oh, ow] };
}
