/** The blocked family's staging buffer: 16-bit CHW input copied per output row into a zero-padded HWC ring. */
import type { KernelModel } from '../../ops/conv_2d/spec/index.ts';
import type { IsaFeatures } from '../../targets/index.ts';
import { chooseMacForm } from './forms.ts';
import { stageMaxInputFraction } from './measured.ts';

/** A staged kernel: what the planner sees (the staging buffer as its input) and the buffer's shape. */
export interface Staging {
  /** The model as seen through the buffer: HWC, `rows` x `width`, no padding, one output row per call. */
  model: KernelModel;
  rows: number;
  width: number;
  bytes: number;
}

/**
 * Staging: 16-bit CHW input on cores whose dual MAC (SMLAD/SMLALD) takes two input channels from one word. Before
 * each output row the input rows it reads are copied channel-interleaved (HWC) and zero-padded into a static buffer:
 * a pair of input channels is then one load (CHW needs two and a PKHBT, or kernel-column pairs that waste a lane of
 * an odd-width kernel), and every tap is inside the buffer, so the kernel is one interior function with no borders.
 * Zero padding contributes nothing only without an input offset. The copy costs a few instructions per input element
 * per call (each row is copied once) against kernel taps x output channels MACs per element: where the buffer stays small
 * next to the input tensor (stageMaxInputFraction) and the staged model multiplies in the dual form.
 */
export function stagingFor(m: KernelModel, isa: IsaFeatures, optimize: 'default' | 'speed'): Staging | null {
  if (m.layout !== 'chw' || m.numeric.storage.bits !== 16 || m.numeric.inputOffset !== 0 || !isa.unaligned) return null;
  const rows = (m.kH - 1) * m.dilH + 1;
  const width = m.inW + m.pad.left + m.pad.right;
  const bytes = 2 * rows * width * m.inC * (m.numeric.storage.bits / 8); // a ring of rows, each stored twice
  if (bytes > stageMaxInputFraction[optimize] * m.inC * m.inH * m.inW * (m.numeric.storage.bits / 8)) return null;
  const model: KernelModel = { ...m, layout: 'hwc', inH: rows, inW: width, outH: 1, pad: { top: 0, left: 0, bottom: 0, right: 0 } };
  if (chooseMacForm(model, isa) !== 'dual') return null;
  return { model, rows, width, bytes };
}
