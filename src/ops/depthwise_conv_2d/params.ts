/** DEPTHWISE_CONV_2D as written in a network spec. Weights [1, kh, kw, out] int8 (TFLite's layout), bias int32. */
import { z } from 'zod';
import { activationSchema, biasSchema, pairSchema, paddingSchema, positiveInt, weightsSchema } from '../common.ts';

export const depthwiseParams = z.strictObject({
  stride: pairSchema,
  dilation: pairSchema.default([1, 1]),
  padding: paddingSchema,
  depthMultiplier: positiveInt,
  activation: activationSchema,
  weights: weightsSchema,
  bias: biasSchema.optional(),
});

export type DepthwiseParams = z.output<typeof depthwiseParams>;
