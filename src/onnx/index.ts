/**
 * `convgen import`: ONNX Conv nodes -> kernel specs with .npy weights (issue 5 §3).
 *
 * Float Conv (+ a following BatchNormalization folded into weights and bias, + a following Relu or Clip(0, 6) as
 * the activation) -> a spec of a Q type whose fraction bits are "auto" (resolved from the weights and inputRange).
 * QLinearConv and QDQ convolutions -> the int8 type with the model's scales and zero points (quant.ts).
 * Everything is computed in memory first; writeImport() then writes all files atomically, or none.
 */
import path from 'node:path';
import { InputError } from '../errors.ts';
import { encodeNpy } from '../npy/index.ts';
import { FILE_BOUNDS, readUserFile } from '../files/read.ts';
import { buildInt8Numeric } from '../ops/conv_2d/spec/int8.ts';
import { NAME_MAX, nameProblem } from '../codegen/names.ts';
import { writeOutputFolder } from '../files/write.ts';
import { Graph, conv2dAttrs, conv2dGeometry, inferShapes, isDefaultDomain, type Shape } from './graph.ts';
import { decodeModel, defaultOpset, isFloatType, typeName, type NodeProto } from './proto.ts';
import { clipBounds, mapQdqConv, mapQLinearConv } from './quant.ts';

export type FloatTypeName = 'q7' | 'q15' | 'q31';

export interface ImportOptions {
  /** Import only this node (its ONNX name, or the spec name convgen derives from it). */
  node?: string;
  /** C, H, W of the model's input, or of the selected node's input with `node`; fills shapes the model leaves open. */
  inputShape?: [number, number, number];
  /** Real range of float inputs (float Convs); default [-1, 1]. */
  inputRange?: [number, number];
  /** Storage type of float Convs; default q15. */
  type?: FloatTypeName;
}

export interface OutputFile {
  /** File name inside the output folder. */
  name: string;
  bytes: Uint8Array;
}

export interface ImportedLayer {
  /** The ONNX node name and the spec name derived from it. */
  onnxName: string;
  name: string;
  kind: 'float' | 'int8';
  spec: Record<string, unknown>;
  /** The spec file first, then its .npy files. */
  files: OutputFile[];
  /** "Conv + BatchNormalization + Relu" */
  ops: string;
  inputShape: Shape;
  outputShape: Shape;
  notes: string[];
}

export interface ImportResult {
  layers: ImportedLayer[];
  notes: string[];
}

export const DEFAULT_INPUT_RANGE: [number, number] = [-1, 1];

/**
 * A spec name from an ONNX node name: a lower-case C identifier of at most 32 characters that the spec validation
 * accepts (not a keyword, not a reserved header name such as `stdint`: src/codegen/names.ts), and unique.
 */
export function specName(onnxName: string, index: number, taken: Set<string>): string {
  let base = onnxName.toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '').replace(/__+/g, '_');
  if (base === '') base = `conv_${index}`;
  if (/^[0-9]/.test(base)) base = `conv_${base}`;
  base = base.slice(0, NAME_MAX);
  // A keyword or reserved name gets a trailing '_' (making room for it), which no C keyword or header name has.
  if (nameProblem(base)) base = `${base.slice(0, NAME_MAX - 1)}_`;
  let name = base;
  for (let k = 2; taken.has(name) || nameProblem(name); k++) name = `${base.slice(0, NAME_MAX - String(k).length - 1)}_${k}`;
  taken.add(name);
  return name;
}

/** Read a model file (a regular file of at most FILE_BOUNDS.onnxModel bytes); file-system problems are one line. */
export function readModelFile(file: string): Uint8Array {
  return readUserFile(file, FILE_BOUNDS.onnxModel, 'an .onnx file');
}

function isConvNode(n: NodeProto): boolean {
  return isDefaultDomain(n) && (n.opType === 'Conv' || n.opType === 'QLinearConv');
}

/** Turn the Conv nodes of a model into specs (in memory). */
export function importOnnx(bytes: Uint8Array, file: string, o: ImportOptions = {}): ImportResult {
  const model = decodeModel(bytes, file);
  const g = new Graph(model.graph!, file);
  const opset = defaultOpset(model);
  const convs = g.proto.node.filter(isConvNode);
  if (convs.length === 0) {
    const ops = [...new Set(g.proto.node.map((n) => n.opType))].slice(0, 12).join(', ');
    throw new InputError(file, `the model has no Conv or QLinearConv node (its ops: ${ops})`);
  }
  const taken = new Set<string>();
  const names = convs.map((n, i) => specName(n.name, i, taken));
  let selected = convs.map((n, i) => ({ n, name: names[i] }));
  if (o.node !== undefined) {
    selected = selected.filter((s) => s.n.name === o.node || s.name === o.node);
    if (selected.length === 0)
      throw new InputError('--node', `no Conv node '${o.node}' in ${file}; its Conv nodes: ${convs.map((n, i) => `'${n.name || names[i]}'`).join(', ')}`);
  }

  const notes: string[] = [];
  let override: { value: string; shape: Shape } | undefined;
  if (o.inputShape) {
    const [c, h, w] = o.inputShape;
    if (o.node !== undefined) override = { value: selected[0].n.input[0], shape: [1, c, h, w] };
    else {
      if (g.dataInputs.length !== 1)
        throw new InputError('--input-shape', `the model has ${g.dataInputs.length} inputs (${g.dataInputs.join(', ')}); ` +
          'give --node NAME to set the input shape of one Conv');
      override = { value: g.dataInputs[0], shape: [1, c, h, w] };
    }
    const declared = inferShapes(g).shape(override.value);
    if (declared && (declared.length !== 4 || declared.slice(1).join() !== override.shape.slice(1).join()))
      throw new InputError('--input-shape', `${o.inputShape.join(',')} contradicts the model, where '${override.value}' has shape (${declared.join(', ')})`);
  }
  const shapes = inferShapes(g, override);

  const layers = selected.map(({ n, name }) => {
    const where = `${file}: ${n.opType} node '${n.name || name}'`;
    const x = n.input[0];
    const xs = shapes.shape(x);
    if (!xs)
      throw new InputError(where, `the shape of its input '${x}' is unknown (${shapes.why(x)}); give --input-shape C,H,W ` +
        `(the model input's channels, height and width${o.node === undefined ? ', or with --node the Conv input\'s' : ''})`);
    if (xs.length !== 4) throw new InputError(where, `its input '${x}' has shape (${xs.join(', ')}); convgen imports 2-D convolutions of (N, C, H, W) tensors`);
    if (n.opType === 'QLinearConv') return int8Layer(n, name, where, xs, mapQLinearConv(g, n, where));
    const wName = n.input[1];
    const w = g.constant(wName);
    if (w && isFloatType(w.dataType)) return floatLayer(g, n, name, where, xs, opset, o);
    if (g.producer.get(wName)?.opType === 'DequantizeLinear') return int8Layer(n, name, where, xs, mapQdqConv(g, n, where, opset));
    throw new InputError(where, w ? `its weights '${wName}' are ${typeName(w.dataType)}, not float (quantized weights need a DequantizeLinear or QLinearConv)`
      : `its weights '${wName}' are not a constant (an initializer or Constant node)`);
  });
  if (layers.some((l) => l.kind === 'float'))
    notes.push(o.inputRange
      ? `input range [${o.inputRange.join(', ')}] (--input-range) for every float spec`
      : `input range [${DEFAULT_INPUT_RANGE.join(', ')}] (the default; set it with --input-range lo,hi) for every float spec`);
  return { layers, notes };
}

function checkGeometry(where: string, xs: Shape, wDims: number[], group: number): void {
  if (wDims.length !== 4) throw new InputError(where, `weights have ${wDims.length} dimensions; convgen imports 2-D convolutions (4-D weights)`);
  const c = xs[1];
  if (c % group !== 0 || wDims[0] % group !== 0 || wDims[1] * group !== c)
    throw new InputError(where, `weights (${wDims.join(', ')}) with group ${group} do not fit an input of ${c} channels`);
}

/** The parts of a spec every kind shares. */
function geometrySpec(n: NodeProto, where: string, xs: Shape, wDims: number[]) {
  const a = conv2dAttrs(n, where, [wDims[2], wDims[3]]);
  checkGeometry(where, xs, wDims, a.group);
  const geo = conv2dGeometry(a, xs[2], xs[3]);
  if (geo.outH < 1 || geo.outW < 1)
    throw new InputError(where, `its output would be ${geo.outH}x${geo.outW}: the kernel does not fit the padded ${xs[2]}x${xs[3]} input`);
  return {
    spec: {
      layout: 'chw',
      input: { channels: xs[1], height: xs[2], width: xs[3] },
      output: { channels: wDims[0] },
      kernel: a.kernel,
      stride: a.strides,
      padding: geo.pads,
      dilation: a.dilations,
      groups: a.group,
    },
    outShape: [wDims[0], geo.outH, geo.outW],
  };
}

function floatLayer(g: Graph, n: NodeProto, name: string, where: string, xs: Shape, opset: number, o: ImportOptions): ImportedLayer {
  const w = g.constant(n.input[1])!;
  const { spec, outShape } = geometrySpec(n, where, xs, w.dims);
  const m = w.dims[0];
  const perOut = w.values.length / m;
  const weights = Float64Array.from(w.values);
  checkFinite(weights, where, `its weights '${n.input[1]}'`);
  let bias: Float64Array | undefined;
  if (n.input[2]) {
    const b = g.constant(n.input[2]);
    if (!b || !isFloatType(b.dataType) || b.values.length !== m)
      throw new InputError(where, `its bias '${n.input[2]}' is not a float constant of ${m} values`);
    bias = Float64Array.from(b.values);
    checkFinite(bias, where, `its bias '${n.input[2]}'`);
  }
  const ops = ['Conv'];
  let value = n.output[0];
  let next = g.soleConsumer(value);
  if (next?.opType === 'BatchNormalization' && isDefaultDomain(next)) {
    bias = foldBatchNorm(g, next, weights, bias ?? new Float64Array(m), m, perOut);
    ops.push('BatchNormalization');
    value = next.output[0];
    next = g.soleConsumer(value);
  }
  let activation = 'none';
  if ((next?.opType === 'Relu' || next?.opType === 'Clip') && isDefaultDomain(next)) {
    const nWhere = `${g.file}: ${next.opType} node '${next.name}'`;
    const b = clipBounds(g, next, opset, nWhere);
    if (b.lo === 0 && b.hi === Infinity) activation = 'relu';
    else if (b.lo === 0 && b.hi === 6) activation = 'relu6';
    else if (!(b.lo === -Infinity && b.hi === Infinity))
      throw new InputError(nWhere, `Clip(${b.lo}, ${b.hi}) after Conv '${n.name || name}' has no float-spec activation: ` +
        'convgen maps Relu and Clip(0, ∞) to relu and Clip(0, 6) to relu6');
    ops.push(next.opType);
  }
  const type = o.type ?? 'q15';
  const files: OutputFile[] = [
    { name: `${name}.weights.npy`, bytes: encodeNpy({ dtype: 'float32', shape: w.dims, data: Float32Array.from(weights) }) },
  ];
  if (bias) files.push({ name: `${name}.bias.npy`, bytes: encodeNpy({ dtype: 'float32', shape: [m], data: Float32Array.from(bias) }) });
  const full: Record<string, unknown> = {
    name,
    ...spec,
    activation,
    numeric: { type, inputRange: o.inputRange ?? DEFAULT_INPUT_RANGE, weightFrac: 'auto', outputFrac: 'auto' },
    weights: { npy: `${name}.weights.npy`, layout: 'oihw' },
    ...(bias ? { bias: { npy: `${name}.bias.npy` } } : {}),
  };
  return finish(name, n, 'float', full, files, ops, xs, outShape, []);
}

/**
 * BatchNormalization(conv) = s·(conv − mean) + B with s = scale / sqrt(var + epsilon), per output channel: the
 * weights are multiplied by s and the bias becomes s·(bias − mean) + B. In float64; stored as float32.
 */
export function foldBatchNorm(g: Graph, bn: NodeProto, weights: Float64Array, bias: Float64Array, m: number,
  perOut: number): Float64Array {
  const where = `${g.file}: BatchNormalization node '${bn.name}'`;
  const p = ['scale', 'B', 'mean', 'var'].map((what, i) => {
    const t = g.constant(bn.input[i + 1]);
    if (!t || !isFloatType(t.dataType) || t.values.length !== m)
      throw new InputError(where, `its ${what} '${bn.input[i + 1]}' is not a float constant of ${m} values (one per channel)`);
    return t.values;
  });
  const attrs = bn.attribute;
  const eps = attrs.find((a) => a.name === 'epsilon')?.f ?? 1e-5;
  if (attrs.some((a) => a.name === 'training_mode' && a.i !== 0n))
    throw new InputError(where, 'is in training mode; export the model in eval mode (model.eval()) so it can be folded');
  const [scale, beta, mean, variance] = p;
  ['scale', 'B', 'mean', 'var'].forEach((what, i) => checkFinite(Float64Array.from(p[i]), where, `its ${what} '${bn.input[i + 1]}'`));
  const out = new Float64Array(m);
  for (let c = 0; c < m; c++) {
    const v = variance[c] + Math.fround(eps);
    if (!(v > 0))
      throw new InputError(where, `its var '${bn.input[4]}' + epsilon is ${v} for channel ${c}; it must be positive (a variance of ${variance[c]} cannot be folded)`);
    const s = scale[c] / Math.sqrt(v);
    for (let i = 0; i < perOut; i++) weights[c * perOut + i] *= s;
    out[c] = s * (bias[c] - mean[c]) + beta[c];
  }
  // Stored as float32: a fold that overflows it would write Inf.
  checkFinite(weights, where, 'the folded weights');
  checkFinite(out, where, 'the folded bias');
  return out;
}

/**
 * Refuse NaN, infinities and values that overflow float32 (the .npy files store float32): a spec of them would
 * quantize to garbage. Names the node and the tensor.
 */
function checkFinite(values: Float64Array, where: string, what: string): void {
  const i = values.findIndex((v) => !Number.isFinite(Math.fround(v)));
  if (i >= 0) {
    const v = values[i];
    const shown = Number.isFinite(v) ? `${v}, beyond float32` : String(v);
    throw new InputError(where, `${what} hold ${shown} at index ${i}; convgen needs finite numbers`);
  }
}

function int8Layer(n: NodeProto, name: string, where: string, xs: Shape,
  q: ReturnType<typeof mapQLinearConv>): ImportedLayer {
  const { spec, outShape } = geometrySpec(n, where, xs, q.weightDims);
  const m = q.weightDims[0];
  // The scales must give multipliers and shifts convgen accepts: check now, before anything is written.
  buildInt8Numeric(q.numeric, m, `${where} (as an int8 spec)`);
  const files: OutputFile[] = [{ name: `${name}.weights.npy`, bytes: encodeNpy({ dtype: 'int8', shape: q.weightDims, data: q.weights }) }];
  if (q.bias) files.push({ name: `${name}.bias.npy`, bytes: encodeNpy({ dtype: 'int32', shape: [m], data: q.bias }) });
  const full: Record<string, unknown> = {
    name,
    ...spec,
    activation: 'none',
    numeric: q.numeric,
    weights: { npy: `${name}.weights.npy`, layout: 'oihw' },
    ...(q.bias ? { bias: { npy: `${name}.bias.npy` } } : {}),
  };
  return finish(name, n, 'int8', full, files, [n.opType, ...q.fused], xs, outShape, q.notes);
}

function finish(name: string, n: NodeProto, kind: 'float' | 'int8', spec: Record<string, unknown>, files: OutputFile[],
  ops: string[], xs: Shape, outShape: Shape, notes: string[]): ImportedLayer {
  const json = `${JSON.stringify(spec, null, 2)}\n`;
  return {
    onnxName: n.name, name, kind, spec, ops: ops.join(' + '), inputShape: xs.slice(1), outputShape: outShape, notes,
    files: [{ name: `${name}.json`, bytes: Buffer.from(json, 'utf8') }, ...files],
  };
}

/**
 * Write every file of every layer into `dir`, all or none (src/files/write.ts). Returns the spec paths.
 */
export function writeImport(result: ImportResult, dir: string): string[] {
  writeOutputFolder(dir, result.layers.flatMap((l) => l.files.map((f) => ({ name: f.name, content: f.bytes }))));
  return result.layers.map((l) => path.join(dir, l.files[0].name));
}
