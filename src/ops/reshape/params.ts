/** RESHAPE as written in a network spec: the output shape (no −1: the importer resolves it). */
import { z } from 'zod';

export const reshapeParams = z.strictObject({ shape: z.array(z.number().int().min(1)) });
export type ReshapeParams = z.output<typeof reshapeParams>;
