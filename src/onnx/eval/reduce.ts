/** ReduceMean (PyTorch's x.mean((2, 3)) exports it): the mean over the given axes, keepdims by default. */
import { unsupported, need, type EvalFn } from './context.ts';
import { count, make, strides } from './tensor.ts';

/** The axes of ReduceMean: attribute before opset 18, input from 18; none means every axis. */
export function reduceAxes(axesInput: number[] | undefined, attr: number[] | undefined, opset: number, rank: number): number[] {
  const axes = opset >= 18 ? axesInput : attr;
  const all = Array.from({ length: rank }, (_, i) => i);
  if (!axes || axes.length === 0) return all;
  return [...new Set(axes.map((a) => {
    const k = a < 0 ? a + rank : a;
    if (k < 0 || k >= rank) unsupported(`axis ${a} is outside a ${rank}-D tensor`);
    return k;
  }))].sort((a, b) => a - b);
}

export const reduceMean: EvalFn = ([x, a], ctx) => {
  const X = need(x, 'data');
  const r = X.dims.length;
  if (ctx.opset >= 18 && ctx.attrs.int('noop_with_empty_axes', 0) && !a?.data.length) return [X];
  const axes = reduceAxes(a ? Array.from(a.data) : undefined, ctx.attrs.ints('axes'), ctx.opset, r);
  const kept = X.dims.map((d, i) => (axes.includes(i) ? 1 : d));
  const st = strides(kept);
  const sums = new Float64Array(count(kept));
  const pos = new Array<number>(r).fill(0);
  for (let i = 0; i < X.data.length; i++) {
    let k = 0;
    for (let d = 0; d < r; d++) if (!axes.includes(d)) k += pos[d] * st[d];
    sums[k] += X.data[i];
    for (let d = r - 1; d >= 0; d--) {
      if (++pos[d] < X.dims[d]) break;
      pos[d] = 0;
    }
  }
  const n = X.data.length / sums.length;
  const keep = ctx.attrs.int('keepdims', 1) !== 0;
  return [make(keep ? kept : X.dims.filter((_, i) => !axes.includes(i)), sums.map((s) => s / n))];
};
