/**
 * Pooling: MaxPool and AveragePool with their padding made explicit (TFLM clips each window to the input, which is
 * ONNX's max over −∞ padding and its average without count_include_pad; ceil mode is extra end padding), an
 * AveragePool that counts padding as a PAD of zeros then a valid pool, and GlobalAveragePool / ReduceMean over H
 * and W as MEAN (TensorFlow Lite's converter maps them so).
 */
import { Unsupported } from '../eval/context.ts';
import { poolGeometry } from '../eval/nn.ts';
import { reduceAxes } from '../eval/reduce.ts';
import { Attributes, type NodeProto } from '../proto.ts';
import { fuseActivation } from './fuse.ts';
import type { MapContext } from './layers.ts';

/** End padding that makes the floor formula give `out` windows: (out − 1)·s + k − n − begin. */
function endPad(n: number, k: number, s: number, begin: number, out: number): number {
  const end = (out - 1) * s + k - n - begin;
  const got = Math.floor((n + begin + Math.max(0, end) - k) / s) + 1;
  if (got !== out) throw new Unsupported(`a window geometry convgen cannot express (${out} windows along an axis of ${n})`);
  return Math.max(0, end);
}

export function mapPool(n: NodeProto, ctx: MapContext): void {
  const x = ctx.tensorOf(n.input[0]);
  const X = ctx.prep.probe.get(n.input[0])!;
  const a = new Attributes(n, ctx.where(n));
  const g = poolGeometry({ node: n, attrs: a, opset: ctx.opset }, X, ctx.where(n));
  const [, , h, w] = X.dims;
  const pads: [number, number, number, number] = [g.pads[0], g.pads[1],
    endPad(h, g.kernel[0], g.strides[0], g.pads[0], g.outH), endPad(w, g.kernel[1], g.strides[1], g.pads[1], g.outW)];
  const max = n.opType === 'MaxPool';
  const names: string[] = [];
  let input = x;
  let padding: [number, number, number, number] = pads;
  if (!max && a.int('count_include_pad', 0) !== 0 && g.pads.some((p) => p > 0)) {
    // Zeros that count: a PAD of the real value 0 (the zero point), then a pool whose only padding is ceil mode's.
    const [t, l, b, r] = g.pads;
    const padded = ctx.newTensor(n.input[0], { synthetic: true, shape: [1, h + t + b, w + l + r, X.dims[1]] });
    ctx.add({
      name: ctx.layerName(`${n.name}_pad`, 'pad'), op: 'pad', inputs: [x.id], output: padded.id,
      params: { paddings: [[0, 0], [t, b], [l, r], [0, 0]] }, padValue: 0, rule: 'same',
      from: `${n.opType} '${n.name}' (count_include_pad: its padding as zeros)`,
    });
    input = padded;
    padding = [0, 0, endPad(h + t + b, g.kernel[0], g.strides[0], 0, g.outH), endPad(w + l + r, g.kernel[1], g.strides[1], 0, g.outW)];
  }
  const fused = fuseActivation(ctx, n.output[0]);
  names.push(...fused.names);
  const out = ctx.newTensor(fused.value);
  ctx.add({
    name: ctx.layerName(n, max ? 'maxpool' : 'avgpool'), op: max ? 'max_pool_2d' : 'average_pool_2d', inputs: [input.id], output: out.id,
    params: { filter: g.kernel, stride: g.strides, padding, activation: fused.activation },
    rule: 'same', from: [`${n.opType} '${n.name}'`, ...names].join(' + '),
  });
}

/** GlobalAveragePool, or ReduceMean over exactly H and W of a 4-D tensor: MEAN over the network's axes 1 and 2. */
export function mapMean(n: NodeProto, ctx: MapContext): void {
  const x = ctx.tensorOf(n.input[0]);
  const dims = ctx.dims(n.input[0]);
  if (dims.length !== 4) throw new Unsupported(`an average over a ${dims.length}-D tensor (convgen averages H and W of 4-D ones)`);
  let keepDims = true;
  if (n.opType === 'ReduceMean') {
    const a = new Attributes(n, ctx.where(n));
    const axesIn = n.input[1] ? ctx.constant(n.input[1]) : undefined;
    const axes = reduceAxes(axesIn ? Array.from(axesIn.data) : undefined, a.ints('axes'), ctx.opset, 4);
    if (axes.join() !== '2,3') throw new Unsupported(`a mean over axes [${axes.join(', ')}] (convgen averages H and W, axes 2 and 3)`);
    keepDims = a.int('keepdims', 1) !== 0;
  }
  const out = ctx.newTensor(n.output[0]);
  ctx.add({
    name: ctx.layerName(n, 'mean'), op: 'mean', inputs: [x.id], output: out.id, params: { axes: [1, 2], keepDims },
    rule: 'free', from: `${n.opType} '${n.name}'`,
  });
}
