/**
 * The `optimized` variant is a table of kernel families, tried in order: the first whose `applies` accepts the
 * spec on the target's ISA generates the kernel. Vector families (MVE, NEON) come first and accept only what they
 * handle; `blocked` (scalar register blocking, SMLAD on DSP cores) accepts everything its code budget allows, and
 * `loops` the rest, so a spec never falls through.
 * ISA differences live here as rows, not as `if (target === ...)` chains.
 */
import type { KernelModel } from '../spec/index.ts';
import type { IsaFeatures } from '../targets/index.ts';
import type { AccumulatorPlan } from './accumulator.ts';
import { mveFamily } from './mve.ts';
import { mveChwFamily } from './mve-chw.ts';
import { neonFamily } from './neon.ts';
import { neonHwcFamily } from './neon-hwc.ts';
import { blockedFits, blockedPlan, optimizedView } from './optimized-view.ts';
import { pointwiseFamily } from './pointwise.ts';

export interface FamilyContext {
  /** The output stage takes the channel index (per-channel requantization tables). */
  finishNeedsO: boolean;
  /** 'speed' may grow weight flash beyond the raw weight bytes; 'default' may not. */
  optimize: 'default' | 'speed';
}

export interface KernelFamily {
  name: string;
  summary: string;
  /** Template path under templates/. */
  template: string;
  applies(m: KernelModel, plan: AccumulatorPlan, isa: IsaFeatures): boolean;
  /** Fields added to the common view model (shapes, numeric stage, tables) for this family's template. */
  view(m: KernelModel, plan: AccumulatorPlan, isa: IsaFeatures, ctx: FamilyContext): Record<string, unknown>;
}

export const blockedFamily: KernelFamily = {
  name: 'blocked',
  summary: 'scalar register blocking (output channels x pixels), blocked weights, regions without bounds checks',
  template: 'optimized/kernel.c.hbs',
  // Everything whose smallest plan keeps the 4 KiB code budget.
  applies: (m, plan, isa) => blockedFits(m, isa, plan.accType),
  view: (m, plan, isa, ctx) => optimizedView(m, plan, isa, ctx),
};

/**
 * The last resort, for what no family fits in its code budget (big kernels: blocked unrolls every kernel row of a
 * region, 11x11 needs 5-9 KiB): the reference kernel's loops, about 1 KiB of code for any shape. The header's
 * Optimize line says why.
 */
export const loopsFamily: KernelFamily = {
  name: 'loops',
  summary: "the reference kernel's loops (interior without bounds checks), as no unrolled plan fits the 4 KiB code budget",
  template: 'reference/kernel.c.hbs',
  applies: () => true,
  view: (m, plan, isa) => {
    const { opt } = blockedPlan(m, isa, plan.accType, 'default');
    return { optimizeLine: `code budget: the blocked family's smallest plan needs about ${opt.codeBytes} B of code, over its ${opt.codeBudget} B budget; loops instead` };
  },
};

export const optimizedFamilies: readonly KernelFamily[] = [mveFamily, mveChwFamily, neonFamily, neonHwcFamily, pointwiseFamily, blockedFamily, loopsFamily];

export function chooseFamily(m: KernelModel, plan: AccumulatorPlan, isa: IsaFeatures): KernelFamily {
  return optimizedFamilies.find((f) => f.applies(m, plan, isa)) ?? loopsFamily;
}
