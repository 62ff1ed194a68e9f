/** CONV_2D's Conv2DOptions (padding, stride_w, stride_h, fused activation, dilation_w, dilation_h) and constants. */
import type { TfliteHook } from '../op.ts';
import { OptionsType } from '../../tflite/schema.ts';
import type { Conv2dParams } from './params.ts';

export const conv2dTflite: TfliteHook<Conv2dParams> = {
  builtins: ['CONV_2D'],
  import(ctx) {
    const o = ctx.options(OptionsType.Conv2DOptions);
    return {
      params: {
        padding: ctx.padding(o, 0),
        stride: [o?.int32(2) ?? 0, o?.int32(1) ?? 0],
        dilation: [o?.int32(5, 1) ?? 1, o?.int32(4, 1) ?? 1],
        activation: ctx.activation(o, 3),
        weights: ctx.weights(1, 'weights', 0),
        ...(ctx.hasInput(2) ? { bias: ctx.bias(2) } : {}),
      },
      inputs: [0],
    };
  },
};
