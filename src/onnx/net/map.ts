/**
 * The mapper: every data node of the prepared graph to network layers through the table below. A node that no
 * entry maps, or whose entry refuses its configuration, is collected; the import then fails naming every one of
 * them (name and op type, and why when the op is known) in one line, and writes nothing.
 */
import { InputError } from '../../errors.ts';
import { Unsupported } from '../eval/context.ts';
import { isDefaultDomain } from '../graph.ts';
import type { NodeProto } from '../proto.ts';
import { mapBatchNorm, mapConv, mapGemm, mapMatMul, mapQLinearConv, mapQLinearMatMul } from './conv.ts';
import { mapAdd, mapLut, mapSoftmax } from './elementwise.ts';
import { MapContext } from './layers.ts';
import { mapMean, mapPool } from './pool.ts';
import type { Prepared } from './prepare.ts';
import { mapConcat, mapDequantizeLinear, mapIdentity, mapPad, mapQuantizeLinear, mapReshape } from './shape.ts';

type Mapper = (n: NodeProto, ctx: MapContext) => void;

export const MAPPERS: Record<string, Mapper> = {
  Conv: mapConv,
  BatchNormalization: mapBatchNorm,
  Gemm: mapGemm,
  MatMul: mapMatMul,
  QLinearConv: mapQLinearConv,
  QLinearMatMul: mapQLinearMatMul,
  MaxPool: mapPool,
  AveragePool: mapPool,
  GlobalAveragePool: mapMean,
  ReduceMean: mapMean,
  Add: mapAdd,
  Relu: mapLut,
  Clip: mapLut,
  LeakyRelu: mapLut,
  HardSigmoid: mapLut,
  HardSwish: mapLut,
  Sigmoid: mapLut,
  Tanh: mapLut,
  Softmax: mapSoftmax,
  Flatten: mapReshape,
  Reshape: mapReshape,
  Squeeze: mapReshape,
  Unsqueeze: mapReshape,
  Concat: mapConcat,
  Pad: mapPad,
  Identity: mapIdentity,
  Dropout: mapIdentity,
  QuantizeLinear: mapQuantizeLinear,
  DequantizeLinear: mapDequantizeLinear,
};

/** "Mul '/act/Mul'", or "Mul (node 7)" for a node without a name. */
export function nodeLabel(n: NodeProto, index: number): string {
  return `${n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.` : ''}${n.opType} ${n.name ? `'${n.name}'` : `(node ${index})`}`;
}

export interface Mapped {
  ctx: MapContext;
  inputTensor: string;
  outputTensors: string[];
}

export function mapGraph(prep: Prepared): Mapped {
  const ctx = new MapContext(prep);
  const problems: [number, string][] = [];
  const index = new Map(prep.g.proto.node.map((n, i) => [n, i]));
  const input = ctx.newTensor(prep.input.name);
  // The evaluator's refusals (constant subgraphs included): those nodes are not mapped.
  for (const [n, why] of prep.failed) problems.push([index.get(n)!, `${nodeLabel(n, index.get(n)!)}${why === 'convgen has no such op' ? '' : ` (${why})`}`]);
  let unchecked = 0;
  for (const n of prep.dataNodes) {
    if (ctx.isClaimed(n) || prep.failed.has(n)) continue;
    const mapper = isDefaultDomain(n) ? MAPPERS[n.opType] : undefined;
    if (!mapper) {
      problems.push([index.get(n)!, nodeLabel(n, index.get(n)!)]);
      continue;
    }
    // Downstream of a node that was refused: its inputs have no tensor, so its configuration cannot be checked.
    if (n.input.some((v) => v && !ctx.constant(v) && !ctx.hasTensor(v))) {
      unchecked++;
      continue;
    }
    try {
      mapper(n, ctx);
    } catch (e) {
      if (!(e instanceof Unsupported)) throw e;
      problems.push([index.get(n)!, `${nodeLabel(n, index.get(n)!)} (${e.message})`]);
    }
  }
  if (problems.length) {
    const later = unchecked ? ` (${unchecked} later node${unchecked > 1 ? 's' : ''} of supported types read their results and could not be checked)` : '';
    const listed = problems.sort((a, b) => a[0] - b[0]).map(([, p]) => p).join('; ');
    throw new InputError(prep.file, `unsupported: ${listed}${later}. Nothing was written. convgen imports ` +
      `${Object.keys(MAPPERS).join(', ')} (and folds constant subgraphs)`);
  }
  const outputTensors = prep.g.proto.output.map((o) => {
    if (!ctx.hasTensor(o.name)) throw new InputError(prep.file, `the model output '${o.name}' does not depend on its input`);
    return ctx.tensorOf(o.name).id;
  });
  const produced = new Set(ctx.layers.map((l) => l.output));
  for (const id of outputTensors)
    if (!produced.has(id)) throw new InputError(prep.file, `the model output is its input (no layer computes anything)`);
  return { ctx, inputTensor: input.id, outputTensors };
}
