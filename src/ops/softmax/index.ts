/** SOFTMAX: TensorFlow Lite Micro's int8 reference softmax (gemmlowp fixed-point exp and reciprocal). */
import type { Op } from '../op.ts';
import { buildSoftmax, type SoftmaxModel } from './build.ts';
import { lowerSoftmax } from './lower.ts';
import { softmaxGolden } from './golden.ts';
import { softmaxParams, type SoftmaxParams } from './params.ts';
import { softmaxTflite } from './tflite.ts';

export const softmax: Op<SoftmaxParams, SoftmaxModel> = {
  name: 'softmax',
  params: softmaxParams,
  build: buildSoftmax,
  golden: softmaxGolden,
  macs: () => 0,
  // A row's max and sum are taken before any output of the row is written; each output then reads only its own
  // input element (the C keeps the row's exps or recomputes them from the input before overwriting it).
  memory: () => ({ inPlace: [0], why: 'row statistics are read first; then each output reads only its own input element' }),
  lower: lowerSoftmax,
  tflite: softmaxTflite,
};
