/**
 * ADD in C (TFLM's int8 AddFunc), one function per layer with its constants folded: each input plus its offset,
 * times 2^20, scaled by its multiplier; the sum scaled by the output multiplier, plus the output offset, clamped.
 * With `--optimize speed` each input's scaled value comes from a 256-entry table (1 KiB of flash per input, computed
 * here with the same arithmetic), leaving one SRDHM per element.
 * Each output element is written after both of its input elements are read: safe in place over either input.
 */
import { cArrayRows } from '../../codegen/clit.ts';
import { constDecl, id, index } from '../../ir/expr.ts';
import type { Expr, Item } from '../../ir/kernel-ir.ts';
import { multiplyByQuantizedMultiplier } from '../../numerics/index.ts';
import { addText, clampExpr, forEach, layerFunc, layerParams, plus, requantizeExpr, storeInt8, timesPow2 } from '../lower-kit.ts';
import type { LayerCode, LowerContext } from '../op.ts';
import type { AddModel } from './build.ts';

export function lowerAdd(m: AddModel, ctx: LowerContext): LayerCode {
  const tables = ctx.optimize === 'speed';
  const table = (n: 1 | 2, offset: number, multiplier: number, shift: number): Item => ({
    k: 'table',
    table: {
      name: `${ctx.name}_scaled${n}`, elem: 'int32_t', dims: [256],
      body: { k: 'flat', lines: cArrayRows(Array.from({ length: 256 }, (_, v) => multiplyByQuantizedMultiplier((v - 128 + offset) * 2 ** m.leftShift, multiplier, shift)), 8) },
    },
  });
  // |x + offset| <= 255, so (x + offset) * 2^20 < 2^28 and the scaled inputs' sum fits int32: no saturation.
  const scaled = (input: string, i: Expr, n: 1 | 2, offset: number, multiplier: number, shift: number): Expr => (tables
    ? index(`${ctx.name}_scaled${n}`, plus(index(input, i), 128))
    : requantizeExpr(ctx, timesPow2(plus(index(input, i), offset), m.leftShift), multiplier, shift, 2 ** 28));
  const body = forEach('i', m.size, (i) => [
    constDecl('int32_t', 'x1', scaled('input1', i, 1, m.input1Offset, m.input1Multiplier, m.input1Shift)),
    constDecl('int32_t', 'x2', scaled('input2', i, 2, m.input2Offset, m.input2Multiplier, m.input2Shift)),
    constDecl('int32_t', 'sum', plus(requantizeExpr(ctx, { k: 'bin', op: '+', a: id('x1'), b: id('x2') }, m.outputMultiplier, m.outputShift, 2 ** 29),
      m.outputOffset)),
    storeInt8(index('output', i), clampExpr('sum', m.actMin, m.actMax)),
  ]);
  const doc = [
    `${ctx.name}: add, ${m.size} elements (TFLite's int8 AddFunc).`,
    `x1 = (input1 ${addText(m.input1Offset)}) * 2^${m.leftShift} scaled by ${m.input1Multiplier} * 2^${m.input1Shift} / 2^31, ` +
      `x2 = (input2 ${addText(m.input2Offset)}) * 2^${m.leftShift} by ${m.input2Multiplier} * 2^${m.input2Shift} / 2^31` +
      `${tables ? ` (both from tables indexed by the input + 128)` : ''};`,
    `output = (x1 + x2) scaled by ${m.outputMultiplier} * 2^${m.outputShift} / 2^31, ${addText(m.outputOffset)}, clamped to [${m.actMin}, ${m.actMax}].`,
  ];
  return {
    k: 'ir', entry: `${ctx.name}_run`, summary: `elementwise${tables ? ', input scaling from tables' : ''}`,
    items: [
      ...(tables ? [table(1, m.input1Offset, m.input1Multiplier, m.input1Shift), table(2, m.input2Offset, m.input2Multiplier, m.input2Shift), { k: 'blank' } as Item] : []),
      layerFunc(`${ctx.name}_run`, layerParams(['input1', 'input2']), body, doc),
    ],
  };
}
