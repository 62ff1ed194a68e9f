/**
 * AVERAGE_POOL_2D and MAX_POOL_2D share their params, their Prepare and their window walk (TFLM's
 * reference_integer_ops::AveragePool / MaxPool): the window is clipped to the input, so padding is never read and
 * never counted. TFLM requires the output's quantization to be the input's (|scale difference| ≤ 1e-6, same zero
 * point): the values pass through unscaled.
 */
import { z } from 'zod';
import { activationSchema, actRange, outputSize, pairSchema, paddingSchema, rank, resolvePadding, type Padding4 } from '../common.ts';
import { newTensorData, type Built, type BuildContext, type ElemType, type TensorData, type TensorInfo, type TfliteHook } from '../op.ts';
import { OptionsType } from '../../tflite/schema.ts';

export const poolParams = z.strictObject({
  filter: pairSchema,
  stride: pairSchema,
  /** TFLite's same/valid, or explicit [top, left, bottom, right] (an imported ONNX pool): padding is never read. */
  padding: paddingSchema,
  activation: activationSchema,
});

export type PoolParams = z.output<typeof poolParams>;

export interface PoolModel {
  batch: number;
  inH: number;
  inW: number;
  channels: number;
  outH: number;
  outW: number;
  filter: [number, number];
  stride: [number, number];
  pad: Padding4;
  actMin: number;
  actMax: number;
  /** int8, or int16 in a q15 network (a Q-format network's pools keep the input's Q format, as int8 keeps its scale). */
  dtype: ElemType;
}

export function buildPool(p: PoolParams, inputs: TensorInfo[], ctx: BuildContext): Built<PoolModel> {
  const [input] = inputs;
  rank(input, 4, ctx);
  const [batch, inH, inW, channels] = input.shape;
  const out = ctx.outputs[0];
  // TFLM: static_cast<double>(std::abs(input->params.scale - output->params.scale)) <= 1.0e-6, in float32
  const diff = Math.abs(Math.fround(Math.fround(input.scale) - Math.fround(out.scale)));
  if (!(diff <= 1.0e-6) || input.zeroPoint !== out.zeroPoint)
    ctx.fail(`the output's quantization (scale ${out.scale}, zero point ${out.zeroPoint}) must equal the input's ` +
      `(scale ${input.scale}, zero point ${input.zeroPoint}), as TFLite Micro requires for pooling`);
  const pad = resolvePadding(p.padding, inH, inW, p.filter, p.stride, [1, 1]);
  const outH = outputSize(inH, pad.top, pad.bottom, p.filter[0], p.stride[0], 1);
  const outW = outputSize(inW, pad.left, pad.right, p.filter[1], p.stride[1], 1);
  if (outH === null || outW === null) ctx.fail(`the ${p.filter.join('x')} window does not fit the ${inH}x${inW} input`, 'filter');
  // Explicit padding may leave a window with no input element (TFLM's average would divide by zero).
  const empty = (n: number, before: number, k: number, s: number, out: number) => before >= k || (out - 1) * s - before >= n;
  if (empty(inH, pad.top, p.filter[0], p.stride[0], outH!) || empty(inW, pad.left, p.filter[1], p.stride[1], outW!))
    ctx.fail(`padding [${[pad.top, pad.left, pad.bottom, pad.right].join(', ')}] leaves a window with no input element`, 'padding');
  const [actMin, actMax] = actRange(p.activation, out, ctx);
  return {
    model: { batch, inH, inW, channels, outH: outH!, outW: outW!, filter: p.filter, stride: p.stride, pad, actMin, actMax, dtype: input.dtype },
    outputs: [{ shape: [batch, outH!, outW!, channels], dtype: input.dtype, scale: out.scale, zeroPoint: out.zeroPoint, ...(input.frac !== undefined ? { frac: input.frac } : {}) }],
  };
}

/** Visit every output element with its window, clipped to the input (TFLM's filter_x_start … filter_y_end). */
export function forEachWindow(m: PoolModel, input: TensorData,
  reduce: (values: TensorData, at: number[], count: number) => number): TensorData {
  const out = newTensorData(m.dtype, m.batch * m.outH * m.outW * m.channels);
  const at: number[] = [];
  for (let b = 0; b < m.batch; b++)
    for (let oy = 0; oy < m.outH; oy++)
      for (let ox = 0; ox < m.outW; ox++) {
        const y0 = oy * m.stride[0] - m.pad.top;
        const x0 = ox * m.stride[1] - m.pad.left;
        const yStart = Math.max(0, -y0);
        const yEnd = Math.min(m.filter[0], m.inH - y0);
        const xStart = Math.max(0, -x0);
        const xEnd = Math.min(m.filter[1], m.inW - x0);
        for (let c = 0; c < m.channels; c++) {
          at.length = 0;
          for (let fy = yStart; fy < yEnd; fy++)
            for (let fx = xStart; fx < xEnd; fx++) at.push(((b * m.inH + y0 + fy) * m.inW + x0 + fx) * m.channels + c);
          out[((b * m.outH + oy) * m.outW + ox) * m.channels + c] = reduce(input, at, at.length);
        }
      }
  return out;
}

/**
 * Pooling in place: output element (y, x, c) is written at or before the first input element that it or any later
 * output reads, when nothing is padded at the top or left (stride ≥ 1 and outW ≤ inW make every later window start
 * at or after it). With top/left padding a window reaches back before its own output position: no.
 */
export function poolMemory(m: PoolModel) {
  const ok = m.pad.top === 0 && m.pad.left === 0;
  return {
    inPlace: ok ? [0] : [],
    why: ok ? 'no top/left padding: each output is written at or before the first input any later output reads'
      : 'top/left padding makes windows read input before their own output position',
  };
}

export function poolTflite(builtin: string): TfliteHook<PoolParams> {
  return {
    builtins: [builtin],
    import(ctx) {
      // Pool2DOptions: padding, stride_w, stride_h, filter_width, filter_height, fused activation
      const o = ctx.options(OptionsType.Pool2DOptions);
      return {
        params: {
          padding: ctx.padding(o, 0),
          stride: [o?.int32(2) ?? 0, o?.int32(1) ?? 0],
          filter: [o?.int32(4) ?? 0, o?.int32(3) ?? 0],
          activation: ctx.activation(o, 5),
        },
        inputs: [0],
      };
    },
  };
}
