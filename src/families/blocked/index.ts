/**
 * The blocked family: scalar register blocking (output channels x pixels), weights blocked in the order the loops
 * read them, the output plane split into regions without bounds checks, and the MAC form the ISA does best (SMLAD on
 * DSP cores, SMLAxy on ARMv5TE, two MACs per SMLAL in bit lanes elsewhere). It accepts every spec whose smallest
 * plan keeps the code budget; the loops family (../loops) takes the rest.
 *
 * plan: kernel-plan.ts (staging, search.ts's blocking, the accumulator and output-stage decisions); lower: lower.ts.
 */
import type { IrFamily } from '../family.ts';
import { blockedFits, planKernel, type BlockedKernel } from './kernel-plan.ts';
import { lowerBlocked } from './lower.ts';

export const blockedFamily: IrFamily<BlockedKernel> = {
  kind: 'ir',
  name: 'blocked',
  summary: 'scalar register blocking (output channels x pixels), blocked weights, regions without bounds checks',
  // Everything whose smallest plan keeps the code budget; the loops family takes the rest.
  applies: (m, acc, isa) => blockedFits(m, isa, acc.accType),
  plan: planKernel,
  lower: lowerBlocked,
};
