/**
 * ARMv8.1-M MVE (Helium) kernels for the `optimized` variant, HWC layout only. Two shapes, both decided here:
 * - dot: in HWC a kernel row's valid columns x input channels are contiguous in memory (groups 1, dilation 1), and
 *   in OHWI weights the same span is contiguous per output channel. A row is a dot product of n elements:
 *   ceil(n / lanes) x (VLDRB/VLDRH input, VLDRB/VLDRH weight, VMLADAVA / VMLALDAVA), the last chunk tail-predicated
 *   (VCTP, zeroing loads: no byte outside a buffer is read). Each loaded input vector serves `ob` output channels,
 *   each weight vector `pb` pixels. Otherwise (groups, dilation) each tap's group channels are one span.
 * - dw (depthwise, one input channel per group): 4 channels per int32x4 vector (widening loads), `pb` pixels,
 *   acc += x * w (VMUL + VADD; MVE has no integer vector-by-vector VMLA).
 * Padding costs nothing in the interior: the output plane is split into regions by valid kernel rows and columns.
 * int8's input offset is folded into interior seeds; a dot border region's seeds add offset x its valid weights,
 * summed once per region and channel block (so borders run the interior's code); depthwise borders add the offset
 * to each input lane. int8 output stage: vectorized, 4 consecutive output channels per int32x4 (a dot block's
 * channels; a depthwise vector's lanes when the channel multiplier is 1), exactly TFLite's MultiplyByQuantizedMultiplier
 * (VQSHL, VQRDMULH, negative-tie fixup + VRSHL, clamp, + offset, VSTRB.32 of the low bytes; the proof is in the
 * template, the BigInt model of it in test/codegen/mve-requant.test.ts). q7/q15 and depthwise with a multiplier > 1
 * keep the common scalar finish, one call per output. C text: templates/mve/kernel.c.hbs.
 */
import type { KernelModel } from '../spec/index.ts';
import type { IsaFeatures } from '../targets/index.ts';
import type { AccumulatorPlan } from './accumulator.ts';
import { cArrayRows, cInt } from './clit.ts';
import type { TemplateContext as FamilyContext, TemplateFamily } from '../families/family.ts';
import { axisBands, type AxisBand } from './geometry.ts';
import { foldedSeeds } from '../families/seeds.ts';

export type MveShape = 'dot' | 'dw';

/** Which MVE kernel handles the spec exactly, or null (the next family takes it). */
export function mveShape(m: KernelModel, plan: AccumulatorPlan, isa: IsaFeatures): MveShape | null {
  if (!isa.mve || m.layout !== 'hwc') return null;
  const bits = m.numeric.storage.bits;
  if (bits !== 8 && bits !== 16) return null;
  // The region table stores kernel rows and columns in bytes.
  if (m.kH > 255 || m.kW > 255) return null;
  // The interior multiplies raw inputs: the folded seeds must keep every partial sum within the accumulator.
  if (m.numeric.inputOffset !== 0 && foldedSeeds(m, plan.accType) === null) return null;
  if (m.groups > 1 && m.inPerGroup === 1) return plan.accType === 'int32_t' ? 'dw' : null;
  // VMLADAVA.S8 / .S16 accumulate in 32 bits, VMLALDAVA.S16 in 64; there is no 64-bit form for 8-bit lanes.
  if (plan.accType === 'int64_t' && bits === 8) return null;
  return 'dot';
}

/** Blocking override for experiments and tests: output channels x pixels. */
export interface MveOptions {
  ob?: number;
  pb?: number;
}

interface XLoad {
  id: string;
  off: number;
  pred: boolean;
}

interface WLoad {
  id: string;
  off: number;
  pred: boolean;
  macs: { acc: string; x: string }[];
}

interface Chunk {
  xs: XLoad[];
  ws: WLoad[];
}

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
function chooseDot(m: KernelModel, plan: AccumulatorPlan, lanes: number, widest: number, o: MveOptions) {
  if (o.ob && o.pb) return { ob: Math.min(o.ob, m.outPerGroup), pb: Math.min(o.pb, widest) };
  const ob = Math.min(plan.accType === 'int64_t' ? 3 : 4, m.outPerGroup);
  const shared = m.kW > 1 && m.dilW === 1 && m.inPerGroup === m.inC && (m.strideW * m.inC) % lanes === 0;
  const pb = plan.accType === 'int32_t' && shared ? Math.min(2, widest) : 1;
  return { ob, pb };
}

function dotFn(m: KernelModel, lanes: number, n: number, size: number, pixels: number, name: string) {
  const chunks: Chunk[] = [];
  let xid = 0;
  let wid = 0;
  const wRow = m.kW * m.inPerGroup;
  for (const s of segments(m, n))
    for (let c = 0; c * lanes < s.len; c++) {
      const pred = (c + 1) * lanes > s.len;
      const xs: XLoad[] = [];
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
      const ws: WLoad[] = [];
      for (let j = 0; j < size; j++)
        ws.push({ id: `w${wid++}`, off: j * wRow + s.woff + c * lanes, pred, macs: xOf.map((x, p) => ({ acc: `a${j}_${p}`, x })) });
      chunks.push({ xs, ws });
    }
  const accs: { id: string; j: number; p: number }[] = [];
  for (let p = 0; p < pixels; p++) for (let j = 0; j < size; j++) accs.push({ id: `a${j}_${p}`, j, p });
  const tailLen = segments(m, n).map((s) => s.len % lanes).find((t) => t > 0) ?? 0;
  return {
    fn: name, ob: size, pb: pixels,
    doc: `${size} output channel(s) x ${pixels} pixel(s), ${n} kernel column(s)`,
    accs,
    accList: accs.map((a) => a.id).join(', '),
    chunks,
    hasTaps: chunks.length > 0,
    hasTail: tailLen > 0,
    tailLen,
    wRowStep: size * wRow,
  };
}

function regionRows(m: KernelModel) {
  const yBands = axisBands(m.outH, m.inH, m.kH, m.strideH, m.dilH, m.pad.top);
  const xBands = axisBands(m.outW, m.inW, m.kW, m.strideW, m.dilW, m.pad.left);
  return { yBands, xBands, widest: Math.max(...xBands.map((b) => b.hi - b.lo + 1)) };
}

function regionDoc(r: { y: AxisBand; x: AxisBand }) {
  return `rows ${r.y.lo}..${r.y.hi}, columns ${r.x.lo}..${r.x.hi}: kernel rows ${r.y.valid.join(',') || 'none'}, columns ${r.x.valid.join(',') || 'none'}`;
}

function dotView(m: KernelModel, plan: AccumulatorPlan, o: MveOptions) {
  const bits = m.numeric.storage.bits;
  const lanes = bits === 8 ? 16 : 8;
  const { yBands, xBands, widest } = regionRows(m);
  const { ob, pb } = chooseDot(m, plan, lanes, widest, o);
  const tailSize = m.outPerGroup % ob;
  const sizes = tailSize ? [ob, tailSize] : [ob];
  const fns: ReturnType<typeof dotFn>[] = [];
  const names = new Map<string, number>();
  const fnFor = (n: number, size: number, pixels: number) => {
    const key = `${n}|${size}|${pixels}`;
    let i = names.get(key);
    if (i === undefined) {
      i = fns.length;
      names.set(key, i);
      fns.push(dotFn(m, lanes, n, size, pixels, `dot${i}_n${n}_o${size}_p${pixels}`));
    }
    return i;
  };
  const regions = [];
  for (const y of yBands)
    for (const x of xBands) {
      const width = x.hi - x.lo + 1;
      const rpb = width >= pb ? pb : 1;
      const n = x.valid.length;
      const f = (size: number | undefined, pixels: number) => (size === undefined ? 255 : fnFor(n, size, pixels));
      const tailPixels = width % rpb !== 0;
      const fnsOf = [f(ob, rpb), tailPixels ? f(ob, 1) : f(ob, rpb), f(tailSize || undefined, rpb), tailPixels ? f(tailSize || undefined, 1) : f(tailSize || undefined, rpb)];
      regions.push({
        fields: [y.lo, y.hi, x.lo, x.hi, y.valid[0] ?? 0, x.valid[0] ?? 0, y.valid.length, n, isInterior(m, y, x) ? 1 : 0, rpb, ...fnsOf].join(', '),
        doc: regionDoc({ y, x }),
      });
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
  const macName = plan.accType === 'int64_t' ? 'vmlaldavaq_s16' : bits === 8 ? 'vmladavaq_s8' : 'vmladavaq_s16';
  return {
    ob, pb, estimateText: dotCost(m, lanes, ob, pb).toFixed(2),
    lanes,
    fns, regions, regionCount: regions.length,
    weightCount: weights.length,
    weightLines: cArrayRows(weights, 16),
    fullBlocks: Math.floor(m.outPerGroup / ob),
    hasTailBlock: tailSize > 0,
    tailSize: Math.max(1, tailSize),
    perO: per,
    wRow: m.kW * m.inPerGroup,
    macName,
    macDoc: plan.accType === 'int64_t' ? 'VMLALDAVA.S16 (64-bit accumulator, exact)' : `VMLADAVA.S${bits} (32-bit accumulator, exact within the proved bound)`,
    sumName: bits === 8 ? 'vaddvaq_s8' : 'vaddvaq_s16',
  };
}

function dwFn(m: KernelModel, n: number, pixels: number, border: boolean, name: string) {
  const taps = Array.from({ length: n }, (_, i) => ({
    w: `w${i}`, woff: i * m.inC,
    xs: Array.from({ length: pixels }, (_, p) => ({ id: `x${i}_${p}`, acc: `acc${p}`, off: p * m.strideW * m.inC + i * m.dilW * m.inC })),
  }));
  return {
    fn: name, pb: pixels, border: border && m.numeric.inputOffset !== 0,
    doc: `${pixels} pixel(s) x 4 channels per vector, ${n} kernel column(s)${border ? ', border' : n === m.kW ? ', interior' : ''}`,
    seeds: border ? `${m.name}_border_seeds` : `${m.name}_seeds`,
    accs: Array.from({ length: pixels }, (_, p) => ({ id: `acc${p}`, p })),
    taps,
    hasTaps: n > 0,
  };
}

function dwView(m: KernelModel, plan: AccumulatorPlan, o: MveOptions) {
  const { yBands, xBands, widest } = regionRows(m);
  // Two pixels share each weight vector; more spill the int32x4 accumulators (measured under QEMU on the bench shape).
  const pb = Math.min(o.pb ?? 2, widest);
  const offset = m.numeric.inputOffset !== 0;
  const fns: ReturnType<typeof dwFn>[] = [];
  const names = new Map<string, number>();
  const fnFor = (n: number, pixels: number, border: boolean) => {
    const key = `${n}|${pixels}|${border}`;
    let i = names.get(key);
    if (i === undefined) {
      i = fns.length;
      names.set(key, i);
      fns.push(dwFn(m, n, pixels, border, `${border ? 'dwborder' : 'dw'}${i}_n${n}_p${pixels}`));
    }
    return i;
  };
  const regions = [];
  for (const y of yBands)
    for (const x of xBands) {
      const width = x.hi - x.lo + 1;
      const rpb = width >= pb ? pb : 1;
      const border = offset && !isInterior(m, y, x);
      const n = x.valid.length;
      const main = fnFor(n, rpb, border);
      const tail = width % rpb !== 0 ? fnFor(n, 1, border) : main;
      regions.push({
        fields: [y.lo, y.hi, x.lo, x.hi, y.valid[0] ?? 0, x.valid[0] ?? 0, y.valid.length, n > 0 ? 1 : 0, rpb, main, tail, 255, 255].join(', '),
        doc: regionDoc({ y, x }),
      });
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
  const folded = offset ? foldedSeeds(m, plan.accType)! : null;
  const order = (f: (o: number) => bigint) => {
    const v: string[] = [];
    for (let k = 0; k < mult; k++) for (let c = 0; c < m.inC; c++) v.push(cInt(f(c * mult + k), 'int32_t'));
    return cArrayRows(v, 8);
  };
  const biasOf = (oc: number) => (m.bias ? m.bias[oc] * scale : 0n);
  const bits = m.numeric.storage.bits;
  return {
    pb, fns, regions, regionCount: regions.length,
    weightCount: weights.length,
    weightLines: cArrayRows(weights, 16),
    mult,
    chFull: m.inC - (m.inC % 4),
    chTail: m.inC % 4,
    mStride: taps * m.inC,
    wRow: m.kW * m.inC,
    // Each table only where a function reads it: with an input offset every region can be a border (dilation 5 over
    // a 3x3 input, "same"), or none can (a 1x1 kernel without padding).
    interiorSeeds: fns.some((f) => !f.border),
    seedLines: order((oc) => (folded ? folded[oc] : biasOf(oc))),
    borderSeeds: fns.some((f) => f.border),
    borderSeedLines: fns.some((f) => f.border) ? order(biasOf) : [],
    seedBytes: 4 * m.outC * ((fns.some((f) => f.border) ? 1 : 0) + (fns.some((f) => !f.border) ? 1 : 0)),
    load32: bits === 8 ? 'vldrbq_s32' : 'vldrhq_s32',
    load32z: bits === 8 ? 'vldrbq_z_s32' : 'vldrhq_z_s32',
  };
}

/**
 * The vector int8 output stage (4 consecutive output channels per int32x4): taken by int8 dot kernels (their channel
 * blocks are consecutive) and by depthwise kernels with channel multiplier 1 (a vector's 4 lanes are 4 consecutive
 * output channels). Per-channel quantities are int32 tables padded by 3 (a block's vector load may run past the last
 * channel; the padding lanes are never stored), or a broadcast constant when every channel shares the value.
 */
function vectorStage(m: KernelModel, plan: AccumulatorPlan, shape: MveShape) {
  const st = plan.stage;
  if (st.kind !== 'requantize' || m.numeric.kind !== 'int8') return null;
  if (shape === 'dw' && m.outPerGroup !== 1) return null;
  const tables: { name: string; lines: string[] }[] = [];
  const param = (values: number[], key: string) => {
    if (values.every((v) => v === values[0])) return { vec: `vdupq_n_s32(${cInt(BigInt(values[0]), 'int32_t')})` };
    const name = `${m.name}_vq_${key}`;
    tables.push({ name, lines: cArrayRows([...values, 0, 0, 0].map((v) => cInt(BigInt(v), 'int32_t')), 8) });
    return { vec: `vldrwq_s32(${name} + o)` };
  };
  return {
    tables,
    tableLen: m.outC + 3,
    noLeft: st.left.every((l) => l === 0),
    left: param(st.left, 'left').vec,
    mult: param(st.multiplier, 'multiplier').vec,
    negRight: param(st.right.map((r) => -r), 'neg_right').vec,
    preLo: st.lo - st.outputOffset,
    preHi: st.hi - st.outputOffset,
  };
}

export function mveView(m: KernelModel, plan: AccumulatorPlan, isa: IsaFeatures, ctx: FamilyContext, o: MveOptions = {}) {
  const shape = mveShape(m, plan, isa);
  if (!shape) throw new Error('mveView: the MVE family does not apply to this spec');
  const bits = m.numeric.storage.bits;
  const vq = vectorStage(m, plan, shape);
  const common = {
    vecType: bits === 8 ? 'int8x16_t' : 'int16x8_t',
    load: bits === 8 ? 'vldrbq_s8' : 'vldrhq_s16',
    loadz: bits === 8 ? 'vldrbq_z_s8' : 'vldrhq_z_s16',
    vctp: bits === 8 ? 'vctp8q' : 'vctp16q',
    finishNeedsO: ctx.finishNeedsO,
    pixelStride: m.strideW * m.inC,
    rowStride: m.dilH * m.inW * m.inC,
    foldOffset: m.numeric.inputOffset !== 0,
    oneRow: m.kH === 1,
    vq,
  };
  if (shape === 'dw') {
    const dw = dwView(m, plan, o);
    return { mve: { ...common, dw: true, ...dw }, biasBytes: dw.seedBytes };
  }
  const folded = m.numeric.inputOffset !== 0 ? foldedSeeds(m, plan.accType)! : [];
  return {
    mve: {
      ...common, dw: false, ...dotView(m, plan, o),
      interiorSeedLines: cArrayRows(folded.map((v) => cInt(v, plan.accType)), 8),
    },
  };
}

export const mveFamily: TemplateFamily = {
  kind: 'template',
  name: 'mve',
  summary: 'ARMv8.1-M MVE: tail-predicated VMLADAV dot products over contiguous HWC spans; depthwise 4 channels per vector',
  template: 'mve/kernel.c.hbs',
  applies: (m, plan, isa) => mveShape(m, plan, isa) !== null,
  view: (m, plan, isa, ctx) => mveView(m, plan, isa, ctx),
};
