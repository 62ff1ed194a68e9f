/**
 * LUT in C: the layer's 256-entry table (computed by build(), as TFLite's Prepare does) as a static const array in
 * flash, and one lookup per element. The table is stored in input order, −128 first, so that the index is the input
 * plus 128 (no conversion to unsigned). Each element is read before its output is written: safe in place.
 */
import { cArrayRows } from '../../codegen/clit.ts';
import { assign, index, stmt } from '../../ir/expr.ts';
import type { Item } from '../../ir/kernel-ir.ts';
import { forEach, layerFunc, layerParams, plus } from '../lower-kit.ts';
import type { LayerCode, LowerContext } from '../op.ts';
import type { LutModel } from './build.ts';

export function lowerLut(m: LutModel, ctx: LowerContext): LayerCode {
  const name = `${ctx.name}_table`;
  const ordered = Array.from({ length: 256 }, (_, k) => m.table[(k - 128) & 255]);
  const table: Item = {
    k: 'table',
    doc: { style: 'line', lines: [`${name}[v + 128]: the output for input v (-128 to 127).`] },
    table: { name, elem: 'int8_t', dims: [256], body: { k: 'flat', lines: cArrayRows(ordered, 16) } },
  };
  const body = forEach('i', m.size, (i) => [stmt(assign(index('output', i), index(name, plus(index('input', i), 128))))]);
  const doc = [`${ctx.name}: ${m.function} as a lookup table, ${m.size} elements (TFLite's LUTPopulate, then one lookup each).`];
  return {
    k: 'ir', entry: `${ctx.name}_run`, summary: `${m.function} from a 256-entry table`,
    items: [table, { k: 'blank' }, layerFunc(`${ctx.name}_run`, layerParams(['input']), body, doc)],
  };
}
