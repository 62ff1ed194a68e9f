/**
 * LUT as written in a network spec: the elementwise function by name (and its constants). The 256-entry table is
 * not stored: build() computes it from the input and output quantization, as TensorFlow Lite does in Prepare.
 */
import { z } from 'zod';

export const lutParams = z.discriminatedUnion('function', [
  z.strictObject({ function: z.literal('sigmoid') }),
  z.strictObject({ function: z.literal('tanh') }),
  z.strictObject({ function: z.literal('hard_sigmoid'), alpha: z.number().default(0.2), beta: z.number().default(0.5) }),
  z.strictObject({ function: z.literal('hard_swish') }),
  z.strictObject({ function: z.literal('silu') }),
  z.strictObject({ function: z.literal('leaky_relu'), alpha: z.number().default(0.01) }),
  z.strictObject({ function: z.literal('clip'), min: z.number().optional(), max: z.number().optional() }),
]);

export type LutParams = z.output<typeof lutParams>;
export type LutFunction = LutParams['function'];
