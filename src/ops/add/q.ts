/**
 * ADD in a Q-format network (q7, q15): the two inputs are aligned to the finer of their formats by exact left
 * shifts, added, and the sum requantized to the output's format by the network's one rounding shift
 * (src/numerics/qshift.ts), saturated to the storage type and clamped to the activation. Exact in the accumulator:
 * int32 where the bound allows, int64 otherwise (stated in the layer's comment).
 */
import { clamp, INT32_MAX, qShift, qShiftBound } from '../../numerics/index.ts';
import { bin, cast, constDecl, index } from '../../ir/expr.ts';
import { actRange } from '../common.ts';
import { clampExpr, forEach, layerFunc, layerParams, qShiftExpr, storeElem, timesPow2 } from '../lower-kit.ts';
import { elemCType, elemRange, elements, newTensorData, type Built, type BuildContext, type ElemType, type LayerCode, type LowerContext, type TensorData, type TensorInfo } from '../op.ts';
import type { AddParams } from './params.ts';

export interface QAddModel {
  kind: 'q';
  size: number;
  dtype: ElemType;
  /** Left shifts of each input to the common format, and the shift from it to the output's. */
  shift1: number;
  shift2: number;
  outShift: number;
  /** The formats, for the comment. */
  fracs: [number, number, number];
  actMin: number;
  actMax: number;
  /** The sum needs int64 (its bound exceeds int32). */
  wide: boolean;
}

export function buildQAdd(p: AddParams, [a, b]: TensorInfo[], ctx: BuildContext): Built<QAddModel> {
  const out = ctx.outputs[0];
  if (a.frac === undefined || b.frac === undefined || out.frac === undefined || a.dtype !== b.dtype || out.dtype !== a.dtype)
    return ctx.fail('a Q-format network adds tensors of one storage type, each with a Q format');
  const common = Math.max(a.frac, b.frac);
  const [shift1, shift2, outShift] = [common - a.frac, common - b.frac, common - out.frac];
  if (shift1 > 30 || shift2 > 30) ctx.fail(`the input formats differ by ${Math.abs(a.frac - b.frac)} fraction bits; at most 30 are aligned`);
  if (outShift < -30 || outShift > 62) ctx.fail(`the output format is ${outShift} bits from the inputs' common one; at most 30 left or 62 right`);
  const [lo] = elemRange(a.dtype);
  const sum = -lo * (2 ** shift1 + 2 ** shift2);
  const [actMin, actMax] = actRange(p.activation, out, ctx);
  return {
    model: {
      kind: 'q', size: elements(a.shape), dtype: a.dtype, shift1, shift2, outShift, fracs: [a.frac, b.frac, out.frac], actMin, actMax,
      wide: qShiftBound(sum, outShift) > INT32_MAX || sum > INT32_MAX,
    },
    outputs: [{ shape: [...a.shape], dtype: a.dtype, scale: out.scale, zeroPoint: 0, frac: out.frac }],
  };
}

export function qAddGolden(m: QAddModel, [a, b]: TensorData[]): TensorData[] {
  const out = newTensorData(m.dtype, m.size);
  const [p1, p2] = [2 ** m.shift1, 2 ** m.shift2];
  for (let i = 0; i < m.size; i++) out[i] = clamp(qShift(a[i] * p1 + b[i] * p2, m.outShift), m.actMin, m.actMax);
  return [out];
}

export function lowerQAdd(m: QAddModel, ctx: LowerContext): LayerCode {
  const acc = m.wide ? 'int64_t' : 'int32_t';
  const cType = elemCType(m.dtype);
  const [lo, hi] = elemRange(m.dtype);
  const body = forEach('i', m.size, (i) => [
    constDecl(acc, 'sum', bin('+', timesPow2(cast(acc, index('input1', i)), m.shift1), timesPow2(cast(acc, index('input2', i)), m.shift2))),
    constDecl(acc, 'v', qShiftExpr({ k: 'id', name: 'sum' }, m.outShift)),
    storeElem(cType, index('output', i), clampExpr('v', Math.max(lo, m.actMin), Math.min(hi, m.actMax))),
  ]);
  const [f1, f2, fo] = m.fracs;
  const doc = [
    `${ctx.name}: add, ${m.size} elements of ${m.dtype === 'int16' ? 'q15' : 'q7'}: input1 (${f1} fraction bits) * 2^${m.shift1} + ` +
      `input2 (${f2}) * 2^${m.shift2}, exact in ${acc};`,
    `to the output's ${fo} fraction bits: ${m.outShift > 0 ? `(sum + 2^${m.outShift - 1}) >> ${m.outShift} (nearest)` : m.outShift < 0 ? `sum * 2^${-m.outShift}` : 'no shift'}, ` +
      `saturated and clamped to [${Math.max(lo, m.actMin)}, ${Math.min(hi, m.actMax)}].`,
  ];
  return {
    k: 'ir', entry: `${ctx.name}_run`, summary: 'elementwise, aligned by shifts',
    items: [layerFunc(`${ctx.name}_run`, layerParams(['input1', 'input2'], 'output', cType), body, doc)],
  };
}
