/**
 * A small graph builder over the protobuf helpers of models.ts, naming nodes and values as torch.onnx.export does
 * ('/layer1/conv/Conv', '/layer1/conv/Conv_output_0'), with random but fixed weights (He-scaled uniform, seeded).
 * In QDQ mode (`quantized` given) it writes the same graph as a QDQ model: weights as DequantizeLinear of the
 * given int8 values, biases of int32, BatchNormalization already folded, and a QuantizeLinear/DequantizeLinear pair
 * after every activation with the given scale and zero point.
 */
import { attr, DT, model, node, tensor, value, values } from './models.ts';
import type { NodeProto, TensorProto } from 'onnx-buf';

/** What a QDQ model takes from an imported network: per ONNX value its quantization, per layer its integers. */
export interface QdqSource {
  activation(value: string): { scale: number; zeroPoint: number };
  /** OIHW int8 weights with per-output-channel scales, int32 bias, by the Conv/Gemm node's name. */
  layer(nodeName: string): { weights: Int8Array; dims: number[]; scales: number[]; bias: Int32Array; inScale: number };
}

export class Net {
  readonly nodes: NodeProto[] = [];
  readonly inits: TensorProto[] = [];
  private seed = 1000;
  private consts = 0;

  constructor(readonly opset = 13, readonly quantized?: QdqSource) {}

  private add(op: string, inputs: string[], name: string, attrs = [] as ReturnType<typeof attr.int>[]): string {
    const out = `${name}_output_0`;
    this.nodes.push(node(op, inputs, [out], name, attrs));
    return out;
  }

  /** A float initializer, uniform in ±scale·√3 (variance scale²). */
  init(name: string, dims: number[], scale: number, center = 0): string {
    const n = dims.reduce((a, b) => a * b, 1);
    this.inits.push(tensor(name, DT.FLOAT, dims, values(n, this.seed++, -1, 1).map((v) => center + v * scale * Math.sqrt(3)), true));
    return name;
  }

  constant(dims: number[], vals: number[], type = DT.INT64): string {
    const name = `onnx::Const_${this.consts++}`;
    this.inits.push(tensor(name, type, dims, vals));
    return name;
  }

  /** QDQ mode: a Q/DQ pair on an activation. */
  private qdq(v: string): string {
    if (!this.quantized) return v;
    const { scale, zeroPoint } = this.quantized.activation(v);
    const s = this.constant([], [scale], DT.FLOAT);
    const z = this.constant([], [zeroPoint], DT.INT8);
    this.nodes.push(node('QuantizeLinear', [v, s, z], [`${v}_q`], `${v}_QuantizeLinear`));
    this.nodes.push(node('DequantizeLinear', [`${v}_q`, s, z], [`${v}_dq`], `${v}_DequantizeLinear`));
    return `${v}_dq`;
  }

  input(name: string): string {
    return this.qdq(name);
  }

  conv(x: string, inC: number, outC: number, k: number, name: string, o: { stride?: number; pad?: number; group?: number; bn?: boolean } = {}): string {
    const group = o.group ?? 1;
    const attrs = [attr.ints('kernel_shape', [k, k]), attr.ints('strides', [o.stride ?? 1, o.stride ?? 1]),
      attr.ints('pads', new Array(4).fill(o.pad ?? 0)), attr.int('group', group), attr.ints('dilations', [1, 1])];
    const q = this.quantized?.layer(name);
    if (q) {
      const w = this.dq(`${name}.weight`, q.dims, Array.from(q.weights), q.scales, DT.INT8);
      const b = this.dq(`${name}.bias`, [outC], Array.from(q.bias), q.scales.map((s) => Math.fround(q.inScale * s)), DT.INT32);
      return this.add('Conv', [x, w, b], name, attrs);
    }
    const fanIn = (inC / group) * k * k;
    const w = this.init(`${name}.weight`, [outC, inC / group, k, k], Math.sqrt(2 / fanIn));
    const y = this.add('Conv', o.bn ? [x, w] : [x, w, this.init(`${name}.bias`, [outC], 0.1)], name, attrs);
    if (!o.bn) return y;
    const bn = name.replace(/\/Conv$/, '/BatchNormalization').replace(/conv/, 'bn');
    return this.add('BatchNormalization', [y, this.init(`${bn}.weight`, [outC], 0.2, 1), this.init(`${bn}.bias`, [outC], 0.1),
      this.init(`${bn}.running_mean`, [outC], 0.1), this.init(`${bn}.running_var`, [outC], 0.2, 1)], bn, [attr.float('epsilon', 1e-5)]);
  }

  private dq(name: string, dims: number[], ints: number[], scales: number[], type: DT): string {
    this.inits.push(tensor(`${name}_quantized`, type, dims, ints, true));
    const s = `${name}_scale`;
    this.inits.push(tensor(s, DT.FLOAT, scales.length === 1 ? [] : [scales.length], scales));
    this.nodes.push(node('DequantizeLinear', [`${name}_quantized`, s], [name], `${name}_DequantizeLinear`, [attr.int('axis', 0)]));
    return name;
  }

  /** An activation node; in QDQ mode its output (and that of what it follows) gets its Q/DQ pair. */
  act(x: string, op: string, name: string, attrs = [] as ReturnType<typeof attr.int>[], extra: string[] = []): string {
    return this.qdq(this.add(op, [x, ...extra], name, attrs));
  }

  /** Clip(lo, hi) with its bounds behind Cast nodes, as torch.onnx.export(training=TrainingMode.PRESERVE) writes them. */
  clipViaCast(x: string, lo: number, hi: number, name: string): string {
    const cast = (v: number, k: string) => {
      const c = this.constant([], [v], DT.DOUBLE);
      const out = `${name}_${k}_cast`;
      this.nodes.push(node('Cast', [c], [out], `${name}/Cast_${k}`, [attr.int('to', DT.FLOAT)]));
      return out;
    };
    return this.act(x, 'Clip', name, [], [cast(lo, 'min'), cast(hi, 'max')]);
  }

  /** A quantized activation output (QDQ mode), or the value itself. */
  q(v: string): string {
    return this.qdq(v);
  }

  pool(x: string, op: 'MaxPool' | 'AveragePool', k: number, s: number, name: string, pads = [0, 0, 0, 0], more = [] as ReturnType<typeof attr.int>[]): string {
    return this.qdq(this.add(op, [x], name, [attr.ints('kernel_shape', [k, k]), attr.ints('strides', [s, s]), attr.ints('pads', pads), ...more]));
  }

  node(op: string, inputs: string[], name: string, attrs = [] as ReturnType<typeof attr.int>[]): string {
    return this.qdq(this.add(op, inputs, name, attrs));
  }

  /** A node whose output gets no Q/DQ pair in QDQ mode (an Add its Relu follows directly). */
  plain(op: string, inputs: string[], name: string, attrs = [] as ReturnType<typeof attr.int>[]): string {
    return this.add(op, inputs, name, attrs);
  }

  /** x.view(x.size(0), -1) as PyTorch exports it: Shape -> Gather -> Unsqueeze -> Concat -> Reshape. */
  viewFlat(x: string, name: string): string {
    this.nodes.push(node('Shape', [x], [`${name}/Shape_output_0`], `${name}/Shape`));
    this.nodes.push(node('Gather', [`${name}/Shape_output_0`, this.constant([], [0])], [`${name}/Gather_output_0`], `${name}/Gather`, [attr.int('axis', 0)]));
    this.nodes.push(node('Unsqueeze', [`${name}/Gather_output_0`, this.constant([1], [0])], [`${name}/Unsqueeze_output_0`], `${name}/Unsqueeze`));
    this.nodes.push(node('Concat', [`${name}/Unsqueeze_output_0`, this.constant([1], [-1])], [`${name}/Concat_output_0`], `${name}/Concat`, [attr.int('axis', 0)]));
    return this.node('Reshape', [x, `${name}/Concat_output_0`], `${name}/Reshape`);
  }

  gemm(x: string, depth: number, units: number, name: string, given?: { weights: number[]; bias: number[] }): string {
    const q = this.quantized?.layer(name);
    if (q) {
      const w = this.dq(`${name}.weight`, [units, depth], Array.from(q.weights), q.scales, DT.INT8);
      const b = this.dq(`${name}.bias`, [units], Array.from(q.bias), q.scales.map((s) => Math.fround(q.inScale * s)), DT.INT32);
      return this.qdq(this.add('Gemm', [x, w, b], name, [attr.int('transB', 1)]));
    }
    let w: string;
    let b: string;
    if (given) {
      this.inits.push(tensor(`${name}.weight`, DT.FLOAT, [units, depth], given.weights, true), tensor(`${name}.bias`, DT.FLOAT, [units], given.bias, true));
      [w, b] = [`${name}.weight`, `${name}.bias`];
    } else [w, b] = [this.init(`${name}.weight`, [units, depth], Math.sqrt(1 / depth)), this.init(`${name}.bias`, [units], 0.1)];
    return this.qdq(this.add('Gemm', [x, w, b], name, [attr.float('alpha', 1), attr.float('beta', 1), attr.int('transB', 1)]));
  }

  bytes(input: { name: string; dims: number[] }, output: string, outDims: (number | string)[]): Uint8Array {
    this.nodes.push(node('Identity', [output], ['output'], '/Identity_output'));
    return model({
      nodes: this.nodes, initializers: this.inits, opset: this.opset,
      inputs: [value(input.name, DT.FLOAT, ['batch', ...input.dims.slice(1)])],
      outputs: [value('output', DT.FLOAT, outDims)],
    });
  }
}
