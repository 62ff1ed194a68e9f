/**
 * QUANTIZE int8 -> int8 (TFLM's PrepareQuantizeReference + reference_ops::Requantize): multiplier and shift from
 * input_scale / output_scale in double; out = clamp(MultiplyByQuantizedMultiplier(x − in_zp) + out_zp).
 * (float -> int8 and int8 -> float exist only at a model's edges: the importer moves them to the caller.)
 */
import { f32, quantizeMultiplier } from '../../numerics/index.ts';
import { checkScale } from '../common.ts';
import { elements, type Built, type BuildContext, type TensorInfo } from '../op.ts';
import type { QuantizeParams } from './params.ts';

export interface QuantizeModel {
  size: number;
  inputZeroPoint: number;
  outputZeroPoint: number;
  multiplier: number;
  shift: number;
}

export function buildQuantize(_p: QuantizeParams, inputs: TensorInfo[], ctx: BuildContext): Built<QuantizeModel> {
  const [input] = inputs;
  const out = ctx.outputs[0];
  checkScale(input, `input ${input.name}`, ctx);
  checkScale(out, 'the output', ctx);
  const q = quantizeMultiplier(f32(input.scale) / f32(out.scale));
  if (q.shift > 30) ctx.fail(`input scale ${input.scale} / output scale ${out.scale} needs shift ${q.shift}; at most 30 fits int32`);
  return {
    model: { size: elements(input.shape), inputZeroPoint: input.zeroPoint, outputZeroPoint: out.zeroPoint, ...q },
    outputs: [{ shape: [...input.shape], dtype: 'int8', scale: out.scale, zeroPoint: out.zeroPoint }],
  };
}
