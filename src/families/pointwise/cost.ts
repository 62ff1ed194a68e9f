/**
 * The pointwise family's cycle estimate of a whole plan on a core with a `pointwiseCycles` row (Cortex-M4 and M33:
 * their cycle model's single-cycle instructions and MACs, two-cycle loads that pipeline behind a load): every block
 * function's cycles times the blocks and pixel blocks that call it, over the kernel's MACs. One block function's
 * pixel block costs
 *   its step instructions (stepInstructions, as the tile's instruction estimate counts them), plus one cycle per load
 *   run (the first load of a run takes two): in the assembly (lane-asm.ts) one run per channel of a step (the pixel
 *   words join the first), in C one for the pixel words and one per channel's weights;
 *   the input-channel tail (plain steps, C) alike; 6 per loop iteration where the steps loop;
 *   the row's cycles per output (the output stage and its store) and per channel (seed, stage record, the moves
 *   around the statement);
 * and C steps whose tile needs more registers than the state's budget are multiplied by the row's spill factor (GCC
 * reloads seeds and weights inside the steps). `--optimize
 * speed` takes its plan only where this estimate is not above default's (plan.ts). The coefficients are fitted on
 * measured kernels (the row's `measured` note); test/codegen/pointwise-cost.test.ts checks the choice.
 */
import type { KernelModel } from '../../ops/conv_2d/spec/index.ts';
import type { IsaFeatures } from '../../targets/index.ts';
import { tuningOf, type PointwiseCycles } from '../../tuning/cores.ts';
import { isaRows, registersNeeded, stepInstructions } from './forms.ts';
import type { BlockFn, PointwisePlan } from './plan.ts';

/** Cycles of one pixel block of one block function. */
function fnCycles(m: KernelModel, isa: IsaFeatures, f: BlockFn, accWords: number, inPixel: number, row: PointwiseCycles): number {
  const steps = f.unroll * f.iters;
  const step = stepInstructions(f.form, m, isa, f.size, f.pb, accWords, inPixel);
  const runs = f.laneAsm ? f.size : 1 + f.size;
  const tail = f.kTail * (stepInstructions('plain', m, isa, f.size, f.pb, accWords, inPixel) + 1 + f.size);
  // Two pointer adds, the compare and a taken branch (1 + 2 refill) per iteration where the steps loop.
  const loop = f.unroll > 0 && f.iters > 1 ? 6 * f.iters : 0;
  const spills = !f.laneAsm && registersNeeded(f.form, f.size, f.pb, accWords) > isaRows[isa.state].budget;
  const body = (steps * (step + runs) + tail + loop) * (spills ? row.spillFactor : 1);
  return body + row.perOutput * f.size * f.pb + (f.laneAsm ? row.perChannelAsm : row.perChannel) * f.size;
}

/** Estimated cycles per MAC of a plan, or null where the core's row has no pointwise cycle coefficients. */
export function estimatedCyclesPerMac(m: KernelModel, isa: IsaFeatures, p: PointwisePlan, accType: string): number | null {
  const row = tuningOf(isa).pointwiseCycles;
  if (!row) return null;
  const accWords = accType === 'int64_t' ? 2 : 1;
  // Per run of pixels (every run is alike).
  let cycles = 0;
  for (const c of p.classes) {
    const calls = c.wordPairs ? c.wordPairs.aligned : c.calls;
    for (const k of calls) cycles += c.blocks * k.count * fnCycles(m, isa, k.fn, accWords, p.geo.inPixel, row);
  }
  const macs = m.inC * m.outC * p.geo.span;
  return macs > 0 ? cycles / macs : null;
}
