/** AVERAGE_POOL_2D: TensorFlow Lite Micro's int8 reference average pooling. */
import type { Op } from '../op.ts';
import { lowerPool } from '../pool/lower.ts';
import { buildPool, poolMemory, poolParams, poolTflite, type PoolModel, type PoolParams } from '../pool/pool.ts';
import { averagePoolGolden } from './golden.ts';

export const averagePool2d: Op<PoolParams, PoolModel> = {
  name: 'average_pool_2d',
  params: poolParams,
  build: buildPool,
  golden: averagePoolGolden,
  macs: () => 0,
  qformat: true,
  memory: poolMemory,
  lower: (m, ctx) => lowerPool('average', m, ctx),
  tflite: poolTflite('AVERAGE_POOL_2D'),
};
