/**
 * PAD in C: the output filled with the pad value, then the input copied in runs: the innermost axes that are not
 * padded are contiguous in both tensors, so each run is one memcpy.
 */
import { assign, bin, call, index, loop, stmt, upTo } from '../../ir/expr.ts';
import { forEachIndex, layerFunc, layerParams, linearIndex, stridesOf } from '../lower-kit.ts';
import { elemBytes, elemCType, elements, type LayerCode, type LowerContext } from '../op.ts';
import type { PadModel } from './build.ts';

export function lowerPad(m: PadModel, ctx: LowerContext): LayerCode {
  const rank = m.inShape.length;
  const after = m.outShape.map((n, i) => n - m.inShape[i] - m.before[i]);
  // The run: axis k and every axis after it, where no axis after k is padded.
  let k = rank - 1;
  while (k > 0 && m.before[k] === 0 && after[k] === 0) k--;
  const run = elements(m.inShape.slice(k));
  const inStrides = stridesOf(m.inShape);
  const outStrides = stridesOf(m.outShape);
  const origin = m.before.reduce((a, b, i) => a + b * outStrides[i], 0);
  const size = elemBytes(m.dtype);
  const cType = elemCType(m.dtype);
  // memset fills bytes: an int16 value other than 0 and -1 is stored element by element
  const fill = size === 1 || m.value === 0 || m.value === -1
    ? stmt(call('memset', 'output', m.value, elements(m.outShape) * size), `every element ${m.value}, then the input over it`)
    : loop('i', 0, upTo('i', elements(m.outShape)), 'inc', [stmt(assign(index('output', 'i'), m.value))], { braces: false });
  const body = [
    fill,
    ...forEachIndex([...Array(k).keys()].map((d) => `d${d}`), m.inShape.slice(0, k), (at) => [
      stmt(call('memcpy', bin('+', bin('+', 'output', origin), linearIndex(at, outStrides.slice(0, k))),
        bin('+', 'input', linearIndex(at, inStrides.slice(0, k))), run * size)),
    ]),
  ];
  const doc = [
    `${ctx.name}: pad [${m.inShape.join(', ')}] -> [${m.outShape.join(', ')}] with ${m.value} ` +
      `(before [${m.before.join(', ')}], after [${after.join(', ')}]); the raw values are copied unchanged.`,
  ];
  return { k: 'ir', entry: `${ctx.name}_run`, summary: `fill ${m.value}, copy runs of ${run * size} B`, items: [layerFunc(`${ctx.name}_run`, layerParams(['input'], 'output', cType), body, doc)] };
}
