/**
 * The MVE (HWC) family's decisions: which kernel shape takes the spec (dot or depthwise), the blocking, the block
 * functions (one per distinct shape: valid kernel columns, channels, pixels), the regions, the blocked weights and
 * seeds, and where the int8 output stage runs on vectors. Every constant was measured under QEMU on the bench shapes.
 */
import type { KernelModel } from '../../ops/conv_2d/spec/index.ts';
import type { IsaFeatures } from '../../targets/index.ts';
import type { AccumulatorPlan } from '../../codegen/accumulator.ts';
import { axisBands, type AxisBand } from '../../codegen/geometry.ts';
import { foldedSeeds } from '../seeds.ts';

export type MveShape = 'dot' | 'dw';

/** Which MVE kernel handles the spec exactly, or null (the next family takes it). */
export function mveShape(m: KernelModel, acc: AccumulatorPlan, isa: IsaFeatures): MveShape | null {
  if (!isa.mve || m.layout !== 'hwc') return null;
  const bits = m.numeric.storage.bits;
  if (bits !== 8 && bits !== 16) return null;
  // The region table stores kernel rows and columns in bytes.
  if (m.kH > 255 || m.kW > 255) return null;
  // The interior multiplies raw inputs: the folded seeds must keep every partial sum within the accumulator.
  if (m.numeric.inputOffset !== 0 && foldedSeeds(m, acc.accType) === null) return null;
  if (m.groups > 1 && m.inPerGroup === 1) return acc.accType === 'int32_t' ? 'dw' : null;
  // VMLADAVA.S8 / .S16 accumulate in 32 bits, VMLALDAVA.S16 in 64; there is no 64-bit form for 8-bit lanes.
  if (acc.accType === 'int64_t' && bits === 8) return null;
  return 'dot';
}

/** Blocking override for experiments and tests: output channels x pixels. */
export interface MveOptions {
  ob?: number;
  pb?: number;
}

/** A region: a rectangle of outputs with the same valid kernel rows and columns, and its functions (null: none). */
export interface MveRegion {
  y: AxisBand;
  x: AxisBand;
  interior: boolean;
  pb: number;
  /** Function numbers: pixel blocks, single pixels; then the same for the tail block of channels (dot only). */
  fns: [number, number, number | null, number | null];
}

/** One dot chunk: the input vectors it loads and the weight vectors, each with the MACs it feeds. */
export interface DotChunk {
  xs: { id: string; off: number; pred: boolean }[];
  ws: { id: string; off: number; pred: boolean; macs: { acc: string; x: string }[] }[];
}

export interface DotFn {
  name: string;
  /** Valid kernel columns, output channels, pixels. */
  n: number;
  ob: number;
  pb: number;
  accs: { id: string; j: number; p: number }[];
  chunks: DotChunk[];
  /** Elements of the predicated last chunk (0: none). */
  tailLen: number;
  wRowStep: number;
}

export interface DwFn {
  name: string;
  n: number;
  pb: number;
  /** Border functions add the input offset to each input (int8 with an offset, outside the interior). */
  border: boolean;
  seeds: string;
  doc: string;
  taps: { w: string; woff: number; xs: { id: string; acc: string; off: number }[] }[];
}

/** The int8 output stage on 4 consecutive output channels: per-channel quantities as a constant or a padded table. */
export type VectorParam = { k: 'const'; value: number } | { k: 'table'; name: string; values: number[] };
export interface VectorStage {
  noLeft: boolean;
  left: VectorParam;
  mult: VectorParam;
  negRight: VectorParam;
  preLo: number;
  preHi: number;
}

interface Common {
  regions: MveRegion[];
  weights: number[];
  vq: VectorStage | null;
  foldOffset: boolean;
}

export type MvePlan =
  | (Common & { shape: 'dot'; ob: number; pb: number; lanes: number; estimate: number; fns: DotFn[]; tailSize: number; folded: bigint[] })
  | (Common & { shape: 'dw'; pb: number; fns: DwFn[]; seeds: bigint[]; borderSeeds: bigint[] | null });

interface Segment {
  xoff: number;
  woff: number;
  len: number;
}

const isInterior = (m: KernelModel, y: AxisBand, x: AxisBand) => y.valid.length === m.kH && x.valid.length === m.kW;

/** A row's spans: merged across columns when the group is every channel and columns are adjacent. */
function segments(m: KernelModel, n: number): Segment[] {
  if (n === 0) return [];
  if (m.dilW === 1 && m.inPerGroup === m.inC) return [{ xoff: 0, woff: 0, len: n * m.inC }];
  return Array.from({ length: n }, (_, i) => ({ xoff: i * m.dilW * m.inC, woff: i * m.inPerGroup, len: m.inPerGroup }));
}

/**
 * Estimated instructions per MAC of the interior's taps for an ob x pb blocking (stated in the C header; the output
 * stage is not included): predicated loads take a VPST; a row whose input vectors do not fit the 8 Q registers (with one weight) spills;
 * many accumulators cost moves; a block costs its seeds and call, a pixel its output-stage loop.
 */
function dotCost(m: KernelModel, lanes: number, ob: number, pb: number): number {
  let perRow = 3;
  const rowXs = new Set<number>();
  for (const s of segments(m, m.kW))
    for (let c = 0; c * lanes < s.len; c++) {
      const pred = (c + 1) * lanes > s.len ? 2 : 1;
      const xs = new Set<number>();
      for (let p = 0; p < pb; p++) xs.add(p * m.strideW * m.inC + s.xoff + c * lanes);
      for (const x of xs) rowXs.add(x);
      // Beyond ~4 accumulators GCC shuffles them through the even registers VMLADAVA needs (a MOV pair each).
      perRow += xs.size * pred + ob * pred + ob * pb + 1.5 * Math.max(0, ob * pb - 4);
    }
  perRow += 4 * Math.max(0, rowXs.size + 1 - 8);
  const macs = ob * pb * m.inPerGroup * m.kH * m.kW;
  return (m.kH * perRow + 20 + 16 * pb) / macs;
}

/**
 * Blocking, as measured under QEMU on the bench shapes : the output stage and the
 * per-pixel work dominate, so 4 output channels per block (one input vector feeds 4 VMLADAVAs) and one pixel, unless
 * neighbouring pixels share input vectors (pixel stride a multiple of the vector: then 2 pixels). Accumulators live
 * in even general registers (VMLADAVA's RdaLo): int64 pairs allow at most 3.
 */
function chooseDot(m: KernelModel, acc: AccumulatorPlan, lanes: number, widest: number, o: MveOptions) {
  if (o.ob && o.pb) return { ob: Math.min(o.ob, m.outPerGroup), pb: Math.min(o.pb, widest) };
  const ob = Math.min(acc.accType === 'int64_t' ? 3 : 4, m.outPerGroup);
  const shared = m.kW > 1 && m.dilW === 1 && m.inPerGroup === m.inC && (m.strideW * m.inC) % lanes === 0;
  const pb = acc.accType === 'int32_t' && shared ? Math.min(2, widest) : 1;
  return { ob, pb };
}

function dotFn(m: KernelModel, lanes: number, n: number, size: number, pixels: number, name: string): DotFn {
  const chunks: DotChunk[] = [];
  let xid = 0;
  let wid = 0;
  const wRow = m.kW * m.inPerGroup;
  for (const s of segments(m, n))
    for (let c = 0; c * lanes < s.len; c++) {
      const pred = (c + 1) * lanes > s.len;
      const xs: DotChunk['xs'] = [];
      const xOf: string[] = [];
      for (let p = 0; p < pixels; p++) {
        const off = p * m.strideW * m.inC + s.xoff + c * lanes;
        const same = xs.find((x) => x.off === off);
        if (same) xOf.push(same.id);
        else {
          const id = `x${xid++}`;
          xs.push({ id, off, pred });
          xOf.push(id);
        }
      }
      const ws: DotChunk['ws'] = [];
      for (let j = 0; j < size; j++)
        ws.push({ id: `w${wid++}`, off: j * wRow + s.woff + c * lanes, pred, macs: xOf.map((x, p) => ({ acc: `a${j}_${p}`, x })) });
      chunks.push({ xs, ws });
    }
  const accs: DotFn['accs'] = [];
  for (let p = 0; p < pixels; p++) for (let j = 0; j < size; j++) accs.push({ id: `a${j}_${p}`, j, p });
  const tailLen = segments(m, n).map((s) => s.len % lanes).find((t) => t > 0) ?? 0;
  return { name, n, ob: size, pb: pixels, accs, chunks, tailLen, wRowStep: size * wRow };
}

function bands(m: KernelModel) {
  const yBands = axisBands(m.outH, m.inH, m.kH, m.strideH, m.dilH, m.pad.top);
  const xBands = axisBands(m.outW, m.inW, m.kW, m.strideW, m.dilW, m.pad.left);
  return { yBands, xBands, widest: Math.max(...xBands.map((b) => b.hi - b.lo + 1)) };
}

/** Function numbers by key: each distinct function once, numbered in order of first use. */
function registry<F>() {
  const fns: F[] = [];
  const index = new Map<string, number>();
  return {
    fns,
    of(key: string, args: (i: number) => F): number {
      let i = index.get(key);
      if (i === undefined) {
        i = fns.length;
        index.set(key, i);
        fns.push(args(i));
      }
      return i;
    },
  };
}

function planDot(m: KernelModel, acc: AccumulatorPlan, o: MveOptions, common: Omit<Common, 'regions' | 'weights'>): MvePlan {
  const bits = m.numeric.storage.bits;
  const lanes = bits === 8 ? 16 : 8;
  const { yBands, xBands, widest } = bands(m);
  const { ob, pb } = chooseDot(m, acc, lanes, widest, o);
  const tailSize = m.outPerGroup % ob;
  const reg = registry<DotFn>();
  const fnFor = (n: number, size: number, pixels: number) =>
    reg.of(`${n}|${size}|${pixels}`, (i) => dotFn(m, lanes, n, size, pixels, `${m.name}_dot${i}_n${n}_o${size}_p${pixels}`));
  const regions: MveRegion[] = [];
  for (const y of yBands)
    for (const x of xBands) {
      const width = x.hi - x.lo + 1;
      const rpb = width >= pb ? pb : 1;
      const n = x.valid.length;
      const tailPixels = width % rpb !== 0;
      const f = (size: number, pixels: number) => fnFor(n, size, pixels);
      const main = f(ob, rpb);
      const single = tailPixels ? f(ob, 1) : f(ob, rpb);
      const tMain = tailSize ? f(tailSize, rpb) : null;
      const tSingle = tailSize ? (tailPixels ? f(tailSize, 1) : f(tailSize, rpb)) : null;
      regions.push({ y, x, interior: isInterior(m, y, x), pb: rpb, fns: [main, single, tMain, tSingle] });
    }
  // Weights: per group, per block of output channels, [ky][channel in block][kx][ci]: a row's span of every channel of
  // the block is read with small offsets from one pointer. The same bytes as the plain order.
  const per = m.inPerGroup * m.kH * m.kW;
  const weights: number[] = [];
  for (let g = 0; g < m.groups; g++)
    for (let start = 0; start < m.outPerGroup; start += ob) {
      const size = Math.min(ob, m.outPerGroup - start);
      for (let ky = 0; ky < m.kH; ky++)
        for (let j = 0; j < size; j++)
          for (let kx = 0; kx < m.kW; kx++)
            for (let ci = 0; ci < m.inPerGroup; ci++)
              weights.push(m.weights[(g * m.outPerGroup + start + j) * per + (ci * m.kH + ky) * m.kW + kx]);
    }
  const folded = m.numeric.inputOffset !== 0 ? foldedSeeds(m, acc.accType)! : [];
  return { ...common, shape: 'dot', ob, pb, lanes, estimate: dotCost(m, lanes, ob, pb), fns: reg.fns, tailSize, folded, regions, weights };
}

function planDw(m: KernelModel, acc: AccumulatorPlan, o: MveOptions, common: Omit<Common, 'regions' | 'weights'>): MvePlan {
  const { yBands, xBands, widest } = bands(m);
  // Two pixels share each weight vector; more spill the int32x4 accumulators (measured under QEMU on the bench shape).
  const pb = Math.min(o.pb ?? 2, widest);
  const offset = m.numeric.inputOffset !== 0;
  const reg = registry<DwFn>();
  const fnFor = (n: number, pixels: number, border: boolean) => reg.of(`${n}|${pixels}|${border}`, (i) => ({
    name: `${m.name}_${border ? 'dwborder' : 'dw'}${i}_n${n}_p${pixels}`, n, pb: pixels, border: border && offset,
    seeds: border ? `${m.name}_border_seeds` : `${m.name}_seeds`,
    doc: `${pixels} pixel(s) x 4 channels per vector, ${n} kernel column(s)${border ? ', border' : n === m.kW ? ', interior' : ''}`,
    taps: Array.from({ length: n }, (_, t) => ({
      w: `w${t}`, woff: t * m.inC,
      xs: Array.from({ length: pixels }, (_, p) => ({ id: `x${t}_${p}`, acc: `acc${p}`, off: p * m.strideW * m.inC + t * m.dilW * m.inC })),
    })),
  }));
  const regions: MveRegion[] = [];
  for (const y of yBands)
    for (const x of xBands) {
      const width = x.hi - x.lo + 1;
      const rpb = width >= pb ? pb : 1;
      const border = offset && !isInterior(m, y, x);
      const n = x.valid.length;
      const main = fnFor(n, rpb, border);
      const tail = width % rpb !== 0 ? fnFor(n, 1, border) : main;
      regions.push({ y, x, interior: isInterior(m, y, x), pb: rpb, fns: [main, tail, null, null] });
    }
  const mult = m.outPerGroup;
  const taps = m.kH * m.kW;
  // Weights [m][ky][kx][c]: 4 consecutive channels of one tap are one widening load. The same bytes as the plain order.
  const weights: number[] = [];
  for (let k = 0; k < mult; k++)
    for (let t = 0; t < taps; t++)
      for (let c = 0; c < m.inC; c++) weights.push(m.weights[(c * mult + k) * taps + t]);
  // Seeds in the same [m][c] order, bias aligned to the product's fraction bits; the interior's with the offset folded.
  const scale = 1n << BigInt(m.numeric.biasShift);
  const folded = offset ? foldedSeeds(m, acc.accType)! : null;
  const order = (f: (oc: number) => bigint) => {
    const v: bigint[] = [];
    for (let k = 0; k < mult; k++) for (let c = 0; c < m.inC; c++) v.push(f(c * mult + k));
    return v;
  };
  const biasOf = (oc: number) => (m.bias ? m.bias[oc] * scale : 0n);
  return {
    ...common, shape: 'dw', pb, fns: reg.fns, regions, weights,
    seeds: order((oc) => (folded ? folded[oc] : biasOf(oc))),
    borderSeeds: reg.fns.some((f) => f.border) ? order(biasOf) : null,
  };
}

/**
 * The vector int8 output stage (4 consecutive output channels per int32x4): taken by int8 dot kernels (their channel
 * blocks are consecutive) and by depthwise kernels with channel multiplier 1 (a vector's 4 lanes are 4 consecutive
 * output channels). Per-channel quantities are int32 tables padded by 3 (a block's vector load may run past the last
 * channel; the padding lanes are never stored), or a broadcast constant when every channel shares the value.
 */
function vectorStage(m: KernelModel, acc: AccumulatorPlan, shape: MveShape): VectorStage | null {
  const st = acc.stage;
  if (st.kind !== 'requantize' || m.numeric.kind !== 'int8') return null;
  if (shape === 'dw' && m.outPerGroup !== 1) return null;
  const param = (values: number[], key: string): VectorParam =>
    values.every((v) => v === values[0]) ? { k: 'const', value: values[0] } : { k: 'table', name: `${m.name}_vq_${key}`, values };
  return {
    noLeft: st.left.every((l) => l === 0),
    left: param(st.left, 'left'),
    mult: param(st.multiplier, 'multiplier'),
    negRight: param(st.right.map((r) => -r), 'neg_right'),
    preLo: st.lo - st.outputOffset,
    preHi: st.hi - st.outputOffset,
  };
}

export function planMve(m: KernelModel, acc: AccumulatorPlan, isa: IsaFeatures, o: MveOptions = {}): MvePlan {
  const shape = mveShape(m, acc, isa);
  if (!shape) throw new Error('planMve: the MVE family does not apply to this spec');
  const common = { vq: vectorStage(m, acc, shape), foldOffset: m.numeric.inputOffset !== 0 };
  return shape === 'dw' ? planDw(m, acc, o, common) : planDot(m, acc, o, common);
}
