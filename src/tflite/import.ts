/**
 * A .tflite model -> a network spec value and its constants (.npy arrays by file name), through each op folder's
 * TFLite hook. Every operator convgen cannot run exactly (an op without a folder, a float tensor inside the graph, an
 * option not implemented) is collected, and the model is refused naming all of them in one line. A QUANTIZE from a
 * float model input, or a DEQUANTIZE to a float model output, is left to the caller (no float in the generated C):
 * the network then starts (ends) at that op's int8 tensor, which records the scale and zero point to convert with.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { InputError } from '../errors.ts';
import type { NpyArray } from '../npy/index.ts';
import { opForBuiltin, opNames } from '../ops/index.ts';
import { NETWORK_FORMAT, type RawLayer, type RawNetwork, type RawTensor } from '../network/schema.ts';
import { fuseNetwork } from '../network/fuse.ts';
import { MalformedError } from './flatbuffer.ts';
import { importContext, Unsupported } from './import-context.ts';
import { parseTflite, type TfliteModel, type TfliteOperator } from './model.ts';
import { TensorType } from './schema.ts';

export interface ImportedNetwork {
  /** The network spec (JSON value, valid against src/network/schema.ts). */
  spec: RawNetwork;
  /** Constants by .npy file name. */
  arrays: Map<string, NpyArray>;
}

/** A C-identifier-like network name from the model's file name. */
export function networkName(file: string): string {
  const base = path.basename(file).replace(/\.tflite$/i, '').toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  const name = /^[a-z_]/.test(base) ? base : `net_${base}`;
  return name.slice(0, 32) || 'net';
}

export function importTflite(bytes: Uint8Array, file: string): ImportedNetwork {
  try {
    return importModel(parseTflite(bytes, file), bytes, file);
  } catch (e) {
    // Option tables are read lazily by the op hooks: a bad offset there is found only now.
    if (e instanceof MalformedError) throw new InputError(file, `not a valid .tflite model: ${e.message}`);
    throw e;
  }
}

function importModel(m: TfliteModel, bytes: Uint8Array, file: string): ImportedNetwork {
  const notes: string[] = [];
  const problems: string[] = [];
  const tn = (i: number) => `t${i}`;
  const desc = (i: number) => `t${i} '${m.tensors[i].name.length > 48 ? `${m.tensors[i].name.slice(0, 45)}...` : m.tensors[i].name}'`;
  const opText = (op: TfliteOperator) =>
    `${op.opName} (operator ${op.index}: ${op.inputs.filter((i) => i >= 0).map(tn).join(', ')} -> ${op.outputs.map(tn).join(', ')})`;
  const consumers = (t: number) => m.operators.filter((o) => o.inputs.includes(t));

  if (m.subgraphCount > 1) notes.push(`the model has ${m.subgraphCount} subgraphs; subgraph 0 is the network`);
  const { inputs, outputs, callerConverts, skipped } = edges(m, notes);

  const arrays = new Map<string, NpyArray>();
  const counters = new Map<string, number>();
  const layers: RawLayer[] = [];
  for (const op of m.operators) {
    if (skipped.has(op.index)) continue;
    const target = opForBuiltin(op.opName);
    if (!target) {
      const edge = op.opName === 'QUANTIZE' || op.opName === 'DEQUANTIZE' ? ' between float and int8 inside the graph (only at the model\'s input or output)' : '';
      problems.push(`${opText(op)}${edge}`);
      continue;
    }
    const k = counters.get(target.name) ?? 0;
    counters.set(target.name, k + 1);
    const name = `${target.name}_${k}`;
    let imported: ReturnType<typeof target.tflite.import>;
    try {
      imported = target.tflite.import(importContext(m, op, name, arrays));
    } catch (e) {
      if (e instanceof Unsupported) {
        problems.push(`${opText(op)}: ${e.message}`);
        continue;
      }
      throw e;
    }
    const activations = [...imported.inputs.map((p) => op.inputs[p]), ...op.outputs];
    const bad = activations.map((t) => activationProblem(m, t, desc)).filter((p): p is string => p !== null);
    if (bad.length) {
      problems.push(`${opText(op)}: ${bad.join(', ')}`);
      continue;
    }
    layers.push({
      name, op: target.name, inputs: imported.inputs.map((p) => tn(op.inputs[p])), outputs: op.outputs.map(tn),
      params: imported.params as Record<string, unknown>, from: `${op.opName} (operator ${op.index})`,
    });
  }
  for (const t of [...inputs, ...outputs]) {
    const p = activationProblem(m, t, desc);
    if (p) problems.push(`model ${inputs.includes(t) ? 'input' : 'output'} ${p}`);
  }
  if (problems.length)
    throw new InputError(file, `unsupported: ${problems.join('; ')}. convgen runs these ops on int8 tensors: ${opNames.join(', ')}`);

  const used = new Set<number>([...inputs, ...outputs]);
  for (const op of m.operators) if (!skipped.has(op.index)) for (const t of [...op.inputs, ...op.outputs]) if (t >= 0) used.add(t);
  const tensors: Record<string, RawTensor> = {};
  const layerTensors = new Set(layers.flatMap((l) => [...l.inputs, ...l.outputs]).concat([...inputs, ...outputs].map(tn)));
  for (const t of [...used].sort((a, b) => a - b)) {
    if (!layerTensors.has(tn(t))) continue; // constants live in the layers' params
    const x = m.tensors[t];
    tensors[tn(t)] = {
      shape: [...x.shape], scale: x.quant!.scale[0], zeroPoint: x.quant!.zeroPoint[0] ?? 0, name: x.name, tfliteIndex: t,
      ...(callerConverts.has(t) ? { callerConverts: callerConverts.get(t)! } : {}),
    };
  }
  const unconsumed = inputs.filter((t) => consumers(t).length === 0 && !outputs.includes(t));
  if (unconsumed.length) notes.push(`model input${unconsumed.length > 1 ? 's' : ''} ${unconsumed.map(tn).join(', ')} not used by any operator`);
  const spec: RawNetwork = {
    format: NETWORK_FORMAT,
    version: 1,
    name: networkName(file),
    source: { file: path.basename(file), sha256: createHash('sha256').update(bytes).digest('hex') },
    inputs: inputs.map(tn),
    outputs: outputs.map(tn),
    tensors,
    layers,
    ...(notes.length ? { notes } : {}),
  };
  return { spec: fuseNetwork(spec, arrays), arrays };
}

/** Why an activation tensor cannot be run (not int8, not quantized per tensor, dynamic or empty shape), or null. */
function activationProblem(m: TfliteModel, t: number, desc: (i: number) => string): string | null {
  const x = m.tensors[t];
  if (x.type !== TensorType.INT8) return `${desc(t)} is ${x.typeName}, only int8 tensors are supported inside the graph`;
  if (!x.quant || x.quant.scale.length !== 1) return `${desc(t)} is not quantized per tensor`;
  if (x.isVariable) return `${desc(t)} is a variable tensor`;
  if (x.shape.length === 0 || x.shape.some((n) => n < 1)) return `${desc(t)} has shape [${x.shape.join(', ')}]`;
  return null;
}

/**
 * QUANTIZE float -> int8 right after a model input, and DEQUANTIZE int8 -> float right before a model output, move
 * to the caller: the network's input (output) becomes the int8 tensor.
 */
function edges(m: TfliteModel, notes: string[]) {
  const inputs = [...m.inputs];
  const outputs = [...m.outputs];
  const callerConverts = new Map<number, 'quantize' | 'dequantize'>();
  const skipped = new Set<number>();
  const uses = (t: number) => m.operators.filter((o) => o.inputs.includes(t)).length + (m.outputs.includes(t) ? 1 : 0);
  for (const op of m.operators) {
    const [i] = op.inputs;
    const [o] = op.outputs;
    if (i === undefined || o === undefined || i < 0) continue;
    const ti = m.tensors[i];
    const to = m.tensors[o];
    if (op.opName === 'QUANTIZE' && ti.type === TensorType.FLOAT32 && to.type === TensorType.INT8 && m.inputs.includes(i) && uses(i) === 1) {
      inputs[inputs.indexOf(i)] = o;
      callerConverts.set(o, 'quantize');
      skipped.add(op.index);
      notes.push(`the model's float input t${i} is quantized by the caller into t${o} (scale ${to.quant?.scale[0]}, zero point ${to.quant?.zeroPoint[0]}): q = clamp(round(x / scale) + zero point, -128, 127)`);
    }
    if (op.opName === 'DEQUANTIZE' && ti.type === TensorType.INT8 && to.type === TensorType.FLOAT32 && m.outputs.includes(o) && uses(o) === 1) {
      outputs[outputs.indexOf(o)] = i;
      callerConverts.set(i, 'dequantize');
      skipped.add(op.index);
      notes.push(`the model's float output t${o} is dequantized by the caller from t${i} (scale ${ti.quant?.scale[0]}, zero point ${ti.quant?.zeroPoint[0]}): x = scale · (q − zero point)`);
    }
  }
  return { inputs, outputs, callerConverts, skipped };
}
