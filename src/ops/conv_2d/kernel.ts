/**
 * CONV_2D and DEPTHWISE_CONV_2D become the single-layer KernelModel (int8 numeric, HWC input and output, weights in
 * [out][in/groups][kh][kw]) so that the kernel spec's golden model (./spec/golden.ts) and the kernel families serve
 * them. TFLM's ConvPerChannel / DepthwiseConvPerChannel are that model's arithmetic: acc = bias + Σ w·(x − zp) over
 * taps inside the input, per-channel MultiplyByQuantizedMultiplier, + output zero point, clamp to the activation range.
 */
import type { KernelModel } from './spec/index.ts';
import { storageTypes } from '../../numerics/qformat.ts';
import { quantizeMultiplier } from '../../numerics/index.ts';
import { effectiveScale } from '../../numerics/index.ts';
import type { Built, BuildContext, ConstRef, Quant, TensorInfo } from '../op.ts';
import { actRange, activationName, channelScales, checkScale, outputSize, resolvePadding, type Activation, type Padding4 } from '../common.ts';
import type { z } from 'zod';
import type { paddingSchema } from '../common.ts';

export interface ConvModel {
  kernel: KernelModel;
  /** Images per inference (the input's first dimension); the kernel runs once per image. */
  batch: number;
}

/** What conv_2d and depthwise_conv_2d share once their weights are in [out][in/groups][kh][kw]. */
export interface ConvLayer {
  stride: [number, number];
  dilation: [number, number];
  padding: z.output<typeof paddingSchema>;
  activation: Activation;
  scales: number[];
  bias?: ConstRef;
  outC: number;
  k: [number, number];
  groups: number;
  weights: Int32Array;
}

/** Bias, scale checks, per-channel multipliers (input · weight / output in double, as TFLM's Prepare) -> ConvModel. */
export function buildConvLayer(l: ConvLayer, input: TensorInfo, ctx: BuildContext): Built<ConvModel> {
  const bias = l.bias ? ctx.constant(l.bias, 'int32', [l.outC], 'bias').data as Int32Array : null;
  const out = ctx.outputs[0];
  checkScale(input, `input ${input.name}`, ctx);
  checkScale(out, 'the output', ctx);
  const scales = channelScales(l.scales, l.outC, ctx);
  const kernel = convKernel({
    name: ctx.layer, source: ctx.layer, input, output: out, outC: l.outC, k: l.k, stride: l.stride, dilation: l.dilation,
    padding: l.padding, groups: l.groups, activation: l.activation, weights: l.weights, bias,
    effective: scales.map((s) => effectiveScale(input.scale, s, out.scale)),
  }, ctx);
  const batch = input.shape[0];
  return {
    model: { kernel, batch },
    outputs: [{ shape: [batch, kernel.outH, kernel.outW, l.outC], dtype: 'int8', scale: out.scale, zeroPoint: out.zeroPoint }],
  };
}

/** What a conv layer needs to become a KernelModel. */
export interface ConvSpec {
  name: string;
  source: string;
  input: TensorInfo;
  output: Quant;
  outC: number;
  k: [number, number];
  stride: [number, number];
  dilation: [number, number];
  padding: z.output<typeof paddingSchema>;
  groups: number;
  activation: Activation;
  /** Raw weights in [out][in/groups][kh][kw]. */
  weights: Int32Array;
  bias: Int32Array | null;
  /** Effective scale of each output channel (computed as the op's Prepare does). */
  effective: number[];
}

/** The multiplier and shift of each channel from its effective scale (TFLite's QuantizeMultiplier), shift ≤ 30. */
export function channelMultipliers(effective: number[], ctx: BuildContext): { multiplier: number[]; shift: number[] } {
  const multiplier: number[] = [];
  const shift: number[] = [];
  effective.forEach((e, o) => {
    const q = quantizeMultiplier(e);
    if (q.shift > 30)
      ctx.fail(`the effective scale input·weight/output = ${e} of output channel ${o} needs shift ${q.shift}; at most 30 ` +
        'fits int32 (TFLite would overflow)', 'weights.scales');
    multiplier.push(q.multiplier);
    shift.push(q.shift);
  });
  return { multiplier, shift };
}

export function convKernel(c: ConvSpec, ctx: BuildContext): KernelModel {
  const [, inH, inW, inC] = c.input.shape;
  const pad: Padding4 = resolvePadding(c.padding, inH, inW, c.k, c.stride, c.dilation);
  const outH = outputSize(inH, pad.top, pad.bottom, c.k[0], c.stride[0], c.dilation[0]);
  const outW = outputSize(inW, pad.left, pad.right, c.k[1], c.stride[1], c.dilation[1]);
  if (outH === null || outW === null)
    ctx.fail(`the ${c.k[0]}x${c.k[1]} window (dilation ${c.dilation.join('x')}) does not fit the padded ${inH}x${inW} input`);
  const { multiplier, shift } = channelMultipliers(c.effective, ctx);
  const [actMin, actMax] = actRange(c.activation, c.output, ctx);
  const inputOffset = 0 - c.input.zeroPoint; // 0 − zp, never −0
  const perChannel = !multiplier.every((m, i) => m === multiplier[0] && shift[i] === shift[0]);
  return {
    name: c.name,
    source: c.source,
    layout: 'hwc',
    inC, inH, inW,
    outC: c.outC, outH: outH!, outW: outW!,
    kH: c.k[0], kW: c.k[1],
    strideH: c.stride[0], strideW: c.stride[1],
    dilH: c.dilation[0], dilW: c.dilation[1],
    pad,
    groups: c.groups,
    inPerGroup: inC / c.groups,
    outPerGroup: c.outC / c.groups,
    activationName: activationName(c.activation),
    actMin, actMax,
    numeric: {
      kind: 'int8', type: 'int8', storage: storageTypes.int8,
      inputOffset,
      maxAbsTap: Math.max(Math.abs(inputOffset - 128), Math.abs(inputOffset + 127)),
      biasShift: 0,
      outputOffset: c.output.zeroPoint,
      multiplier, shift, perChannel,
      activationMin: actMin, activationMax: actMax,
    },
    weights: c.weights,
    bias: c.bias ? BigInt64Array.from(c.bias, (v) => BigInt(v)) : null,
  };
}
