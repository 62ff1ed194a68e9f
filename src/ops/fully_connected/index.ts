/** FULLY_CONNECTED: TensorFlow Lite Micro's int8 reference FullyConnected (per-tensor or per-channel weights). */
import type { Op } from '../op.ts';
import { lowerFullyConnected } from './lower.ts';
import { buildFullyConnected, type FullyConnectedModel } from './build.ts';
import { fullyConnectedGolden, fullyConnectedMacs } from './golden.ts';
import { fullyConnectedParams, type FullyConnectedParams } from './params.ts';
import { fullyConnectedTflite } from './tflite.ts';

export const fullyConnected: Op<FullyConnectedParams, FullyConnectedModel> = {
  name: 'fully_connected',
  params: fullyConnectedParams,
  build: buildFullyConnected,
  golden: fullyConnectedGolden,
  macs: fullyConnectedMacs,
  qformat: true,
  memory: () => ({ inPlace: [], why: 'every output of a row reads the whole input row' }),
  lower: lowerFullyConnected,
  tflite: fullyConnectedTflite,
};
