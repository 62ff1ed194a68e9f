/**
 * FULLY_CONNECTED: the input read as rows of `depth` values, each row times the [units, depth] weights. It is the
 * KernelModel of a 1×1 convolution over a 1 × rows image of depth channels (same sum, same output stage), so the
 * conv golden model and kernel families serve it. TFLM's Prepare differs by quantization:
 *   per-channel weights: input · weight / output in double (as a convolution);
 *   per-tensor weights:  float32(input · weight) / output — the product is taken in float32 first
 *                        (GetQuantizedConvolutionMultipler), which can change the multiplier's last bit.
 */
import { effectiveScale, effectiveScaleFloatProduct } from '../../numerics/index.ts';
import type { KernelModel } from '../conv_2d/spec/index.ts';
import { channelScales, checkScale } from '../common.ts';
import { convKernel, qConvKernel, qWeightFrac, weightDtype } from '../conv_2d/kernel.ts';
import { elements, type Built, type BuildContext, type ElemType, type TensorInfo } from '../op.ts';
import type { FullyConnectedParams } from './params.ts';

export interface FullyConnectedModel {
  kernel: KernelModel;
  rows: number;
  depth: number;
  units: number;
  dtype: ElemType;
}

export function buildFullyConnected(p: FullyConnectedParams, inputs: TensorInfo[], ctx: BuildContext): Built<FullyConnectedModel> {
  const [input] = inputs;
  const w = ctx.constant(p.weights, weightDtype(input), null, 'weights');
  if (w.shape.length !== 2) ctx.fail(`weights have shape [${w.shape.join(', ')}]; expected [units, depth]`, 'weights');
  const [units, depth] = w.shape;
  const flat = elements(input.shape);
  if (flat % depth !== 0) ctx.fail(`the input ${input.name} has ${flat} elements, not a multiple of the weights' depth ${depth}`);
  const rows = flat / depth;
  const bias = p.bias ? ctx.constant(p.bias, 'int32', [units], 'bias').data as Int32Array : null;
  const out = ctx.outputs[0];
  const shape = p.keepNumDims ? [...input.shape.slice(0, -1), units] : [rows, units];
  if (p.keepNumDims && input.shape.at(-1) !== depth)
    ctx.fail(`keepNumDims needs the input's last dimension (${input.shape.at(-1)}) to equal the weights' depth ${depth}`);
  if (input.frac !== undefined) {
    // A Q-format network: the Q kernel of the same 1x1 convolution over the rows.
    const kernel = qConvKernel({
      name: ctx.layer, source: ctx.layer,
      input: { ...input, shape: [1, 1, rows, depth] }, output: out, outC: units, k: [1, 1], stride: [1, 1], dilation: [1, 1],
      padding: 'valid', groups: 1, activation: p.activation, weights: Int32Array.from(w.data), bias,
      weightFrac: qWeightFrac(p.weights, ctx), biasFrac: p.bias?.frac,
    }, ctx);
    return { model: { kernel, rows, depth, units, dtype: input.dtype }, outputs: [{ shape, dtype: input.dtype, scale: out.scale, zeroPoint: 0, frac: out.frac }] };
  }
  if (p.weights.scales === undefined || p.weights.frac !== undefined)
    return ctx.fail('an int8 network\'s weights carry "scales" (one per tensor or per output channel), not "frac" (a Q-format network\'s)', 'weights');
  if (p.bias?.frac !== undefined) ctx.fail('a bias "frac" belongs to a Q-format network (int8 biases are at input scale × weight scale)', 'bias.frac');
  checkScale(input, `input ${input.name}`, ctx);
  checkScale(out, 'the output', ctx);
  const perChannel = p.weights.scales.length > 1;
  const scales = channelScales(p.weights.scales, units, ctx);
  const effective = scales.map((s) => perChannel ? effectiveScale(input.scale, s, out.scale) : effectiveScaleFloatProduct(input.scale, s, out.scale));
  const kernel = convKernel({
    name: ctx.layer, source: ctx.layer,
    input: { ...input, shape: [1, 1, rows, depth] }, output: out, outC: units, k: [1, 1], stride: [1, 1], dilation: [1, 1],
    padding: 'valid', groups: 1, activation: p.activation, weights: Int32Array.from(w.data), bias, effective,
  }, ctx);
  return { model: { kernel, rows, depth, units, dtype: 'int8' }, outputs: [{ shape, dtype: 'int8', scale: out.scale, zeroPoint: out.zeroPoint }] };
}
