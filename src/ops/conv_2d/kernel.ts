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
import type { Built, BuildContext, ConstRef, ElemType, OutputQuant, Quant, TensorInfo } from '../op.ts';
import { actRange, activationName, channelScales, checkScale, outputSize, resolvePadding, type Activation, type Padding4, type WeightsParam } from '../common.ts';
import type { z } from 'zod';
import type { paddingSchema } from '../common.ts';

export interface ConvModel {
  kernel: KernelModel;
  /** Images per inference (the input's first dimension); the kernel runs once per image. */
  batch: number;
  /** The output's element type (int16 in a q15 network). */
  dtype: ElemType;
}

/** What conv_2d and depthwise_conv_2d share once their weights are in [out][in/groups][kh][kw]. */
export interface ConvLayer {
  stride: [number, number];
  dilation: [number, number];
  padding: z.output<typeof paddingSchema>;
  activation: Activation;
  weights: WeightsParam;
  bias?: ConstRef & { frac?: number };
  outC: number;
  k: [number, number];
  groups: number;
  /** Raw weights in [out][in/groups][kh][kw]. */
  raw: Int32Array;
}

/** The weights' .npy element type: int8, or int16 for a q15 network's. */
export const weightDtype = (input: TensorInfo): 'int8' | 'int16' => (input.dtype === 'int16' ? 'int16' : 'int8');

/**
 * Bias, scale checks, per-channel multipliers (input · weight / output in double, as TFLM's Prepare) -> ConvModel;
 * in a Q-format network, the Q kernel of the same geometry (qConvKernel).
 */
export function buildConvLayer(l: ConvLayer, input: TensorInfo, ctx: BuildContext): Built<ConvModel> {
  const bias = l.bias ? ctx.constant(l.bias, 'int32', [l.outC], 'bias').data as Int32Array : null;
  const out = ctx.outputs[0];
  const batch = input.shape[0];
  if (input.frac !== undefined) {
    const kernel = qConvKernel({
      name: ctx.layer, source: ctx.layer, input, output: out, outC: l.outC, k: l.k, stride: l.stride, dilation: l.dilation,
      padding: l.padding, groups: l.groups, activation: l.activation, weights: l.raw, bias, weightFrac: qWeightFrac(l.weights, ctx),
      biasFrac: l.bias?.frac,
    }, ctx);
    return { model: { kernel, batch, dtype: input.dtype }, outputs: [{ shape: [batch, kernel.outH, kernel.outW, l.outC], dtype: input.dtype, scale: out.scale, zeroPoint: 0, frac: out.frac }] };
  }
  const given = l.weights.scales;
  if (given === undefined || l.weights.frac !== undefined)
    return ctx.fail('an int8 network\'s weights carry "scales" (one per tensor or per output channel), not "frac" (a Q-format network\'s)', 'weights');
  if (l.bias?.frac !== undefined) ctx.fail('a bias "frac" belongs to a Q-format network (int8 biases are at input scale × weight scale)', 'bias.frac');
  checkScale(input, `input ${input.name}`, ctx);
  checkScale(out, 'the output', ctx);
  const scales = channelScales(given, l.outC, ctx);
  const kernel = convKernel({
    name: ctx.layer, source: ctx.layer, input, output: out, outC: l.outC, k: l.k, stride: l.stride, dilation: l.dilation,
    padding: l.padding, groups: l.groups, activation: l.activation, weights: l.raw, bias,
    effective: scales.map((s) => effectiveScale(input.scale, s, out.scale)),
  }, ctx);
  return {
    model: { kernel, batch, dtype: 'int8' },
    outputs: [{ shape: [batch, kernel.outH, kernel.outW, l.outC], dtype: 'int8', scale: out.scale, zeroPoint: out.zeroPoint }],
  };
}

/** The weights' Q format, or a failed build: int8 weights (with scales) in a Q-format network. */
export function qWeightFrac(w: WeightsParam, ctx: BuildContext): number {
  if (w.frac === undefined || w.scales !== undefined) return ctx.fail('a Q-format network\'s weights carry their Q format ("frac"), not "scales"', 'weights');
  return w.frac;
}

/** What a Q-format conv layer (q7, q15) needs to become a Q KernelModel. */
export interface QConvSpec extends Omit<ConvSpec, 'effective' | 'output'> {
  output: OutputQuant;
  weightFrac: number;
  /** Default inputFrac + weightFrac (the bias added with no shift). */
  biasFrac?: number;
}

/**
 * A layer of a Q-format network as the single-layer Q kernel (src/spec's Arithmetic, rounding "nearest"): the same
 * golden model and kernel families as a q7/q15 kernel spec, in HWC. The tensors' formats are the input's and
 * output's `frac`; the shift inputFrac + weightFrac − outputFrac is the explicit requantization to the output.
 */
export function qConvKernel(c: QConvSpec, ctx: BuildContext): KernelModel {
  const [, inH, inW, inC] = c.input.shape;
  const type = c.input.dtype === 'int16' ? 'q15' : 'q7';
  const st = storageTypes[type];
  const pad: Padding4 = resolvePadding(c.padding, inH, inW, c.k, c.stride, c.dilation);
  const outH = outputSize(inH, pad.top, pad.bottom, c.k[0], c.stride[0], c.dilation[0]);
  const outW = outputSize(inW, pad.left, pad.right, c.k[1], c.stride[1], c.dilation[1]);
  if (outH === null || outW === null)
    ctx.fail(`the ${c.k[0]}x${c.k[1]} window (dilation ${c.dilation.join('x')}) does not fit the padded ${inH}x${inW} input`);
  if (c.output.frac === undefined || c.output.dtype !== c.input.dtype) return ctx.fail(`the output must be a ${type} tensor with a Q format, as the input is`);
  const inputFrac = c.input.frac!;
  const biasFrac = c.biasFrac ?? inputFrac + c.weightFrac;
  if (biasFrac > inputFrac + c.weightFrac)
    ctx.fail(`bias frac ${biasFrac} exceeds input frac + weight frac (${inputFrac + c.weightFrac})`, 'bias.frac');
  const [actMin, actMax] = actRange(c.activation, c.output, ctx);
  return {
    name: c.name, source: c.source, layout: 'hwc',
    inC, inH, inW, outC: c.outC, outH: outH!, outW: outW!,
    kH: c.k[0], kW: c.k[1], strideH: c.stride[0], strideW: c.stride[1], dilH: c.dilation[0], dilW: c.dilation[1],
    pad, groups: c.groups, inPerGroup: inC / c.groups, outPerGroup: c.outC / c.groups,
    activationName: activationName(c.activation), actMin, actMax,
    numeric: {
      kind: 'q', type, storage: st, inputOffset: 0, maxAbsTap: 2 ** (st.bits - 1),
      inputFrac, weightFrac: c.weightFrac, biasFrac, outputFrac: c.output.frac, rounding: 'nearest',
      outputShift: inputFrac + c.weightFrac - c.output.frac, biasShift: inputFrac + c.weightFrac - biasFrac,
    },
    weights: c.weights,
    bias: c.bias ? BigInt64Array.from(c.bias, (v) => BigInt(v)) : null,
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
