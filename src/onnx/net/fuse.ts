/**
 * What follows a producer and folds into it exactly: a Relu or a Clip with constant bounds (folded constants count,
 * so a bound behind a Cast does) becomes the producer's activation, i.e. its int8 output clamp, quantized as TFLite
 * quantizes relu6's bounds. Quantized constants (DequantizeLinear of an int8/int32 initializer) are read here too.
 */
import { InputError } from '../../errors.ts';
import type { Activation } from '../../ops/common.ts';
import type { Quant } from '../../ops/op.ts';
import { Unsupported } from '../eval/context.ts';
import type { FTensor } from '../eval/index.ts';
import { isDefaultDomain } from '../graph.ts';
import { Attributes, DataType, typeName, type NodeProto } from '../proto.ts';
import type { MapContext } from './layers.ts';

/** Clip's constant bounds (inputs from opset 11, attributes before), or undefined when a bound is computed. */
export function clipBounds(ctx: MapContext, n: NodeProto): [number, number] | undefined {
  if (n.opType === 'Relu') return [0, Infinity];
  if (ctx.opset < 11) {
    const a = new Attributes(n, ctx.where(n));
    return [a.float('min') ?? -Infinity, a.float('max') ?? Infinity];
  }
  const bound = (i: number, dflt: number): number | undefined => {
    const name = n.input[i];
    if (!name) return dflt;
    const t = ctx.constant(name);
    return t && t.data.length === 1 ? t.data[0] : undefined;
  };
  const lo = bound(1, -Infinity);
  const hi = bound(2, Infinity);
  if (lo === undefined || hi === undefined) return undefined;
  if (Number.isNaN(lo) || Number.isNaN(hi)) throw new InputError(ctx.where(n), 'has a NaN bound');
  return [lo, hi];
}

/** Real bounds as a network activation: TFLite's named ones where they match, else { min, max }. */
export function activationOf([lo, hi]: [number, number]): Activation {
  if (lo === -Infinity && hi === Infinity) return 'none';
  if (lo === 0 && hi === Infinity) return 'relu';
  if (lo === 0 && hi === 6) return 'relu6';
  if (lo === -1 && hi === 1) return 'relu_n1_to_1';
  return { ...(lo > -Infinity ? { min: lo } : {}), ...(hi < Infinity ? { max: hi } : {}) };
}

export interface Fused {
  activation: Activation;
  /** The value the layer now produces. */
  value: string;
  names: string[];
}

/** A Relu or constant Clip that is the only reader of `value`, claimed; else 'none'. */
export function fuseActivation(ctx: MapContext, value: string): Fused {
  const next = ctx.sole(value);
  if (next && isDefaultDomain(next) && (next.opType === 'Relu' || next.opType === 'Clip')) {
    const b = clipBounds(ctx, next);
    if (b) {
      if (b[0] > b[1]) throw new InputError(ctx.where(next), `min ${b[0]} exceeds max ${b[1]}`);
      ctx.claim(next);
      return { activation: activationOf(b), value: next.output[0], names: [`${next.opType} '${next.name}'`] };
    }
  }
  return { activation: 'none', value, names: [] };
}

/** A DequantizeLinear of a constant integer tensor: the integers, scales and zero points the model gives. */
export interface QuantConst {
  ints: FTensor;
  scales: number[];
  zeroPoints: number[];
  axis: number;
  node: NodeProto;
}

export function quantConst(ctx: MapContext, value: string): QuantConst | undefined {
  const p = ctx.prep.g.producer.get(value);
  if (!p || p.opType !== 'DequantizeLinear' || !isDefaultDomain(p)) return undefined;
  const ints = ctx.constant(p.input[0]);
  const s = p.input[1] ? ctx.constant(p.input[1]) : undefined;
  if (!ints || !s) return undefined;
  const z = p.input[2] ? ctx.constant(p.input[2]) : undefined;
  return {
    ints, scales: Array.from(s.data), zeroPoints: z ? Array.from(z.data) : [0],
    axis: new Attributes(p, ctx.where(p)).int('axis', 1), node: p,
  };
}

/** A per-tensor activation quantization given by scale and zero-point constants; uint8 maps to int8 exactly. */
export function givenQuant(ctx: MapContext, scaleName: string | undefined, zpName: string | undefined, what: string): Quant {
  const s = scaleName ? ctx.constant(scaleName) : undefined;
  if (!s || s.data.length !== 1) throw new Unsupported(`its ${what} scale is not one constant (convgen quantizes activations per tensor)`);
  const scale = s.data[0];
  if (!(Math.fround(scale) > 0) || !Number.isFinite(Math.fround(scale))) throw new Unsupported(`its ${what} scale ${scale} is not a positive finite float32`);
  const z = zpName ? ctx.constant(zpName) : undefined;
  if (z && z.data.length !== 1) throw new Unsupported(`its ${what} zero point has ${z.data.length} values`);
  const type = z?.type ?? DataType.UINT8;
  if (type !== DataType.INT8 && type !== DataType.UINT8) throw new Unsupported(`its ${what} is ${typeName(type)}; convgen runs int8 (uint8 mapped exactly)`);
  const zp = z?.data[0] ?? 0;
  return { scale, zeroPoint: type === DataType.UINT8 ? zp - 128 : zp };
}

/** Per-output-channel int8 weight scales with zero point 0, along ONNX axis `axis` of `dims`. */
export function givenWeightScales(q: { scales: number[]; zeroPoints: number[]; axis: number; type: number }, dims: number[], channelAxis: number): number[] {
  if (q.type !== DataType.INT8)
    throw new Unsupported(`its weights are ${typeName(q.type)}; convgen needs int8 weights with zero point 0 (symmetric)`);
  const bad = q.zeroPoints.findIndex((z) => z !== 0);
  if (bad >= 0) throw new Unsupported(`its weight zero point is ${q.zeroPoints[bad]}; convgen needs symmetric weights (zero point 0)`);
  const m = dims[channelAxis];
  if (q.scales.length === 1) return new Array<number>(m).fill(q.scales[0]);
  const axis = q.axis < 0 ? q.axis + dims.length : q.axis;
  if (q.scales.length !== m || axis !== channelAxis)
    throw new Unsupported(`its weight scales (${q.scales.length} along axis ${q.axis}) are not per tensor or per output channel (axis ${channelAxis})`);
  for (const s of q.scales)
    if (!(Math.fround(s) >= 0) || !Number.isFinite(Math.fround(s))) throw new Unsupported(`a weight scale ${s} is not a finite float32 ≥ 0`);
  return q.scales;
}
