/** PAD as written in a network spec: [before, after] per dimension, and the value (default: the output zero point). */
import { z } from 'zod';

const nonNegative = z.number().int().min(0);
export const padParams = z.strictObject({
  paddings: z.array(z.tuple([nonNegative, nonNegative])).min(1),
  /** Raw: −128…127, or −32768…32767 in a q15 network (checked against the tensor's type). */
  value: z.number().int().min(-32768).max(32767).optional(),
});
export type PadParams = z.output<typeof padParams>;
