/** AddOptions: fused activation (pot_scale_int16 concerns int16 only). Both operands are activations. */
import type { TfliteHook } from '../op.ts';
import { OptionsType } from '../../tflite/schema.ts';
import type { AddParams } from './params.ts';

export const addTflite: TfliteHook<AddParams> = {
  builtins: ['ADD'],
  import(ctx) {
    const o = ctx.options(OptionsType.AddOptions);
    return { params: { activation: ctx.activation(o, 0) }, inputs: [0, 1] };
  },
};
