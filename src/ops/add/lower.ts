/**
 * ADD in C (TFLM's int8 AddFunc), one function per layer with its constants folded: each input plus its offset,
 * times 2^20, scaled by its multiplier; the sum scaled by the output multiplier, plus the output offset, clamped.
 * Each output element is written after both of its input elements are read: safe in place over either input.
 */
import { constDecl, id, index } from '../../ir/expr.ts';
import { addText, clampExpr, forEach, layerFunc, layerParams, plus, requantizeExpr, storeInt8, timesPow2 } from '../lower-kit.ts';
import type { LayerCode, LowerContext } from '../op.ts';
import type { AddModel } from './build.ts';

export function lowerAdd(m: AddModel, ctx: LowerContext): LayerCode {
  // |x + offset| <= 255, so (x + offset) * 2^20 < 2^28 and the scaled inputs' sum fits int32: no saturation.
  const body = forEach('i', m.size, (i) => {
    const scaled = (input: string, offset: number) => timesPow2(plus(index(input, i), offset), m.leftShift);
    return [
    constDecl('int32_t', 'x1', requantizeExpr(ctx, scaled('input1', m.input1Offset), m.input1Multiplier, m.input1Shift, 2 ** 28)),
    constDecl('int32_t', 'x2', requantizeExpr(ctx, scaled('input2', m.input2Offset), m.input2Multiplier, m.input2Shift, 2 ** 28)),
    constDecl('int32_t', 'sum', plus(requantizeExpr(ctx, { k: 'bin', op: '+', a: id('x1'), b: id('x2') }, m.outputMultiplier, m.outputShift, 2 ** 29),
      m.outputOffset)),
    storeInt8(index('output', i), clampExpr('sum', m.actMin, m.actMax)),
    ];
  });
  const doc = [
    `${ctx.name}: add, ${m.size} elements (TFLite's int8 AddFunc).`,
    `x1 = (input1 ${addText(m.input1Offset)}) * 2^${m.leftShift} scaled by ${m.input1Multiplier} * 2^${m.input1Shift} / 2^31, ` +
      `x2 = (input2 ${addText(m.input2Offset)}) * 2^${m.leftShift} by ${m.input2Multiplier} * 2^${m.input2Shift} / 2^31;`,
    `output = (x1 + x2) scaled by ${m.outputMultiplier} * 2^${m.outputShift} / 2^31, ${addText(m.outputOffset)}, clamped to [${m.actMin}, ${m.actMax}].`,
  ];
  return { k: 'ir', entry: `${ctx.name}_run`, summary: 'elementwise, in place where planned', items: [layerFunc(`${ctx.name}_run`, layerParams(['input1', 'input2']), body, doc)] };
}
