/** The NEON HWC family (ARMv7-A, Cortex-A9) as a row of the optimized table: plan.ts decides, lower.ts says it as IR. */
import type { IrFamily } from '../family.ts';
import { lowerHwc } from './lower.ts';
import { neonHwcApplies, planHwc, type HwcPlan } from './plan.ts';

export { HWC_SLAB_BUDGET, hwcLinePixels, hwcSlabBytes, hwcSlots, neonHwcApplies } from './plan.ts';

export const neonHwcFamily: IrFamily<HwcPlan> = {
  kind: 'ir',
  name: 'neon-hwc',
  summary: 'ARMv7-A NEON: HWC int8/q7/q15 vectorized along 8 output channels (depthwise: 8 channels), int16 input lines with the offset added',
  applies: neonHwcApplies,
  plan: (m, ctx) => planHwc(m, ctx.acc, ctx.optimize),
  lower: lowerHwc,
};
