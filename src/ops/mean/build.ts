/**
 * MEAN's int8 Prepare and Eval as TFLite Micro computes them (PrepareMeanOrSumHelper, QuantizedMeanOrSum):
 * multiplier and shift from input_scale / output_scale (double); then, with n the number of elements reduced,
 * s = min(floor(log2 n), 32, 31 + shift), multiplier' = (multiplier · 2^s) / n (64-bit, truncating) and shift' =
 * shift − s.
 */
import { quantizeMultiplier, f32 } from '../../numerics/index.ts';
import { checkScale } from '../common.ts';
import { elements, type Built, type BuildContext, type TensorInfo } from '../op.ts';
import type { MeanParams } from './params.ts';

export interface MeanModel {
  inShape: number[];
  /** Reduced axes, sorted, each once. */
  axes: number[];
  /** Elements reduced into each output. */
  count: number;
  inputZeroPoint: number;
  outputZeroPoint: number;
  multiplier: number;
  shift: number;
}

/** TFLM's multiplier and shift folded with the division by the element count. */
export function meanMultiplier(inputScale: number, outputScale: number, count: number): { multiplier: number; shift: number } {
  const q = quantizeMultiplier(f32(inputScale) / f32(outputScale));
  let s = 31 - Math.clz32(count); // 63 − CountLeadingZeros(uint64 count) = floor(log2 count)
  s = Math.min(s, 32, 31 + q.shift);
  const multiplier = Number((BigInt(q.multiplier) << BigInt(s)) / BigInt(count));
  return { multiplier, shift: q.shift - s };
}

export function buildMean(p: MeanParams, inputs: TensorInfo[], ctx: BuildContext): Built<MeanModel> {
  const [input] = inputs;
  const rank = input.shape.length;
  const axes = [...new Set(p.axes.map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
  for (const a of axes) if (a < 0 || a >= rank) ctx.fail(`axis ${a} is outside the ${rank}-D input ${input.name}`, 'axes');
  const out = ctx.outputs[0];
  checkScale(input, `input ${input.name}`, ctx);
  checkScale(out, 'the output', ctx);
  const count = axes.reduce((n, a) => n * input.shape[a], 1);
  const { multiplier, shift } = meanMultiplier(input.scale, out.scale, count);
  if (shift > 30 || shift < -31) ctx.fail(`input scale ${input.scale} / output scale ${out.scale} over ${count} elements needs shift ${shift}`);
  const shape = p.keepDims ? input.shape.map((n, i) => (axes.includes(i) ? 1 : n)) : input.shape.filter((_, i) => !axes.includes(i));
  if (elements(shape) === 0) ctx.fail('the output has no elements');
  return {
    model: { inShape: [...input.shape], axes, count, inputZeroPoint: input.zeroPoint, outputZeroPoint: out.zeroPoint, multiplier, shift },
    outputs: [{ shape, dtype: 'int8', scale: out.scale, zeroPoint: out.zeroPoint }],
  };
}
