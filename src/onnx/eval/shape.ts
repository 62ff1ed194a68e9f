/**
 * Ops that move or reshape data, in ONNX's semantics. Most appear in the constant subgraphs PyTorch exports around
 * Reshape (Shape -> Gather -> Unsqueeze -> Concat, Cast), which the importer folds by evaluating them once.
 */
import { DataType, decodeTensor } from '../proto.ts';
import { unsupported, need, type EvalContext, type EvalFn } from './context.ts';
import { count, make, strides, transpose, INT64, type FTensor } from './tensor.ts';

const ints = (t: FTensor | undefined) => (t ? Array.from(t.data) : undefined);

function axisOf(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) unsupported(`axis ${axis} is outside a ${rank}-D tensor`);
  return a;
}

/** ONNX Reshape's target: 0 copies the input dimension (unless allowzero), −1 is inferred. */
export function reshapeDims(input: readonly number[], target: readonly number[], allowZero = false): number[] {
  const dims = target.map((d, i) => (d === 0 && !allowZero ? input[i] : d));
  const known = dims.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const inferred = dims.filter((d) => d === -1).length;
  if (inferred > 1) unsupported('more than one -1 in the shape');
  const total = count(input);
  if (inferred) {
    if (known === 0 || total % known !== 0) unsupported(`shape [${target.join(', ')}] does not fit ${total} elements`);
    return dims.map((d) => (d === -1 ? total / known : d));
  }
  if (known !== total) unsupported(`shape [${target.join(', ')}] does not fit ${total} elements`);
  return dims;
}

const reshape: EvalFn = ([x, s], ctx) => {
  const X = need(x, 'data');
  const target = ctx.opset >= 5 ? ints(s) : ctx.attrs.ints('shape');
  if (!target) return unsupported('its shape is not a constant');
  return [{ ...X, dims: reshapeDims(X.dims, target, ctx.attrs.int('allowzero', 0) !== 0) }];
};

const flatten: EvalFn = ([x], ctx) => {
  const X = need(x, 'input');
  let axis = ctx.attrs.int('axis', 1);
  if (axis < 0) axis += X.dims.length;
  return [{ ...X, dims: [count(X.dims.slice(0, axis)), count(X.dims.slice(axis))] }];
};

function unsqueezeAxes(inputs: (FTensor | undefined)[], ctx: EvalContext): number[] {
  const axes = ctx.opset >= 13 ? ints(inputs[1]) : ctx.attrs.ints('axes');
  return axes ?? unsupported('no axes');
}

const unsqueeze: EvalFn = (inputs, ctx) => {
  const X = need(inputs[0], 'data');
  const axes = unsqueezeAxes(inputs, ctx);
  const rank = X.dims.length + axes.length;
  const norm = axes.map((a) => axisOf(a, rank)).sort((a, b) => a - b);
  const dims = [...X.dims];
  for (const a of norm) dims.splice(a, 0, 1);
  return [{ ...X, dims }];
};

const squeeze: EvalFn = (inputs, ctx) => {
  const X = need(inputs[0], 'data');
  const axes = ctx.opset >= 13 ? ints(inputs[1]) : ctx.attrs.ints('axes');
  const drop = axes ? axes.map((a) => axisOf(a, X.dims.length)) : X.dims.flatMap((d, i) => (d === 1 ? [i] : []));
  return [{ ...X, dims: X.dims.filter((_, i) => !drop.includes(i)) }];
};

const concat: EvalFn = (inputs, ctx) => {
  const xs = inputs.filter((t): t is FTensor => t !== undefined);
  if (xs.length === 0) unsupported('no inputs');
  const rank = xs[0].dims.length;
  const axis = axisOf(ctx.attrs.int('axis', 0), Math.max(rank, 1));
  const outer = count(xs[0].dims.slice(0, axis));
  const dims = [...xs[0].dims];
  dims[axis] = xs.reduce((n, t) => n + (t.dims[axis] ?? 1), 0);
  const out: number[] = [];
  for (let o = 0; o < outer; o++)
    for (const t of xs) {
      const chunk = t.data.length / outer;
      for (let i = 0; i < chunk; i++) out.push(t.data[o * chunk + i]);
    }
  return [make(dims, out, xs[0].type)];
};

const gather: EvalFn = ([x, i], ctx) => {
  const X = need(x, 'data');
  const I = need(i, 'indices');
  const axis = axisOf(ctx.attrs.int('axis', 0), X.dims.length);
  const outer = count(X.dims.slice(0, axis));
  const n = X.dims[axis];
  const inner = count(X.dims.slice(axis + 1));
  const out: number[] = [];
  for (let o = 0; o < outer; o++)
    for (const raw of I.data) {
      const k = raw < 0 ? raw + n : raw;
      if (k < 0 || k >= n) unsupported(`index ${raw} is outside 0…${n - 1}`);
      for (let j = 0; j < inner; j++) out.push(X.data[(o * n + k) * inner + j]);
    }
  return [make([...X.dims.slice(0, axis), ...I.dims, ...X.dims.slice(axis + 1)], out, X.type)];
};

const slice: EvalFn = (inputs, ctx) => {
  const X = need(inputs[0], 'data');
  const r = X.dims.length;
  const [starts, ends, axesIn, stepsIn] = ctx.opset >= 10
    ? [ints(inputs[1]), ints(inputs[2]), ints(inputs[3]), ints(inputs[4])]
    : [ctx.attrs.ints('starts'), ctx.attrs.ints('ends'), ctx.attrs.ints('axes'), undefined];
  if (!starts || !ends) return unsupported('its starts or ends are not constant');
  const axes = (axesIn ?? starts.map((_, k) => k)).map((a) => axisOf(a, r));
  const steps = stepsIn ?? starts.map(() => 1);
  const ranges = X.dims.map((d) => ({ start: 0, step: 1, n: d }));
  axes.forEach((a, k) => {
    const d = X.dims[a];
    const step = steps[k];
    if (step === 0) unsupported('a step of 0');
    const clampIdx = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v < 0 ? v + d : v));
    const s = step > 0 ? clampIdx(starts[k], 0, d) : clampIdx(starts[k], -1, d - 1);
    const e = step > 0 ? clampIdx(ends[k], 0, d) : clampIdx(ends[k], -1, d - 1);
    const n = Math.max(0, Math.ceil((e - s) / step));
    ranges[a] = { start: s, step, n };
  });
  const dims = ranges.map((q) => q.n);
  const st = strides(X.dims);
  const out = new Float64Array(count(dims));
  const pos = new Array<number>(r).fill(0);
  for (let i = 0; i < out.length; i++) {
    let k = 0;
    for (let d = 0; d < r; d++) k += (ranges[d].start + pos[d] * ranges[d].step) * st[d];
    out[i] = X.data[k];
    for (let d = r - 1; d >= 0; d--) {
      if (++pos[d] < dims[d]) break;
      pos[d] = 0;
    }
  }
  return [make(dims, out, X.type)];
};

/** Pad (mode constant only): pads from the input (opset ≥ 11) or the attribute, [x1_begin, x2_begin, …, x1_end, …]. */
export function padSpec(inputs: (FTensor | undefined)[], ctx: EvalContext, rank: number): { pads: number[]; value: number } {
  const mode = ctx.attrs.string('mode', 'constant');
  if (mode !== 'constant') unsupported(`mode '${mode}' (convgen pads with a constant)`);
  if (ctx.opset >= 18 && inputs[3]) unsupported('an axes input');
  const pads = ctx.opset >= 11 ? ints(inputs[1]) : ctx.attrs.ints('pads');
  if (!pads || pads.length !== 2 * rank) return unsupported(`pads [${pads?.join(', ') ?? ''}] are not 2 per dimension of the ${rank}-D input`);
  if (pads.some((p) => p < 0)) unsupported('negative pads (cropping)');
  const value = ctx.opset >= 11 ? inputs[2]?.data[0] ?? 0 : ctx.attrs.float('value') ?? 0;
  return { pads, value };
}

const pad: EvalFn = (inputs, ctx) => {
  const X = need(inputs[0], 'data');
  const r = X.dims.length;
  const { pads, value } = padSpec(inputs, ctx, r);
  const dims = X.dims.map((d, i) => d + pads[i] + pads[i + r]);
  const out = new Float64Array(count(dims)).fill(value);
  const st = strides(dims);
  const pos = new Array<number>(r).fill(0);
  for (let i = 0; i < X.data.length; i++) {
    let k = 0;
    for (let d = 0; d < r; d++) k += (pos[d] + pads[d]) * st[d];
    out[k] = X.data[i];
    for (let d = r - 1; d >= 0; d--) {
      if (++pos[d] < X.dims[d]) break;
      pos[d] = 0;
    }
  }
  return [make(dims, out, X.type)];
};

const INT_TYPES: Partial<Record<number, [number, number]>> = {
  [DataType.INT8]: [-128, 127], [DataType.UINT8]: [0, 255], [DataType.INT16]: [-32768, 32767],
  [DataType.INT32]: [-(2 ** 31), 2 ** 31 - 1], [DataType.INT64]: [-(2 ** 63), 2 ** 63], [DataType.BOOL]: [0, 1],
};

const cast: EvalFn = ([x], ctx) => {
  const X = need(x, 'input');
  const to = ctx.attrs.int('to', 0);
  // Float targets keep the double (this evaluator is the float64 reference); integer targets truncate toward zero.
  if (to === DataType.FLOAT || to === DataType.DOUBLE || to === DataType.FLOAT16) return [{ ...X, type: to }];
  if (to === DataType.BOOL) return [{ dims: [...X.dims], data: X.data.map((v) => (v ? 1 : 0)), type: to }];
  if (!INT_TYPES[to]) unsupported(`a cast to ${DataType[to] ?? to}`);
  return [{ dims: [...X.dims], data: X.data.map(Math.trunc), type: to }];
};

export const SHAPE_OPS: Record<string, EvalFn> = {
  Identity: ([x]) => [need(x, 'input')],
  Dropout: ([x], ctx) => {
    if (ctx.node.output.length > 1 && ctx.node.output[1]) unsupported('the mask output');
    return [need(x, 'data')];
  },
  Shape: ([x], ctx) => {
    const d = need(x, 'data').dims;
    const r = d.length;
    const norm = (v: number) => Math.min(r, Math.max(0, v < 0 ? v + r : v));
    const start = norm(ctx.attrs.int('start', 0));
    const end = ctx.attrs.has('end') ? norm(ctx.attrs.int('end', r)) : r;
    return [make([Math.max(0, end - start)], d.slice(start, end), INT64)];
  },
  Size: ([x]) => [make([], [count(need(x, 'data').dims)], INT64)],
  Reshape: reshape,
  Flatten: flatten,
  Unsqueeze: unsqueeze,
  Squeeze: squeeze,
  Concat: concat,
  Gather: gather,
  Slice: slice,
  Pad: pad,
  Cast: cast,
  Transpose: ([x], ctx) => {
    const X = need(x, 'data');
    const perm = ctx.attrs.ints('perm') ?? X.dims.map((_, i) => X.dims.length - 1 - i);
    return [transpose(X, perm)];
  },
  ConstantOfShape: ([s], ctx) => {
    const dims = ints(s) ?? [];
    const t = ctx.attrs.tensor('value');
    const v = t ? decodeTensor(t, `node '${ctx.node.name}'`) : undefined;
    return [make(dims, new Float64Array(count(dims)).fill(v?.values[0] ?? 0), v?.dataType ?? DataType.FLOAT)];
  },
  Range: ([s, l, d]) => {
    const [a, b, step] = [need(s, 'start').data[0], need(l, 'limit').data[0], need(d, 'delta').data[0]];
    const n = Math.max(0, Math.ceil((b - a) / step));
    return [make([n], Array.from({ length: n }, (_, i) => a + i * step), s!.type)];
  },
};
