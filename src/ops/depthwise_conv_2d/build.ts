/**
 * DEPTHWISE_CONV_2D: output channel o = m + c·multiplier reads input channel c (TFLM's DepthwiseConvPerChannel), which
 * is the KernelModel with groups = input channels and multiplier outputs per group.
 */
import { effectiveScale } from '../../numerics/index.ts';
import { channelScales, checkScale, rank } from '../common.ts';
import type { ConvModel } from '../conv_2d/build.ts';
import { convKernel } from '../conv_2d/kernel.ts';
import type { Built, BuildContext, TensorInfo } from '../op.ts';
import type { DepthwiseParams } from './params.ts';

export function buildDepthwise(p: DepthwiseParams, inputs: TensorInfo[], ctx: BuildContext): Built<ConvModel> {
  const [input] = inputs;
  rank(input, 4, ctx);
  const [batch, , , inC] = input.shape;
  const outC = inC * p.depthMultiplier;
  const w = ctx.constant(p.weights, 'int8', null, 'weights');
  if (w.shape.length !== 4 || w.shape[0] !== 1 || w.shape[3] !== outC)
    ctx.fail(`weights have shape [${w.shape.join(', ')}]; expected [1, kh, kw, ${outC}] (${inC} input channels × depthMultiplier ${p.depthMultiplier})`, 'weights');
  const [, kH, kW] = w.shape;
  const bias = p.bias ? ctx.constant(p.bias, 'int32', [outC], 'bias').data as Int32Array : null;
  const out = ctx.outputs[0];
  checkScale(input, `input ${input.name}`, ctx);
  checkScale(out, 'the output', ctx);
  const scales = channelScales(p.weights.scales, outC, ctx);
  // [1][kh][kw][out] -> [out][1][kh][kw]
  const oihw = new Int32Array(w.data.length);
  for (let o = 0; o < outC; o++)
    for (let y = 0; y < kH; y++) for (let x = 0; x < kW; x++) oihw[(o * kH + y) * kW + x] = w.data[(y * kW + x) * outC + o];
  const kernel = convKernel({
    name: ctx.layer, source: ctx.layer, input, output: out, outC, k: [kH, kW], stride: p.stride, dilation: p.dilation,
    padding: p.padding, groups: inC, activation: p.activation, weights: oihw, bias,
    effective: scales.map((s) => effectiveScale(input.scale, s, out.scale)),
  }, ctx);
  return {
    model: { kernel, batch },
    outputs: [{ shape: [batch, kernel.outH, kernel.outW, outC], dtype: 'int8', scale: out.scale, zeroPoint: out.zeroPoint }],
  };
}
