/**
 * What the mapper produces and the quantizer consumes: network tensors (each the value of one ONNX value, in the
 * network's layout) and float layers (network ops whose weights are still real numbers, or the model's own
 * integers, and whose output quantization follows a rule), plus the context the op mappers work in.
 */
import { InputError } from '../../errors.ts';
import type { Quant } from '../../ops/op.ts';
import { constantTensor, type FTensor } from '../eval/index.ts';
import { Unsupported } from '../eval/context.ts';
import { isFloatType, DataType, type NodeProto } from '../proto.ts';
import type { Prepared } from './prepare.ts';

/** How the source model lays a tensor out when the network's layout differs (4-D: NHWC here, NCHW there). */
export type SourceLayout = 'nchw' | { flattenedNchw: [number, number, number] };

export interface NetTensor {
  id: string;
  /** The ONNX value holding this tensor's real value (or its integers, in a quantized model). */
  value: string;
  /** The network's shape (NHWC for 4-D). */
  shape: number[];
  layout?: SourceLayout;
  /** Quantization the model gives (QDQ, QLinear ops), with where it came from. */
  pin?: Quant & { by: string };
  /** The ONNX value holds uint8 (a QOperator model): its network int8 is value − 128. */
  uint8?: boolean;
}

/** Weights in the op's layout (conv OHWI, depthwise [1, kh, kw, out], fully connected [units, depth]). */
export interface WeightsIn {
  shape: number[];
  /** Axis of the output channels in `shape`. */
  channelAxis: number;
  /** Real weights, to quantize per channel. */
  real?: Float64Array;
  /** The model's int8 weights and their scales (zero point 0). */
  given?: { ints: Int8Array; scales: number[] };
}

export interface BiasIn {
  /** Real bias values. */
  real: Float64Array;
  /** The model's int32 bias, used as is when its scale is input scale × weight scale (`scales` undefined: it is). */
  raw?: Int32Array;
  scales?: number[];
}

/** The output's quantization: calibrated (or pinned), the input's (data movement), or fixed by the op. */
export type OutputRule = 'free' | 'same' | { fixed: Quant; strict: boolean };

export interface FloatLayer {
  name: string;
  op: string;
  inputs: string[];
  output: string;
  params: Record<string, unknown>;
  weights?: WeightsIn;
  bias?: BiasIn;
  /** pad: the real pad value, quantized with the tensor's quantization. */
  padValue?: number;
  rule: OutputRule;
  from: string;
}

const C_KEYWORDS = new Set(('auto break case char const continue default do double else enum extern float for goto if ' +
  'inline int long register restrict return short signed sizeof static struct switch typedef union unsigned void ' +
  'volatile while main').split(' '));

/** A unique C-style identifier (at most 40 characters) from an ONNX name. */
export function identifier(name: string, fallback: string, taken: Set<string>): string {
  let base = name.toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '').replace(/__+/g, '_') || fallback;
  if (/^[0-9]/.test(base)) base = `${fallback}_${base}`;
  if (C_KEYWORDS.has(base)) base = `${base}_`;
  base = base.slice(0, 40);
  let id = base;
  for (let k = 2; taken.has(id); k++) id = `${base.slice(0, 40 - String(k).length - 1)}_${k}`;
  taken.add(id);
  return id;
}

/** ONNX (N, C, H, W) -> the network's (N, H, W, C); other ranks unchanged. */
export function networkShape(dims: number[]): number[] {
  return dims.length === 4 ? [dims[0], dims[2], dims[3], dims[1]] : [...dims];
}

/** As the one-layer import says it: values stored as float32 must be finite there. */
export function checkFinite(values: Float64Array, where: string, what: string): void {
  const i = values.findIndex((v) => !Number.isFinite(Math.fround(v)));
  if (i >= 0) {
    const v = values[i];
    throw new InputError(where, `${what} hold ${Number.isFinite(v) ? `${v}, beyond float32` : String(v)} at index ${i}; convgen needs finite numbers`);
  }
}

export class MapContext {
  readonly tensors = new Map<string, NetTensor>();
  readonly layers: FloatLayer[] = [];
  readonly notes: string[] = [];
  private readonly byValue = new Map<string, string>();
  private readonly claimed = new Set<NodeProto>();
  private readonly tensorIds = new Set<string>();
  private readonly layerNames = new Set<string>();
  private readonly consumers = new Map<string, NodeProto[]>();
  readonly outputs: Set<string>;

  constructor(readonly prep: Prepared) {
    for (const n of prep.dataNodes) for (const i of n.input) if (i) this.consumers.set(i, [...(this.consumers.get(i) ?? []), n]);
    this.outputs = new Set(prep.g.proto.output.map((o) => o.name));
  }

  get file(): string {
    return this.prep.file;
  }

  get opset(): number {
    return this.prep.opset;
  }

  where(n: NodeProto): string {
    return `${this.file}: ${n.opType} node '${n.name}'`;
  }

  /** The ONNX shape of a value (from the probe run). */
  dims(value: string): number[] {
    const t = this.prep.probe.get(value) ?? this.constant(value);
    if (!t) throw new Unsupported(`the shape of '${value}' is unknown`);
    return t.dims;
  }

  elemType(value: string): number {
    return this.prep.probe.get(value)?.type ?? DataType.FLOAT;
  }

  constant(value: string): FTensor | undefined {
    return this.prep.constants.get(value) ?? constantTensor(this.prep.g, value);
  }

  /** A constant operand, or a refusal naming it. */
  requireConstant(value: string, what: string): FTensor {
    const t = this.constant(value);
    if (!t) throw new Unsupported(`its ${what} '${value}' is computed at run time; convgen needs a constant`);
    return t;
  }

  /** The network tensor holding `value`, or a refusal when the value is a constant. */
  tensorOf(value: string): NetTensor {
    const id = this.byValue.get(value);
    if (id) return this.tensors.get(id)!;
    if (this.constant(value)) throw new Unsupported(`its input '${value}' is a constant; convgen's ${'ops'} take it from a layer`);
    throw new Unsupported(`its input '${value}' comes from a node convgen could not map`);
  }

  hasTensor(value: string): boolean {
    return this.byValue.has(value);
  }

  /** A new tensor for an ONNX value (4-D values become NHWC). */
  newTensor(value: string, o: { layout?: SourceLayout; shape?: number[]; synthetic?: boolean } = {}): NetTensor {
    if (o.synthetic) {
      // A tensor of convgen's own (a pool's explicit padding): no ONNX value holds it, so no reference either.
      const t: NetTensor = { id: identifier(`${value}_padded`, 't', this.tensorIds), value: '', shape: o.shape! };
      this.tensors.set(t.id, t);
      return t;
    }
    const dims = this.dims(value);
    const shape = o.shape ?? networkShape(dims);
    const layout = o.layout ?? (dims.length === 4 && !o.shape ? 'nchw' : undefined);
    const t: NetTensor = { id: identifier(value, 't', this.tensorIds), value, shape, ...(layout ? { layout } : {}) };
    if (this.elemType(value) === DataType.UINT8) t.uint8 = true;
    this.tensors.set(t.id, t);
    this.byValue.set(value, t.id);
    return t;
  }

  /** `value` is the same network tensor as `t` (Identity, Dropout, a Q/DQ pair). */
  alias(value: string, t: NetTensor): void {
    this.byValue.set(value, t.id);
  }

  /** Fix a tensor's quantization as the model gives it; false when it already has another. */
  pin(t: NetTensor, q: Quant, by: string): boolean {
    if (!t.pin) {
      t.pin = { scale: q.scale, zeroPoint: q.zeroPoint, by };
      return true;
    }
    return Math.fround(t.pin.scale) === Math.fround(q.scale) && t.pin.zeroPoint === q.zeroPoint;
  }

  /** The data nodes that read `value`. */
  readers(value: string): NodeProto[] {
    return this.consumers.get(value) ?? [];
  }

  /** The one node that reads `value`, when exactly one does and the value is not a graph output. */
  sole(value: string): NodeProto | undefined {
    const c = this.readers(value);
    return c.length === 1 && !this.outputs.has(value) && !this.claimed.has(c[0]) ? c[0] : undefined;
  }

  claim(n: NodeProto): void {
    this.claimed.add(n);
  }

  isClaimed(n: NodeProto): boolean {
    return this.claimed.has(n);
  }

  /** A unique layer name from a node (or any) name; `op` when the name is empty. */
  layerName(n: NodeProto | string, op: string): string {
    return identifier(typeof n === 'string' ? n : n.name, op, this.layerNames);
  }

  add(layer: FloatLayer): void {
    this.layers.push(layer);
  }

  /** A float constant's values, refusing NaN, infinities and values beyond float32 (naming the node and the value). */
  finite(n: NodeProto, t: FTensor, what: string, value: string): Float64Array {
    checkFinite(t.data, this.where(n), `its ${what} '${value}'`);
    return t.data;
  }

  isFloat(value: string): boolean {
    return isFloatType(this.elemType(value));
  }
}
