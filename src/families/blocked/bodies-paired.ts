/**
 * Bodies of the forms that pair 16-bit halves or 8-bit lanes in one register: taps and halves (words of two int16
 * inputs or weights), taps8 (SXTB16 lanes), dwpair (depthwise q15 words of inputs and of taps).
 */
import type { KernelModel } from '../../ops/conv_2d/spec/index.ts';
import type { BlockFn, Def8, Halves, Load, PlanMac, Row, Tap, WeightLoad } from './plan.ts';

/**
 * Which elements load as one 32-bit word (both halves used) and which as one sign-extended halfword (its value in
 * the bottom half). `words`: words the SMLALDs need; `singles`: elements the SMLALxy need, taken from a loaded word
 * when one holds them, else paired into a word when `canPair` allows one starting there. Nothing outside the
 * elements asked for is ever read.
 */
export function resolveWords(words: number[], singles: number[], canPair: (e: number) => boolean, newId: () => string) {
  const loads: { id: string; offset: number; word: boolean }[] = [];
  const at = new Map<number, { id: string; half: 'b' | 't' }>();
  const wordAt = new Map<number, string>();
  for (const o of [...new Set(words)].sort((a, b) => a - b)) {
    const id = newId();
    loads.push({ id, offset: o, word: true });
    wordAt.set(o, id);
    if (!at.has(o)) at.set(o, { id, half: 'b' });
    if (!at.has(o + 1)) at.set(o + 1, { id, half: 't' });
  }
  const rest = [...new Set(singles)].filter((e) => !at.has(e)).sort((a, b) => a - b);
  for (const e of rest) {
    if (at.has(e)) continue;
    const id = newId();
    const word = rest.includes(e + 1) && canPair(e);
    loads.push({ id, offset: e, word });
    at.set(e, { id, half: 'b' });
    if (word) at.set(e + 1, { id, half: 't' });
  }
  loads.sort((a, b) => a.offset - b.offset);
  return { loads, at, wordAt };
}

/**
 * One kernel row of the taps or halves form.
 * taps: per channel and pixel, kernel columns c, c+1 pair into one SMLALD where x[p+c] starts a word of the row's
 * input words (p + c even: the words are shared by all pixels and channels); the other columns take SMLALxy with the
 * halves of the words already loaded. Words load unaligned, so every pairing is allowed.
 * halves: at each tap the weights of channels j, j+1 are one aligned word; inputs load as aligned words where the
 * caller keeps px on a word (xWords), else as halfwords.
 */
export function pairedRow(form: 'taps' | 'halves', cols: number[], ob: number, pb: number, xAt: (p: number, kx: number) => number,
  wIndex: (j: number, kx: number) => number, xWords: boolean, xId: () => string, wId: () => string): { loads: Load[]; taps: Tap[] } {
  type Plan = { acc: string; p: number; j: number; kx: number; pair: boolean };
  const plans: Plan[] = [];
  const colSet = new Set(cols);
  for (let j = 0; j < ob; j++)
    for (let p = 0; p < pb; p++)
      for (let i = 0; i < cols.length; i++) {
        const kx = cols[i];
        const pair = form === 'taps' && (p + kx) % 2 === 0 && colSet.has(kx + 1);
        plans.push({ acc: `a${j}_${p}`, p, j, kx, pair });
        if (pair) i++;
      }
  const x = resolveWords(plans.filter((q) => q.pair).map((q) => xAt(q.p, q.kx)), plans.filter((q) => !q.pair).map((q) => xAt(q.p, q.kx)),
    (e) => form === 'taps' || (xWords && e % 2 === 0), xId);
  const half = (h: { half: 'b' | 't' }) => h.half;
  const taps: Tap[] = [];
  const groups = form === 'taps' ? Array.from({ length: ob }, (_, j) => plans.filter((q) => q.j === j))
    : cols.map((kx) => plans.filter((q) => q.kx === kx));
  for (const g of groups) {
    if (g.length === 0) continue;
    const w = resolveWords(g.filter((q) => q.pair).map((q) => wIndex(q.j, q.kx)), g.filter((q) => !q.pair).map((q) => wIndex(q.j, q.kx)),
      (e) => form === 'taps' || e % 2 === 0, wId);
    const macs: PlanMac[] = g.map((q) => {
      if (q.pair) return { acc: q.acc, x: x.wordAt.get(xAt(q.p, q.kx))!, w: w.wordAt.get(wIndex(q.j, q.kx))!, halves: 'd' };
      const xa = x.at.get(xAt(q.p, q.kx))!;
      const wa = w.at.get(wIndex(q.j, q.kx))!;
      return { acc: q.acc, x: xa.id, w: wa.id, halves: `${half(xa)}${half(wa)}` as Halves };
    });
    taps.push({ weights: w.loads.map((l) => ({ id: l.id, index: l.offset, word: l.word })), macs });
  }
  return { loads: x.loads, taps };
}

/**
 * taps8's lanes of one array: (v[e], v[e+2]) registers made from unaligned words where `safe` allows the read, single
 * elements (in either lane of a register already made, else one LDRSB), reading nothing outside `safe`.
 */
export class Lanes8 {
  readonly defs: (Def8 & { id: string; offset: number })[] = [];
  private readonly pairs = new Map<number, { def: Def8 & { id: string }; lane: 'even' | 'odd' }>();
  /**
   * preferBytes: a single element not in a lane already used loads as one LDRSB rather than unpacking a word's other
   * lane (the same instruction count, one register less live: the word dies after its first unpack).
   */
  constructor(private readonly safe: (lo: number, hi: number) => boolean, private readonly newId: () => string,
    private readonly preferBytes = false) {}

  private use(p: { def: Def8 & { id: string }; lane: 'even' | 'odd' }): string {
    p.def[p.lane] = true;
    return `${p.def.id}${p.lane === 'even' ? 'e' : 'o'}`;
  }

  /** A register whose lanes are (v[e], v[e+2]). */
  pair(e: number): string {
    const have = this.pairs.get(e);
    if (have) return this.use(have);
    const start = this.safe(e, e + 3) ? e : this.safe(e - 1, e + 2) ? e - 1 : null;
    if (start === null) {
      const def = { id: this.newId(), offset: e, kind: 'pack' as const, even: true, odd: false };
      this.defs.push(def);
      this.pairs.set(e, { def, lane: 'even' });
      return `${def.id}e`;
    }
    const def = { id: this.newId(), offset: start, kind: 'word' as const, even: false, odd: false };
    this.defs.push(def);
    if (!this.pairs.has(start)) this.pairs.set(start, { def, lane: 'even' });
    if (!this.pairs.has(start + 1)) this.pairs.set(start + 1, { def, lane: 'odd' });
    return this.use(this.pairs.get(e)!);
  }

  /** v[e] in the bottom (b) or top (t) lane of a register: one already used first, then an unused lane, then LDRSB. */
  single(e: number): { ref: string; half: 'b' | 't' } {
    const bottom = this.pairs.get(e);
    const top = this.pairs.get(e - 2);
    const usedLane = (p: typeof bottom) => p !== undefined && p.def[p.lane];
    if (usedLane(bottom)) return { ref: this.use(bottom!), half: 'b' };
    if (usedLane(top)) return { ref: this.use(top!), half: 't' };
    if (!this.preferBytes && bottom) return { ref: this.use(bottom), half: 'b' };
    if (!this.preferBytes && top) return { ref: this.use(top), half: 't' };
    const def = { id: this.newId(), offset: e, kind: 'byte' as const, even: true, odd: false };
    this.defs.push(def);
    this.pairs.set(e, { def, lane: 'even' });
    return { ref: `${def.id}e`, half: 'b' };
  }
}

/**
 * One kernel row of taps8. cs: the row's kernel columns relative to its first valid one; per pixel p, columns c and
 * c+2 pair into one SMLAD of lanes (x[p+c], x[p+c+2]) and (w[c], w[c+2]); the rest take SMLAxy. Inputs are read
 * within the elements the row uses; weights within `wSafe` (the whole unrolled iteration, or a row loop's row).
 */
export function taps8Row(cs: number[], ob: number, pb: number, rowOffset: number, wIndex: (j: number, c: number) => number,
  wSafe: (lo: number, hi: number) => boolean, xId: () => string, wId: () => string): { loads: Load[]; taps: Tap[] } {
  const sorted = [...cs].sort((a, b) => a - b);
  const pairs: number[] = [];
  const singles: number[] = [];
  const used = new Set<number>();
  for (const c of sorted) {
    if (used.has(c)) continue;
    used.add(c);
    if (sorted.includes(c + 2) && !used.has(c + 2)) {
      used.add(c + 2);
      pairs.push(c);
    } else singles.push(c);
  }
  const lo = sorted[0];
  const hi = pb - 1 + sorted[sorted.length - 1];
  const x = new Lanes8((a, b) => a >= lo && b <= hi, xId);
  const xPair = new Map<number, string>();
  for (const c of pairs) for (let p = 0; p < pb; p++) xPair.set(p + c, x.pair(p + c));
  const xSingle = new Map<number, { ref: string; half: 'b' | 't' }>();
  for (const c of singles) for (let p = 0; p < pb; p++) if (!xSingle.has(p + c)) xSingle.set(p + c, x.single(p + c));
  const taps: Tap[] = [];
  for (let j = 0; j < ob; j++) {
    const w = new Lanes8(wSafe, wId, true);
    const macs: PlanMac[] = [];
    const wPair = new Map(pairs.map((c) => [c, w.pair(wIndex(j, c))]));
    const wSingle = new Map(singles.map((c) => [c, w.single(wIndex(j, c))]));
    for (let p = 0; p < pb; p++) {
      for (const c of pairs) macs.push({ acc: `a${j}_${p}`, x: xPair.get(p + c)!, w: wPair.get(c)!, halves: 'd' });
      for (const c of singles) {
        const xs = xSingle.get(p + c)!;
        const ws = wSingle.get(c)!;
        macs.push({ acc: `a${j}_${p}`, x: xs.ref, w: ws.ref, halves: `${xs.half}${ws.half}` as Halves });
      }
    }
    taps.push({ weights: w.defs.map((d) => ({ id: d.id, index: d.offset, b8: { kind: d.kind, even: d.even, odd: d.odd } })), macs });
  }
  const loads = x.defs.map((d) => ({ id: d.id, offset: rowOffset + d.offset, b8: { kind: d.kind, even: d.even, odd: d.odd } }))
    .sort((a, b) => a.offset - b.offset);
  return { loads, taps };
}

/**
 * dwpair's unrolled functions, one channel and pb pixels: the interior (every tap), a band (its valid kernel rows, every
 * column) or a column function (its valid kernel columns, every row; pixels down the column). Per input row, its
 * inputs as aligned words where they start on an even element (px sits on a word when `xWords`), else halfwords, then
 * every MAC that reads the row. The channel's weights (raw order: tap (ky, kx) at element ky x KW + kx, relative to the
 * function's first valid tap) as aligned words of two consecutive elements starting on an element of the pointer's
 * parity, the rest as halfwords, all loaded once per call (the same for every pixel block). Weight pointers on both
 * parities (an odd number of taps per channel, a border's first tap) run a second body that pairs the other way.
 */
export function dwpairFn(m: KernelModel, s: { ci: number; row: number; col: number }, kind: BlockFn['kind'], kxs: number[], kys: number[],
  pb: number, fn: string, doc: string, live: Set<string>, xWords: boolean): BlockFn {
  const per = m.kH * m.kW;
  const down = kind === 'column';
  const kyBase = kys[0];
  const kxBase = kxs[0];
  const taps: { ky: number; kx: number }[] = [];
  for (const ky of kys) for (const kx of kxs) if (live.has(`${ky},${kx}`)) taps.push({ ky, kx });
  // in rows (units of the input row) and columns from the function's first input
  const rowOf = (p: number, ky: number) => (down ? p * m.strideH : 0) + (ky - kyBase) * m.dilH;
  const colOf = (p: number, kx: number) => (down ? 0 : p * m.strideW) + (kx - kxBase) * m.dilW;
  const inRows = [...new Set(taps.flatMap((t) => Array.from({ length: pb }, (_, p) => rowOf(p, t.ky))))].sort((a, b) => a - b);
  const body = (parity: number, prefix: string): { rows: Row[]; weights: WeightLoad[] } => {
    let loadId = 0;
    let weightId = 0;
    const w = resolveWords([], taps.map((t) => (t.ky - kyBase) * m.kW + t.kx - kxBase), (e) => (e + parity) % 2 === 0, () => `${prefix}w${weightId++}`);
    const rows: Row[] = [];
    for (const r of inRows) {
      const reads = taps.flatMap((t) => Array.from({ length: pb }, (_, p) => ({ ...t, p })).filter((q) => rowOf(q.p, q.ky) === r));
      const xAt = (q: { p: number; kx: number }) => r * s.row + colOf(q.p, q.kx) * s.col;
      const x = resolveWords([], reads.map(xAt), (e) => xWords && e % 2 === 0, () => `${prefix}x${loadId++}`);
      const macs: PlanMac[] = reads.map((q) => {
        const xa = x.at.get(xAt(q))!;
        const wa = w.at.get((q.ky - kyBase) * m.kW + q.kx - kxBase)!;
        return { acc: `a0_${q.p}`, x: xa.id, w: wa.id, halves: `${xa.half}${wa.half}` as Halves };
      });
      rows.push({ ky: r, inputRow: true, loads: x.loads, taps: [{ weights: [], macs }] });
    }
    return { rows, weights: w.loads.map((l) => ({ id: l.id, index: l.offset, word: l.word })) };
  };
  const even = body(0, '');
  // The interior's pointers are o x per (odd ones only with an odd per); a border's add its first tap: either parity.
  const odd = kind !== 'unrolled' || (per % 2 === 1 && m.outC > 1) ? body(1, 'v') : null;
  return {
    fn, doc, kind, ob: 1, pb, accs: Array.from({ length: pb }, (_, p) => ({ id: `a0_${p}`, j: 0, p })), laneAccs: [],
    rows: even.rows, weightsPerCi: per, rowWeights: m.kW, ciStep: 1, unit: 1, macForm: 'dwpair', hasTaps: even.rows.length > 0,
    outlineFinish: false, wAdvance: 0, pairHis: [], dw: { weights: even.weights, odd },
  };
}
