/**
 * How far a load's immediate offset reaches, by instruction-set state and data width: a fact of the instruction set,
 * which every family's planner and assembly respect. A32's LDRSB/LDRSH (and LDRH/LDRB's signed forms) take an 8-bit
 * offset (±255), its LDR/LDRB 12 bits (±4095); Thumb-2's 32-bit encodings 12 bits (positive). Thumb-1 and the host's
 * C have no limit that matters here (the compiler materializes any offset).
 */
import type { IsaFeatures } from './index.ts';

export const loadReach: Record<IsaFeatures['state'], (bits: number) => number> = {
  a32: (bits) => (bits === 32 ? 4095 : 255),
  thumb2: () => 4095,
  thumb1: () => Infinity,
  host: () => Infinity,
};
