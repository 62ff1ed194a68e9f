/** Elementwise ops in float64 with numpy broadcasting: activations, arithmetic, comparisons (for folded shapes). */
import { Unsupported, unsupported, need, type EvalContext, type EvalFn } from './context.ts';
import { broadcastIndex, broadcastShape, count, make, FLOAT, type FTensor } from './tensor.ts';
import { DataType } from '../proto.ts';

function unary(f: (x: number, ctx: EvalContext) => number): EvalFn {
  return ([x], ctx) => {
    const X = need(x, 'X');
    return [{ dims: [...X.dims], data: X.data.map((v) => f(v, ctx)), type: X.type }];
  };
}

export function binaryOp(a: FTensor, b: FTensor, f: (x: number, y: number) => number, type = a.type): FTensor {
  const dims = broadcastShape(a.dims, b.dims);
  if (!dims) throw new Unsupported(`shapes (${a.dims.join(', ')}) and (${b.dims.join(', ')}) do not broadcast`);
  const ia = broadcastIndex(a.dims, dims);
  const ib = broadcastIndex(b.dims, dims);
  const out = new Float64Array(count(dims));
  for (let i = 0; i < out.length; i++) out[i] = f(a.data[ia[i]], b.data[ib[i]]);
  return make(dims, out, type);
}

function binary(f: (x: number, y: number, integer: boolean) => number, resultType?: number): EvalFn {
  return ([a, b]) => {
    const A = need(a, 'A');
    const B = need(b, 'B');
    const integer = A.type !== FLOAT && A.type !== DataType.DOUBLE;
    return [binaryOp(A, B, (x, y) => f(x, y, integer), resultType ?? A.type)];
  };
}

/** Clip's bounds: inputs from opset 11, attributes before; missing bounds are infinite. */
export function clipBoundsOf(inputs: (FTensor | undefined)[], ctx: EvalContext): [number, number] {
  if (ctx.opset < 11) return [ctx.attrs.float('min') ?? -Infinity, ctx.attrs.float('max') ?? Infinity];
  const bound = (t: FTensor | undefined, dflt: number, what: string) => {
    if (!t) return dflt;
    if (t.data.length !== 1) unsupported(`its ${what} bound has ${t.data.length} values (one is needed)`);
    return t.data[0];
  };
  return [bound(inputs[1], -Infinity, 'min'), bound(inputs[2], Infinity, 'max')];
}

const clip: EvalFn = (inputs, ctx) => {
  const [lo, hi] = clipBoundsOf(inputs, ctx);
  const X = need(inputs[0], 'input');
  return [{ dims: [...X.dims], data: X.data.map((v) => Math.min(hi, Math.max(lo, v))), type: X.type }];
};

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export const ELEMENTWISE_OPS: Record<string, EvalFn> = {
  Relu: unary((x) => Math.max(0, x)),
  Clip: clip,
  LeakyRelu: unary((x, c) => (x >= 0 ? x : (c.attrs.float('alpha') ?? 0.01) * x)),
  HardSigmoid: unary((x, c) => Math.max(0, Math.min(1, (c.attrs.float('alpha') ?? 0.2) * x + (c.attrs.float('beta') ?? 0.5)))),
  HardSwish: unary((x) => x * Math.max(0, Math.min(1, x / 6 + 0.5))),
  Sigmoid: unary(sigmoid),
  Tanh: unary(Math.tanh),
  Neg: unary((x) => -x),
  Sqrt: unary(Math.sqrt),
  Exp: unary(Math.exp),
  Floor: unary(Math.floor),
  Ceil: unary(Math.ceil),
  Add: binary((x, y) => x + y),
  Sub: binary((x, y) => x - y),
  Mul: binary((x, y) => x * y),
  // Integer division truncates (ONNX's Div on integer tensors), as shape arithmetic needs.
  Div: binary((x, y, integer) => (integer ? Math.trunc(x / y) : x / y)),
  Pow: binary((x, y) => x ** y),
  Min: binary((x, y) => Math.min(x, y)),
  Max: binary((x, y) => Math.max(x, y)),
  Equal: binary((x, y) => (x === y ? 1 : 0), DataType.BOOL),
  Less: binary((x, y) => (x < y ? 1 : 0), DataType.BOOL),
  Greater: binary((x, y) => (x > y ? 1 : 0), DataType.BOOL),
  Not: unary((x) => (x ? 0 : 1)),
  Where: ([c, x, y]) => {
    const C = need(c, 'condition');
    const X = need(x, 'X');
    const Y = need(y, 'Y');
    const cx = binaryOp(C, X, (p, v) => (p ? v : NaN));
    const dims = broadcastShape(cx.dims, Y.dims) ?? unsupported('shapes that do not broadcast');
    const ic = broadcastIndex(C.dims, dims);
    const ix = broadcastIndex(X.dims, dims);
    const iy = broadcastIndex(Y.dims, dims);
    return [make(dims, Array.from({ length: count(dims) }, (_, i) => (C.data[ic[i]] ? X.data[ix[i]] : Y.data[iy[i]])), X.type)];
  },
};
