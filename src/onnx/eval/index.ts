/**
 * The float64 ONNX evaluator: runs a graph in node order (ONNX keeps nodes topologically sorted) with the ops of
 * nn.ts, elementwise.ts, shape.ts, reduce.ts and quant.ts. Used three ways: once on a probe input, to fold constant
 * subgraphs and learn every value's shape; on calibration samples, for the activation ranges; and as the float
 * reference of the accuracy report. It shares no arithmetic with the int8 golden models.
 */
import { InputError } from '../../errors.ts';
import { isDefaultDomain, type Graph } from '../graph.ts';
import { Attributes, type NodeProto } from '../proto.ts';
import { Unsupported, type EvalFn } from './context.ts';
import { ELEMENTWISE_OPS } from './elementwise.ts';
import { NN_OPS } from './nn.ts';
import { QUANT_OPS } from './quant.ts';
import { reduceMean } from './reduce.ts';
import { SHAPE_OPS } from './shape.ts';
import { make, type FTensor } from './tensor.ts';

export { Unsupported } from './context.ts';
export type { FTensor } from './tensor.ts';

export const EVAL_OPS: Record<string, EvalFn> = {
  ...NN_OPS, ...ELEMENTWISE_OPS, ...SHAPE_OPS, ...QUANT_OPS, ReduceMean: reduceMean,
};

/** A constant tensor of the model as an evaluator tensor. */
export function constantTensor(g: Graph, name: string): FTensor | undefined {
  const t = g.constant(name);
  return t ? make(t.dims, t.values, t.dataType) : undefined;
}

export interface Evaluation {
  values: Map<string, FTensor>;
  /** Nodes that could not run, with why (their outputs, and what depends on them, stay unknown). */
  failed: Map<NodeProto, string>;
}

export interface EvalOptions {
  opset: number;
  /** Values known before the run (folded constants): nodes whose outputs are all known are skipped. */
  known?: Map<string, FTensor>;
  /** Stop at the first node that cannot run (a run after import, where every node was checked). */
  strict?: boolean;
}

export function evaluateGraph(g: Graph, inputs: Map<string, FTensor>, o: EvalOptions): Evaluation {
  const values = new Map<string, FTensor>(o.known ?? []);
  for (const [k, v] of inputs) values.set(k, v);
  const failed = new Map<NodeProto, string>();
  for (const n of g.proto.node) {
    const outs = n.output.filter(Boolean);
    if (outs.every((v) => values.has(v))) continue;
    if (n.opType === 'Constant' && isDefaultDomain(n)) {
      const t = constantTensor(g, n.output[0]);
      if (t) values.set(n.output[0], t);
      else failed.set(n, 'a Constant node without a value, value_float or value_int attribute');
      continue;
    }
    const fn = isDefaultDomain(n) ? EVAL_OPS[n.opType] : undefined;
    const why = fn ? undefined : isDefaultDomain(n) ? 'convgen has no such op' : `an op of domain '${n.domain}'`;
    const ins = n.input.map((name) => (name ? values.get(name) ?? constantTensor(g, name) : undefined));
    if (fn && n.input.some((name, i) => name && !ins[i])) continue; // an input is unknown: something before it failed
    let result: FTensor[] | undefined;
    let reason = why;
    if (fn) {
      try {
        result = fn(ins, { node: n, attrs: new Attributes(n, `${g.file}: ${n.opType} node '${n.name}'`), opset: o.opset });
      } catch (e) {
        if (!(e instanceof Unsupported)) throw e;
        reason = e.message;
      }
    }
    if (!result) {
      if (o.strict) throw new InputError(`${g.file}: ${n.opType} node '${n.name}'`, `cannot be evaluated: ${reason}`);
      failed.set(n, reason ?? 'cannot be evaluated');
      continue;
    }
    n.output.forEach((v, i) => {
      if (v && result![i]) values.set(v, result![i]);
    });
  }
  return { values, failed };
}

