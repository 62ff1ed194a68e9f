/**
 * The `pointwise` kernel family: a 1x1 convolution is a GEMM, out[o][p] = seed[o] + Σ_c w[o][c]·x[c][p]. Decided at
 * generation time, per ISA state and feature set:
 * - the MAC form (a table of rows, first match wins: forms.ts): SXTB16 + SMLAD on four int8 channels (v7E-M, HWC),
 *   SMLAD on pairs of int16 channels (v7E-M; CHW pairs two channel rows with PKHBT/PKHTB), SMLAxy on int16 weights
 *   packed as halfword pairs of two output channels (ARMv5TE; halves-pixels also loads two adjacent CHW pixels as one
 *   aligned word), SMLAL on two int8 pixels packed in bit lanes of one register (lane2: two MACs per multiply), or a
 *   plain multiply-accumulate (MLA/SMLAL, Thumb-1 MULS); A32 CHW steps the channel pointer with post-indexed loads;
 * - the register tile (output channels x pixels) from a small cost model within a register budget per ISA state;
 * - the weight layout: blocked in the order the loops read, the same bytes as the raw weights;
 * - the pixel runs: one run over the whole plane when stride is 1 and nothing is padded, otherwise one run per
 *   output row over the columns whose input is inside; padded 1x1 outputs see no input and are bias-only.
 * int8's input offset is folded into per-channel seeds (bias + offset·Σw), so the loops multiply raw inputs. The
 * output stage is the family's own where plan.ts pointwiseFinish finds a cheaper exact form (int8: one 64-bit
 * multiply-add; Q: rounding folded into the seeds), else the common finish.
 *
 * plan: forms.ts, plan.ts; lower: lower.ts, steps.ts (one step's loads and MACs), run.ts.
 */
import type { IrFamily } from '../family.ts';
import { planPointwise, pointwiseApplies, type PointwisePlan } from './plan.ts';
import { lowerPointwise } from './lower.ts';

export const pointwiseFamily: IrFamily<PointwisePlan> = {
  kind: 'ir',
  name: 'pointwise',
  summary: '1x1 convolution as a register-tiled GEMM (output channels x pixels), MAC form per ISA feature, blocked weights',
  applies: (m, acc, isa) => pointwiseApplies(m, acc, isa),
  plan: (m, ctx) => planPointwise(m, ctx.acc, ctx.isa, ctx.optimize),
  lower: lowerPointwise,
};
