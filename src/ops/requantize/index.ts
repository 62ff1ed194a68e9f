/** REQUANTIZE: a Q-format network's explicit change of Q format (with a Relu, Clip or LeakyRelu), elementwise. */
import type { Op } from '../op.ts';
import { requantizeParams, type RequantizeParams } from './params.ts';
import { buildRequantize, lowerRequantize, requantizeGolden, type RequantizeModel } from './requantize.ts';

export const requantize: Op<RequantizeParams, RequantizeModel> = {
  name: 'requantize',
  params: requantizeParams,
  build: buildRequantize,
  golden: requantizeGolden,
  macs: () => 0,
  qformat: true,
  memory: () => ({ inPlace: [0], why: 'elementwise: each output element is written after reading only its own input element' }),
  lower: lowerRequantize,
  // No TFLite operator is a change of Q format: it comes from the ONNX import with --type q7|q15.
  tflite: { builtins: [], import: () => ({ params: { activation: 'none' }, inputs: [0] }) },
};
