/** CONV_2D: TFLM's conv Prepare (per-channel multipliers in double from float32 scales) into a KernelModel. */
import type { KernelModel } from '../../spec/index.ts';
import { effectiveScale } from '../../numerics/index.ts';
import { channelScales, checkScale, rank } from '../common.ts';
import type { Built, BuildContext, TensorInfo } from '../op.ts';
import { convKernel } from './kernel.ts';
import type { Conv2dParams } from './params.ts';

export interface ConvModel {
  kernel: KernelModel;
  /** Images per inference (the input's first dimension); the kernel runs once per image. */
  batch: number;
}

export function buildConv2d(p: Conv2dParams, inputs: TensorInfo[], ctx: BuildContext): Built<ConvModel> {
  const [input] = inputs;
  rank(input, 4, ctx);
  const [batch, , , inC] = input.shape;
  const w = ctx.constant(p.weights, 'int8', null, 'weights');
  if (w.shape.length !== 4) ctx.fail(`weights have shape [${w.shape.join(', ')}]; expected [out, kh, kw, in/groups] (OHWI)`, 'weights');
  const [outC, kH, kW, inPerGroup] = w.shape;
  if (inC % inPerGroup !== 0)
    ctx.fail(`the input has ${inC} channels, not a multiple of the weights' ${inPerGroup} channels per group`, 'weights');
  const groups = inC / inPerGroup;
  if (outC % groups !== 0) ctx.fail(`${outC} output channels do not divide into ${groups} groups`, 'weights');
  const bias = p.bias ? ctx.constant(p.bias, 'int32', [outC], 'bias').data as Int32Array : null;
  const out = ctx.outputs[0];
  checkScale(input, `input ${input.name}`, ctx);
  checkScale(out, 'the output', ctx);
  const scales = channelScales(p.weights.scales, outC, ctx);
  // OHWI -> [out][in/groups][kh][kw]
  const oihw = new Int32Array(w.data.length);
  for (let o = 0; o < outC; o++)
    for (let y = 0; y < kH; y++)
      for (let x = 0; x < kW; x++)
        for (let c = 0; c < inPerGroup; c++) oihw[((o * inPerGroup + c) * kH + y) * kW + x] = w.data[((o * kH + y) * kW + x) * inPerGroup + c];
  const kernel = convKernel({
    name: ctx.layer, source: ctx.layer, input, output: out, outC, k: [kH, kW], stride: p.stride, dilation: p.dilation,
    padding: p.padding, groups, activation: p.activation, weights: oihw, bias,
    effective: scales.map((s) => effectiveScale(input.scale, s, out.scale)),
  }, ctx);
  return {
    model: { kernel, batch },
    outputs: [{ shape: [batch, kernel.outH, kernel.outW, outC], dtype: 'int8', scale: out.scale, zeroPoint: out.zeroPoint }],
  };
}
