/** ADD as written in a network spec: two int8 tensors of the same shape, an optional fused activation. */
import { z } from 'zod';
import { activationSchema } from '../common.ts';

export const addParams = z.strictObject({ activation: activationSchema });
export type AddParams = z.output<typeof addParams>;
