/**
 * QUANTIZE int8 -> int8 in C (TFLM's Requantize): each element minus the input zero point, requantized, plus the
 * output zero point, clamped. Elementwise: safe in place.
 */
import { constDecl, index } from '../../ir/expr.ts';
import { addText, clampExpr, forEach, layerFunc, layerParams, plus, requantizeExpr, storeInt8 } from '../lower-kit.ts';
import type { LayerCode, LowerContext } from '../op.ts';
import type { QuantizeModel } from './build.ts';

export function lowerQuantize(m: QuantizeModel, ctx: LowerContext): LayerCode {
  const body = forEach('i', m.size, (i) => [
    constDecl('int32_t', 'v', plus(requantizeExpr(ctx, plus(index('input', i), -m.inputZeroPoint), m.multiplier, m.shift, 255), m.outputZeroPoint)),
    storeInt8(index('output', i), clampExpr('v', -128, 127)),
  ]);
  const doc = [
    `${ctx.name}: requantize ${m.size} elements: (x ${addText(-m.inputZeroPoint)}) scaled by ${m.multiplier} * 2^${m.shift} / 2^31, ${addText(m.outputZeroPoint)}, clamped to int8.`,
  ];
  return { k: 'ir', entry: `${ctx.name}_run`, summary: 'requantize', items: [layerFunc(`${ctx.name}_run`, layerParams(['input']), body, doc)] };
}
