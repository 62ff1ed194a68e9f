/** SOFTMAX as written in a network spec: beta (a float32), over the last dimension. */
import { z } from 'zod';

export const softmaxParams = z.strictObject({ beta: z.number() });
export type SoftmaxParams = z.output<typeof softmaxParams>;
