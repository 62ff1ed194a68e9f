/** RESHAPE: the same bytes with another shape (TFLM copies them unchanged, quantization included). */
import { elements, type Built, type BuildContext, type TensorInfo } from '../op.ts';
import type { ReshapeParams } from './params.ts';

export interface ReshapeModel {
  size: number;
}

export function buildReshape(p: ReshapeParams, inputs: TensorInfo[], ctx: BuildContext): Built<ReshapeModel> {
  const [input] = inputs;
  const size = elements(input.shape);
  if (elements(p.shape) !== size)
    ctx.fail(`shape [${p.shape.join(', ')}] has ${elements(p.shape)} elements; the input ${input.name} [${input.shape.join(', ')}] has ${size}`, 'shape');
  const out = ctx.outputs[0];
  return { model: { size }, outputs: [{ shape: [...p.shape], dtype: 'int8', scale: out.scale, zeroPoint: out.zeroPoint }] };
}
