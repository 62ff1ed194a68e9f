/**
 * DEPTHWISE_CONV_2D: output channel o = m + c·multiplier reads input channel c (TFLM's DepthwiseConvPerChannel), which
 * is the KernelModel with groups = input channels and multiplier outputs per group.
 */
import { rank } from '../common.ts';
import { buildConvLayer, weightDtype, type ConvModel } from '../conv_2d/kernel.ts';
import type { Built, BuildContext, TensorInfo } from '../op.ts';
import type { DepthwiseParams } from './params.ts';

export function buildDepthwise(p: DepthwiseParams, inputs: TensorInfo[], ctx: BuildContext): Built<ConvModel> {
  const [input] = inputs;
  rank(input, 4, ctx);
  const inC = input.shape[3];
  const outC = inC * p.depthMultiplier;
  const w = ctx.constant(p.weights, weightDtype(input), null, 'weights');
  if (w.shape.length !== 4 || w.shape[0] !== 1 || w.shape[3] !== outC)
    ctx.fail(`weights have shape [${w.shape.join(', ')}]; expected [1, kh, kw, ${outC}] (${inC} input channels × depthMultiplier ${p.depthMultiplier})`, 'weights');
  const [, kH, kW] = w.shape;
  // [1][kh][kw][out] -> [out][1][kh][kw]
  const oihw = new Int32Array(w.data.length);
  for (let o = 0; o < outC; o++)
    for (let y = 0; y < kH; y++) for (let x = 0; x < kW; x++) oihw[(o * kH + y) * kW + x] = w.data[(y * kW + x) * outC + o];
  return buildConvLayer({ ...p, outC, k: [kH, kW], groups: inC, raw: oihw }, input, ctx);
}
