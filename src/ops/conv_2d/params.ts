/** CONV_2D as written in a network spec. Weights OHWI int8 (TFLite's layout), bias int32, both .npy beside the spec. */
import { z } from 'zod';
import { activationSchema, biasSchema, pairSchema, paddingSchema, weightsSchema } from '../common.ts';

export const conv2dParams = z.strictObject({
  stride: pairSchema,
  dilation: pairSchema.default([1, 1]),
  padding: paddingSchema,
  activation: activationSchema,
  weights: weightsSchema,
  bias: biasSchema.optional(),
});

export type Conv2dParams = z.output<typeof conv2dParams>;
