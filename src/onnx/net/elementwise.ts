/**
 * Elementwise layers: Add of two tensors (TFLite's ADD, + Relu/Clip), activations that no producer absorbed as a
 * 256-entry lookup table (the lut op: Sigmoid and Tanh with TFLite's fixed output quantizations 1/256 and 1/128,
 * LeakyRelu, HardSigmoid, HardSwish, SiLU and HardSwish written as x · Sigmoid(x) / x · HardSigmoid(x), and a Relu or
 * Clip left standing), and Softmax over the channels.
 */
import { Unsupported } from '../eval/context.ts';
import { isDefaultDomain } from '../graph.ts';
import { Attributes, type NodeProto } from '../proto.ts';
import { clipBounds, fuseActivation } from './fuse.ts';
import type { MapContext, OutputRule } from './layers.ts';

export function mapAdd(n: NodeProto, ctx: MapContext): void {
  const [av, bv] = n.input;
  if (ctx.constant(av) || ctx.constant(bv))
    throw new Unsupported('one operand is a constant; convgen adds two tensors (a constant folds only into a preceding Conv, Gemm or MatMul bias)');
  const a = ctx.tensorOf(av);
  const b = ctx.tensorOf(bv);
  const [da, db] = [ctx.dims(av), ctx.dims(bv)];
  if (da.join() !== db.join()) throw new Unsupported(`operands of shapes (${da.join(', ')}) and (${db.join(', ')}); convgen adds tensors of one shape`);
  if (JSON.stringify(a.layout) !== JSON.stringify(b.layout)) throw new Unsupported('operands laid out differently (one flattened from NCHW)');
  const fused = fuseActivation(ctx, n.output[0]);
  const out = ctx.newTensor(fused.value, a.layout && a.layout !== 'nchw' ? { layout: a.layout, shape: a.shape } : {});
  ctx.add({
    name: ctx.layerName(n, 'add'), op: 'add', inputs: [a.id, b.id], output: out.id, params: { activation: fused.activation },
    rule: 'free', from: [`${n.opType} '${n.name}'`, ...fused.names].join(' + '),
  });
}

const SIGMOID_Q = { scale: 1 / 256, zeroPoint: -128 };
const TANH_Q = { scale: 1 / 128, zeroPoint: 0 };

/**
 * x · sigmoid(x) (PyTorch's SiLU) and x · HardSigmoid(x; 1/6, 1/2) (its Hardswish before opset 14): the Mul that
 * reads the activation and its own input is claimed, and the product is one table.
 */
function gatedBy(n: NodeProto, ctx: MapContext): NodeProto | undefined {
  const mul = ctx.sole(n.output[0]);
  if (!mul || mul.opType !== 'Mul' || !isDefaultDomain(mul)) return undefined;
  const other = mul.input[0] === n.output[0] ? mul.input[1] : mul.input[0];
  return other === n.input[0] ? mul : undefined;
}

export function mapLut(n: NodeProto, ctx: MapContext): void {
  const x = ctx.tensorOf(n.input[0]);
  const a = new Attributes(n, ctx.where(n));
  const mul = n.opType === 'Sigmoid' || n.opType === 'HardSigmoid' ? gatedBy(n, ctx) : undefined;
  const [alpha, beta] = [a.float('alpha') ?? 0.2, a.float('beta') ?? 0.5];
  const hardSwish = n.opType === 'HardSigmoid' && Math.fround(alpha) === Math.fround(1 / 6) && Math.fround(beta) === 0.5;
  if (mul && (n.opType === 'Sigmoid' || hardSwish)) {
    ctx.claim(mul);
    const out = ctx.newTensor(mul.output[0], x.layout && x.layout !== 'nchw' ? { layout: x.layout, shape: x.shape } : {});
    ctx.add({
      name: ctx.layerName(n, 'lut'), op: 'lut', inputs: [x.id], output: out.id,
      params: { function: n.opType === 'Sigmoid' ? 'silu' : 'hard_swish' }, rule: 'free',
      from: `${n.opType} '${n.name}' + Mul '${mul.name}' (${n.opType === 'Sigmoid' ? 'SiLU' : 'HardSwish'}, a lookup table)`,
    });
    return;
  }
  let params: Record<string, unknown>;
  let rule: OutputRule = 'free';
  switch (n.opType) {
    case 'Sigmoid':
      params = { function: 'sigmoid' };
      rule = { fixed: SIGMOID_Q, strict: false };
      break;
    case 'Tanh':
      params = { function: 'tanh' };
      rule = { fixed: TANH_Q, strict: false };
      break;
    case 'LeakyRelu':
      params = { function: 'leaky_relu', alpha: a.float('alpha') ?? 0.01 };
      break;
    case 'HardSigmoid':
      params = { function: 'hard_sigmoid', alpha, beta };
      break;
    case 'HardSwish':
      params = { function: 'hard_swish' };
      break;
    default: {
      const b = clipBounds(ctx, n);
      if (!b) throw new Unsupported('a bound is computed at run time; convgen needs constant bounds');
      params = { function: 'clip', ...(b[0] > -Infinity ? { min: b[0] } : {}), ...(b[1] < Infinity ? { max: b[1] } : {}) };
    }
  }
  const out = ctx.newTensor(n.output[0], x.layout && x.layout !== 'nchw' ? { layout: x.layout, shape: x.shape } : {});
  ctx.add({
    name: ctx.layerName(n, 'lut'), op: 'lut', inputs: [x.id], output: out.id, params, rule,
    from: `${n.opType} '${n.name}' (a lookup table)`,
  });
}

export function mapSoftmax(n: NodeProto, ctx: MapContext): void {
  const x = ctx.tensorOf(n.input[0]);
  const d = ctx.dims(n.input[0]);
  const a = new Attributes(n, ctx.where(n));
  let axis = a.int('axis', ctx.opset >= 13 ? -1 : 1);
  if (axis < 0) axis += d.length;
  // The network's softmax runs over its last dimension: NCHW's channels (the last in NHWC), or a 2-D/3-D last axis.
  const last = d.length === 4 ? 1 : d.length - 1;
  const overRest = ctx.opset < 13 && d.slice(axis + 1).every((k) => k === 1); // before opset 13: over axes ≥ axis
  if (axis !== last && !(overRest && axis === d.length - 1))
    throw new Unsupported(`a softmax over axis ${axis} of (${d.join(', ')}); convgen's runs over the channels (the last axis)`);
  if (d.length === 4 && ctx.opset < 13 && (d[2] !== 1 || d[3] !== 1)) throw new Unsupported('a softmax over C·H·W (opset < 13, axis 1)');
  if (x.layout && x.layout !== 'nchw') throw new Unsupported('a softmax of a tensor flattened from NCHW');
  const out = ctx.newTensor(n.output[0]);
  ctx.add({
    name: ctx.layerName(n, 'softmax'), op: 'softmax', inputs: [x.id], output: out.id, params: { beta: 1 },
    rule: { fixed: SIGMOID_Q, strict: true }, from: `${n.opType} '${n.name}'`,
  });
}
