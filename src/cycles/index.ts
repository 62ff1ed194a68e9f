/**
 * Cycle estimates: a documented timing model per core (src/cycles/models), applied to what the QEMU plugin recorded
 * of a run (how often each instruction ran, its branches, its condition and multiply operand sizes where the model
 * asked for them). docs/cycles.md describes each model, its sources and what it approximates.
 */
import type { CycleModel } from './model.ts';
import { arm9es, arm9tdmi } from './models/arm9.ts';
import { cortexA9 } from './models/cortex-a9.ts';
import { cortexM0, cortexM3, cortexM33, cortexM4, cortexM55, cortexM7 } from './models/cortex-m.ts';

export { estimate, watchFile, type CycleEstimate, type CycleModel, type Breakdown, type ExecRecord } from './model.ts';
export { parseObjdump, type Insn } from './insn.ts';

export const cycleModels: readonly CycleModel[] = [arm9tdmi, arm9es, cortexM0, cortexM3, cortexM4, cortexM33, cortexM7, cortexM55, cortexA9];

export type CycleModelId = 'arm9tdmi' | 'arm9e-s' | 'cortex-m0' | 'cortex-m3' | 'cortex-m4' | 'cortex-m33' | 'cortex-m7' | 'cortex-m55' | 'cortex-a9';

export function cycleModel(id: CycleModelId): CycleModel {
  const m = cycleModels.find((x) => x.id === id);
  if (!m) throw new Error(`no cycle model ${id}`);
  return m;
}
