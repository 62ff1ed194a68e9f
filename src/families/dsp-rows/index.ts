/** The dsp-rows family (int8 HWC, 1-3 input channels per group, ARMv7E-M DSP) as a row of the optimized table. */
import type { IrFamily } from '../family.ts';
import { lowerDspRows } from './lower.ts';
import { dspRowsApplies, planDspRows, type DspRowsPlan } from './plan.ts';

export { dspRowsApplies, planDspRows } from './plan.ts';

export const dspRowsFamily: IrFamily<DspRowsPlan> = {
  kind: 'ir',
  name: 'dsp-rows',
  summary: 'ARMv7E-M DSP: int8 HWC with 1-3 input channels per group (depthwise, first layers): input rows widened to an int16 plane, taps paired along the kernel row for SMLAD',
  applies: dspRowsApplies,
  plan: (m, ctx) => planDspRows(m, ctx.acc),
  lower: lowerDspRows,
};
