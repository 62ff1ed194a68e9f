/**
 * The kernel family interface. A family decides (plan) and says what the code does (lower: plan -> KernelIR); the C
 * printer (src/emit-c) turns the IR into text. The `optimized` variant is a table of families tried in order, first
 * match wins (index.ts); the portable variants (reference, naive) are lowerings of the same shape.
 *
 * Families not yet ported to the IR still render a Handlebars template from a view model (TemplateFamily): the
 * families phase of the architecture issue moves each onto `plan` + `lower`.
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

export interface TemplateContext {
  /** The output stage takes the channel index (per-channel requantization tables). */
  finishNeedsO: boolean;
  optimize: OptimizeGoal;
}

/** A family still rendered by its own template from a view model (until it is ported). */
export interface TemplateFamily {
  kind: 'template';
  name: string;
  summary: string;
  /** Template path under templates/. */
  template: string;
  applies(m: KernelModel, acc: AccumulatorPlan, isa: IsaFeatures): boolean;
  /** Fields added to the common view model (shapes, numeric stage, tables) for this family's template. */
  view(m: KernelModel, acc: AccumulatorPlan, isa: IsaFeatures, ctx: TemplateContext): Record<string, unknown>;
}

/** A row of the family table: a family's plan type is its own business (only its own lower reads it). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type KernelFamily = IrFamily<any> | TemplateFamily;

/** Plan and lower with one family (or portable variant). */
export function lowerWith<P>(f: IrFamily<P>, m: KernelModel, ctx: PlanContext): KernelIR {
  return f.lower(m, f.plan(m, ctx), ctx);
}
