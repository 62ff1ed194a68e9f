/**
 * How TFLite turns float32 scales into integer constants in its Prepare functions: C's frexp, QuantizeMultiplier,
 * the float32 and double products its kernels use, AffineQuantize and CalculateActivationRangeQuantized. Where TFLite
 * computes in float32, so do these (Math.fround after each step); where in double, plain JS numbers.
 */
import { INT32_MAX, roundHalfAway } from './int32.ts';

/** float32 rounding of a JS number (TFLite stores every scale as a float32). */
export const f32 = Math.fround;

/** C's frexp for a finite double: d = f · 2^e with 0.5 ≤ |f| < 1 (f = 0, e = 0 for d = 0). */
export function frexp(d: number): [number, number] {
  if (d === 0 || !Number.isFinite(d)) return [d, 0];
  const view = new DataView(new ArrayBuffer(8));
  let extra = 0;
  view.setFloat64(0, d);
  if (((view.getUint16(0) >>> 4) & 0x7ff) === 0) {
    // subnormal: scale into the normal range first (exact: a power of two)
    d *= 2 ** 64;
    extra = -64;
    view.setFloat64(0, d);
  }
  const e = ((view.getUint16(0) >>> 4) & 0x7ff) - 1022;
  // Both factors are powers of two or exact, so the product is exact; split so that 2^-e never underflows.
  const f = d * 2 ** -Math.trunc(e / 2) * 2 ** -(e - Math.trunc(e / 2));
  return [f, e + extra];
}

/**
 * TFLite's QuantizeMultiplier (tensorflow/lite/kernels/internal/quantization_util.cc), not its float-emulation
 * variant: 0 → (0, 0); q = frexp(d) (shift = its exponent); q_fixed = round(q · 2^31) (half away from zero);
 * q_fixed == 2^31 → q_fixed /= 2, ++shift; shift < −31 → (0, 0), flushing tiny multipliers to zero.
 * (TFLite CHECKs q_fixed ≤ 2^31 and ≤ INT32_MAX after the carry; both always hold for a finite d.)
 */
export function quantizeMultiplier(d: number): { multiplier: number; shift: number } {
  if (d === 0) return { multiplier: 0, shift: 0 };
  const [q, exponent] = frexp(d);
  let shift = exponent;
  let qFixed = roundHalfAway(q * 2 ** 31);
  if (qFixed === 2 ** 31) {
    qFixed /= 2;
    ++shift;
  }
  if (shift < -31) return { multiplier: 0, shift: 0 };
  return { multiplier: qFixed, shift };
}

/**
 * TFLite's per-channel conv parameters (PopulateConvolutionQuantizationParams, and per-channel FULLY_CONNECTED): the
 * scales are float32 tensor parameters, widened to double, effective = input · weight / output left to right in
 * double.
 */
export function effectiveScale(inputScale: number, weightScale: number, outputScale: number): number {
  return f32(inputScale) * f32(weightScale) / f32(outputScale);
}

/**
 * GetQuantizedConvolutionMultipler (per-tensor FULLY_CONNECTED): the product input · filter is taken in float32
 * (`input->params.scale * filter->params.scale` are two floats), then widened and divided in double. It can differ
 * from effectiveScale() in the last bits, and so in the multiplier.
 */
export function effectiveScaleFloatProduct(inputScale: number, weightScale: number, outputScale: number): number {
  return f32(f32(inputScale) * f32(weightScale)) / f32(outputScale);
}

/** TFLite's AffineQuantize of one float: round(v / scale) in float32, plus the zero point, clamped to int8. */
export function quantizeInt8(v: number, scale: number, zeroPoint: number): number {
  return Math.min(127, Math.max(-128, affineUnclamped(v, scale, zeroPoint)));
}

/** The same before the clamp: outside −128…127 the value saturates. */
export function affineUnclamped(v: number, scale: number, zeroPoint: number): number {
  return roundHalfAway(f32(f32(v) / f32(scale))) + zeroPoint;
}

export type FusedActivation = 'none' | 'relu' | 'relu6' | 'relu_n1_to_1';

/** The real bounds of TFLite's fused activations (null: unbounded). */
export const FUSED_BOUNDS: Record<FusedActivation, [number | null, number | null]> = {
  none: [null, null],
  relu: [0, null],
  relu6: [0, 6],
  relu_n1_to_1: [-1, 1],
};

/**
 * CalculateActivationRangeQuantized for an int8 output: each bound is TFLite's Quantize(), zero point +
 * round(f / scale) with the division and rounding in float32, intersected with −128…127. Returns a message when
 * TFLite would refuse (the quantized bound does not fit int32).
 */
export function activationRange(act: FusedActivation, scale: number, zeroPoint: number): [number, number] | string {
  const [lo, hi] = FUSED_BOUNDS[act];
  return clipRange(lo, hi, scale, zeroPoint, act);
}

/**
 * The same for any real bounds [lo, hi] (an ONNX Clip fused into its producer): quantized exactly as TFLite
 * quantizes relu6's 6, so the named activations are the special cases they are in TFLite.
 */
export function clipRange(flo: number | null, fhi: number | null, scale: number, zeroPoint: number,
  what = `clip(${flo ?? '-inf'}, ${fhi ?? 'inf'})`): [number, number] | string {
  const q = (f: number): number | string => {
    const t = roundHalfAway(f32(f32(f) / f32(scale)));
    if (!(t >= -(2 ** 31) && t <= INT32_MAX)) return `${what} bound ${f} / scale ${scale} does not fit int32`;
    return zeroPoint + t;
  };
  let lo = -128;
  let hi = 127;
  if (flo !== null) {
    const v = q(flo);
    if (typeof v === 'string') return v;
    lo = Math.max(lo, v);
  }
  if (fhi !== null) {
    const v = q(fhi);
    if (typeof v === 'string') return v;
    hi = Math.min(hi, v);
  }
  return [lo, hi];
}
