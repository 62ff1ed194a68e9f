/** DEPTHWISE_CONV_2D: TensorFlow Lite Micro's int8 reference depthwise convolution, with a channel multiplier. */
import type { Op } from '../op.ts';
import { lowerConv } from '../conv_2d/lower.ts';
import type { ConvModel } from '../conv_2d/kernel.ts';
import { convGolden, convMacs } from '../conv_2d/golden.ts';
import { buildDepthwise } from './build.ts';
import { depthwiseParams, type DepthwiseParams } from './params.ts';
import { depthwiseTflite } from './tflite.ts';

export const depthwiseConv2d: Op<DepthwiseParams, ConvModel> = {
  name: 'depthwise_conv_2d',
  params: depthwiseParams,
  build: buildDepthwise,
  golden: convGolden,
  macs: convMacs,
  qformat: true,
  // In place is possible with a buffer of the input rows the next output rows still read (row buffering): that is
  // the C generator's to provide (issue 17 part 2); until then the planner gives the output its own buffer.
  memory: () => ({ inPlace: [], why: 'in place needs row buffering of the input window (part 2 of issue 17)' }),
  lower: lowerConv,
  tflite: depthwiseTflite,
};
