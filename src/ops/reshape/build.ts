/** RESHAPE: the same bytes with another shape (TFLM copies them unchanged, quantization included). */
import { elemBytes, elements, type Built, type BuildContext, type TensorInfo } from '../op.ts';
import type { ReshapeParams } from './params.ts';

export interface ReshapeModel {
  size: number;
  /** Bytes of one element (2 in a q15 network). */
  elemBytes: number;
}

export function buildReshape(p: ReshapeParams, inputs: TensorInfo[], ctx: BuildContext): Built<ReshapeModel> {
  const [input] = inputs;
  const size = elements(input.shape);
  if (elements(p.shape) !== size)
    ctx.fail(`shape [${p.shape.join(', ')}] has ${elements(p.shape)} elements; the input ${input.name} [${input.shape.join(', ')}] has ${size}`, 'shape');
  const out = ctx.outputs[0];
  if (out.frac !== input.frac) ctx.fail(`the output's Q format (${out.frac} fraction bits) must be the input's (${input.frac}): a reshape copies raw values`);
  return {
    model: { size, elemBytes: elemBytes(input.dtype) },
    outputs: [{ shape: [...p.shape], dtype: input.dtype, scale: out.scale, zeroPoint: out.zeroPoint, ...(input.frac !== undefined ? { frac: input.frac } : {}) }],
  };
}
