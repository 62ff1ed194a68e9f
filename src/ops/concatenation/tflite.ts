/** ConcatenationOptions: axis and a fused activation, which TFLM requires to be none. All inputs are activations. */
import type { TfliteHook } from '../op.ts';
import { OptionsType } from '../../tflite/schema.ts';
import type { ConcatenationParams } from './params.ts';

export const concatenationTflite: TfliteHook<ConcatenationParams> = {
  builtins: ['CONCATENATION'],
  import(ctx) {
    const o = ctx.options(OptionsType.ConcatenationOptions);
    if (ctx.activation(o, 1) !== 'none') ctx.unsupported('a fused activation (TFLite Micro refuses it on CONCATENATION)');
    return { params: { axis: o?.int32(0) ?? 0 }, inputs: ctx.op.inputs.map((_, i) => i) };
  },
};
