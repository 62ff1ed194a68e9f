/**
 * MEAN in C (TFLM's QuantizedMeanOrSum): for each output element, the int32 sum of its inputs over the reduced axes,
 * minus zero point · count, requantized with the multiplier folded with 1/count, plus the output zero point,
 * clamped to int8. The loops run over the kept axes (outer) and the reduced axes (inner), axes of size 1 left out.
 */
import { assign, bin, constDecl, decl, index, stmt } from '../../ir/expr.ts';
import { addText, clampExpr, forEachIndex, layerFunc, layerParams, linearIndex, plus, requantizeExpr, storeInt8, stridesOf } from '../lower-kit.ts';
import type { LayerCode, LowerContext } from '../op.ts';
import type { MeanModel } from './build.ts';

export function lowerMean(m: MeanModel, ctx: LowerContext): LayerCode {
  const rank = m.inShape.length;
  const strides = stridesOf(m.inShape);
  const kept = [...Array(rank).keys()].filter((d) => !m.axes.includes(d));
  const outShape = kept.map((d) => m.inShape[d]);
  const outStrides = stridesOf(outShape);
  const offset = m.inputZeroPoint * m.count;
  const body = forEachIndex(kept.map((d) => `d${d}`), outShape, (keptAt) => [
    decl('int32_t', 'sum', 0),
    ...forEachIndex(m.axes.map((d) => `r${d}`), m.axes.map((d) => m.inShape[d]), (redAt) => [
      stmt(assign('sum', index('input', bin('+', linearIndex(keptAt, kept.map((d) => strides[d])), linearIndex(redAt, m.axes.map((d) => strides[d])))), '+=')),
    ]),
    // |sum - zp·count| <= 255·count
    constDecl('int32_t', 'v', plus(requantizeExpr(ctx, plus({ k: 'id', name: 'sum' }, -offset), m.multiplier, m.shift, 255 * m.count), m.outputZeroPoint)),
    storeInt8(index('output', linearIndex(keptAt, outStrides)), clampExpr('v', -128, 127)),
  ]);
  const doc = [
    `${ctx.name}: mean over axes [${m.axes.join(', ')}] of [${m.inShape.join(', ')}] (${m.count} elements each; TFLite's QuantizedMeanOrSum).`,
    `(sum ${addText(-offset)}) scaled by ${m.multiplier} * 2^${m.shift} / 2^31 (1/${m.count} folded in), ${addText(m.outputZeroPoint)}, clamped to int8.`,
  ];
  return { k: 'ir', entry: `${ctx.name}_run`, summary: `sum over ${m.count} elements, requantized`, items: [layerFunc(`${ctx.name}_run`, layerParams(['input']), body, doc)] };
}
