/**
 * The layers of a CNN in ONNX's semantics, in float64, NCHW: Conv (grouped, dilated, padded), BatchNormalization
 * (inference), pooling (explicit or automatic padding, ceil mode), Gemm, MatMul and Softmax. Plain loops, sharing no
 * code with the int8 golden models they are the reference for.
 */
import { conv2dAttrs, conv2dGeometry } from '../graph.ts';
import { unsupported, need, type EvalContext, type EvalFn } from './context.ts';
import { count, make, strides, type FTensor } from './tensor.ts';

export interface ConvGeometry {
  groups: number;
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  /** [top, left, bottom, right] */
  pads: [number, number, number, number];
  outH: number;
  outW: number;
}

/** Conv's geometry from its attributes and the input (N, C, H, W) and weight (M, C/g, kh, kw) shapes. */
export function convGeometry(ctx: EvalContext, x: FTensor, w: FTensor, where = `node '${ctx.node.name}'`): ConvGeometry {
  if (x.dims.length !== 4 || w.dims.length !== 4) unsupported(`a ${x.dims.length - 2}-D convolution (convgen evaluates 2-D ones)`);
  const a = conv2dAttrs(ctx.node, where, [w.dims[2], w.dims[3]]);
  const g = conv2dGeometry(a, x.dims[2], x.dims[3]);
  if (x.dims[1] !== w.dims[1] * a.group || w.dims[0] % a.group !== 0)
    unsupported(`weights (${w.dims.join(', ')}) with group ${a.group} do not fit an input of ${x.dims[1]} channels`);
  if (g.outH < 1 || g.outW < 1) unsupported(`its output would be ${g.outH}x${g.outW}`);
  return { groups: a.group, kernel: a.kernel, strides: a.strides, dilations: a.dilations, pads: g.pads, outH: g.outH, outW: g.outW };
}

/** Σ x·w (+ bias) over the taps inside the input; `xOff`/`wOff` are subtracted first (QLinearConv's zero points). */
export function convolve(x: FTensor, w: FTensor, bias: Float64Array | undefined, g: ConvGeometry,
  xOff = 0, wOff: (m: number) => number = () => 0): FTensor {
  const [n, c, h, wd] = x.dims;
  const [m, cg, kh, kw] = w.dims;
  const mg = m / g.groups;
  const out = new Float64Array(n * m * g.outH * g.outW);
  let o = 0;
  for (let b = 0; b < n; b++)
    for (let oc = 0; oc < m; oc++) {
      const grp = Math.floor(oc / mg);
      const wz = wOff(oc);
      for (let oy = 0; oy < g.outH; oy++)
        for (let ox = 0; ox < g.outW; ox++) {
          let acc = bias ? bias[oc] : 0;
          for (let ic = 0; ic < cg; ic++) {
            const xc = (b * c + grp * cg + ic) * h;
            for (let ky = 0; ky < kh; ky++) {
              const iy = oy * g.strides[0] - g.pads[0] + ky * g.dilations[0];
              if (iy < 0 || iy >= h) continue;
              for (let kx = 0; kx < kw; kx++) {
                const ix = ox * g.strides[1] - g.pads[1] + kx * g.dilations[1];
                if (ix < 0 || ix >= wd) continue;
                acc += (x.data[(xc + iy) * wd + ix] - xOff) * (w.data[((oc * cg + ic) * kh + ky) * kw + kx] - wz);
              }
            }
          }
          out[o++] = acc;
        }
  }
  return make([n, m, g.outH, g.outW], out);
}

const conv: EvalFn = ([x, w, b], ctx) => {
  const X = need(x, 'X');
  const W = need(w, 'W');
  return [convolve(X, W, b?.data, convGeometry(ctx, X, W))];
};

const batchNorm: EvalFn = ([x, scale, bias, mean, variance], ctx) => {
  if (ctx.attrs.int('training_mode', 0) !== 0) unsupported('training_mode 1 (export the model in eval mode)');
  if (ctx.node.output.filter(Boolean).length > 1) unsupported('running mean/variance outputs (training mode)');
  const X = need(x, 'X');
  const eps = ctx.attrs.float('epsilon') ?? 1e-5;
  const c = X.dims[1];
  const plane = count(X.dims.slice(2));
  const out = new Float64Array(X.data.length);
  for (let i = 0; i < out.length; i++) {
    const ch = Math.floor(i / plane) % c;
    out[i] = (X.data[i] - mean!.data[ch]) / Math.sqrt(variance!.data[ch] + Math.fround(eps)) * scale!.data[ch] + bias!.data[ch];
  }
  return [make([...X.dims], out)];
};

export interface PoolGeometry {
  kernel: [number, number];
  strides: [number, number];
  pads: [number, number, number, number];
  outH: number;
  outW: number;
}

/** Pool attributes (dilations must be 1) and geometry; ceil_mode included. */
export function poolGeometry(ctx: EvalContext, x: FTensor, where = `node '${ctx.node.name}'`): PoolGeometry {
  if (x.dims.length !== 4) unsupported(`a ${x.dims.length - 2}-D pool (convgen evaluates 2-D ones)`);
  const a = conv2dAttrs(ctx.node, where, undefined);
  if (a.dilations.some((d) => d !== 1)) unsupported('dilated pooling');
  const ceil = ctx.attrs.int('ceil_mode', 0) !== 0;
  const g = conv2dGeometry(a, x.dims[2], x.dims[3], ceil);
  // Ceil mode: a last window that would start in the end padding is dropped (PyTorch, ONNX Runtime).
  if (ceil && (g.outH - 1) * a.strides[0] >= x.dims[2] + g.pads[0]) g.outH--;
  if (ceil && (g.outW - 1) * a.strides[1] >= x.dims[3] + g.pads[1]) g.outW--;
  if (g.outH < 1 || g.outW < 1) unsupported(`its output would be ${g.outH}x${g.outW}`);
  return { kernel: a.kernel, strides: a.strides, pads: g.pads, outH: g.outH, outW: g.outW };
}

function pool(x: FTensor, g: PoolGeometry, reduce: (vals: number[], padded: number) => number): FTensor {
  const [n, c, h, w] = x.dims;
  const out = new Float64Array(n * c * g.outH * g.outW);
  let o = 0;
  const vals: number[] = [];
  for (let p = 0; p < n * c; p++)
    for (let oy = 0; oy < g.outH; oy++)
      for (let ox = 0; ox < g.outW; ox++) {
        vals.length = 0;
        let padded = 0;
        for (let ky = 0; ky < g.kernel[0]; ky++) {
          const iy = oy * g.strides[0] - g.pads[0] + ky;
          if (iy >= h + g.pads[2]) continue; // beyond the padded input (ceil mode): not counted at all
          for (let kx = 0; kx < g.kernel[1]; kx++) {
            const ix = ox * g.strides[1] - g.pads[1] + kx;
            if (ix >= w + g.pads[3]) continue;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) padded++;
            else vals.push(x.data[(p * h + iy) * w + ix]);
          }
        }
        out[o++] = reduce(vals, padded);
      }
  return make([n, c, g.outH, g.outW], out);
}

const maxPool: EvalFn = ([x], ctx) => {
  if (ctx.node.output.filter(Boolean).length > 1) unsupported('the Indices output');
  if (ctx.attrs.int('storage_order', 0) !== 0) unsupported('storage_order 1');
  const X = need(x, 'X');
  return [pool(X, poolGeometry(ctx, X), (v) => (v.length ? Math.max(...v) : -Infinity))];
};

const averagePool: EvalFn = ([x], ctx) => {
  const X = need(x, 'X');
  const include = ctx.attrs.int('count_include_pad', 0) !== 0;
  return [pool(X, poolGeometry(ctx, X), (v, padded) => v.reduce((a, b) => a + b, 0) / (v.length + (include ? padded : 0)))];
};

const globalAveragePool: EvalFn = ([x]) => {
  const X = need(x, 'X');
  const [n, c] = X.dims;
  const plane = count(X.dims.slice(2));
  const out = new Float64Array(n * c);
  for (let p = 0; p < n * c; p++) {
    let s = 0;
    for (let i = 0; i < plane; i++) s += X.data[p * plane + i];
    out[p] = s / plane;
  }
  return [make([n, c, ...X.dims.slice(2).map(() => 1)], out)];
};

/** A · B for A [..., M, K] and B [K, N] (or B with A's leading dimensions). */
export function matmul(A: FTensor, B: FTensor): FTensor {
  if (A.dims.length < 2 || B.dims.length < 2) unsupported('MatMul of a 1-D operand');
  const [M, K] = A.dims.slice(-2);
  const [K2, N] = B.dims.slice(-2);
  if (K !== K2) unsupported(`inner dimensions ${K} and ${K2} differ`);
  const batch = count(A.dims.slice(0, -2));
  const bBatch = count(B.dims.slice(0, -2));
  if (bBatch !== 1 && (B.dims.length !== A.dims.length || bBatch !== batch)) unsupported('MatMul with broadcast batch dimensions');
  const out = new Float64Array(batch * M * N);
  for (let b = 0; b < batch; b++) {
    const bo = bBatch === 1 ? 0 : b * K * N;
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += A.data[(b * M + i) * K + k] * B.data[bo + k * N + j];
        out[(b * M + i) * N + j] = s;
      }
  }
  return make([...A.dims.slice(0, -2), M, N], out);
}

const gemm: EvalFn = ([a, b, c], ctx) => {
  let A = need(a, 'A');
  let B = need(b, 'B');
  if (A.dims.length !== 2 || B.dims.length !== 2) unsupported('Gemm of operands that are not 2-D');
  const t2 = (t: FTensor) => {
    const [r, k] = t.dims;
    const d = new Float64Array(r * k);
    for (let i = 0; i < r; i++) for (let j = 0; j < k; j++) d[j * r + i] = t.data[i * k + j];
    return make([k, r], d);
  };
  if (ctx.attrs.int('transA', 0)) A = t2(A);
  if (ctx.attrs.int('transB', 0)) B = t2(B);
  const alpha = ctx.attrs.float('alpha') ?? 1;
  const beta = ctx.attrs.float('beta') ?? 1;
  const Y = matmul(A, B);
  const [m, n] = Y.dims;
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let cv = 0;
      if (c) {
        const r = c.dims.length === 2 ? (c.dims[0] === 1 ? 0 : i) : 0;
        const col = c.dims.length === 0 || c.dims[c.dims.length - 1] === 1 ? 0 : j;
        cv = c.data[r * (c.dims.length ? c.dims[c.dims.length - 1] : 1) + col];
      }
      Y.data[i * n + j] = alpha * Y.data[i * n + j] + beta * cv;
    }
  return [Y];
};

const matMul: EvalFn = ([a, b]) => [matmul(need(a, 'A'), need(b, 'B'))];

/** Softmax along `axis` (opset ≥ 13), or over the flattened dimensions from `axis` on (before). */
const softmax: EvalFn = ([x], ctx) => {
  const X = need(x, 'input');
  const r = X.dims.length;
  let axis = ctx.attrs.int('axis', ctx.opset >= 13 ? -1 : 1);
  if (axis < 0) axis += r;
  const inner = ctx.opset >= 13 ? count(X.dims.slice(axis + 1)) : 1;
  const len = ctx.opset >= 13 ? X.dims[axis] : count(X.dims.slice(axis));
  const outer = X.data.length / (len * inner);
  const out = new Float64Array(X.data.length);
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      const at = (k: number) => (o * len + k) * inner + i;
      let max = -Infinity;
      for (let k = 0; k < len; k++) max = Math.max(max, X.data[at(k)]);
      let sum = 0;
      for (let k = 0; k < len; k++) sum += Math.exp(X.data[at(k)] - max);
      for (let k = 0; k < len; k++) out[at(k)] = Math.exp(X.data[at(k)] - max) / sum;
    }
  return [make([...X.dims], out)];
};

export const NN_OPS: Record<string, EvalFn> = {
  Conv: conv,
  BatchNormalization: batchNorm,
  MaxPool: maxPool,
  AveragePool: averagePool,
  GlobalAveragePool: globalAveragePool,
  Gemm: gemm,
  MatMul: matMul,
  Softmax: softmax,
};

export { strides };
