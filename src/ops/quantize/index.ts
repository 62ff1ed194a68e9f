/** QUANTIZE (int8 -> int8): TensorFlow Lite Micro's reference requantization. */
import type { Op } from '../op.ts';
import { buildQuantize, type QuantizeModel } from './build.ts';
import { quantizeGolden } from './golden.ts';
import { quantizeParams, type QuantizeParams } from './params.ts';
import { quantizeTflite } from './tflite.ts';

export const quantize: Op<QuantizeParams, QuantizeModel> = {
  name: 'quantize',
  params: quantizeParams,
  build: buildQuantize,
  golden: quantizeGolden,
  macs: () => 0,
  memory: () => ({ inPlace: [0], why: 'elementwise: each output element is written after reading only its own input element' }),
  tflite: quantizeTflite,
};
