/**
 * RESHAPE's new shape: the output tensor's shape (TFLM takes it from there; the shape input or ReshapeOptions only
 * produced it). The shape input is a constant and not an activation.
 */
import type { TfliteHook } from '../op.ts';
import type { ReshapeParams } from './params.ts';

export const reshapeTflite: TfliteHook<ReshapeParams> = {
  builtins: ['RESHAPE'],
  import(ctx) {
    return { params: { shape: [...ctx.outputTensor(0).shape] }, inputs: [0] };
  },
};
