/** FullyConnectedOptions: fused activation, weights_format (DEFAULT only), keep_num_dims, asymmetric_quantize_inputs. */
import type { TfliteHook } from '../op.ts';
import { OptionsType } from '../../tflite/schema.ts';
import type { FullyConnectedParams } from './params.ts';

export const fullyConnectedTflite: TfliteHook<FullyConnectedParams> = {
  builtins: ['FULLY_CONNECTED'],
  import(ctx) {
    const o = ctx.options(OptionsType.FullyConnectedOptions);
    if ((o?.int8(1) ?? 0) !== 0) ctx.unsupported('shuffled weights (weights_format SHUFFLED4x16INT8)');
    return {
      params: {
        activation: ctx.activation(o, 0),
        keepNumDims: o?.bool(2) ?? false,
        weights: ctx.weights(1, 'weights', 0),
        ...(ctx.hasInput(2) ? { bias: ctx.bias(2) } : {}),
      },
      inputs: [0],
    };
  },
};
