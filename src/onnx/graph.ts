/**
 * The graph as convgen walks it: who produces and who consumes each value, the constant tensors (initializers and
 * Constant nodes), and the shapes of values (declared ones, plus a small forward inference along simple chains).
 */
import { InputError } from '../errors.ts';
import { samePadding } from '../ops/conv_2d/spec/index.ts';
import { Attributes, decodeTensor, type GraphProto, type NodeProto, type Tensor } from './proto.ts';

export type Shape = number[];

export class Graph {
  readonly producer = new Map<string, NodeProto>();
  readonly consumers = new Map<string, NodeProto[]>();
  readonly outputs = new Set<string>();
  /** Names of the graph inputs that are not initializers: the model's runtime inputs. */
  readonly dataInputs: string[];
  /** Declared element types of values (graph inputs, outputs, value_info). */
  readonly elemType = new Map<string, number>();
  private readonly constTensors = new Map<string, () => Tensor>();
  private readonly decoded = new Map<string, Tensor>();

  constructor(readonly proto: GraphProto, readonly file: string) {
    for (const t of proto.initializer) this.constTensors.set(t.name, () => decodeTensor(t, file));
    for (const n of proto.node) {
      for (const o of n.output) if (o) this.producer.set(o, n);
      for (const i of n.input) if (i) this.consumers.set(i, [...(this.consumers.get(i) ?? []), n]);
      if (n.opType === 'Constant' && isDefaultDomain(n)) this.addConstantNode(n);
    }
    for (const o of proto.output) this.outputs.add(o.name);
    this.dataInputs = proto.input.map((i) => i.name).filter((n) => !this.constTensors.has(n));
    for (const v of [...proto.input, ...proto.output, ...proto.valueInfo])
      if (v.type?.value.case === 'tensorType') this.elemType.set(v.name, v.type.value.value.elemType);
  }

  private addConstantNode(n: NodeProto): void {
    const where = `${this.file}: Constant node '${n.name}'`;
    const a = new Attributes(n, where);
    const t = a.tensor('value');
    const name = n.output[0];
    if (t) this.constTensors.set(name, () => ({ ...decodeTensor(t, where), name }));
    else if (a.has('value_float')) this.constTensors.set(name, () => ({ name, dims: [], dataType: 1, values: [a.float('value_float')!] }));
    else if (a.has('value_int')) this.constTensors.set(name, () => ({ name, dims: [], dataType: 7, values: [a.int('value_int', 0)] }));
  }

  isConstant(name: string): boolean {
    return this.constTensors.has(name);
  }

  /** The constant tensor `name`, or undefined when the value is computed at run time. */
  constant(name: string): Tensor | undefined {
    const cached = this.decoded.get(name);
    if (cached) return cached;
    const make = this.constTensors.get(name);
    if (!make) return undefined;
    const t = make();
    this.decoded.set(name, t);
    return t;
  }

  /** The one node that reads `value`, when exactly one does and the value is not also a graph output. */
  soleConsumer(value: string): NodeProto | undefined {
    const c = this.consumers.get(value) ?? [];
    return c.length === 1 && !this.outputs.has(value) ? c[0] : undefined;
  }
}

export function isDefaultDomain(n: NodeProto): boolean {
  return n.domain === '' || n.domain === 'ai.onnx';
}

/** ONNX conv/pool geometry along one axis: pads [begin, end] and the output size. */
export function axisGeometry(n: number, k: number, s: number, d: number, autoPad: string, pads: [number, number],
  ceilMode = false): { begin: number; end: number; out: number } {
  let [begin, end] = pads;
  const span = (k - 1) * d + 1;
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    // ONNX: output = ceil(n / s), TensorFlow's total; an odd total puts the extra row at the end (UPPER, as
    // TensorFlow does) or the beginning (LOWER).
    const [small, large] = samePadding(n, k, s, d);
    [begin, end] = autoPad === 'SAME_UPPER' ? [small, large] : [large, small];
  } else if (autoPad === 'VALID') [begin, end] = [0, 0];
  const padded = n + begin + end - span;
  const out = (ceilMode ? Math.ceil(padded / s) : Math.floor(padded / s)) + 1;
  return { begin, end, out };
}

export interface Conv2dAttrs {
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  group: number;
  autoPad: string;
  /** ONNX order: [top, left, bottom, right] (x1_begin, x2_begin, x1_end, x2_end). */
  pads: [number, number, number, number];
}

/** Conv / QLinearConv / pool attributes for a 2-D spatial op; `kernel` comes from the weights when not given. */
export function conv2dAttrs(node: NodeProto, where: string, weightKernel: [number, number] | undefined): Conv2dAttrs {
  const a = new Attributes(node, where);
  const two = (name: string, dflt: [number, number]): [number, number] => {
    const v = a.ints(name);
    if (v === undefined) return dflt;
    if (v.length !== 2 || v.some((x) => !Number.isInteger(x) || x < 1))
      throw new InputError(where, `attribute ${name} [${v.join(', ')}] is not two positive integers (convgen imports 2-D convolutions)`);
    return [v[0], v[1]];
  };
  const ks = a.ints('kernel_shape');
  let kernel = weightKernel;
  if (ks) {
    if (ks.length !== 2) throw new InputError(where, `kernel_shape [${ks.join(', ')}] is not 2-D; convgen imports 2-D convolutions only`);
    if (kernel && (ks[0] !== kernel[0] || ks[1] !== kernel[1]))
      throw new InputError(where, `kernel_shape [${ks.join(', ')}] does not match the weights' kernel ${kernel[0]}x${kernel[1]}`);
    kernel = [ks[0], ks[1]];
  }
  if (!kernel) throw new InputError(where, 'has no kernel_shape');
  const autoPad = a.string('auto_pad', 'NOTSET');
  if (!['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'].includes(autoPad))
    throw new InputError(where, `auto_pad '${autoPad}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID`);
  const p = a.ints('pads') ?? [0, 0, 0, 0];
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0))
    throw new InputError(where, `pads [${p.join(', ')}] is not four non-negative integers [top, left, bottom, right]`);
  const group = a.int('group', 1);
  if (group < 1) throw new InputError(where, `group ${group} must be at least 1`);
  return { kernel, strides: two('strides', [1, 1]), dilations: two('dilations', [1, 1]), group, autoPad, pads: [p[0], p[1], p[2], p[3]] };
}

/** Spatial result of a 2-D conv: explicit pads [top, left, bottom, right] and the output height and width. */
export function conv2dGeometry(c: Conv2dAttrs, h: number, w: number, ceilMode = false) {
  const y = axisGeometry(h, c.kernel[0], c.strides[0], c.dilations[0], c.autoPad, [c.pads[0], c.pads[2]], ceilMode);
  const x = axisGeometry(w, c.kernel[1], c.strides[1], c.dilations[1], c.autoPad, [c.pads[1], c.pads[3]], ceilMode);
  return { pads: [y.begin, x.begin, y.end, x.end] as [number, number, number, number], outH: y.out, outW: x.out };
}

/** Ops whose first output has the shape of their first input. */
const SAME_SHAPE = new Set(['Relu', 'Clip', 'LeakyRelu', 'Sigmoid', 'Tanh', 'HardSigmoid', 'HardSwish', 'Elu', 'Selu',
  'Identity', 'Dropout', 'BatchNormalization', 'QuantizeLinear', 'DequantizeLinear', 'PRelu', 'Softplus', 'Neg', 'Abs']);
/** Elementwise binary ops: the first input's shape when the other is a constant or has the same shape. */
const BINARY = new Set(['Add', 'Sub', 'Mul', 'Div']);

export interface Shapes {
  shape(value: string): Shape | undefined;
  /** Why the shape of `value` is unknown: the op that stopped the inference. */
  why(value: string): string;
}

/**
 * Shapes of values: declared ones (graph inputs, value_info, outputs) where every dimension is a number, then one
 * forward pass in node order (ONNX keeps nodes topologically sorted) through the ops above, Conv, QLinearConv and
 * pooling. `override` replaces the declared shape of a model input (--input-shape).
 */
export function inferShapes(g: Graph, override?: { value: string; shape: Shape }): Shapes {
  const known = new Map<string, Shape>();
  const blocked = new Map<string, string>();
  for (const v of [...g.proto.input, ...g.proto.valueInfo, ...g.proto.output]) {
    if (v.type?.value.case !== 'tensorType') continue;
    const dims = v.type.value.value.shape?.dim;
    if (!dims) continue;
    const ds = dims.map((d) => (d.value.case === 'dimValue' ? Number(d.value.value) : -1));
    // A symbolic batch is batch 1 for convgen; any other symbolic dimension leaves the shape unknown.
    if (ds.length === 4 && ds[0] === -1) ds[0] = 1;
    if (ds.every((d) => d >= 0)) known.set(v.name, ds);
  }
  if (override) known.set(override.value, override.shape);
  const shapeOf = (v: string): Shape | undefined => known.get(v) ?? g.constant(v)?.dims;

  for (const n of g.proto.node) {
    const out = n.output[0];
    if (!out || known.has(out)) continue;
    const x = shapeOf(n.input[0] ?? '');
    const where = `${g.file}: ${n.opType} node '${n.name}'`;
    let result: Shape | undefined;
    if (!isDefaultDomain(n)) result = undefined;
    else if (SAME_SHAPE.has(n.opType)) result = x;
    else if (BINARY.has(n.opType)) {
      const y = shapeOf(n.input[1] ?? '');
      if (x && (g.isConstant(n.input[1]) || (y && y.join() === x.join()))) result = x;
    } else if (n.opType === 'Conv' || n.opType === 'QLinearConv') {
      const w = shapeOf(n.input[n.opType === 'Conv' ? 1 : 3]) ?? (n.opType === 'Conv' ? dequantizedConstShape(g, n.input[1]) : undefined);
      if (x?.length === 4 && w?.length === 4) {
        const geo = conv2dGeometry(conv2dAttrs(n, where, [w[2], w[3]]), x[2], x[3]);
        result = [x[0], w[0], geo.outH, geo.outW];
      }
    } else if ((n.opType === 'MaxPool' || n.opType === 'AveragePool') && x?.length === 4) {
      const a = conv2dAttrs(n, where, undefined);
      const geo = conv2dGeometry(a, x[2], x[3], new Attributes(n, where).int('ceil_mode', 0) === 1);
      result = [x[0], x[1], geo.outH, geo.outW];
    } else if ((n.opType === 'GlobalAveragePool' || n.opType === 'GlobalMaxPool') && x?.length === 4) result = [x[0], x[1], 1, 1];
    if (result && result.every((d) => d > 0)) known.set(out, result);
    else blocked.set(out, x ? `${n.opType} node '${n.name}' (convgen does not infer its output shape)` : blocked.get(n.input[0]) ?? `${n.opType} node '${n.name}'`);
  }
  return {
    shape: shapeOf,
    why: (v) => blocked.get(v) ?? (g.dataInputs.includes(v) ? `the model input '${v}' has no fixed shape` : `nothing declares the shape of '${v}'`),
  };
}

/** The shape of a DequantizeLinear's constant input (QDQ weights), if `value` is one. */
export function dequantizedConstShape(g: Graph, value: string): Shape | undefined {
  const p = g.producer.get(value);
  return p?.opType === 'DequantizeLinear' ? g.constant(p.input[0])?.dims : undefined;
}
