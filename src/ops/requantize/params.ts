/**
 * REQUANTIZE (Q-format networks only) as written in a network spec: an optional activation, and `negativeSlope`
 * (LeakyRelu's alpha, |alpha| ≤ 1) that multiplies negative inputs.
 */
import { z } from 'zod';
import { activationSchema } from '../common.ts';

export const requantizeParams = z.strictObject({
  activation: activationSchema,
  negativeSlope: z.number().min(-1).max(1).optional(),
});

export type RequantizeParams = z.output<typeof requantizeParams>;
