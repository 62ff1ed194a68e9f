/**
 * The MVE CHW family's decisions: which specs it takes (applies), the blocking (output channels x pixel vectors), the
 * row's pixel blocks, the block function shapes and the code-size estimate. Every number here was measured under
 * QEMU on the bench shapes (see each constant).
 */
import type { KernelModel } from '../../ops/conv_2d/spec/index.ts';
import type { IsaFeatures } from '../../targets/index.ts';
import type { AccumulatorPlan } from '../../codegen/accumulator.ts';
import { channelBlockSizes, slabBytes, SLAB_BUDGET } from '../../codegen/lines.ts';
import { qFinish, type QFinish } from '../../codegen/qfinish.ts';

/** Output pixels per vector (an int32x4). */
export const MVE_LANES = 4;
/** Estimated .text the family stays under (the 4 KiB promise, with a margin for the estimate's error). */
export const MVE_CHW_CODE_BUDGET = 3600;
/** The largest immediate offset, in elements, of VLDRB.S32 / VLDRH.S32 (7 bits, scaled by the element size). */
const MAX_OFFSET = 127;
/** Weights of one line GCC keeps in core registers at once (it loads them all early): more spill to the stack. */
const LINE_WEIGHT_REGS = 10;

/** Blocking override for experiments and tests: output channels x pixel vectors. */
export interface MveChwOptions {
  ob?: number;
  pv?: number;
}

/** A row's pixels: `full` blocks of `width` pixels, then one block of `rem` vectors at column `remAt` (rem 0: none). */
export interface PixelBlocks {
  full: number;
  width: number;
  rem: number;
  remAt: number;
}

export interface MveChwPlan {
  /** Output channels x pixel vectors per block. */
  ob: number;
  pv: number;
  blocks: PixelBlocks;
  /** Channel block sizes of a group: ob, then the tail's if any. */
  sizes: number[];
  /** The block functions: cb channels x pv vectors each. */
  shapes: { cb: number; pv: number }[];
  /** The exact vector Q stage (seeds with the rounding constant, shift, clamp), or null: the common scalar finish. */
  qf: QFinish | null;
  codeBytes: number;
}

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

/** The row's pixel blocks: full blocks of pv vectors, then one block of the remaining vectors ending at the last pixel. */
function pixelBlocks(m: KernelModel, pv: number): PixelBlocks {
  const width = pv * MVE_LANES;
  const full = Math.floor(m.outW / width);
  const left = m.outW - full * width;
  const rem = Math.ceil(left / MVE_LANES);
  return { full, width, rem, remAt: m.outW - rem * MVE_LANES };
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

/** Rough Thumb-2 code bytes: the unrolled taps dominate (per tap: input loads, weight loads, one VMLA per pair). */
function codeEstimate(m: KernelModel, shapes: { cb: number; pv: number }[], vectorFinish: boolean): number {
  const loadInstr = m.strideW === 2 ? 2 : 1;
  let instr = 160; // run, line copies, zeroing
  for (const { cb, pv } of shapes)
    instr += 50 + m.kW * (pv * loadInstr + cb + cb * pv) + cb * pv * (vectorFinish ? 6 : 16);
  return 4 * instr;
}

export function planMveChw(m: KernelModel, acc: AccumulatorPlan, o: MveChwOptions = {}): MveChwPlan {
  const { ob, pv } = blocking(m, o);
  const blocks = pixelBlocks(m, pv);
  const pvs = blocks.full > 0 ? [pv] : [];
  if (blocks.rem > 0 && !pvs.includes(blocks.rem)) pvs.push(blocks.rem);
  const sizes = channelBlockSizes(m, ob);
  const shapes: { cb: number; pv: number }[] = [];
  for (const cb of sizes) for (const p of pvs) shapes.push({ cb, pv: p });
  const qf = qFinish(m, acc);
  return { ob, pv, blocks, sizes, shapes, qf, codeBytes: codeEstimate(m, shapes, qf !== null) };
}

export function mveChwApplies(m: KernelModel, acc: AccumulatorPlan, isa: IsaFeatures, o: MveChwOptions = {}): boolean {
  if (!isa.mve || m.layout !== 'chw' || m.numeric.kind !== 'q') return false;
  const bits = m.numeric.storage.bits;
  if (bits !== 8 && bits !== 16) return false;
  // VMLA.S32 keeps 32 bits of each product sum: exact only under an int32 bound.
  if (acc.accType !== 'int32_t') return false;
  if (m.strideW !== 1 && m.strideW !== 2) return false;
  if (m.outW < MVE_LANES || slabBytes(m) > SLAB_BUDGET) return false;
  const p = planMveChw(m, acc, o);
  // A tap's input vector is one load at an immediate offset from the row: VLDRB/VLDRH reach 127 elements.
  const widest = Math.max(...p.shapes.map((s) => s.pv));
  if ((widest - 1) * MVE_LANES * m.strideW + (m.kW - 1) * m.dilW > MAX_OFFSET) return false;
  return p.codeBytes <= MVE_CHW_CODE_BUDGET;
}
