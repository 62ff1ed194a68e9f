/** The op table: one entry per op folder. Adding an op is adding its folder and its line here. */
import { add } from './add/index.ts';
import { averagePool2d } from './average_pool_2d/index.ts';
import { concatenation } from './concatenation/index.ts';
import { conv2d } from './conv_2d/index.ts';
import { depthwiseConv2d } from './depthwise_conv_2d/index.ts';
import { fullyConnected } from './fully_connected/index.ts';
import { lut } from './lut/index.ts';
import { maxPool2d } from './max_pool_2d/index.ts';
import { mean } from './mean/index.ts';
import type { Op } from './op.ts';
import { pad } from './pad/index.ts';
import { quantize } from './quantize/index.ts';
import { requantize } from './requantize/index.ts';
import { reshape } from './reshape/index.ts';
import { softmax } from './softmax/index.ts';

// Each Op is generic in its params and model; the table erases them (the network checks params with op.params).
export const ops: readonly Op[] = [
  conv2d, depthwiseConv2d, fullyConnected, averagePool2d, maxPool2d, add, reshape, softmax, pad, mean, concatenation, quantize, lut, requantize,
] as unknown as readonly Op[];

export const opNames = ops.map((o) => o.name);

export function findOp(name: string): Op | undefined {
  return ops.find((o) => o.name === name);
}

/** The op that imports a TFLite builtin operator, by its name. */
export function opForBuiltin(builtin: string): Op | undefined {
  return ops.find((o) => o.tflite.builtins.includes(builtin));
}

export type { Op, TensorInfo, BuildContext, MemoryFacts, OutputInfo, Quant } from './op.ts';
