/** What an evaluator op sees, and how it says that a configuration is not one convgen evaluates. */
import type { Attributes, NodeProto } from '../proto.ts';
import type { FTensor } from './tensor.ts';

/** A configuration the evaluator (and so the importer) does not handle; the message says which. */
export class Unsupported extends Error {}

export interface EvalContext {
  node: NodeProto;
  attrs: Attributes;
  opset: number;
}

/** Inputs by position; an omitted optional input is undefined. */
export type EvalFn = (inputs: (FTensor | undefined)[], ctx: EvalContext) => FTensor[];

export function unsupported(why: string): never {
  throw new Unsupported(why);
}

export function need(t: FTensor | undefined, what: string): FTensor {
  return t ?? unsupported(`its ${what} input is missing`);
}
