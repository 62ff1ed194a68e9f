/** ADD: TensorFlow Lite Micro's int8 reference addition of two same-shape tensors. */
import type { Op } from '../op.ts';
import { buildAdd, type AddModel } from './build.ts';
import { lowerAdd } from './lower.ts';
import { addGolden } from './golden.ts';
import { addParams, type AddParams } from './params.ts';
import { addTflite } from './tflite.ts';

export const add: Op<AddParams, AddModel> = {
  name: 'add',
  params: addParams,
  build: buildAdd,
  golden: addGolden,
  macs: () => 0,
  // Elementwise: output i is computed from input element i of each operand and written after both are read.
  memory: () => ({ inPlace: [0, 1], why: 'elementwise: each output element is written after reading only its own input elements' }),
  lower: lowerAdd,
  tflite: addTflite,
};
