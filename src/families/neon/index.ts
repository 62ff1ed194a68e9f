/** The NEON family (ARMv7-A, Cortex-A9) as a row of the optimized table: plan.ts decides, lower.ts says it as IR. */
import type { IrFamily } from '../family.ts';
import { lowerNeon } from './lower.ts';
import { neonApplies, planNeon, type NeonPlan } from './plan.ts';

export { LANES, NEON_CODE_BUDGET, neonApplies } from './plan.ts';

export const neonFamily: IrFamily<NeonPlan> = {
  kind: 'ir',
  name: 'neon',
  summary: 'ARMv7-A NEON: CHW q7/q15 vectorized along 8 output pixels, weights broadcast (vmlal_s16), exact int32/int64 lanes',
  applies: neonApplies,
  plan: (m, ctx) => planNeon(m, ctx.acc),
  lower: lowerNeon,
};
