/**
 * QuantizeLinear, DequantizeLinear and the QOperator ops QLinearConv and QLinearMatMul, as ONNX Runtime computes them:
 * QuantizeLinear rounds x / scale half to even; the QLinear ops accumulate exactly in integers (bias included) and
 * requantize in float32 as MLAS does: scale = float32(float32(x_scale · w_scale) / y_scale), y = round half to even
 * of float32(float32(acc) · scale), + zero point, saturated. This is the ONNX side that convgen's fixed-point
 * requantization is measured against (docs/pytorch.md, the rounding note).
 */
import { DataType } from '../proto.ts';
import { convGeometry, convolve, matmul } from './nn.ts';
import { unsupported, need, type EvalContext, type EvalFn } from './context.ts';
import { count, make, roundHalfEven, type FTensor } from './tensor.ts';

export const INT_RANGE: Partial<Record<number, [number, number]>> = {
  [DataType.INT8]: [-128, 127], [DataType.UINT8]: [0, 255], [DataType.INT32]: [-(2 ** 31), 2 ** 31 - 1],
};

const f32 = Math.fround;

/** The per-element parameter index along `axis` (a per-tensor parameter has one value). */
function perAxis(t: FTensor, param: FTensor | undefined, axisAttr: number, what: string): (i: number) => number {
  if (!param || param.data.length === 1) return () => 0;
  const axis = axisAttr < 0 ? axisAttr + t.dims.length : axisAttr;
  if (param.data.length !== t.dims[axis]) unsupported(`its ${what} has ${param.data.length} values for axis ${axisAttr} of (${t.dims.join(', ')})`);
  const inner = count(t.dims.slice(axis + 1));
  return (i) => Math.floor(i / inner) % t.dims[axis];
}

const quantizeLinear: EvalFn = ([x, s, z], ctx) => {
  const X = need(x, 'x');
  const S = need(s, 'y_scale');
  if (ctx.attrs.has('output_dtype') || ctx.attrs.has('block_size')) unsupported('output_dtype or block_size attributes');
  const type = z?.type ?? DataType.UINT8;
  const range = INT_RANGE[type] ?? unsupported(`output type ${DataType[type]}`);
  const at = perAxis(X, S, ctx.attrs.int('axis', 1), 'y_scale');
  const out = X.data.map((v, i) => {
    const q = roundHalfEven(v / S.data[at(i)]) + (z ? z.data[z.data.length === 1 ? 0 : at(i)] : 0);
    return Math.min(range[1], Math.max(range[0], q));
  });
  return [make([...X.dims], out, type)];
};

const dequantizeLinear: EvalFn = ([x, s, z], ctx) => {
  const X = need(x, 'x');
  const S = need(s, 'x_scale');
  if (ctx.attrs.has('block_size')) unsupported('block_size');
  const at = perAxis(X, S, ctx.attrs.int('axis', 1), 'x_scale');
  const out = X.data.map((v, i) => (v - (z ? z.data[z.data.length === 1 ? 0 : at(i)] : 0)) * S.data[at(i)]);
  return [make([...X.dims], out, DataType.FLOAT)];
};

/** MLAS's requantization of exact integer accumulators, channel by channel. */
export function requantizeFloat32(acc: FTensor, scaleOf: (i: number) => number, zeroPoint: number, type: number): FTensor {
  const range = INT_RANGE[type] ?? unsupported(`output type ${DataType[type]}`);
  const out = acc.data.map((a, i) => Math.min(range[1], Math.max(range[0], roundHalfEven(f32(f32(a) * scaleOf(i))) + zeroPoint)));
  return make(acc.dims, out, type);
}

const qlinearConv: EvalFn = (inputs, ctx: EvalContext) => {
  const [x, xs, xz, w, ws, wz, ys, yz, b] = inputs;
  const X = need(x, 'x');
  const W = need(w, 'w');
  const wzero = (m: number) => (wz ? wz.data[wz.data.length === 1 ? 0 : m] : 0);
  const acc = convolve(X, W, b?.data, convGeometry(ctx, X, W), xz?.data[0] ?? 0, wzero);
  const plane = acc.dims[2] * acc.dims[3];
  const m = acc.dims[1];
  const scales = Array.from({ length: m }, (_, o) => f32(f32(need(xs, 'x_scale').data[0] * need(ws, 'w_scale').data[ws!.data.length === 1 ? 0 : o]) / need(ys, 'y_scale').data[0]));
  return [requantizeFloat32(acc, (i) => scales[Math.floor(i / plane) % m], yz?.data[0] ?? 0, yz?.type ?? DataType.UINT8)];
};

const qlinearMatMul: EvalFn = (inputs) => {
  const [a, as, az, b, bs, bz, ys, yz] = inputs;
  const A = need(a, 'a');
  const B = need(b, 'b');
  const n = B.dims[B.dims.length - 1];
  const shiftA = make([...A.dims], A.data.map((v) => v - (az?.data[0] ?? 0)));
  const shiftB = make([...B.dims], B.data.map((v, i) => v - (bz ? bz.data[bz.data.length === 1 ? 0 : i % n] : 0)));
  const acc = matmul(shiftA, shiftB);
  const scales = Array.from({ length: n }, (_, j) => f32(f32(need(as, 'a_scale').data[0] * need(bs, 'b_scale').data[bs!.data.length === 1 ? 0 : j]) / need(ys, 'y_scale').data[0]));
  return [requantizeFloat32(acc, (i) => scales[i % n], yz?.data[0] ?? 0, yz?.type ?? DataType.UINT8)];
};

export const QUANT_OPS: Record<string, EvalFn> = {
  QuantizeLinear: quantizeLinear,
  DequantizeLinear: dequantizeLinear,
  QLinearConv: qlinearConv,
  QLinearMatMul: qlinearMatMul,
};
