/**
 * The `optimized` variant is a table of kernel families, tried in order: the first whose `applies` accepts the
 * spec on the target's ISA generates the kernel. Vector families (MVE, NEON) come first and accept only what they
 * handle; `blocked` (scalar register blocking, SMLAD on DSP cores) accepts everything its code budget allows, and
 * `loops` the rest, so a spec never falls through.
 * ISA differences live here as rows, not as `if (target === ...)` chains.
 */
import type { KernelModel } from '../ops/conv_2d/spec/index.ts';
import type { IsaFeatures } from '../targets/index.ts';
import type { AccumulatorPlan } from '../codegen/accumulator.ts';
import { mveFamily } from './mve/index.ts';
import { mveChwFamily } from './mve-chw/index.ts';
import { neonFamily } from './neon/index.ts';
import { neonHwcFamily } from './neon-hwc/index.ts';
import { pointwiseFamily } from './pointwise/index.ts';
import { dspRowsFamily } from './dsp-rows/index.ts';
import { blockedFamily } from './blocked/index.ts';
import { loopsFamily } from './loops/index.ts';
import type { KernelFamily } from './family.ts';

export { blockedFamily, loopsFamily };

export const optimizedFamilies: readonly KernelFamily[] = [mveFamily, mveChwFamily, neonFamily, neonHwcFamily, pointwiseFamily, dspRowsFamily, blockedFamily, loopsFamily];

export function chooseFamily(m: KernelModel, plan: AccumulatorPlan, isa: IsaFeatures): KernelFamily {
  return optimizedFamilies.find((f) => f.applies(m, plan, isa)) ?? loopsFamily;
}
