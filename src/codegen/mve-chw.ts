/**
 * ARMv8.1-M MVE (Helium) kernels for the `optimized` variant, CHW q7/q15 with an int32 accumulator: vectorized along
 * output pixels, the MVE counterpart of the NEON family (neon.ts), sharing its padded input lines (lines.ts).
 *
 * - 4 consecutive output pixels of one row are one int32x4 vector of inputs per tap: a widening load (VLDRB.S32 /
 *   VLDRH.S32); stride 2 loads 8 elements widened to int16x8 (VLDRB.S16 / VLDRH.S16) and keeps the even lanes
 *   (VMOVLB.S16). Each weight is a scalar: acc += x * w is VMLA.S32 vector-by-scalar (vmlaq_n_s32), exact since the
 *   proved bound fits int32. int64 plans are refused (the blocked family keeps them).
 * - A block is `ob` output channels x `pv` vectors of pixels: each input vector serves the block's channels, each
 *   scalar weight the block's vectors. A row's pixels run in blocks of pv vectors, then one block of the remaining
 *   vectors, placed to end at the row's last pixel (up to 3 pixels are recomputed, never accumulated twice).
 * - Per output row, the group's kernel rows are copied (tail-predicated vector copies) into zero-padded lines on the
 *   stack; their padding columns are zeroed once per call, and a kernel row in the top/bottom padding is a line of
 *   zeros, so padding taps multiply exact zeros. So every block runs one loop of constant count over all lines of
 *   the slab and the weights alike: measured, skipping the padded rows (NEON's row bands) cost more in its nested
 *   input channel / row loops (bench a q7 0.67 instructions/MAC) than multiplying the few padded rows (0.58).
 * - Output stage: where qfinish.ts's exact stage applies (rounding constant in the seed, then shift and clamp) it
 *   runs on the whole vector (VSHR, VMAX, VMIN, narrowing store: each lane exactly the scalar stage); otherwise
 *   (a left shift that saturates) the common scalar finish per output.
 * C text: templates/mve/chw.c.hbs.
 */
import type { KernelModel } from '../spec/index.ts';
import type { IsaFeatures } from '../targets/index.ts';
import type { AccumulatorPlan } from './accumulator.ts';
import type { TemplateFamily } from '../families/family.ts';
import { cArrayRows, cInt } from './clit.ts';
import { blockedWeights, channelBlockSizes, lineLength, slabBytes, SLAB_BUDGET } from './lines.ts';
import { qFinish } from './qfinish.ts';

/** Output pixels per vector (an int32x4). */
export const MVE_LANES = 4;
/** Estimated .text the family stays under (the 4 KiB promise, with a margin for the estimate's error). */
export const MVE_CHW_CODE_BUDGET = 3600;
/** The largest immediate offset, in elements, of VLDRB.S32 / VLDRH.S32 (7 bits, scaled by the element size). */
const MAX_OFFSET = 127;

/** Blocking override for experiments and tests: output channels x pixel vectors. */
export interface MveChwOptions {
  ob?: number;
  pv?: number;
}

/** Loads and stores by storage bits: ISA data, not target checks. */
const mem = {
  8: { load32: 'vldrb.s32', load16: 'vldrb.s16', store32: 'vstrbq_s32' },
  16: { load32: 'vldrh.s32', load16: 'vldrh.s16', store32: 'vstrhq_s32' },
} as const;

/** Weights of one line GCC keeps in core registers at once (it loads them all early): more spill to the stack. */
const LINE_WEIGHT_REGS = 10;

/**
 * Instructions of one block call, as counted under QEMU: per tap its input loads (plus the Q register moves GCC adds
 * around each further vector), weight loads and VMLAs; per line the loop and a spill and reload per weight beyond
 * LINE_WEIGHT_REGS; per call the seeds, the call and the vector output stage.
 */
function blockCost(m: KernelModel, cb: number, pv: number): number {
  const loads = m.strideW === 2 ? 2 : 1;
  const spills = 2 * Math.max(0, cb * m.kW - LINE_WEIGHT_REGS);
  return m.inPerGroup * m.kH * (m.kW * (pv * (loads + 0.5) + cb + cb * pv) + 3 + spills) + 20 + 5 * cb * pv;
}

/**
 * Blocking: the accumulators and the one live input vector share the 8 Q registers, so ob x pv <= 6 (4x2 spills:
 * measured). Among those, the one whose row of blocks (channel tail and pixel remainder included) costs the
 * fewest instructions by blockCost (it ranks the measured bench shapes right: 3x2, 2x3 for 5x5 kernels, 1x4 for depthwise).
 */
function blocking(m: KernelModel, o: MveChwOptions): { ob: number; pv: number } {
  const maxPv = Math.floor(m.outW / MVE_LANES);
  if (o.ob && o.pv) return { ob: Math.min(o.ob, m.outPerGroup), pv: Math.min(o.pv, maxPv) };
  let best = { ob: 1, pv: 1, cost: Infinity };
  for (let ob = 1; ob <= Math.min(6, m.outPerGroup); ob++)
    for (let pv = 1; pv <= Math.min(6, maxPv) && ob * pv <= 6; pv++) {
      const px = pixelBlocks(m, pv);
      let cost = 0;
      for (const cb of channelBlockSizes(m, ob)) {
        const count = cb === ob ? Math.floor(m.outPerGroup / ob) : 1;
        cost += count * (px.full * blockCost(m, cb, pv) + (px.rem > 0 ? blockCost(m, cb, px.rem) : 0));
      }
      if (cost < best.cost) best = { ob, pv, cost };
    }
  return best;
}

/** The row's pixel blocks: full blocks of pv vectors, then one block of the remaining vectors ending at the last pixel. */
function pixelBlocks(m: KernelModel, pv: number) {
  const width = pv * MVE_LANES;
  const full = Math.floor(m.outW / width);
  const left = m.outW - full * width;
  const rem = Math.ceil(left / MVE_LANES);
  return { full, width, rem, remAt: m.outW - rem * MVE_LANES };
}

/** Rough Thumb-2 code bytes: the unrolled taps dominate (per tap: input loads, weight loads, one VMLA per pair). */
function codeEstimate(m: KernelModel, shapes: { cb: number; pv: number }[], vectorFinish: boolean): number {
  const loadInstr = m.strideW === 2 ? 2 : 1;
  let instr = 160; // run, line copies, zeroing
  for (const { cb, pv } of shapes)
    instr += 50 + m.kW * (pv * loadInstr + cb + cb * pv) + cb * pv * (vectorFinish ? 6 : 16);
  return 4 * instr;
}

function shapes(m: KernelModel, o: MveChwOptions) {
  const { ob, pv } = blocking(m, o);
  const blocks = pixelBlocks(m, pv);
  const pvs = blocks.full > 0 ? [pv] : [];
  if (blocks.rem > 0 && !pvs.includes(blocks.rem)) pvs.push(blocks.rem);
  const out: { cb: number; pv: number }[] = [];
  for (const cb of channelBlockSizes(m, ob)) for (const p of pvs) out.push({ cb, pv: p });
  return { ob, pv, blocks, list: out };
}

export function mveChwApplies(m: KernelModel, plan: AccumulatorPlan, isa: IsaFeatures, o: MveChwOptions = {}): boolean {
  if (!isa.mve || m.layout !== 'chw' || m.numeric.kind !== 'q') return false;
  const bits = m.numeric.storage.bits;
  if (bits !== 8 && bits !== 16) return false;
  // VMLA.S32 keeps 32 bits of each product sum: exact only under an int32 bound.
  if (plan.accType !== 'int32_t') return false;
  if (m.strideW !== 1 && m.strideW !== 2) return false;
  if (m.outW < MVE_LANES || slabBytes(m) > SLAB_BUDGET) return false;
  const sh = shapes(m, o);
  // A tap's input vector is one load at an immediate offset from the row: VLDRB/VLDRH reach 127 elements.
  const widest = Math.max(...sh.list.map((s) => s.pv));
  if ((widest - 1) * MVE_LANES * m.strideW + (m.kW - 1) * m.dilW > MAX_OFFSET) return false;
  return codeEstimate(m, sh.list, qFinish(m, plan) !== null) <= MVE_CHW_CODE_BUDGET;
}

function blockFunction(m: KernelModel, cb: number, pv: number) {
  const taps = Array.from({ length: m.kW }, (_, kx) => ({
    ws: Array.from({ length: cb }, (_, j) => ({ j, idx: kx * cb + j })),
    vecs: Array.from({ length: pv }, (_, v) => ({
      off: (v * MVE_LANES * m.strideW + kx * m.dilW) * (m.numeric.storage.bits / 8),
      macs: Array.from({ length: cb }, (_, j) => ({ j, v })),
    })),
  }));
  const accs: { j: number; v: number; px: number; first: boolean }[] = [];
  for (let j = 0; j < cb; j++) for (let v = 0; v < pv; v++) accs.push({ j, v, px: v * MVE_LANES, first: v === 0 });
  return { fn: `block_o${cb}_v${pv}`, cb, pv, taps, accs };
}

export function mveChwView(m: KernelModel, plan: AccumulatorPlan, o: MveChwOptions = {}) {
  const bits = m.numeric.storage.bits as 8 | 16;
  const sh = shapes(m, o);
  const { ob, pv, blocks } = sh;
  const sizes = channelBlockSizes(m, ob);
  const fns = sh.list.map((s) => blockFunction(m, s.cb, s.pv));
  const fnName = (cb: number, p: number) => `block_o${cb}_v${p}`;
  const qf = qFinish(m, plan);
  const weights = blockedWeights(m, ob);
  const line = lineLength(m);
  const code = codeEstimate(m, sh.list, qf !== null);
  // One block of channels: its full pixel blocks, then the remainder block.
  const channelBlock = (cb: number) => ({
    fullFn: fnName(cb, pv),
    remFn: fnName(cb, blocks.rem || pv),
  });
  return {
    mve: {
      ob, pv, lanes: MVE_LANES, pixels: pv * MVE_LANES,
      ...mem[bits],
      stride2: m.strideW === 2,
      loadInsn: m.strideW === 2 ? mem[bits].load16 : mem[bits].load32,
      loadElems: MVE_LANES * m.strideW,
      fns,
      full: channelBlock(ob),
      tail: channelBlock(sizes.length > 1 ? sizes[1] : ob),
      hasTailBlock: sizes.length > 1,
      fullBlocks: Math.floor(m.outPerGroup / ob),
      xFull: blocks.full,
      xWidth: blocks.width,
      hasRem: blocks.rem > 0,
      remAt: blocks.remAt,
      weightCount: weights.length,
      weightLines: cArrayRows(weights, 16),
      blockWeights: ob * m.inPerGroup * m.kH * m.kW,
      groupWeights: m.outPerGroup * m.inPerGroup * m.kH * m.kW,
      groupInput: m.inPerGroup * m.inH * m.inW,
      ciStride: m.inH * m.inW,
      line,
      slabBytes: slabBytes(m),
      slabLen: m.inPerGroup * m.kH * line,
      slabBudget: SLAB_BUDGET,
      codeBytes: code,
      codeBudget: MVE_CHW_CODE_BUDGET,
      vectorFinish: qf !== null,
      // int32 plan: the seeds (bias + rounding constant) fit int32, as the proved bound counts both.
      seedLines: qf ? cArrayRows(qf.seeds.map((v) => cInt(v, 'int32_t')), 8) : [],
      shift: qf ? qf.shift : 0,
      hasShift: qf ? qf.shift > 0 : false,
      lo: qf ? cInt(qf.lo, 'int32_t') : '0',
      hi: qf ? cInt(qf.hi, 'int32_t') : '0',
      loadDoc: m.strideW === 2
        ? `${mem[bits].load16} of 8 elements, the even lanes widened by VMOVLB.S16`
        : `${mem[bits].load32} (widening)`,
      finishDoc: qf
        ? 'per vector: the rounding constant is in the seed, then VSHR, VMAX/VMIN to the clamp and a narrowing store'
        : 'the common scalar output stage per output',
    },
  };
}

export const mveChwFamily: TemplateFamily = {
  kind: 'template',
  name: 'mve-chw',
  summary: 'ARMv8.1-M MVE: CHW q7/q15 vectorized along 4 output pixels per int32x4, weights as scalars (VMLA.S32), int32 accumulators',
  template: 'mve/chw.c.hbs',
  applies: (m, plan, isa) => mveChwApplies(m, plan, isa),
  view: (m, plan) => mveChwView(m, plan),
};
