/** CONV_2D: OHWI weights into the KernelModel's order, grouped convolution from the weights' channel count. */
import { rank } from '../common.ts';
import type { Built, BuildContext, TensorInfo } from '../op.ts';
import { buildConvLayer, weightDtype, type ConvModel } from './kernel.ts';
import type { Conv2dParams } from './params.ts';

export type { ConvModel } from './kernel.ts';

export function buildConv2d(p: Conv2dParams, inputs: TensorInfo[], ctx: BuildContext): Built<ConvModel> {
  const [input] = inputs;
  rank(input, 4, ctx);
  const inC = input.shape[3];
  const w = ctx.constant(p.weights, weightDtype(input), null, 'weights');
  if (w.shape.length !== 4) ctx.fail(`weights have shape [${w.shape.join(', ')}]; expected [out, kh, kw, in/groups] (OHWI)`, 'weights');
  const [outC, kH, kW, inPerGroup] = w.shape;
  if (inC % inPerGroup !== 0)
    ctx.fail(`the input has ${inC} channels, not a multiple of the weights' ${inPerGroup} channels per group`, 'weights');
  const groups = inC / inPerGroup;
  if (outC % groups !== 0) ctx.fail(`${outC} output channels do not divide into ${groups} groups`, 'weights');
  // OHWI -> [out][in/groups][kh][kw]
  const oihw = new Int32Array(w.data.length);
  for (let o = 0; o < outC; o++)
    for (let y = 0; y < kH; y++)
      for (let x = 0; x < kW; x++)
        for (let c = 0; c < inPerGroup; c++) oihw[((o * inPerGroup + c) * kH + y) * kW + x] = w.data[((o * kH + y) * kW + x) * inPerGroup + c];
  return buildConvLayer({ ...p, outC, k: [kH, kW], groups, raw: oihw }, input, ctx);
}
