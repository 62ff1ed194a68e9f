/**
 * Before mapping: the model's one data input and its shape, one run of the evaluator on a probe input (every
 * value's shape), and constant folding. A value is constant when it does not depend on the data input, counting
 * Shape and Size as independent of it (the input's shape is fixed): the Shape -> Gather -> Unsqueeze -> Concat and
 * Cast chains that PyTorch exports around Reshape and Clip fold to plain constants, from the probe run.
 */
import { InputError } from '../../errors.ts';
import { Mulberry32 } from '../../tensors/random.ts';
import { Graph, isDefaultDomain } from '../graph.ts';
import { decodeModel, defaultOpset, isFloatType, DataType, type NodeProto } from '../proto.ts';
import { evaluateGraph, type FTensor } from '../eval/index.ts';
import { make } from '../eval/tensor.ts';

export interface Prepared {
  g: Graph;
  file: string;
  opset: number;
  input: { name: string; dims: number[]; type: number };
  /** Constant values: initializers, Constant nodes and folded subgraphs. */
  constants: Map<string, FTensor>;
  /** Every value of the probe run (its shape and type; constants' values). */
  probe: Map<string, FTensor>;
  /** Nodes that compute from the data input, in order: what the importer maps. */
  dataNodes: NodeProto[];
  /** Nodes the evaluator could not run, with why. */
  failed: Map<NodeProto, string>;
}

/** Dimensions of the data input: declared (batch 1 for a symbolic batch), or from --input-shape for open ones. */
function inputDims(g: Graph, name: string, override: number[] | undefined, file: string): number[] {
  const v = g.proto.input.find((i) => i.name === name)!;
  const t = v.type?.value.case === 'tensorType' ? v.type.value.value : undefined;
  const dims = t?.shape?.dim.map((d) => (d.value.case === 'dimValue' ? Number(d.value.value) : -1));
  if (override) {
    if (dims && dims.length !== override.length + 1)
      throw new InputError('--input-shape', `gives ${override.length} dimensions; the model input '${name}' has ${dims.length - 1} after the batch`);
    dims?.slice(1).forEach((d, i) => {
      if (d > 0 && d !== override[i])
        throw new InputError('--input-shape', `${override.join(',')} contradicts the model, where '${name}' has shape (${dims.join(', ')})`);
    });
    return [1, ...override];
  }
  if (!dims) throw new InputError(file, `the model input '${name}' declares no shape; give --input-shape C,H,W`);
  if (dims[0] > 1) throw new InputError(file, `the model input '${name}' has a fixed batch of ${dims[0]}; export it with batch 1 or a dynamic batch`);
  if (dims.slice(1).some((d) => d < 1))
    throw new InputError(file, `the model input '${name}' has shape (${dims.map((d) => (d < 0 ? '?' : d)).join(', ')}); give --input-shape C,H,W for the open dimensions`);
  return [1, ...dims.slice(1)];
}

/** A deterministic input of the declared type (values in [−1, 1), or integers of the type). */
export function probeInput(dims: number[], type: number): FTensor {
  const rng = new Mulberry32(7);
  const n = dims.reduce((a, b) => a * b, 1);
  const u = () => rng.nextU32() / 2 ** 32;
  if (isFloatType(type)) return make(dims, Array.from({ length: n }, () => 2 * u() - 1), type);
  const [lo, hi] = type === DataType.UINT8 ? [0, 255] : [-128, 127];
  return make(dims, Array.from({ length: n }, () => lo + Math.floor(u() * (hi - lo + 1))), type);
}

export function prepare(bytes: Uint8Array, file: string, inputShape?: number[]): Prepared {
  const model = decodeModel(bytes, file);
  const g = new Graph(model.graph!, file);
  const opset = defaultOpset(model);
  if (g.dataInputs.length !== 1)
    throw new InputError(file, `the model has ${g.dataInputs.length} inputs (${g.dataInputs.join(', ') || 'none'}); convgen imports models with one input`);
  const name = g.dataInputs[0];
  const type = g.elemType.get(name) ?? DataType.FLOAT;
  if (!isFloatType(type) && type !== DataType.INT8 && type !== DataType.UINT8)
    throw new InputError(file, `the model input '${name}' is ${DataType[type] ?? type}; convgen takes float, int8 or uint8 inputs`);
  const dims = inputDims(g, name, inputShape, file);

  // Data dependence: Shape and Size depend on the input's (fixed) shape only.
  const dependent = new Set<string>([name]);
  const dataNodes: NodeProto[] = [];
  for (const n of g.proto.node) {
    const shapeOnly = isDefaultDomain(n) && (n.opType === 'Shape' || n.opType === 'Size');
    if (!shapeOnly && n.input.some((i) => i && dependent.has(i))) {
      n.output.forEach((o) => o && dependent.add(o));
      dataNodes.push(n);
    }
  }
  const { values, failed } = evaluateGraph(g, new Map([[name, probeInput(dims, type)]]), { opset });
  const constants = new Map<string, FTensor>();
  for (const [v, t] of values) if (!dependent.has(v)) constants.set(v, t);
  return { g, file, opset, input: { name, dims, type }, constants, probe: values, dataNodes, failed };
}
