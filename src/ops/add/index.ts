/** ADD: TensorFlow Lite Micro's int8 reference addition of two same-shape tensors. */
import type { Op } from '../op.ts';
import { buildAdd, type AddModel } from './build.ts';
import { lowerAdd } from './lower.ts';
import { addGolden } from './golden.ts';
import { addParams, type AddParams } from './params.ts';
import { addTflite } from './tflite.ts';
import { lowerQAdd, qAddGolden, type QAddModel } from './q.ts';

export const add: Op<AddParams, AddModel | QAddModel> = {
  name: 'add',
  params: addParams,
  build: buildAdd,
  golden: (m, inputs) => (m.kind === 'q' ? qAddGolden(m, inputs) : addGolden(m, inputs as Int8Array[])),
  macs: () => 0,
  qformat: true,
  // Elementwise: output i is computed from input element i of each operand and written after both are read.
  memory: () => ({ inPlace: [0, 1], why: 'elementwise: each output element is written after reading only its own input elements' }),
  lower: (m, ctx) => (m.kind === 'q' ? lowerQAdd(m, ctx) : lowerAdd(m, ctx)),
  tflite: addTflite,
};
