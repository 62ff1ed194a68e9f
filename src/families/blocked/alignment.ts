/**
 * Alignment proofs: where input words of two int16 elements are aligned (a row's lead pixel puts them there), where
 * weight pointers are 8-byte aligned for LDRD, and the LDRD pairing of weight words itself.
 */
import type { KernelModel } from '../../ops/conv_2d/spec/index.ts';
import type { AxisBand } from '../../codegen/geometry.ts';
import { strides } from './geometry.ts';
import type { MacForm, Row, WeightLoad } from './plan.ts';

/**
 * halves, dwpair: interior pixel blocks keep the word alignment of their input (an even number of elements apart, and
 * every group's input plane starts on the parity of the first), so a row's lead pixel puts them on words (with an even
 * step along W no pixel does: such a row runs every pixel through the tail, see the run function).
 */
export function wordInputs(m: KernelModel, form: MacForm, pixels: number): boolean {
  const s = strides(m);
  return (form === 'halves' || form === 'dwpair') && pixels % 2 === 0 && (pixels * m.strideW * s.col) % 2 === 0
    && (m.groups === 1 || (m.inPerGroup * s.ci) % 2 === 0);
}

/**
 * dwpair's column functions (pixels down one output column): every call's first input is on an even element when the
 * rows and the groups' planes are an even number of elements apart and every column of the band reads from an even
 * input column (one column, or an even stride).
 */
export function columnWords(m: KernelModel, x: AxisBand): boolean {
  const s = strides(m);
  if (s.col !== 1 || s.row % 2 !== 0 || (m.groups > 1 && (m.inPerGroup * s.ci) % 2 !== 0) || x.valid.length === 0) return false;
  if (x.lo !== x.hi && m.strideW % 2 !== 0) return false;
  return (x.lo * m.strideW - m.pad.left + x.valid[0] * m.dilW) % 2 === 0;
}

/** int16 elements in the 8 bytes an ARMv5TE LDRD needs its address aligned to. */
export const LDRD_ELEMENTS = 4;

/** LDRD's immediate offset reaches ±255 bytes: ±127 int16 elements. */
export const LDRD_REACH = 127;

/**
 * halves: whether every call of an interior function (blocks of `ob` channels) gets an 8-byte aligned weight pointer:
 * the array is aligned(8) and every base it is called with, group x GROUP_WEIGHTS + block x BLOCK_WEIGHTS (the tail
 * block's too) at tap 0 (the interior's first tap), is a multiple of LDRD_ELEMENTS. (The iteration stride is checked
 * per function.)
 */
export function ldrdBaseAligned(m: KernelModel, form: MacForm, ob: number): boolean {
  const per = m.inPerGroup * m.kH * m.kW;
  return form === 'halves' && (m.groups === 1 || (m.outPerGroup * per) % LDRD_ELEMENTS === 0) && (ob * per) % LDRD_ELEMENTS === 0;
}

/**
 * halves: pairs of weight words loaded by one LDRD each. A word at element e (e a multiple of LDRD_ELEMENTS from the
 * iteration's start, whose pointer is 8-byte aligned) pairs with the word at e + 2 when both are loaded; the pair
 * loads where e's word did and the second word stays live until its tap. The loads move the weight pointer (post- or
 * pre-indexed: no address register per pair, no immediate beyond LDRD's reach); every other weight is read relative
 * to where the pointer then is. Returns the rows unchanged when nothing pairs or an LDRD offset would not fit.
 */
export function pairWeightWords(rows: Row[], stride: number): { rows: Row[]; wAdvance: number; pairHis: string[] } {
  const none = { rows, wAdvance: 0, pairHis: [] };
  const order = rows.flatMap((r) => r.taps.flatMap((t) => t.weights));
  const pos = new Map(order.map((w, i) => [w, i]));
  const wordAt = new Map(order.filter((w) => w.word).map((w) => [w.index, w]));
  const hiOf = new Map<WeightLoad, WeightLoad>();
  const his = new Set<WeightLoad>();
  for (const w of order) {
    const hi = wordAt.get(w.index + 2);
    if (!w.word || w.index % LDRD_ELEMENTS !== 0 || his.has(w) || !hi || his.has(hi) || pos.get(hi)! < pos.get(w)!) continue;
    hiOf.set(w, hi);
    his.add(hi);
  }
  if (hiOf.size === 0) return none;
  const los = order.filter((w) => hiOf.has(w));
  const made = new Map<WeightLoad, WeightLoad>();
  let cursor = 0;
  for (const w of order) {
    if (his.has(w)) continue;
    const hi = hiOf.get(w);
    if (!hi) {
      made.set(w, { ...w, rel: w.index - cursor });
      continue;
    }
    const next = los[los.indexOf(w) + 1];
    const pre = cursor !== w.index;
    const step = pre ? w.index - cursor : (next ? next.index : stride) - w.index;
    if (Math.abs(step) > LDRD_REACH) return none;
    cursor = pre ? w.index : w.index + step;
    made.set(w, { ...w, rel: 0, pair: { hi: hi.id, pre, step } });
  }
  return {
    rows: rows.map((r) => ({ ...r, taps: r.taps.map((t) => ({ ...t, weights: t.weights.filter((w) => !his.has(w)).map((w) => made.get(w)!) })) })),
    wAdvance: cursor,
    pairHis: [...his].map((w) => w.id),
  };
}

/**
 * Blockings the paired forms allow. halves: every block (and the tail block) whole channel pairs, so that each
 * weight word a block reads is aligned (the weight array is word aligned and every block starts on a word).
 */
export function pairedShapeOk(m: KernelModel, form: MacForm, ob: number): boolean {
  if (form !== 'halves') return true;
  return ob % 2 === 0 && (m.outPerGroup % ob) % 2 === 0;
}
