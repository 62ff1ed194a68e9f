/**
 * Which corners a fuzz run reached: the (numeric type × layout × kernel class × optimized family) cell of each spec on
 * each target. The family is the one src/families/index.ts picks for that target's ISA.
 */
import { planAccumulator } from '../codegen/accumulator.ts';
import { chooseFamily } from '../families/index.ts';
import type { KernelModel } from '../ops/conv_2d/spec/index.ts';
import type { Target } from '../targets/index.ts';
import type { KernelClass } from './arbitraries.ts';

export function kernelClassOf(m: KernelModel): KernelClass {
  if (m.groups > 1 && m.inPerGroup === 1) return 'depthwise';
  return m.kH === 1 && m.kW === 1 ? '1x1' : 'general';
}

/** `q7 chw depthwise mve-chw`: the cell of `m` on `target`. */
export function cellOf(m: KernelModel, target: Target): string {
  const family = chooseFamily(m, planAccumulator(m), target.features).name;
  const type = m.numeric.kind === 'q' ? m.numeric.type : 'int8';
  return `${type} ${m.layout} ${kernelClassOf(m)} ${family}`;
}

/** Specs per cell on one target. */
export function cellCounts(models: KernelModel[], target: Target): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of models) {
    const c = cellOf(m, target);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  return counts;
}
