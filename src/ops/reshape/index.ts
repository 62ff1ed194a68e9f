/** RESHAPE: a view of the input with another shape; no code runs (the planner aliases the two tensors). */
import type { Op } from '../op.ts';
import { lowerReshape } from './lower.ts';
import { buildReshape, type ReshapeModel } from './build.ts';
import { reshapeGolden } from './golden.ts';
import { reshapeParams, type ReshapeParams } from './params.ts';
import { reshapeTflite } from './tflite.ts';

export const reshape: Op<ReshapeParams, ReshapeModel> = {
  name: 'reshape',
  params: reshapeParams,
  build: buildReshape,
  golden: reshapeGolden,
  macs: () => 0,
  qformat: true,
  memory: () => ({ alias: 0, inPlace: [], why: 'the output is the input bytes seen with another shape' }),
  lower: lowerReshape,
  tflite: reshapeTflite,
};
