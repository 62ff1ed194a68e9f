/** CONCATENATION in C: for each index before the axis, each input's chunk copied in turn (one memcpy each). */
import { bin, call, stmt } from '../../ir/expr.ts';
import { forEach, layerFunc, layerParams } from '../lower-kit.ts';
import { elemBytes, elemCType, type LayerCode, type LowerContext } from '../op.ts';
import type { ConcatenationModel } from './build.ts';

export function lowerConcatenation(m: ConcatenationModel, ctx: LowerContext): LayerCode {
  const total = m.chunks.reduce((a, b) => a + b, 0);
  const names = m.chunks.map((_, i) => `input${i + 1}`);
  const size = elemBytes(m.dtype);
  const body = forEach('k', m.outer, (k) => {
    let at = 0;
    return m.chunks.map((chunk, i) => {
      const s = stmt(call('memcpy', bin('+', bin('+', 'output', bin('*', k, total)), at), bin('+', names[i], bin('*', k, chunk)), chunk * size));
      at += chunk;
      return s;
    });
  });
  const doc = [`${ctx.name}: concatenation of ${m.chunks.length} inputs, ${m.outer} x [${m.chunks.join(' + ')}] ${size === 1 ? 'bytes' : 'elements'} (one quantization: raw values copied).`];
  return { k: 'ir', entry: `${ctx.name}_run`, summary: `${m.chunks.length} inputs copied`, items: [layerFunc(`${ctx.name}_run`, layerParams(names, 'output', elemCType(m.dtype)), body, doc)] };
}
