/**
 * PAD / PADV2 (TFLM's reference Pad): the input's raw values copied into the middle of the output, the rest filled
 * with the pad value: the output zero point when none is given (PAD), else the constant (PADV2). Nothing is
 * requantized, whatever the two tensors' scales.
 */
import { elemRange, elements, type Built, type BuildContext, type ElemType, type TensorInfo } from '../op.ts';
import type { PadParams } from './params.ts';

export interface PadModel {
  inShape: number[];
  outShape: number[];
  before: number[];
  value: number;
  /** int8, or int16 in a q15 network (a Q network's pad keeps the input's format; the value is raw in it). */
  dtype: ElemType;
}

export function buildPad(p: PadParams, inputs: TensorInfo[], ctx: BuildContext): Built<PadModel> {
  const [input] = inputs;
  if (p.paddings.length !== input.shape.length)
    ctx.fail(`${p.paddings.length} [before, after] pairs for the ${input.shape.length}-D input ${input.name}`, 'paddings');
  if (input.shape.length > 5) ctx.fail(`input ${input.name} has ${input.shape.length} dimensions; TFLite Micro pads at most 5`);
  const out = ctx.outputs[0];
  const outShape = input.shape.map((n, i) => n + p.paddings[i][0] + p.paddings[i][1]);
  if (elements(outShape) > 2 ** 24) ctx.fail(`the padded tensor would have ${elements(outShape)} elements`, 'paddings');
  const [lo, hi] = elemRange(input.dtype);
  if (p.value !== undefined && (p.value < lo || p.value > hi)) ctx.fail(`value ${p.value} is outside ${input.dtype} (${lo}…${hi})`, 'value');
  if (out.frac !== input.frac) ctx.fail(`the output's Q format (${out.frac} fraction bits) must be the input's (${input.frac}): a pad copies raw values`);
  return {
    model: { inShape: [...input.shape], outShape, before: p.paddings.map((q) => q[0]), value: p.value ?? out.zeroPoint, dtype: input.dtype },
    outputs: [{ shape: outShape, dtype: input.dtype, scale: out.scale, zeroPoint: out.zeroPoint, ...(input.frac !== undefined ? { frac: input.frac } : {}) }],
  };
}
