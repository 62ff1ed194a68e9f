/**
 * The last row of the optimized variant's family table, for what no family fits in its code budget (big kernels: the
 * blocked family unrolls every kernel row of a region, and 11x11 needs 5-9 KiB): the reference kernel's loops, about
 * 1 KiB of code for any shape, with the interior free of bounds checks. The header's Optimize line says why.
 */
import type { IrFamily } from '../family.ts';
import { blockedCode } from '../blocked/kernel-plan.ts';
import { referenceVariant, type Band } from '../reference/lower.ts';

export const loopsFamily: IrFamily<Band[]> = {
  kind: 'ir',
  name: 'loops',
  summary: "the reference kernel's loops (interior without bounds checks), as no unrolled plan fits the 4 KiB code budget",
  applies: () => true,
  plan: referenceVariant.plan,
  lower: (m, bands, ctx) => {
    const code = blockedCode(m, ctx.isa, ctx.acc.accType);
    return { ...referenceVariant.lower(m, bands, ctx),
      optimizeLine: `code budget: the blocked family's smallest plan needs about ${code.bytes} B of code, over its ${code.budget} B budget; loops instead` };
  },
};
