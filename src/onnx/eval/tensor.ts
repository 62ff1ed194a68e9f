/**
 * Tensors of the float64 ONNX evaluator: dims, values as doubles (integers too: shapes, indices and quantized values
 * are exact in a double) and the ONNX element type, which Cast, QuantizeLinear and the QLinear ops set and the
 * importer reads (an int8 value is dequantized, a float one is real).
 */
import { DataType } from '../proto.ts';

export interface FTensor {
  dims: number[];
  data: Float64Array;
  type: number;
}

export const FLOAT = DataType.FLOAT;
export const INT64 = DataType.INT64;

export function count(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

export function make(dims: number[], data: Float64Array | number[], type: number = FLOAT): FTensor {
  return { dims, data: data instanceof Float64Array ? data : Float64Array.from(data), type };
}

export function scalarOf(t: FTensor | undefined): number | undefined {
  return t && t.data.length === 1 ? t.data[0] : undefined;
}

/** Row-major strides. */
export function strides(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let k = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = k;
    k *= dims[i];
  }
  return s;
}

/** numpy broadcasting of two shapes, or undefined when they do not broadcast. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | undefined {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** For each element of `out`, the flat index into a tensor of `dims` broadcast to it. */
export function broadcastIndex(dims: readonly number[], out: readonly number[]): Int32Array {
  const n = count(out);
  const idx = new Int32Array(n);
  const st = strides(dims);
  const offset = out.length - dims.length;
  const pos = new Array<number>(out.length).fill(0);
  for (let i = 0; i < n; i++) {
    let k = 0;
    for (let d = 0; d < dims.length; d++) if (dims[d] !== 1) k += pos[d + offset] * st[d];
    idx[i] = k;
    for (let d = out.length - 1; d >= 0; d--) {
      if (++pos[d] < out[d]) break;
      pos[d] = 0;
    }
  }
  return idx;
}

/** Transpose by a permutation (out dim i = in dim perm[i]). */
export function transpose(t: FTensor, perm: readonly number[]): FTensor {
  const dims = perm.map((p) => t.dims[p]);
  const inSt = strides(t.dims);
  const n = count(dims);
  const out = new Float64Array(n);
  const pos = new Array<number>(dims.length).fill(0);
  for (let i = 0; i < n; i++) {
    let k = 0;
    for (let d = 0; d < dims.length; d++) k += pos[d] * inSt[perm[d]];
    out[i] = t.data[k];
    for (let d = dims.length - 1; d >= 0; d--) {
      if (++pos[d] < dims[d]) break;
      pos[d] = 0;
    }
  }
  return { dims, data: out, type: t.type };
}

/** NCHW -> NHWC and back, the network's layout. */
export const NCHW_TO_NHWC = [0, 2, 3, 1] as const;
export const NHWC_TO_NCHW = [0, 3, 1, 2] as const;

/** Round half to even (ONNX's QuantizeLinear and ONNX Runtime's float requantization). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x); // half up
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
