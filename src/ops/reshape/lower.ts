/**
 * RESHAPE in C: the memory plan makes it an alias (no code) wherever it can; where it cannot (the network's output
 * is a reshaped input, both the caller's buffers) the bytes are copied.
 */
import { call, stmt } from '../../ir/expr.ts';
import { layerFunc, layerParams } from '../lower-kit.ts';
import type { LayerCode, LowerContext } from '../op.ts';
import type { ReshapeModel } from './build.ts';

export function lowerReshape(m: ReshapeModel, ctx: LowerContext): LayerCode {
  return {
    k: 'ir', entry: `${ctx.name}_run`, summary: 'a copy of the bytes',
    items: [layerFunc(`${ctx.name}_run`, layerParams(['input'], 'output', m.elemBytes === 2 ? 'int16_t' : 'int8_t'),
      [stmt(call('memcpy', 'output', 'input', m.size * m.elemBytes))], [`${ctx.name}: reshape, a copy of ${m.size * m.elemBytes} bytes.`])],
  };
}
