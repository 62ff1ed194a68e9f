/** PAD / PADV2: TensorFlow Lite Micro's reference pad of an int8 tensor. */
import type { Op } from '../op.ts';
import { lowerPad } from './lower.ts';
import { buildPad, type PadModel } from './build.ts';
import { padGolden } from './golden.ts';
import { padParams, type PadParams } from './params.ts';
import { padTflite } from './tflite.ts';

export const pad: Op<PadParams, PadModel> = {
  name: 'pad',
  params: padParams,
  build: buildPad,
  golden: padGolden,
  macs: () => 0,
  qformat: true,
  memory: () => ({ inPlace: [], why: 'the output is larger than the input and shifts every element forward' }),
  lower: lowerPad,
  tflite: padTflite,
};
