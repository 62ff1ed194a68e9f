/**
 * Zero-padded input lines, shared by the CHW vector families that run along output pixels (NEON on ARMv7-A, MVE on
 * ARMv8.1-M): per output row, the valid input rows of a group are copied into lines on the stack with the left and
 * right padding as exact zeros, so every column runs the vector code. Also their common blocked weight order and
 * the output-row bands by valid kernel rows.
 */
import type { KernelModel } from '../ops/conv_2d/spec/index.ts';
import { axisBands } from './geometry.ts';

/** Bytes of stack the zero-padded input rows may take (the A9 and M55 images' stacks are 8 KiB). */
export const SLAB_BUDGET = 4096;

/**
 * Elements per padded input line: left padding, the row, then zeros up to the last element a vector load reads
 * (stride 2 loads twice the pixels and keeps the even lanes, so the last odd element is read too).
 */
export function lineLength(m: KernelModel): number {
  const lastRead = (m.outW - 1) * m.strideW + (m.kW - 1) * m.dilW + (m.strideW === 2 ? 1 : 0);
  return Math.max(m.pad.left + m.inW, lastRead + 1);
}

/** The padded rows of one output row: [in/groups][kernel row][line]. */
export function slabBytes(m: KernelModel): number {
  return m.inPerGroup * m.kH * lineLength(m) * (m.numeric.storage.bits / 8);
}

/** Channel block sizes of a group: full blocks of `ob`, then the remainder as one tail block. */
export function channelBlockSizes(m: KernelModel, ob: number): number[] {
  return m.outPerGroup % ob > 0 ? [ob, m.outPerGroup % ob] : [ob];
}

/** Per group, per block of `ob` output channels: [in/groups][ky][kx][channel in block] (the model's bytes, reordered). */
export function blockedWeights(m: KernelModel, ob: number): number[] {
  const taps = m.kH * m.kW;
  const per = m.inPerGroup * taps;
  const weights: number[] = [];
  for (let g = 0; g < m.groups; g++)
    for (let start = 0; start < m.outPerGroup; start += ob) {
      const size = Math.min(ob, m.outPerGroup - start);
      const o0 = g * m.outPerGroup + start;
      for (let ci = 0; ci < m.inPerGroup; ci++)
        for (let t = 0; t < taps; t++)
          for (let j = 0; j < size; j++) weights.push(m.weights[(o0 + j) * per + ci * taps + t]);
    }
  return weights;
}

/** Output rows grouped by their valid kernel rows, as C table rows: first row, last row, first valid kernel row, how many. */
export function rowBandsView(m: KernelModel) {
  return axisBands(m.outH, m.inH, m.kH, m.strideH, m.dilH, m.pad.top).map((b) => ({
    fields: [b.lo, b.hi, b.valid.length ? b.valid[0] : 0, b.valid.length].join(', '),
    doc: `output rows ${b.lo}..${b.hi}: kernel rows ${b.valid.join(',') || 'none'}`,
  }));
}
