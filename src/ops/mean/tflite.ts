/** MEAN (input, axes): the axes a constant int32 vector; ReducerOptions: keep_dims. */
import type { TfliteHook } from '../op.ts';
import { OptionsType } from '../../tflite/schema.ts';
import type { MeanParams } from './params.ts';

export const meanTflite: TfliteHook<MeanParams> = {
  builtins: ['MEAN'],
  import(ctx) {
    const o = ctx.options(OptionsType.ReducerOptions);
    return { params: { axes: ctx.ints(1, 'axes'), keepDims: o?.bool(0) ?? false }, inputs: [0] };
  },
};
