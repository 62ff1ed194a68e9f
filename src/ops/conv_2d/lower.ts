/** CONV_2D and DEPTHWISE_CONV_2D in C: the layer's KernelModel through the best kernel family for the target. */
import type { LayerCode, LowerContext } from '../op.ts';
import { embedKernel } from './embed.ts';
import type { ConvModel } from './kernel.ts';

export function lowerConv(m: ConvModel, ctx: LowerContext): LayerCode {
  return embedKernel(m.kernel, ctx, m.batch);
}
