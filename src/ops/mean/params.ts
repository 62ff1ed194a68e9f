/** MEAN as written in a network spec: the axes reduced and whether they stay as dimensions of size 1. */
import { z } from 'zod';

export const meanParams = z.strictObject({ axes: z.array(z.number().int()).min(1), keepDims: z.boolean() });
export type MeanParams = z.output<typeof meanParams>;
