/** QUANTIZE between two int8 tensors (a requantization); its scales come from the tensors. */
import { z } from 'zod';

export const quantizeParams = z.strictObject({});
export type QuantizeParams = z.output<typeof quantizeParams>;
