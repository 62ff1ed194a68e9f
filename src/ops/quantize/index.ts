/** QUANTIZE (int8 -> int8): TensorFlow Lite Micro's reference requantization. */
import type { Op } from '../op.ts';
import { lowerQuantize } from './lower.ts';
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
  // Same scale and zero point: MultiplyByQuantizedMultiplier(x, 2^30, 1) = SRDHM(2x, 2^30) = x, so the output is the
  // input's bytes (an exact fusion: no code runs). Otherwise elementwise, in place.
  memory: (m) => (m.multiplier === 2 ** 30 && m.shift === 1 && m.inputZeroPoint === m.outputZeroPoint
    ? { alias: 0, inPlace: [], why: 'same scale and zero point: every value is unchanged' }
    : { inPlace: [0], why: 'elementwise: each output element is written after reading only its own input element' }),
  lower: lowerQuantize,
  tflite: quantizeTflite,
};
