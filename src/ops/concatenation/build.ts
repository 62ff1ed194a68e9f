/**
 * CONCATENATION (TFLM's reference Concatenation for int8): every input must have the output's scale and zero point
 * (TFLM's Prepare checks it) and the raw values are copied, input after input along the axis.
 */
import { sameQuant } from '../common.ts';
import { elements, type Built, type BuildContext, type ElemType, type TensorInfo } from '../op.ts';
import type { ConcatenationParams } from './params.ts';

export interface ConcatenationModel {
  /** Elements before the axis (the outer loop). */
  outer: number;
  /** Elements each input contributes per outer step: its axis size × the inner size. */
  chunks: number[];
  /** int8, or int16 in a q15 network (a Q network's inputs share the output's format, as int8's its quantization). */
  dtype: ElemType;
}

export function buildConcatenation(p: ConcatenationParams, inputs: TensorInfo[], ctx: BuildContext): Built<ConcatenationModel> {
  if (inputs.length < 1) ctx.fail('CONCATENATION needs at least one input');
  const rank = inputs[0].shape.length;
  const axis = p.axis < 0 ? p.axis + rank : p.axis;
  if (axis < 0 || axis >= rank) ctx.fail(`axis ${p.axis} is outside the ${rank}-D inputs`, 'axis');
  const out = ctx.outputs[0];
  for (const t of inputs) {
    if (t.shape.length !== rank || t.shape.some((n, i) => i !== axis && n !== inputs[0].shape[i]))
      ctx.fail(`input ${t.name} [${t.shape.join(', ')}] does not match [${inputs[0].shape.join(', ')}] outside axis ${axis}`);
    if (!sameQuant(t, out))
      ctx.fail(`input ${t.name} (scale ${t.scale}, zero point ${t.zeroPoint}) must share the output's quantization ` +
        `(scale ${out.scale}, zero point ${out.zeroPoint}), as TFLite Micro requires`);
  }
  if (inputs.some((t) => t.dtype !== inputs[0].dtype)) ctx.fail('the inputs have different element types');
  const shape = [...inputs[0].shape];
  shape[axis] = inputs.reduce((n, t) => n + t.shape[axis], 0);
  const inner = elements(shape.slice(axis + 1));
  return {
    model: { outer: elements(shape.slice(0, axis)), chunks: inputs.map((t) => t.shape[axis] * inner), dtype: inputs[0].dtype },
    outputs: [{ shape, dtype: inputs[0].dtype, scale: out.scale, zeroPoint: out.zeroPoint, ...(out.frac !== undefined ? { frac: out.frac } : {}) }],
  };
}
