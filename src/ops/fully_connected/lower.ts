/** FULLY_CONNECTED in C: its 1x1-convolution KernelModel through the best kernel family for the target. */
import { embedKernel } from '../conv_2d/embed.ts';
import type { LayerCode, LowerContext } from '../op.ts';
import type { FullyConnectedModel } from './build.ts';

export function lowerFullyConnected(m: FullyConnectedModel, ctx: LowerContext): LayerCode {
  return embedKernel(m.kernel, ctx);
}
