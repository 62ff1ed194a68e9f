/** MEAN: TensorFlow Lite Micro's int8 reference mean over any axes (H and W for a global average). */
import type { Op } from '../op.ts';
import { lowerMean } from './lower.ts';
import { buildMean, type MeanModel } from './build.ts';
import { meanGolden } from './golden.ts';
import { meanParams, type MeanParams } from './params.ts';
import { meanTflite } from './tflite.ts';

export const mean: Op<MeanParams, MeanModel> = {
  name: 'mean',
  params: meanParams,
  build: buildMean,
  golden: meanGolden,
  macs: () => 0,
  memory: () => ({ inPlace: [], why: 'an output sums elements spread over the whole input' }),
  lower: lowerMean,
  tflite: meanTflite,
};
