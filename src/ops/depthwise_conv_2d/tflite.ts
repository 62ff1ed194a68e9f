/** DepthwiseConv2DOptions: padding, stride_w, stride_h, depth_multiplier, fused activation, dilation_w, dilation_h. */
import type { TfliteHook } from '../op.ts';
import { OptionsType } from '../../tflite/schema.ts';
import type { DepthwiseParams } from './params.ts';

export const depthwiseTflite: TfliteHook<DepthwiseParams> = {
  builtins: ['DEPTHWISE_CONV_2D'],
  import(ctx) {
    const o = ctx.options(OptionsType.DepthwiseConv2DOptions);
    const inC = ctx.tensor(0).shape[3] ?? 0;
    const outC = ctx.tensor(1).shape[3] ?? 0;
    // TFLM derives the multiplier from the shapes; the option may be 0 in newer converters.
    const mult = o?.int32(3) || (inC > 0 ? outC / inC : 0);
    return {
      params: {
        padding: ctx.padding(o, 0),
        stride: [o?.int32(2) ?? 0, o?.int32(1) ?? 0],
        dilation: [o?.int32(6, 1) ?? 1, o?.int32(5, 1) ?? 1],
        depthMultiplier: mult,
        activation: ctx.activation(o, 4),
        weights: ctx.weights(1, 'weights', 3),
        ...(ctx.hasInput(2) ? { bias: ctx.bias(2) } : {}),
      },
      inputs: [0],
    };
  },
};
