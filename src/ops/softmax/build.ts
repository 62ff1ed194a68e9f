/**
 * SOFTMAX's int8 Prepare as TFLite Micro computes it (CalculateSoftmaxParams):
 *   output zero point −128 and scale exactly 1/256 (TFLM refuses anything else);
 *   PreprocessSoftmaxScaling(beta, input_scale, 5): real = min(beta · input_scale · 2^26, 2^31 − 1) in double,
 *     QuantizeMultiplierGreaterThanOne (real must exceed 1) -> input multiplier and left shift;
 *   diff_min = −CalculateInputRadius(5, left shift, 31) = −floor((2^5 − 1) · 2^26 / 2^left_shift) in double.
 */
import { f32, quantizeMultiplier } from '../../numerics/index.ts';
import { checkScale } from '../common.ts';
import { elements, type Built, type BuildContext, type TensorInfo } from '../op.ts';
import type { SoftmaxParams } from './params.ts';

export const SCALED_DIFF_INTEGER_BITS = 5;
export const ACCUMULATION_INTEGER_BITS = 12;

export interface SoftmaxModel {
  rows: number;
  depth: number;
  inputMultiplier: number;
  inputLeftShift: number;
  diffMin: number;
}

/** TFLite's PreprocessSoftmaxScaling and CalculateInputRadius for int8 input. */
export function softmaxScaling(beta: number, inputScale: number): { multiplier: number; leftShift: number; diffMin: number } | string {
  const maxReal = 2 ** 31 - 1.0;
  const real = Math.min(f32(beta) * f32(inputScale) * 2 ** (31 - SCALED_DIFF_INTEGER_BITS), maxReal);
  if (!(real > 1)) return `beta · input scale · 2^26 = ${real} must exceed 1 (TFLite's QuantizeMultiplierGreaterThanOne)`;
  const q = quantizeMultiplier(real);
  const radius = Math.floor(1.0 * (2 ** SCALED_DIFF_INTEGER_BITS - 1) * 2 ** (31 - SCALED_DIFF_INTEGER_BITS) / 2 ** q.shift);
  return { multiplier: q.multiplier, leftShift: q.shift, diffMin: -radius };
}

export function buildSoftmax(p: SoftmaxParams, inputs: TensorInfo[], ctx: BuildContext): Built<SoftmaxModel> {
  const [input] = inputs;
  if (input.shape.length < 1) ctx.fail(`input ${input.name} is a scalar; softmax needs at least one dimension`);
  const out = ctx.outputs[0];
  checkScale(input, `input ${input.name}`, ctx);
  if (out.zeroPoint !== -128 || f32(out.scale) !== 1 / 256)
    ctx.fail(`an int8 softmax output must have zero point −128 and scale 1/256 (TFLite Micro requires it); found zero ` +
      `point ${out.zeroPoint}, scale ${out.scale}`);
  const s = softmaxScaling(p.beta, input.scale);
  if (typeof s === 'string') ctx.fail(s, 'beta');
  const { multiplier, leftShift, diffMin } = s as Exclude<typeof s, string>;
  const depth = input.shape.at(-1)!;
  return {
    model: { rows: elements(input.shape) / depth, depth, inputMultiplier: multiplier, inputLeftShift: leftShift, diffMin },
    outputs: [{ shape: [...input.shape], dtype: 'int8', scale: out.scale, zeroPoint: out.zeroPoint }],
  };
}
