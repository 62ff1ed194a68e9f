/**
 * LUT: any elementwise function of one int8 tensor is a 256-entry table. The table is TensorFlow Lite's
 * LUTPopulate / PopulateLookupTable, in float32 as TFLite computes it:
 *   for every int8 value v: x = input_scale · (v − input_zp); y = f(x); q = round(y · (1 / output_scale)) + output_zp,
 *   clamped to int8 (round half away from zero, each step rounded to float32).
 * f is evaluated in float32 as C++ spells it (sigmoid 1 / (1 + exp(−x)), tanh, hard_sigmoid max(0, min(1, αx + β)),
 * hard_swish x · relu6(x + 3) / 6, silu x · sigmoid(x), leaky_relu, clip). exp and tanh are computed in double and rounded to float32,
 * a correctly rounded expf; a libm whose expf is off by one float32 ulp could move one entry by one, on an input
 * within about 2^-24 relative of a rounding boundary of the output.
 */
import { f32, roundHalfAway } from '../../numerics/index.ts';
import { checkScale } from '../common.ts';
import { elements, type Built, type BuildContext, type TensorInfo } from '../op.ts';
import type { LutParams } from './params.ts';

export interface LutModel {
  /** The function's name (the C's comments). */
  function: LutParams['function'];
  size: number;
  /** Indexed by the input's byte, (uint8) v. */
  table: Int8Array;
}

/** The function in float32 arithmetic. */
export function lutFunction(p: LutParams): (x: number) => number {
  switch (p.function) {
    case 'sigmoid':
      return (x) => f32(1 / f32(1 + f32(Math.exp(-x))));
    case 'tanh':
      return (x) => f32(Math.tanh(x));
    case 'hard_sigmoid': {
      const [a, b] = [f32(p.alpha), f32(p.beta)];
      return (x) => Math.max(0, Math.min(1, f32(f32(a * x) + b)));
    }
    case 'hard_swish':
      return (x) => f32(f32(x * Math.min(6, Math.max(0, f32(x + 3)))) / 6);
    case 'silu':
      return (x) => f32(x * f32(1 / f32(1 + f32(Math.exp(-x)))));
    case 'leaky_relu': {
      const a = f32(p.alpha);
      return (x) => (x >= 0 ? x : f32(a * x));
    }
    case 'clip': {
      const lo = p.min === undefined ? -Infinity : f32(p.min);
      const hi = p.max === undefined ? Infinity : f32(p.max);
      return (x) => Math.min(hi, Math.max(lo, x));
    }
  }
}

/** TFLite's LUTPopulate<int8_t>. */
export function populateTable(f: (x: number) => number, inScale: number, inZp: number, outScale: number, outZp: number): Int8Array {
  const table = new Int8Array(256);
  const inverse = f32(1 / f32(outScale));
  for (let v = -128; v <= 127; v++) {
    const x = f32(f32(inScale) * (v - inZp));
    const q = roundHalfAway(f32(f(x) * inverse)) + outZp;
    table[v & 255] = Math.max(-128, Math.min(127, q));
  }
  return table;
}

export function buildLut(p: LutParams, inputs: TensorInfo[], ctx: BuildContext): Built<LutModel> {
  const [input] = inputs;
  const out = ctx.outputs[0];
  checkScale(input, `input ${input.name}`, ctx);
  checkScale(out, 'the output', ctx);
  if (p.function === 'clip' && p.min !== undefined && p.max !== undefined && p.min > p.max)
    ctx.fail(`clip min ${p.min} exceeds max ${p.max}`, 'min');
  const table = populateTable(lutFunction(p), input.scale, input.zeroPoint, out.scale, out.zeroPoint);
  return {
    model: { function: p.function, size: elements(input.shape), table },
    outputs: [{ shape: [...input.shape], dtype: 'int8', scale: out.scale, zeroPoint: out.zeroPoint }],
  };
}
