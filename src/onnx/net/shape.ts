/**
 * Data movement: Reshape, Flatten, Squeeze and Unsqueeze (a copy of the bytes where the network's NHWC order and
 * ONNX's NCHW order agree, or a flatten the following fully connected layer absorbs by permuting its columns),
 * Concat along the channels, Pad with a constant, Identity/Dropout, and the QDQ pair QuantizeLinear /
 * DequantizeLinear, which fix a tensor's quantization rather than compute anything.
 */
import { Unsupported } from '../eval/context.ts';
import { padSpec } from '../eval/shape.ts';
import { isDefaultDomain } from '../graph.ts';
import { Attributes, type NodeProto } from '../proto.ts';
import { givenQuant } from './fuse.ts';
import type { MapContext, NetTensor } from './layers.ts';

/** Whether the network's bytes of a tensor are in ONNX's order (true unless NCHW with C > 1 and H·W > 1). */
function sameOrder(dims: number[], t?: NetTensor): boolean {
  if (t?.layout && t.layout !== 'nchw') return false;
  return dims.length !== 4 || dims[1] === 1 || dims[2] * dims[3] === 1;
}

const MATMULS = new Set(['Gemm', 'MatMul', 'QLinearMatMul']);

/** Every reader of a flattened NCHW tensor must be a matrix product taking it as its data operand (through Q/DQ). */
function readersAbsorbPermutation(ctx: MapContext, value: string): string | undefined {
  for (const r of ctx.readers(value)) {
    if (!isDefaultDomain(r)) return `${r.opType} '${r.name}'`;
    if (r.opType === 'QuantizeLinear' || r.opType === 'DequantizeLinear' || r.opType === 'Identity' || r.opType === 'Dropout') {
      const deeper = readersAbsorbPermutation(ctx, r.output[0]);
      if (deeper) return deeper;
    } else if (!MATMULS.has(r.opType) || r.input[0] !== value) return `${r.opType} '${r.name}'`;
  }
  if (ctx.outputs.has(value)) return 'the model output';
  return undefined;
}

export function mapReshape(n: NodeProto, ctx: MapContext): void {
  const x = ctx.tensorOf(n.input[0]);
  const from = ctx.dims(n.input[0]);
  const to = ctx.dims(n.output[0]);
  if (from.join() === to.join()) {
    ctx.alias(n.output[0], x);
    return;
  }
  if (to[0] !== 1) throw new Unsupported(`an output of shape (${to.join(', ')}); convgen keeps the batch (the first dimension) at 1`);
  const layer = (out: NetTensor) => ctx.add({
    name: ctx.layerName(n, 'reshape'), op: 'reshape', inputs: [x.id], output: out.id, params: { shape: out.shape },
    rule: 'same', from: `${n.opType} '${n.name}'`,
  });
  if (sameOrder(from, x) && sameOrder(to)) {
    layer(ctx.newTensor(n.output[0]));
    return;
  }
  if (from.length === 4 && to.length === 2 && x.layout === 'nchw') {
    // NCHW flattened: the network's bytes are H·W·C ordered; the next matrix product permutes its columns to match.
    const reader = readersAbsorbPermutation(ctx, n.output[0]);
    if (reader)
      throw new Unsupported(`flattens a (${from.slice(1).join(', ')}) tensor read by ${reader}; in convgen's NHWC layout only a following Gemm/MatMul can absorb that order (or average H and W to 1x1 first)`);
    layer(ctx.newTensor(n.output[0], { layout: { flattenedNchw: [from[1], from[2], from[3]] }, shape: to }));
    return;
  }
  throw new Unsupported(`reshapes (${from.join(', ')}) to (${to.join(', ')}), which moves data in convgen's NHWC layout (a transpose)`);
}

export function mapConcat(n: NodeProto, ctx: MapContext): void {
  const inputs = n.input.filter(Boolean);
  if (inputs.some((v) => ctx.constant(v))) throw new Unsupported('a constant operand; convgen concatenates tensors');
  const ts = inputs.map((v) => ctx.tensorOf(v));
  const d = ctx.dims(n.output[0]);
  let axis = new Attributes(n, ctx.where(n)).int('axis', 0);
  if (axis < 0) axis += d.length;
  if (ts.some((t) => t.layout && t.layout !== 'nchw')) throw new Unsupported('an operand flattened from NCHW');
  const netAxis = d.length === 4 ? [0, 3, 1, 2][axis] : axis;
  const out = ctx.newTensor(n.output[0]);
  ctx.add({
    name: ctx.layerName(n, 'concat'), op: 'concatenation', inputs: ts.map((t) => t.id), output: out.id, params: { axis: netAxis },
    rule: 'free', from: `${n.opType} '${n.name}'`,
  });
}

export function mapPad(n: NodeProto, ctx: MapContext): void {
  const x = ctx.tensorOf(n.input[0]);
  const d = ctx.dims(n.input[0]);
  const consts = n.input.map((v) => (v ? ctx.constant(v) : undefined));
  if (n.input[1] && !consts[1]) throw new Unsupported('its pads are computed at run time');
  const { pads, value } = padSpec(consts, { node: n, attrs: new Attributes(n, ctx.where(n)), opset: ctx.opset }, d.length);
  const r = d.length;
  const pairs = d.map((_, i) => [pads[i], pads[i + r]] as [number, number]);
  if (x.layout && x.layout !== 'nchw' && pads.some((p) => p > 0)) throw new Unsupported('padding a tensor flattened from NCHW');
  const paddings = r === 4 ? [pairs[0], pairs[2], pairs[3], pairs[1]] : pairs;
  const out = ctx.newTensor(n.output[0]);
  ctx.add({
    name: ctx.layerName(n, 'pad'), op: 'pad', inputs: [x.id], output: out.id, params: { paddings }, padValue: value,
    rule: 'same', from: `${n.opType} '${n.name}'`,
  });
}

export function mapIdentity(n: NodeProto, ctx: MapContext): void {
  ctx.alias(n.output[0], ctx.tensorOf(n.input[0]));
}

/** QuantizeLinear of a tensor: fixes its quantization; a second, different one is a requantization (quantize op). */
export function mapQuantizeLinear(n: NodeProto, ctx: MapContext): void {
  const x = ctx.tensorOf(n.input[0]);
  if (!ctx.isFloat(n.input[0])) throw new Unsupported('a QuantizeLinear of an integer tensor');
  const q = givenQuant(ctx, n.input[1], n.input[2], 'output');
  if (ctx.pin(x, q, `QuantizeLinear '${n.name}'`)) {
    ctx.alias(n.output[0], x);
    return;
  }
  const out = ctx.newTensor(n.output[0]);
  ctx.pin(out, q, `QuantizeLinear '${n.name}'`);
  ctx.add({
    name: ctx.layerName(n, 'quantize'), op: 'quantize', inputs: [x.id], output: out.id, params: {}, rule: 'free',
    from: `QuantizeLinear '${n.name}' (a second quantization of '${n.input[0]}')`,
  });
}

/** DequantizeLinear of a quantized tensor: the same tensor seen as real values; its parameters must be the tensor's. */
export function mapDequantizeLinear(n: NodeProto, ctx: MapContext): void {
  const x = ctx.tensorOf(n.input[0]);
  const q = givenQuant(ctx, n.input[1], n.input[2], 'input');
  if (!ctx.pin(x, q, `DequantizeLinear '${n.name}'`))
    throw new Unsupported(`it dequantizes with scale ${q.scale}, zero point ${q.zeroPoint}, but the tensor was quantized with scale ${x.pin!.scale}, zero point ${x.pin!.zeroPoint} (${x.pin!.by})`);
  ctx.alias(n.output[0], x);
}
