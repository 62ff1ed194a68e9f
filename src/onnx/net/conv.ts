/**
 * The layers with weights: Conv (+ BatchNormalization, + a constant bias Add, + Relu/Clip), a lone
 * BatchNormalization (a 1×1 depthwise convolution), Gemm and MatMul (+ bias Add, + Relu/Clip), and the QOperator
 * QLinearConv and QLinearMatMul. ONNX's OIHW weights are rearranged into the network's layouts (conv OHWI,
 * depthwise [1, kh, kw, out], fully connected [units, depth]); an input flattened from NCHW permutes the columns.
 */
import { InputError } from '../../errors.ts';
import { Unsupported } from '../eval/context.ts';
import { convGeometry } from '../eval/nn.ts';
import type { FTensor } from '../eval/index.ts';
import { isDefaultDomain } from '../graph.ts';
import { Attributes, DataType, type NodeProto } from '../proto.ts';
import { fuseActivation, givenQuant, givenWeightScales, quantConst, type Fused } from './fuse.ts';
import { checkFinite, type BiasIn, type MapContext, type NetTensor, type WeightsIn } from './layers.ts';

/** The int values of a quantized constant as int8 / int32 arrays, or a refusal. */
function int8Of(t: FTensor): Int8Array {
  if (t.type !== DataType.INT8) throw new Unsupported(`its weights are ${DataType[t.type]}; convgen needs int8 weights`);
  return Int8Array.from(t.data);
}

/** BatchNormalization folded into per-channel weights and bias (float64), refusing what has no real value. */
function foldBatchNorm(ctx: MapContext, bn: NodeProto, w: Float64Array, b: Float64Array, m: number): void {
  const where = ctx.where(bn);
  const a = new Attributes(bn, where);
  if (a.int('training_mode', 0) !== 0) throw new Unsupported('training_mode 1 (export the model in eval mode)');
  const eps = Math.fround(a.float('epsilon') ?? 1e-5);
  const [scale, beta, mean, variance] = ['scale', 'B', 'mean', 'var'].map((what, i) => {
    const t = ctx.requireConstant(bn.input[i + 1], what);
    if (t.data.length !== m) throw new InputError(where, `its ${what} has ${t.data.length} values; the convolution has ${m} channels`);
    return ctx.finite(bn, t, what, bn.input[i + 1]);
  });
  const per = w.length / m;
  for (let c = 0; c < m; c++) {
    const v = variance[c] + eps;
    if (!(v > 0))
      throw new InputError(where, `its var '${bn.input[4]}' + epsilon is ${v} for channel ${c}; it must be positive (a variance of ${variance[c]} cannot be folded)`);
    const s = scale[c] / Math.sqrt(v);
    for (let i = 0; i < per; i++) w[c * per + i] *= s;
    b[c] = s * (b[c] - mean[c]) + beta[c];
  }
  // The fold can overflow what the weights were: refused rather than quantized from infinities.
  checkFinite(w, where, 'the folded weights');
  checkFinite(b, where, 'the folded bias');
}

/** A constant Add right after the layer whose operand is one value per output channel (or one value): a bias. */
function foldBiasAdd(ctx: MapContext, value: string, m: number, channelAxisFromEnd: number): { add: NodeProto; per: Float64Array } | undefined {
  const next = ctx.sole(value);
  if (!next || next.opType !== 'Add' || !isDefaultDomain(next)) return undefined;
  const other = next.input[0] === value ? next.input[1] : next.input[0];
  const c = ctx.constant(other);
  if (!c || !ctx.isFloat(other)) return undefined;
  const d = c.dims;
  // one value, or m values along the channel axis with every other dimension 1
  const ok = c.data.length === 1 || (c.data.length === m && d.length >= channelAxisFromEnd && d[d.length - channelAxisFromEnd] === m);
  if (!ok) return undefined;
  return { add: next, per: Float64Array.from({ length: m }, (_, i) => c.data[c.data.length === 1 ? 0 : i]) };
}

function fromText(n: NodeProto, extra: string[]): string {
  return [`${n.opType} '${n.name}'`, ...extra].join(' + ');
}

/** Conv (float weights, or DequantizeLinear'd int8 ones) and what fuses after it. */
export function mapConv(n: NodeProto, ctx: MapContext): void {
  const x = ctx.tensorOf(n.input[0]);
  const X = ctx.prep.probe.get(n.input[0])!;
  const W = ctx.requireConstant(n.input[1], 'weights');
  const g = convGeometry({ node: n, attrs: new Attributes(n, ctx.where(n)), opset: ctx.opset }, X, W, ctx.where(n));
  const [m, cg] = W.dims;
  const q = quantConst(ctx, n.input[1]);
  const given = q ? { ints: int8Of(q.ints), scales: givenWeightScales({ ...q, type: q.ints.type }, W.dims, 0) } : undefined;
  const real = Float64Array.from(ctx.finite(n, W, 'weights', n.input[1]));
  let bias = new Float64Array(m);
  let biasIn: BiasIn | undefined;
  if (n.input[2]) {
    const B = ctx.requireConstant(n.input[2], 'bias');
    if (B.data.length !== m) throw new InputError(ctx.where(n), `its bias has ${B.data.length} values for ${m} output channels`);
    bias = Float64Array.from(ctx.finite(n, B, 'bias', n.input[2]));
    const qb = quantConst(ctx, n.input[2]);
    biasIn = { real: bias, ...(qb && qb.ints.type === DataType.INT32 ? { raw: Int32Array.from(qb.ints.data), scales: qb.scales.length === 1 ? new Array(m).fill(qb.scales[0]) : qb.scales } : {}) };
  }
  const names: string[] = [];
  let value = n.output[0];
  const bn = ctx.sole(value);
  if (bn && bn.opType === 'BatchNormalization' && isDefaultDomain(bn)) {
    if (given) throw new Unsupported(`a BatchNormalization ('${bn.name}') after quantized weights (fold it before quantizing)`);
    foldBatchNorm(ctx, bn, real, bias, m);
    ctx.claim(bn);
    names.push(`BatchNormalization '${bn.name}'`);
    value = bn.output[0];
    biasIn = undefined;
  }
  const add = foldBiasAdd(ctx, value, m, 3);
  if (add && !given) {
    for (let c = 0; c < m; c++) bias[c] += add.per[c];
    ctx.claim(add.add);
    names.push(`Add '${add.add.name}'`);
    value = add.add.output[0];
    biasIn = undefined;
  }
  const fused = fuseActivation(ctx, value);
  const out = ctx.newTensor(fused.value);
  const inC = X.dims[1];
  const depthwise = g.groups === inC && cg === 1 && g.groups > 1;
  const weights = convWeights(real, given, W.dims, depthwise);
  ctx.add({
    name: ctx.layerName(n, depthwise ? 'depthwise' : 'conv'),
    op: depthwise ? 'depthwise_conv_2d' : 'conv_2d',
    inputs: [x.id],
    output: out.id,
    params: {
      stride: g.strides, dilation: g.dilations, padding: g.pads,
      ...(depthwise ? { depthMultiplier: m / inC } : {}),
      activation: fused.activation,
    },
    weights,
    bias: biasIn ?? { real: bias },
    rule: 'free',
    from: fromText(n, [...names, ...fused.names]),
  });
}

/** OIHW weights [m, cg, kh, kw] in the layout of conv_2d (OHWI) or depthwise_conv_2d ([1, kh, kw, m]). */
function convWeights(real: Float64Array, given: { ints: Int8Array; scales: number[] } | undefined, [m, cg, kh, kw]: number[],
  depthwise: boolean): WeightsIn {
  if (depthwise) return { shape: [1, kh, kw, m], channelAxis: 3, ...permuteWeights(real, given, m, kh * kw, (o, t) => t * m + o) };
  // t runs over [c][y][x] (OIHW); OHWI puts c innermost
  return {
    shape: [m, kh, kw, cg], channelAxis: 0,
    ...permuteWeights(real, given, m, cg * kh * kw, (o, t) => (o * kh * kw + (t % (kh * kw))) * cg + Math.floor(t / (kh * kw))),
  };
}

/** OIHW (or [units][depth]) -> the op's layout: `to(o, t)` is the destination of tap t of output channel o. */
function permuteWeights(real: Float64Array, given: { ints: Int8Array; scales: number[] } | undefined, m: number, taps: number,
  to: (o: number, t: number) => number): Pick<WeightsIn, 'real' | 'given'> {
  const r = new Float64Array(real.length);
  const gi = given ? new Int8Array(given.ints.length) : undefined;
  for (let o = 0; o < m; o++)
    for (let t = 0; t < taps; t++) {
      r[to(o, t)] = real[o * taps + t];
      if (gi) gi[to(o, t)] = given!.ints[o * taps + t];
    }
  return { real: r, ...(given ? { given: { ints: gi!, scales: given.scales } } : {}) };
}

/** A lone BatchNormalization: y = s·x + b per channel, a 1×1 depthwise convolution. */
export function mapBatchNorm(n: NodeProto, ctx: MapContext): void {
  const x = ctx.tensorOf(n.input[0]);
  const X = ctx.prep.probe.get(n.input[0])!;
  if (X.dims.length !== 4) throw new Unsupported(`a BatchNormalization of a ${X.dims.length}-D tensor (convgen folds 4-D ones)`);
  const m = X.dims[1];
  const w = new Float64Array(m).fill(1);
  const b = new Float64Array(m);
  foldBatchNorm(ctx, n, w, b, m);
  const fused = fuseActivation(ctx, n.output[0]);
  const out = ctx.newTensor(fused.value);
  ctx.add({
    name: ctx.layerName(n, 'batchnorm'), op: 'depthwise_conv_2d', inputs: [x.id], output: out.id,
    params: { stride: [1, 1], dilation: [1, 1], padding: 'valid', depthMultiplier: 1, activation: fused.activation },
    weights: { shape: [1, 1, 1, m], channelAxis: 3, real: w }, bias: { real: b }, rule: 'free',
    from: fromText(n, fused.names),
  });
}

/** The [units, depth] weights of a fully connected layer read from a tensor flattened from NCHW: columns permuted. */
function unflattenColumns(w: Float64Array | Int8Array, units: number, x: NetTensor): void {
  if (!x.layout || x.layout === 'nchw') return;
  const [c, h, wd] = x.layout.flattenedNchw;
  const depth = c * h * wd;
  const copy = w.slice();
  for (let u = 0; u < units; u++)
    for (let ch = 0; ch < c; ch++)
      for (let p = 0; p < h * wd; p++) w[u * depth + p * c + ch] = copy[u * depth + ch * h * wd + p];
}

function fullyConnected(n: NodeProto, ctx: MapContext, x: NetTensor, real: Float64Array, given: { ints: Int8Array; scales: number[] } | undefined,
  units: number, depth: number, bias: BiasIn, keepNumDims: boolean): void {
  unflattenColumns(real, units, x);
  if (given) unflattenColumns(given.ints, units, x);
  const names: string[] = [];
  let value = n.output[0];
  const add = foldBiasAdd(ctx, value, units, 1);
  if (add && !given) {
    for (let u = 0; u < units; u++) bias.real[u] += add.per[u];
    ctx.claim(add.add);
    names.push(`Add '${add.add.name}'`);
    value = add.add.output[0];
    delete bias.raw;
  }
  const fused: Fused = fuseActivation(ctx, value);
  const out = ctx.newTensor(fused.value);
  ctx.add({
    name: ctx.layerName(n, 'fc'), op: 'fully_connected', inputs: [x.id], output: out.id,
    params: { activation: fused.activation, keepNumDims },
    weights: { shape: [units, depth], channelAxis: 0, real, ...(given ? { given } : {}) },
    bias, rule: 'free', from: fromText(n, [...names, ...fused.names]),
  });
}

/** The data operand of Gemm/MatMul: 2-D [rows, depth], or 3-D [1, rows, depth] (keepNumDims). */
function matrixInput(ctx: MapContext, value: string): { x: NetTensor; rows: number; depth: number; keep: boolean } {
  const x = ctx.tensorOf(value);
  const d = ctx.dims(value);
  if (d.length === 2) return { x, rows: d[0], depth: d[1], keep: false };
  if (d.length === 3 && d[0] === 1) return { x, rows: d[1], depth: d[2], keep: true };
  throw new Unsupported(`its data operand has shape (${d.join(', ')}); convgen multiplies 2-D [rows, depth] (or [1, rows, depth]) tensors`);
}

export function mapGemm(n: NodeProto, ctx: MapContext): void {
  const a = new Attributes(n, ctx.where(n));
  if (a.int('transA', 0) !== 0) throw new Unsupported('transA 1 (the data operand transposed)');
  const { x, depth } = matrixInput(ctx, n.input[0]);
  const B = ctx.requireConstant(n.input[1], 'weights');
  if (B.dims.length !== 2) throw new Unsupported(`weights of shape (${B.dims.join(', ')})`);
  const transB = a.int('transB', 0) !== 0;
  const [k, units] = transB ? [B.dims[1], B.dims[0]] : B.dims;
  if (k !== depth) throw new InputError(ctx.where(n), `weights (${B.dims.join(', ')}) do not fit an input of depth ${depth}`);
  const alpha = a.float('alpha') ?? 1;
  const beta = a.float('beta') ?? 1;
  const src = ctx.finite(n, B, 'weights', n.input[1]);
  const at = (u: number, i: number) => (transB ? u * depth + i : i * units + u);
  const real = Float64Array.from({ length: units * depth }, (_, j) => alpha * src[at(Math.floor(j / depth), j % depth)]);
  const q = quantConst(ctx, n.input[1]);
  let given: { ints: Int8Array; scales: number[] } | undefined;
  if (q) {
    if (alpha !== 1) throw new Unsupported('alpha ≠ 1 with quantized weights');
    const scales = givenWeightScales({ ...q, type: q.ints.type }, B.dims, transB ? 0 : 1);
    given = { ints: Int8Array.from({ length: units * depth }, (_, j) => q.ints.data[at(Math.floor(j / depth), j % depth)]), scales };
  }
  const bias: BiasIn = { real: new Float64Array(units) };
  if (n.input[2]) {
    const C = ctx.requireConstant(n.input[2], 'bias');
    const cd = C.dims;
    const perUnit = C.data.length === units && cd[cd.length - 1] === units;
    if (!perUnit && C.data.length !== 1) throw new Unsupported(`a bias C of shape (${cd.join(', ')}) (convgen adds one value per output unit)`);
    const cv = ctx.finite(n, C, 'bias', n.input[2]);
    for (let u = 0; u < units; u++) bias.real[u] = beta * cv[perUnit ? u : 0];
    const qb = quantConst(ctx, n.input[2]);
    if (qb && qb.ints.type === DataType.INT32 && perUnit && beta === 1)
      Object.assign(bias, { raw: Int32Array.from(qb.ints.data), scales: qb.scales.length === 1 ? new Array(units).fill(qb.scales[0]) : qb.scales });
  }
  fullyConnected(n, ctx, x, real, given, units, depth, bias, false);
}

export function mapMatMul(n: NodeProto, ctx: MapContext): void {
  const { x, depth, keep } = matrixInput(ctx, n.input[0]);
  const B = ctx.requireConstant(n.input[1], 'weights (its second operand)');
  if (B.dims.length !== 2 || B.dims[0] !== depth) throw new Unsupported(`weights of shape (${B.dims.join(', ')}) for an input of depth ${depth}`);
  const units = B.dims[1];
  const src = ctx.finite(n, B, 'weights', n.input[1]);
  const real = Float64Array.from({ length: units * depth }, (_, j) => src[(j % depth) * units + Math.floor(j / depth)]);
  const q = quantConst(ctx, n.input[1]);
  const given = q ? {
    ints: Int8Array.from({ length: units * depth }, (_, j) => q.ints.data[(j % depth) * units + Math.floor(j / depth)]),
    scales: givenWeightScales({ ...q, type: q.ints.type }, B.dims, 1),
  } : undefined;
  fullyConnected(n, ctx, x, real, given, units, depth, { real: new Float64Array(units) }, keep);
}

/** The quantized input of a QLinear op: its tensor, pinned to the op's scale and zero point. */
function qlinearInput(ctx: MapContext, n: NodeProto, value: string, s: string, z: string | undefined): NetTensor {
  const x = ctx.tensorOf(value);
  const q = givenQuant(ctx, s, z, 'input');
  if (!ctx.pin(x, q, `${n.opType} '${n.name}'`))
    throw new Unsupported(`its input is quantized with scale ${q.scale}, zero point ${q.zeroPoint}, but was given scale ${x.pin!.scale}, zero point ${x.pin!.zeroPoint} by ${x.pin!.by}`);
  return x;
}

/** QLinearConv: the model's integers, scales and zero points; the bias is in input × weight units by definition. */
export function mapQLinearConv(n: NodeProto, ctx: MapContext): void {
  const [xv, xs, xz, wv, ws, wz, ys, yz, bv] = n.input;
  const x = qlinearInput(ctx, n, xv, xs, xz);
  const X = ctx.prep.probe.get(xv)!;
  const W = ctx.requireConstant(wv, 'weights');
  const g = convGeometry({ node: n, attrs: new Attributes(n, ctx.where(n)), opset: ctx.opset }, X, W, ctx.where(n));
  const [m, cg, kh, kw] = W.dims;
  const wScale = ctx.requireConstant(ws, 'weight scale');
  const wZero = wz ? ctx.requireConstant(wz, 'weight zero point') : undefined;
  const scales = givenWeightScales({ scales: Array.from(wScale.data), zeroPoints: wZero ? Array.from(wZero.data) : [0], axis: 0, type: W.type }, W.dims, 0);
  const ints = int8Of(W);
  const real = Float64Array.from(ints, (v, i) => v * scales[Math.floor(i / (cg * kh * kw))]);
  let bias: BiasIn = { real: new Float64Array(m) };
  if (bv) {
    const B = ctx.requireConstant(bv, 'bias');
    if (B.type !== DataType.INT32 || B.data.length !== m) throw new Unsupported(`its bias is not ${m} int32 values`);
    bias = { real: Float64Array.from(B.data, (v, o) => v * Math.fround(Math.fround(ctx.constant(xs)!.data[0]) * Math.fround(scales[o]))), raw: Int32Array.from(B.data) };
  }
  const out = ctx.newTensor(n.output[0]);
  ctx.pin(out, givenQuant(ctx, ys, yz, 'output'), `${n.opType} '${n.name}'`);
  const inC = X.dims[1];
  const depthwise = g.groups === inC && cg === 1 && g.groups > 1;
  const weights = convWeights(real, { ints, scales }, W.dims, depthwise);
  ctx.add({
    name: ctx.layerName(n, depthwise ? 'depthwise' : 'conv'), op: depthwise ? 'depthwise_conv_2d' : 'conv_2d', inputs: [x.id], output: out.id,
    params: { stride: g.strides, dilation: g.dilations, padding: g.pads, ...(depthwise ? { depthMultiplier: m / inC } : {}), activation: 'none' },
    weights, bias, rule: 'free', from: fromText(n, []),
  });
}

/** QLinearMatMul(a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp) with a constant int8 b [depth, units]. */
export function mapQLinearMatMul(n: NodeProto, ctx: MapContext): void {
  const [av, as, az, bv, bs, bz, ys, yz] = n.input;
  const x = qlinearInput(ctx, n, av, as, az);
  const { depth, keep } = matrixInput(ctx, av);
  const B = ctx.requireConstant(bv, 'weights (b)');
  if (B.dims.length !== 2 || B.dims[0] !== depth) throw new Unsupported(`weights b of shape (${B.dims.join(', ')}) for an input of depth ${depth}`);
  const units = B.dims[1];
  const bScale = ctx.requireConstant(bs, 'b scale');
  const bZero = bz ? ctx.requireConstant(bz, 'b zero point') : undefined;
  const scales = givenWeightScales({ scales: Array.from(bScale.data), zeroPoints: bZero ? Array.from(bZero.data) : [0], axis: 1, type: B.type }, B.dims, 1);
  const ints = Int8Array.from({ length: units * depth }, (_, j) => B.data[(j % depth) * units + Math.floor(j / depth)]);
  const real = Float64Array.from(ints, (v, j) => v * scales[Math.floor(j / depth)]);
  unflattenColumns(real, units, x);
  unflattenColumns(ints, units, x);
  const out = ctx.newTensor(n.output[0]);
  ctx.pin(out, givenQuant(ctx, ys, yz, 'output'), `${n.opType} '${n.name}'`);
  ctx.add({
    name: ctx.layerName(n, 'fc'), op: 'fully_connected', inputs: [x.id], output: out.id,
    params: { activation: 'none', keepNumDims: keep },
    weights: { shape: [units, depth], channelAxis: 0, real, given: { ints, scales } },
    bias: { real: new Float64Array(units) }, rule: 'free', from: fromText(n, []),
  });
}
