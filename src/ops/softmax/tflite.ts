/** SoftmaxOptions: beta (float32). */
import type { TfliteHook } from '../op.ts';
import { OptionsType } from '../../tflite/schema.ts';
import type { SoftmaxParams } from './params.ts';

export const softmaxTflite: TfliteHook<SoftmaxParams> = {
  builtins: ['SOFTMAX'],
  import(ctx) {
    const o = ctx.options(OptionsType.SoftmaxOptions);
    return { params: { beta: o?.float32(0) ?? 0 }, inputs: [0] };
  },
};
