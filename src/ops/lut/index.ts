/**
 * LUT: an elementwise function of an int8 tensor as a 256-entry table computed from the two quantizations (the ONNX
 * importer's Sigmoid, Tanh, HardSigmoid, HardSwish, SiLU (x · sigmoid(x)), LeakyRelu and unfused Clip/Relu). No TFLite builtin maps here:
 * TFLite Micro computes LOGISTIC and TANH in fixed point, so a .tflite keeps refusing them rather than becoming a
 * table that TFLM would not reproduce.
 */
import type { Op } from '../op.ts';
import { buildLut, type LutModel } from './build.ts';
import { lutGolden } from './golden.ts';
import { lowerLut } from './lower.ts';
import { lutParams, type LutParams } from './params.ts';

export const lut: Op<LutParams, LutModel> = {
  name: 'lut',
  params: lutParams,
  build: buildLut,
  golden: lutGolden,
  lower: lowerLut,
  macs: () => 0,
  // Elementwise: the producer's output stage can apply the table to each value it writes (no buffer of its own).
  memory: () => ({ inPlace: [0], why: 'elementwise: each output element is written after reading only its own input element' }),
  tflite: {
    builtins: [],
    import(ctx) {
      return ctx.unsupported('no TFLite operator imports as a lookup table');
    },
  },
};
