/**
 * Regions and their functions: the output plane split by which kernel rows and columns fall inside the input, each
 * region given block functions (shared where their code would be the same), and the code bytes of the whole.
 */
import type { KernelModel } from '../../ops/conv_2d/spec/index.ts';
import type { CoreTuning } from '../../tuning/cores.ts';
import { axisBands } from '../../codegen/geometry.ts';
import { columnWords, ldrdBaseAligned, wordInputs } from './alignment.ts';
import { blockFn } from './bodies.ts';
import { fnBytes } from './cost.ts';
import { rowContiguousWeights } from './forms.ts';
import { strides } from './geometry.ts';
import { BLOCK_TAIL_FORMS, REGION_ROW_BYTES, RUN_BYTES } from './measured.ts';
import type { BlockFn, FinishPlacement, MacForm, Region, Shape } from './plan.ts';

export const outlinedIn = (p: FinishPlacement, kind: BlockFn['kind']) => p === 'all' || (p === 'border' && kind !== 'unrolled');

export function build(m: KernelModel, shape: Shape, accWords: number, live: Set<string>, form: MacForm, weightStride: number, tune: CoreTuning,
  ldrd = false, blockTails = true) {
  const { ob, pb } = shape;
  const pairBase = ldrd && ldrdBaseAligned(m, form, ob);
  const s = strides(m);
  const yBands = axisBands(m.outH, m.inH, m.kH, m.strideH, m.dilH, m.pad.top);
  const xBands = axisBands(m.outW, m.inW, m.kW, m.strideW, m.dilW, m.pad.left);
  const sizes = m.outPerGroup % ob > 0 ? [ob, m.outPerGroup % ob] : [ob];
  const fns: BlockFn[] = [];
  const names = new Map<string, string>();
  const leadOk = (pixels: number) => wordInputs(m, form, pixels);
  const fnFor = (kind: BlockFn['kind'], kxs: number[], size: number, pixels: number, doc: string, kys: number[] = [],
    aligned = kind === 'unrolled' && leadOk(pixels)): string => {
    // A row loop's code depends only on how many columns it has (offsets are relative to its first column), so
    // column sets of the same length share one function (GCC would merge the copies and confuse stack analysis).
    // So does a column function's: it depends on its columns' live kernel rows, relative to its first column.
    // A band function's on its rows' live kernel columns, relative to its first row.
    const liveMask = (ky: number) => Array.from({ length: m.kW }, (_, kx) => (live.has(`${ky},${kx}`) ? 1 : 0)).join('');
    const liveRows = (kx: number) => Array.from({ length: m.kH }, (_, ky) => (live.has(`${ky},${kx}`) ? 1 : 0)).join('');
    const shapeKey = kind === 'rowloop' ? String(kxs.length) : kind === 'column' ? kxs.map(liveRows).join('|')
      : kind === 'band' ? kys.map(liveMask).join('|') : kxs.join(',');
    const key = `${kind}|${shapeKey}|${size}|${pixels}|${aligned}`;
    let name = names.get(key);
    if (!name) {
      name = `${{ unrolled: 'interior', rowloop: 'rows', column: 'column', band: 'band' }[kind]}${fns.length}_o${size}_p${pixels}`;
      names.set(key, name);
      fns.push({ ...blockFn(m, s, kind, kxs, size, pixels, name, doc, live, form, weightStride, aligned, shape.unroll, kys, pairBase),
        outlineFinish: outlinedIn(shape.outline, kind) });
    }
    return name;
  };
  const regions: Region[] = [];
  for (const y of yBands)
    for (const x of xBands) {
      const width = x.hi - x.lo + 1;
      const height = y.hi - y.lo + 1;
      const interior = y.valid.length === m.kH && x.valid.length === m.kW;
      // A side band (all kernel rows valid, narrower than tall) runs down its columns: a row loop there makes one
      // pixel per call with a loop per kernel row, several times the interior's instructions per MAC.
      const vertical = shape.columnPb > 0 && !interior && y.valid.length === m.kH && x.valid.length > 0 && height > width
        && !rowContiguousWeights(form);
      // A top or bottom band (every kernel column valid) unrolls its valid kernel rows: a row loop there pays its
      // loop and a reload of the row's inputs per kernel row. (taps8 reads weight words around its taps: not here.)
      const band = shape.bands && !interior && !vertical && x.valid.length === m.kW && y.valid.length > 0 && form !== 'taps8';
      const kind: BlockFn['kind'] = interior ? 'unrolled' : vertical ? 'column' : band ? 'band' : 'rowloop';
      const length = vertical ? height : width;
      // halves: row-loop bands one pixel at a time (their pixel-block copies would not fit the code budget).
      const regionPb = vertical ? (length >= shape.columnPb ? shape.columnPb : 1)
        : length >= pb && (interior || band || form !== 'halves') ? pb : 1;
      // dwpair: its band functions load input words too, so their rows take the lead pixel as the interior's do; its
      // column functions load words where every call's input is on the parity of the band's first (proved here), and
      // run every pixel through the tail if that one is off a word (checked at run time: `lead`); that tail is a row
      // loop (halfwords; the corners' function where the column count is theirs).
      const columnLead = kind === 'column' && form === 'dwpair' && columnWords(m, x);
      const lead = ((interior || (band && form === 'dwpair')) && leadOk(regionPb)) || columnLead;
      const doc = interior ? 'interior: every tap inside the input'
        : vertical ? `side band: ${x.valid.length} consecutive kernel column(s), every kernel row, pixels down the column`
          : band ? `top or bottom band: every kernel column, kernel rows ${y.valid.join(', ')} relative to the first`
            : `border: ${x.valid.length} consecutive kernel column(s), any kernel rows`;
      const main: Record<number, string> = {};
      const tail: Record<number, string> = {};
      // The pixels a row has left after its blocks: one block of that many (its input read as the plain form does)
      // where the form allows, rather than one call per pixel.
      const rest = length % regionPb;
      const tailPb = blockTails && rest >= 2 && !lead && !vertical && BLOCK_TAIL_FORMS.includes(form) ? rest : 1;
      for (const size of sizes) {
        main[size] = fnFor(kind, x.valid, size, regionPb, doc, y.valid, lead);
        if (columnLead) tail[size] = fnFor('rowloop', x.valid, size, 1, 'border, or a side band whose input is off a word');
        else if (rest !== 0) tail[size] = fnFor(kind, x.valid, size, tailPb, doc, y.valid, false);
        // A row's lead pixel (only when its input starts off a word): a row loop is enough, and much smaller.
        else if (lead) tail[size] = fnFor('rowloop', x.valid, size, 1, 'border, or the lead pixel of an interior row');
      }
      regions.push({
        y, x, pb: regionPb, main, tail, tailPb,
        kyMin: y.valid.length ? y.valid[0] : 0,
        kxMin: x.valid.length ? x.valid[0] : 0,
        rows: y.valid.length,
        lead,
        vertical,
      });
    }
  const bytes = RUN_BYTES + REGION_ROW_BYTES * regions.length + (fns.some((f) => f.outlineFinish) ? tune.codeCost.finishBody : 0)
    + fns.reduce((a, f) => a + fnBytes(f, accWords, m, tune), 0);
  return { fns, regions, bytes, sizes };
}
