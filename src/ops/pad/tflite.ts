/**
 * PAD (input, paddings) and PADV2 (input, paddings, constant value). The paddings must be a constant; PADV2's value
 * must share the output's quantization (TFLM checks it) and is taken as its raw int8.
 */
import type { TfliteHook } from '../op.ts';
import type { PadParams } from './params.ts';

export const padTflite: TfliteHook<PadParams> = {
  builtins: ['PAD', 'PADV2'],
  import(ctx) {
    const flat = ctx.ints(1, 'paddings');
    const paddings: [number, number][] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) paddings.push([flat[i], flat[i + 1]]);
    const params: PadParams = { paddings };
    if (ctx.hasInput(2)) params.value = ctx.scalarInt8(2, 'constant value');
    return { params, inputs: [0] };
  },
};
