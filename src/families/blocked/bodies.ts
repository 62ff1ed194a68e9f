/**
 * Block-function bodies: per function kind (interior, row loop, column, band), its rows of taps with each input
 * loaded once and shared by every tap and pixel that reads it, in the plain forms (single, dual, quad, lane2,
 * lane2w); the paired forms build their rows in bodies-paired.ts.
 */
import type { KernelModel } from '../../ops/conv_2d/spec/index.ts';
import { pairWeightWords, LDRD_ELEMENTS } from './alignment.ts';
import { dwpairFn, pairedRow, taps8Row } from './bodies-paired.ts';
import { rowContiguousWeights, unitOf, weightSlots } from './forms.ts';
import { UNROLL_MACS } from './measured.ts';
import type { BlockFn, Load, MacForm, PlanMac, Row, Tap } from './plan.ts';

/** Input channels per iteration of the interior's loop: enough MACs per iteration to amortize the loop (~24). */
export function ciUnroll(inPerGroup: number, macsPerCi: number, unroll = UNROLL_MACS): number {
  const want = Math.min(8, Math.ceil(unroll / Math.max(1, macsPerCi)));
  for (let u = want; u > 1; u--) if (inPerGroup % u === 0) return u;
  return 1;
}

export function blockFn(m: KernelModel, s: { ci: number; row: number; col: number }, kind: BlockFn['kind'], kxs: number[],
  ob: number, pb: number, fn: string, doc: string, live: Set<string>, form: MacForm, weightStride: number, alignedInput = false,
  unroll = UNROLL_MACS, kys: number[] = [], ldrdBase = false): BlockFn {
  // lane2 packs pixel pairs where its bound is proved (the interior) and the block is pairs; elsewhere single.
  const lanes = form === 'lane2' && kind === 'unrolled' && pb % 2 === 0;
  if (form === 'lane2' && !lanes) form = 'single';
  // dwpair: the unrolled interior only (its pixel blocks keep px on a word); the border functions multiply as single.
  if (form === 'dwpair' && kind === 'rowloop') form = 'single';
  if (form === 'dwpair') return dwpairFn(m, s, kind, kxs, kind === 'unrolled' ? Array.from({ length: m.kH }, (_, i) => i) : kys, pb, fn, doc, live, alignedInput);
  const unit = unitOf[form];
  const kxMin = kxs.length ? kxs[0] : 0;
  // The unrolled interior (and a band, over its valid rows) drops taps that are zero everywhere; a row loop serves
  // any row, so it keeps them all.
  const unrolledRows = kind === 'unrolled' || kind === 'band';
  const rowsToEmit = kind === 'unrolled' ? Array.from({ length: m.kH }, (_, i) => i) : kind === 'band' ? kys : [0];
  // A band's pointers sit on its first valid kernel row.
  const kyBase = kind === 'band' ? kys[0] : 0;
  const colsOf = (ky: number) => (unrolledRows ? kxs.filter((kx) => live.has(`${ky},${kx}`)) : kxs);
  // Weight-array elements per tap: lane2w's words hold two channels each.
  const wob = weightSlots(form, ob);
  const macsPerCi = rowsToEmit.reduce((a, ky) => a + colsOf(ky).length, 0) * ob * pb;
  const ciStep = kind === 'unrolled' ? ciUnroll(m.inPerGroup / unit, macsPerCi * unit, unroll) : 1;
  const rows: Row[] = [];
  let loadId = 0;
  let weightId = 0;
  if (kind === 'column') rows.push(...columnGroups(m, s, kxs, ob, pb, live, form, weightStride));
  else for (let u = 0; u < ciStep; u++)
    for (const ky of rowsToEmit) {
      const cols = colsOf(ky);
      if (cols.length === 0) continue;
      const rowOffset = u * unit * s.ci + (unrolledRows ? (ky - kyBase) * m.dilH * s.row : 0);
      const xAt = (p: number, kx: number) => rowOffset + (p * m.strideW + (kx - kxMin) * m.dilW) * s.col;
      // Weight-array element of (channel j of the block, kernel column kx) in this row, in units of weightStride: the
      // row-contiguous order ([ci][ky][j][kx]) or the blocked one ([ci][ky][kx][j]); a row loop's pointer already sits
      // on its row's first valid column.
      const wIndex = (j: number, kx: number) => rowContiguousWeights(form)
        ? (unrolledRows ? ((u * m.kH + ky - kyBase) * ob + j) * m.kW + kx : j * m.kW + (kx - kxMin))
        : (unrolledRows ? (u * m.kH * m.kW + (ky - kyBase) * m.kW + kx) * wob + j : (kx - kxMin) * wob + j);
      const xId = () => `x${loadId++}`;
      const wId = () => `w${weightId++}`;
      // Weight elements taps8 may read in a call: the interior's whole iteration, a row loop's one kernel row.
      const wSafe = kind === 'unrolled' ? (lo: number, hi: number) => lo >= 0 && hi < ciStep * m.kH * ob * m.kW
        : (lo: number, hi: number) => lo >= -kxMin && hi < ob * m.kW - kxMin;
      // taps/halves: px sits on a word (the caller's lead) and stays there: input words start at even offsets.
      const xWords = form === 'taps' || (alignedInput && (ciStep * s.ci) % 2 === 0);
      const r = form === 'taps8' ? taps8Row(cols.map((kx) => kx - kxMin), ob, pb, rowOffset, (j, c) => wIndex(j, c + kxMin), wSafe, xId, wId)
        : form === 'taps' || form === 'halves' ? pairedRow(form, cols, ob, pb, xAt, wIndex, xWords, xId, wId)
          : lanes ? lane2Row(cols, ob, pb, xAt, wIndex, xId, wId)
            : form === 'lane2w' ? lane2wGroup(cols, ob, pb, xAt, wIndex, xId, wId)
            : plainRow(cols, ob, pb, xAt, wIndex, weightStride, xId, wId);
      rows.push({ ky, ...(u > 0 ? { channel: u } : {}), loads: r.loads, taps: r.taps });
    }
  const accs = [];
  const laneAccs = [];
  if (lanes) for (let j = 0; j < ob; j++) for (let q = 0; q < pb / 2; q++) laneAccs.push({ id: `l${j}_${q}`, j, p0: 2 * q, p1: 2 * q + 1 });
  else if (form === 'lane2w') for (let k = 0; k < wob; k++) for (let p = 0; p < pb; p++)
    laneAccs.push({ id: `l${k}_${p}`, j: 2 * k, p0: p, p1: p, j1: 2 * k + 1 < ob ? 2 * k + 1 : null });
  else for (let j = 0; j < ob; j++) for (let p = 0; p < pb; p++) accs.push({ id: `a${j}_${p}`, j, p });
  const weightsPerCi = m.kH * m.kW * wob * weightStride;
  // LDRD pairs: the interior only (its calls start at tap 0), where every iteration keeps the pointer 8-byte aligned.
  const paired = kind === 'unrolled' && form === 'halves' && ldrdBase && (ciStep * weightsPerCi) % LDRD_ELEMENTS === 0
    ? pairWeightWords(rows, ciStep * weightsPerCi) : { rows, wAdvance: 0, pairHis: [] };
  return {
    fn, doc, kind, ob, pb, accs, laneAccs, rows: paired.rows, weightsPerCi, rowWeights: m.kW * wob * weightStride,
    ciStep, unit, macForm: form, hasTaps: rows.length > 0, outlineFinish: false, wAdvance: paired.wAdvance, pairHis: paired.pairHis,
    dw: null,
  };
}

/**
 * A column function's taps, one group per kernel column (the transpose of the interior's kernel rows): pixel p of the
 * block sits p output rows down, so the inputs of a kernel column (pixels x kernel rows) are loaded once and shared
 * by every tap and pixel that reads them. The weight pointer sits on tap (kernel row 0, the first valid column).
 * Taps whose weights are zero in every channel are left out, as in the interior.
 */
export function columnGroups(m: KernelModel, s: { ci: number; row: number; col: number }, kxs: number[], ob: number, pb: number,
  live: Set<string>, form: MacForm, weightStride: number): Row[] {
  const kxMin = kxs[0];
  const groups: Row[] = [];
  let loadId = 0;
  let weightId = 0;
  for (const kx of kxs) {
    const kys = Array.from({ length: m.kH }, (_, i) => i).filter((ky) => live.has(`${ky},${kx}`));
    if (kys.length === 0) continue;
    const xAt = (p: number, ky: number) => (p * m.strideH + ky * m.dilH) * s.row + (kx - kxMin) * m.dilW * s.col;
    const wIndex = (j: number, ky: number) => (ky * m.kW + kx - kxMin) * weightSlots(form, ob) + j;
    if (form === 'halves') {
      // Inputs one halfword each (a column's are a row apart); each tap's channel pairs are one aligned weight word.
      const r = pairedRow('halves', kys, ob, pb, xAt, wIndex, false, () => `x${loadId++}`, () => `w${weightId++}`);
      groups.push({ ky: kx, column: true, loads: r.loads, taps: r.taps });
      continue;
    }
    const r = form === 'lane2w' ? lane2wGroup(kys, ob, pb, xAt, wIndex, () => `x${loadId++}`, () => `w${weightId++}`)
      : plainRow(kys, ob, pb, xAt, wIndex, weightStride, () => `x${loadId++}`, () => `w${weightId++}`);
    groups.push({ ky: kx, column: true, loads: r.loads, taps: r.taps });
  }
  return groups;
}

/**
 * One group of taps in the plain forms (single, dual, quad): for each kernel position of the group (a row's columns,
 * or a column's rows), the block's weights there and a MAC per (pixel, channel); each input element is loaded once
 * however many taps and pixels read it (loads in address order).
 */
export function plainRow(positions: number[], ob: number, pb: number, xAt: (p: number, k: number) => number,
  wIndex: (j: number, k: number) => number, weightStride: number, xId: () => string, wId: () => string): { loads: Load[]; taps: Tap[] } {
  const ids = new Map<number, string>();
  const loads: Load[] = [];
  const xFor = (p: number, k: number): string => {
    const off = xAt(p, k);
    let id = ids.get(off);
    if (!id) {
      id = xId();
      ids.set(off, id);
      loads.push({ id, offset: off });
    }
    return id;
  };
  const taps: Tap[] = positions.map((k) => {
    const weights = Array.from({ length: ob }, (_, j) => ({ id: wId(), index: wIndex(j, k) * weightStride }));
    const macs: PlanMac[] = [];
    for (let p = 0; p < pb; p++) {
      const x = xFor(p, k);
      for (let j = 0; j < ob; j++) macs.push({ acc: `a${j}_${p}`, x, w: weights[j].id });
    }
    return { weights, macs };
  });
  loads.sort((a, b) => a.offset - b.offset);
  return { loads, taps };
}

/**
 * One kernel row of lane2: per pixel pair q and kernel column kx, the packed value of the pair's two inputs (pixels
 * 2q and 2q+1 read elements a and a + stride), made once and shared by every tap and channel that reads it; per
 * tap, a weight per channel and an SMLAL per channel and pair.
 */
export function lane2Row(cols: number[], ob: number, pb: number, xAt: (p: number, kx: number) => number,
  wIndex: (j: number, kx: number) => number, xId: () => string, wId: () => string): { loads: Load[]; taps: Tap[] } {
  const ids = new Map<number, string>();
  const loads: Load[] = [];
  const packed = (q: number, kx: number): string => {
    const offset = xAt(2 * q, kx);
    let id = ids.get(offset);
    if (!id) {
      id = xId();
      ids.set(offset, id);
      loads.push({ id, offset, lane: xAt(2 * q + 1, kx) });
    }
    return id;
  };
  const taps: Tap[] = cols.map((kx) => {
    const weights = Array.from({ length: ob }, (_, j) => ({ id: wId(), index: wIndex(j, kx) }));
    const macs: PlanMac[] = [];
    for (let q = 0; q < pb / 2; q++) {
      const x = packed(q, kx);
      for (let j = 0; j < ob; j++) macs.push({ acc: `l${j}_${q}`, x, w: weights[j].id });
    }
    return { weights, macs };
  });
  loads.sort((a, b) => a.offset - b.offset);
  return { loads, taps };
}

/**
 * One group of lane2w taps (a row's columns or a column's rows): each input element loaded once (plain, no packing),
 * per kernel position a word per channel pair (k: channels 2k, 2k+1) and an SMLAL per pair and pixel.
 */
export function lane2wGroup(positions: number[], ob: number, pb: number, xAt: (p: number, k: number) => number,
  wIndex: (k: number, pos: number) => number, xId: () => string, wId: () => string): { loads: Load[]; taps: Tap[] } {
  const plain = plainRow(positions, weightSlots('lane2w', ob), pb, xAt, wIndex, 1, xId, wId);
  // plainRow names the accumulators a<k>_<p>; lane2w's are lane pairs l<k>_<p>.
  return { loads: plain.loads, taps: plain.taps.map((t) => ({ ...t, macs: t.macs.map((mac) => ({ ...mac, acc: `l${mac.acc.slice(1)}` })) })) };
}
