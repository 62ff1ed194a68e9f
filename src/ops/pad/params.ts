/** PAD as written in a network spec: [before, after] per dimension, and the value (default: the output zero point). */
import { z } from 'zod';

const nonNegative = z.number().int().min(0);
export const padParams = z.strictObject({
  paddings: z.array(z.tuple([nonNegative, nonNegative])).min(1),
  value: z.number().int().min(-128).max(127).optional(),
});
export type PadParams = z.output<typeof padParams>;
