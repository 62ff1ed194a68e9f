/**
 * Between the ONNX model's tensors and the network's: NCHW <-> NHWC (and a flattened NCHW tensor's H·W·C order), the
 * caller's quantization of a float input (TFLite's, as convgen golden does), and the real value of a tensor that the
 * model holds as integers (a QLinear model's int8 or uint8 values).
 */
import type { NetworkTensor } from '../../network/network.ts';
import { quantizeInt8, roundHalfAway } from '../../numerics/index.ts';
import { elemRange, type TensorData } from '../../ops/op.ts';
import { DataType } from '../proto.ts';
import { transpose, NCHW_TO_NHWC, type FTensor } from '../eval/tensor.ts';

/** The model's values of a tensor in the network's element order. */
export function toNetworkOrder(t: Pick<NetworkTensor, 'sourceLayout'>, x: FTensor): Float64Array {
  const layout = t.sourceLayout;
  if (!layout) return x.data;
  if (layout === 'nchw') return x.dims.length === 4 ? transpose(x, NCHW_TO_NHWC).data : x.data;
  const [c, h, w] = layout.flattenedNchw;
  const rows = x.data.length / (c * h * w);
  const out = new Float64Array(x.data.length);
  for (let r = 0; r < rows; r++)
    for (let ch = 0; ch < c; ch++)
      for (let p = 0; p < h * w; p++) out[r * c * h * w + p * c + ch] = x.data[r * c * h * w + ch * h * w + p];
  return out;
}

/** Real values of a model tensor: floats as they are, int8/uint8 dequantized with the network tensor's parameters. */
export function realValues(t: Pick<NetworkTensor, 'scale' | 'zeroPoint' | 'sourceLayout'>, x: FTensor): Float64Array {
  const ordered = toNetworkOrder(t, x);
  if (x.type === DataType.INT8) return ordered.map((v) => t.scale * (v - t.zeroPoint));
  if (x.type === DataType.UINT8) return ordered.map((v) => t.scale * (v - 128 - t.zeroPoint));
  return ordered;
}

/**
 * A real value in a Q format: round(v · 2^frac) half away from zero (exact in doubles: a power of two), saturated to
 * the element type. What the caller of a Q-format network does to its float input.
 */
export function quantizeQ(v: number, frac: number, dtype: NetworkTensor['dtype']): number {
  const [lo, hi] = elemRange(dtype);
  const q = roundHalfAway(v * 2 ** frac);
  return q < lo ? lo : q > hi ? hi : q;
}

/**
 * The network's input for one model input sample: reordered, then quantized by the caller (TFLite's int8, or the
 * tensor's Q format), or uint8 − 128.
 */
export function networkInput(t: NetworkTensor, x: FTensor): TensorData {
  const ordered = toNetworkOrder(t, x);
  if (t.frac !== undefined) {
    const f = t.frac;
    return t.dtype === 'int16' ? Int16Array.from(ordered, (v) => quantizeQ(v, f, 'int16')) : Int8Array.from(ordered, (v) => quantizeQ(v, f, 'int8'));
  }
  if (x.type === DataType.UINT8) return Int8Array.from(ordered, (v) => v - 128);
  if (x.type === DataType.INT8) return Int8Array.from(ordered);
  return Int8Array.from(ordered, (v) => quantizeInt8(v, t.scale, t.zeroPoint));
}

export function dequantized(t: Pick<NetworkTensor, 'scale' | 'zeroPoint'>, q: TensorData): Float64Array {
  return Float64Array.from(q, (v) => Math.fround(t.scale) * (v - t.zeroPoint));
}
