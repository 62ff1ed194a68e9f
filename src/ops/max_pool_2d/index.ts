/** MAX_POOL_2D: TensorFlow Lite Micro's int8 reference max pooling. */
import type { Op } from '../op.ts';
import { lowerPool } from '../pool/lower.ts';
import { buildPool, poolMemory, poolParams, poolTflite, type PoolModel, type PoolParams } from '../pool/pool.ts';
import { maxPoolGolden } from './golden.ts';

export const maxPool2d: Op<PoolParams, PoolModel> = {
  name: 'max_pool_2d',
  params: poolParams,
  build: buildPool,
  golden: maxPoolGolden,
  macs: () => 0,
  qformat: true,
  memory: poolMemory,
  lower: (m, ctx) => lowerPool('max', m, ctx),
  tflite: poolTflite('MAX_POOL_2D'),
};
