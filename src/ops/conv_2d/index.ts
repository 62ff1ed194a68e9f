/** CONV_2D: TensorFlow Lite Micro's int8 reference convolution (ConvPerChannel), grouped convolution included. */
import type { Op } from '../op.ts';
import { lowerConv } from './lower.ts';
import { buildConv2d, type ConvModel } from './build.ts';
import { convGolden, convMacs } from './golden.ts';
import { conv2dParams, type Conv2dParams } from './params.ts';
import { conv2dTflite } from './tflite.ts';

export const conv2d: Op<Conv2dParams, ConvModel> = {
  name: 'conv_2d',
  params: conv2dParams,
  build: buildConv2d,
  golden: convGolden,
  macs: convMacs,
  qformat: true,
  // Every output pixel reads a window of input rows around it: writing over the input would destroy rows later
  // pixels still read.
  memory: () => ({ inPlace: [], why: 'a convolution reads a window of input rows around each output pixel' }),
  lower: lowerConv,
  tflite: conv2dTflite,
};
