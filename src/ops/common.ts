/** Schema pieces and checks that several ops share (padding, activations, constants, per-channel scales). */
import { z } from 'zod';
import { activationRange, clipRange, type FusedActivation } from '../numerics/index.ts';
import { samePadding } from './conv_2d/spec/model.ts';
import { roundHalfAway } from '../numerics/index.ts';
import { elemRange, type BuildContext, type OutputQuant, type Quant, type TensorInfo } from './op.ts';

export const positiveInt = z.number().int().min(1);
export const pairSchema = z.tuple([positiveInt, positiveInt]);
/**
 * TFLite's fused activations, or a clip to real bounds { min, max } (either may be left out: unbounded), which an
 * imported ONNX Clip fuses into its producer. Both become the output stage's int8 clamp.
 */
export const clipSchema = z.strictObject({ min: z.number().optional(), max: z.number().optional() });
export const activationSchema = z.union([z.enum(['none', 'relu', 'relu6', 'relu_n1_to_1']), clipSchema]).default('none');
export type Activation = FusedActivation | { min?: number; max?: number };

/** The activation as a name: "relu6", "clip(-2, 3)". */
export function activationName(act: Activation): string {
  return typeof act === 'string' ? act : `clip(${act.min ?? '-inf'}, ${act.max ?? 'inf'})`;
}
/** TFLite's padding, or explicit [top, left, bottom, right] (what a fused PAD leaves). */
export const paddingSchema = z.union([
  z.enum(['same', 'valid']),
  z.tuple([z.number().int().min(0), z.number().int().min(0), z.number().int().min(0), z.number().int().min(0)]),
]);
export const constSchema = z.strictObject({ npy: z.string().min(1) });
/** Fraction bits of a Q format. */
export const fracSchema = z.number().int().min(-32).max(48);
/**
 * Quantized weights: int8 values in an .npy file, one float32 scale per tensor or per output channel, zero point 0;
 * in a Q-format network, raw values of the tensors' storage type (int8 for q7, int16 for q15) in one Q format.
 */
export const weightsSchema = z.strictObject({
  npy: z.string().min(1),
  scales: z.array(z.number()).min(1).optional(),
  frac: fracSchema.optional(),
});
export type WeightsParam = z.output<typeof weightsSchema>;
/** A bias: int32 in an .npy file; in a Q-format network with its fraction bits (default input + weight fraction bits). */
export const biasSchema = z.strictObject({ npy: z.string().min(1), frac: fracSchema.optional() });

export interface Padding4 {
  top: number;
  left: number;
  bottom: number;
  right: number;
}

/** TFLite's ComputePaddingHeightWidth (SAME: the smaller half before) or explicit padding. */
export function resolvePadding(p: z.output<typeof paddingSchema>, inH: number, inW: number, k: [number, number],
  s: [number, number], d: [number, number]): Padding4 {
  if (p === 'valid') return { top: 0, left: 0, bottom: 0, right: 0 };
  if (p === 'same') {
    const [top, bottom] = samePadding(inH, k[0], s[0], d[0]);
    const [left, right] = samePadding(inW, k[1], s[1], d[1]);
    return { top, left, bottom, right };
  }
  return { top: p[0], left: p[1], bottom: p[2], right: p[3] };
}

/** Output size along one axis; null when the (dilated) window does not fit the padded input. */
export function outputSize(n: number, before: number, after: number, k: number, s: number, d: number): number | null {
  const span = (k - 1) * d + 1;
  const padded = n + before + after;
  return span > padded ? null : Math.floor((padded - span) / s) + 1;
}

/**
 * The activation's range in an output's raw units, or a failed build naming the layer. int8: TFLite's. A Q-format
 * output: each real bound times 2^frac rounded half away from zero (relu6's 6 · 2^frac), within the storage type.
 */
export function actRange(act: Activation, out: Quant | OutputQuant, ctx: BuildContext): [number, number] {
  if ('frac' in out && out.frac !== undefined) return qActRange(act, out.frac, out.dtype, ctx);
  const r = typeof act === 'string' ? activationRange(act, out.scale, out.zeroPoint)
    : clipRange(act.min ?? null, act.max ?? null, out.scale, out.zeroPoint);
  if (typeof r === 'string') return ctx.fail(r, 'activation');
  if (typeof act !== 'string' && act.min !== undefined && act.max !== undefined && act.min > act.max)
    return ctx.fail(`clip min ${act.min} exceeds max ${act.max}`, 'activation');
  if (r[0] > r[1]) return ctx.fail(`${activationName(act)} leaves no int8 output value (range ${r[0]}…${r[1]})`, 'activation');
  return r;
}

function qActRange(act: Activation, frac: number, dtype: OutputQuant['dtype'], ctx: BuildContext): [number, number] {
  const [min, max] = elemRange(dtype);
  const bounds: [number | undefined, number | undefined] = act === 'none' ? [undefined, undefined] : act === 'relu' ? [0, undefined]
    : act === 'relu6' ? [0, 6] : act === 'relu_n1_to_1' ? [-1, 1] : [act.min, act.max];
  if (bounds[0] !== undefined && bounds[1] !== undefined && bounds[0] > bounds[1])
    return ctx.fail(`clip min ${bounds[0]} exceeds max ${bounds[1]}`, 'activation');
  const raw = (v: number) => roundHalfAway(v * 2 ** frac);
  const lo = bounds[0] === undefined ? min : Math.min(max, Math.max(min, raw(bounds[0])));
  const hi = bounds[1] === undefined ? max : Math.max(min, Math.min(max, raw(bounds[1])));
  if (lo > hi) return ctx.fail(`${activationName(act)} leaves no output value (range ${lo}…${hi})`, 'activation');
  return [lo, hi];
}

export function rank(t: TensorInfo, n: number, ctx: BuildContext, what = 'input'): void {
  if (t.shape.length !== n)
    ctx.fail(`${what} ${t.name} has shape [${t.shape.join(', ')}]; this op needs a ${n}-D tensor${n === 4 ? ' (N, H, W, C)' : ''}`);
}

/** One scale per tensor (repeated) or exactly one per output channel; each a positive finite float32. */
export function channelScales(scales: number[], channels: number, ctx: BuildContext): number[] {
  if (scales.length !== 1 && scales.length !== channels)
    ctx.fail(`expected 1 scale or ${channels} (one per output channel), found ${scales.length}`, 'weights.scales');
  scales.forEach((v, i) => {
    const f = Math.fround(v);
    if (!Number.isFinite(f) || f < 0) ctx.fail(`scale ${v} is not a finite float32 ≥ 0`, `weights.scales[${i}]`);
  });
  return scales.length === 1 ? new Array<number>(channels).fill(Math.fround(scales[0])) : scales.map(Math.fround);
}

/** Positive finite float32 scale of a tensor. */
export function checkScale(q: Quant, what: string, ctx: BuildContext): void {
  const f = Math.fround(q.scale);
  if (!Number.isFinite(f) || f <= 0) ctx.fail(`${what} has scale ${q.scale}; expected a finite float32 > 0`);
}

/** Same scale (as float32 values, TFLite's double comparison) and zero point, as TFLM's Prepare requires. */
export function sameQuant(a: Quant, b: Quant): boolean {
  return Math.fround(a.scale) === Math.fround(b.scale) && a.zeroPoint === b.zeroPoint;
}

export function int8(values: Int32Array | number[]): Int8Array {
  return Int8Array.from(values);
}
