/** CONCATENATION as written in a network spec: the axis (negative counts from the end). */
import { z } from 'zod';

export const concatenationParams = z.strictObject({ axis: z.number().int() });
export type ConcatenationParams = z.output<typeof concatenationParams>;
