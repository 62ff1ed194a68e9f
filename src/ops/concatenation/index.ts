/** CONCATENATION: TensorFlow Lite Micro's reference concatenation of int8 tensors sharing one quantization. */
import type { Op } from '../op.ts';
import { lowerConcatenation } from './lower.ts';
import { buildConcatenation, type ConcatenationModel } from './build.ts';
import { concatenationGolden } from './golden.ts';
import { concatenationParams, type ConcatenationParams } from './params.ts';
import { concatenationTflite } from './tflite.ts';

export const concatenation: Op<ConcatenationParams, ConcatenationModel> = {
  name: 'concatenation',
  params: concatenationParams,
  build: buildConcatenation,
  golden: concatenationGolden,
  macs: () => 0,
  qformat: true,
  memory: () => ({ inPlace: [], why: 'the output interleaves the inputs (in place would need producers writing into slices)' }),
  lower: lowerConcatenation,
  tflite: concatenationTflite,
};
