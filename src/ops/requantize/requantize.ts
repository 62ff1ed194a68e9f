/**
 * REQUANTIZE: the explicit requantization between two Q formats of a Q-format network (q7, q15), elementwise:
 *   x ≥ 0 (or no slope):  qShift(x, inFrac − outFrac)
 *   x < 0 with a slope:   qShift(x · A, inFrac + 15 − outFrac),  A = round(slope · 2^15) (the slope in Q0.15)
 * (src/numerics/qshift.ts: a rounding right shift, ties toward +∞, or an exact left shift), then saturated to the
 * storage type and clamped to the activation. It is how a Q network holds a standalone Relu or Clip (the format may
 * change too) and a LeakyRelu, which a fixed-point engineer writes as one multiply by a Q15 constant.
 */
import { clamp, INT32_MAX, qShift, qShiftBound, roundHalfAway } from '../../numerics/index.ts';
import { bin, cast, constDecl, id, index } from '../../ir/expr.ts';
import type { Expr } from '../../ir/kernel-ir.ts';
import { actRange, activationName } from '../common.ts';
import { clampExpr, forEach, layerFunc, layerParams, qShiftExpr, storeElem } from '../lower-kit.ts';
import {
  elemCType, elemRange, elements, newTensorData, type Built, type BuildContext, type ElemType, type LayerCode, type LowerContext,
  type TensorData, type TensorInfo,
} from '../op.ts';
import type { RequantizeParams } from './params.ts';

/** Fraction bits of the slope's constant. */
export const SLOPE_FRAC = 15;

export interface RequantizeModel {
  size: number;
  dtype: ElemType;
  inFrac: number;
  outFrac: number;
  /** The slope in Q0.15, or null (no LeakyRelu). */
  slope: number | null;
  actMin: number;
  actMax: number;
  activation: string;
  /** Some intermediate needs int64. */
  wide: boolean;
}

export function buildRequantize(p: RequantizeParams, [input]: TensorInfo[], ctx: BuildContext): Built<RequantizeModel> {
  const out = ctx.outputs[0];
  if (input.frac === undefined || out.frac === undefined || out.dtype !== input.dtype)
    return ctx.fail('requantize runs in Q-format networks: input and output need a Q format ("frac") and one storage type');
  const slope = p.negativeSlope === undefined ? null : roundHalfAway(p.negativeSlope * 2 ** SLOPE_FRAC);
  const [actMin, actMax] = actRange(p.activation, out, ctx);
  const [lo] = elemRange(input.dtype);
  const plain = input.frac - out.frac;
  const sloped = input.frac + SLOPE_FRAC - out.frac;
  if (Math.abs(plain) > 30 || (slope !== null && (sloped > 62 || sloped < -30)))
    ctx.fail(`the input's ${input.frac} and the output's ${out.frac} fraction bits are too far apart to requantize in one shift`);
  const bound = Math.max(qShiftBound(-lo, plain), slope === null ? 0 : Math.max(-lo * 2 ** SLOPE_FRAC, qShiftBound(-lo * 2 ** SLOPE_FRAC, sloped)));
  return {
    model: {
      size: elements(input.shape), dtype: input.dtype, inFrac: input.frac, outFrac: out.frac, slope, actMin, actMax,
      activation: activationName(p.activation), wide: bound > INT32_MAX,
    },
    outputs: [{ shape: [...input.shape], dtype: input.dtype, scale: out.scale, zeroPoint: 0, frac: out.frac }],
  };
}

export function requantizeGolden(m: RequantizeModel, [input]: TensorData[]): TensorData[] {
  const out = newTensorData(m.dtype, m.size);
  for (let i = 0; i < m.size; i++) {
    const x = input[i];
    const v = m.slope !== null && x < 0 ? qShift(x * m.slope, m.inFrac + SLOPE_FRAC - m.outFrac) : qShift(x, m.inFrac - m.outFrac);
    out[i] = clamp(v, m.actMin, m.actMax);
  }
  return [out];
}

export function lowerRequantize(m: RequantizeModel, ctx: LowerContext): LayerCode {
  const acc = m.wide ? 'int64_t' : 'int32_t';
  const cType = elemCType(m.dtype);
  const x = id('x');
  const plain = qShiftExpr(x, m.inFrac - m.outFrac);
  const value: Expr = m.slope === null ? plain
    : { k: 'cond', c: bin('<', 'x', 0), t: qShiftExpr(bin('*', x, m.slope), m.inFrac + SLOPE_FRAC - m.outFrac), f: plain };
  const body = forEach('i', m.size, (i) => [
    constDecl(acc, 'x', cast(acc, index('input', i))),
    constDecl(acc, 'v', value),
    storeElem(cType, index('output', i), clampExpr('v', m.actMin, m.actMax)),
  ]);
  const doc = [
    `${ctx.name}: requantize ${m.size} elements from ${m.inFrac} to ${m.outFrac} fraction bits` +
      `${m.slope !== null ? `, negative inputs times ${m.slope} / 2^${SLOPE_FRAC} (LeakyRelu)` : ''} (${acc});`,
    `a right shift adds 2^(s-1) first (nearest); saturated and clamped to [${m.actMin}, ${m.actMax}] (${m.activation}).`,
  ];
  return {
    k: 'ir', entry: `${ctx.name}_run`, summary: m.slope !== null ? 'elementwise, leaky' : 'elementwise shift',
    items: [layerFunc(`${ctx.name}_run`, layerParams(['input'], 'output', cType), body, doc)],
  };
}
