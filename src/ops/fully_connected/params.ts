/** FULLY_CONNECTED as written in a network spec: weights [units, depth] int8, bias [units] int32. */
import { z } from 'zod';
import { activationSchema, biasSchema, weightsSchema } from '../common.ts';

export const fullyConnectedParams = z.strictObject({
  activation: activationSchema,
  keepNumDims: z.boolean().default(false),
  weights: weightsSchema,
  bias: biasSchema.optional(),
});

export type FullyConnectedParams = z.output<typeof fullyConnectedParams>;
