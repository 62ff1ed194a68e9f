/**
 * The kernel family interface. A family decides (plan) and says what the code does (lower: plan -> KernelIR); the C
 * printer (src/emit-c) turns the IR into text. The `optimized` variant is a table of families tried in order, first
 * match wins (index.ts); the portable variants (reference, naive) are lowerings of the same shape.
 */
import type { KernelModel } from '../ops/conv_2d/spec/index.ts';
import type { IsaFeatures } from '../targets/index.ts';
import type { AccumulatorPlan } from '../codegen/accumulator.ts';
import type { KernelIR } from '../ir/kernel-ir.ts';
import type { CoreTuning } from '../tuning/cores.ts';

export type OptimizeGoal = 'default' | 'speed';

/** What a family's plan sees besides the model: the accumulator, the target's ISA, the optimize goal. */
export interface PlanContext {
  acc: AccumulatorPlan;
  isa: IsaFeatures;
  /** 'speed' may grow weight flash beyond the raw weight bytes; 'default' may not. */
  optimize: OptimizeGoal;
  /** The core's tuning row (tuning/cores.ts) when not the ISA's own: tests plan with another (a form no row takes). */
  tune?: CoreTuning;
}

/** A family (or portable variant) that plans and lowers to the IR. */
export interface IrFamily<P = unknown> {
  kind: 'ir';
  name: string;
  summary: string;
  applies(m: KernelModel, acc: AccumulatorPlan, isa: IsaFeatures): boolean;
  plan(m: KernelModel, ctx: PlanContext): P;
  lower(m: KernelModel, plan: P, ctx: PlanContext): KernelIR;
}

/** A row of the family table: a family's plan type is its own business (only its own lower reads it). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type KernelFamily = IrFamily<any>;

/** Plan and lower with one family (or portable variant). */
export function lowerWith<P>(f: IrFamily<P>, m: KernelModel, ctx: PlanContext): KernelIR {
  return f.lower(m, f.plan(m, ctx), ctx);
}
