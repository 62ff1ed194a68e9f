/**
 * The validated network: every layer's op found, its params checked by the op's schema, its model built from the
 * tensors before it, its computed output shape equal to the declared one. Everything downstream (golden model,
 * memory plan, code generator) reads only this.
 */
import { InputError } from '../errors.ts';
import type { NpyArray } from '../npy/index.ts';
import { findOp, opNames, ops } from '../ops/index.ts';
import { elements, type BuildContext, type Constant, type ConstRef, type MemoryFacts, type Op, type TensorInfo } from '../ops/op.ts';
import { closest } from '../files/issues.ts';
import { describeZodError } from './issues.ts';
import { networkSchema, type RawNetwork } from './schema.ts';

export interface NetworkTensor extends TensorInfo {
  tfliteIndex?: number;
  /** The original model's name for the tensor. */
  sourceName?: string;
  callerConverts?: 'quantize' | 'dequantize';
  sourceLayout?: 'nchw' | { flattenedNchw: [number, number, number] };
}

export interface Layer {
  index: number;
  name: string;
  op: Op;
  params: unknown;
  model: unknown;
  inputs: string[];
  outputs: string[];
  macs: number;
  memory: MemoryFacts;
  from?: string;
}

export interface Network {
  name: string;
  /** int8 (TFLite's), or Q formats per tensor with int8 (q7) or int16 (q15) storage. */
  numeric: 'int8' | 'q7' | 'q15';
  /** The spec file or model the network came from, for messages. */
  source: string;
  tensors: Map<string, NetworkTensor>;
  inputs: string[];
  outputs: string[];
  layers: Layer[];
  notes: string[];
  /** The model the spec was imported from (its file, relative to the spec's folder, and sha256). */
  origin?: { file: string; sha256: string };
}

/** Loads a constant referenced from a layer's params: an .npy beside the spec, or an array held by the importer. */
export type ConstantLoader = (ref: ConstRef, where: string) => NpyArray;

/** Elements a tensor may have (the same limit as a kernel's tensors). */
const MAX_ELEMENTS = 1 << 24;

export function buildNetwork(value: unknown, source: string, load: ConstantLoader): Network {
  const parsed = networkSchema.safeParse(value);
  if (!parsed.success) {
    const [at, msg] = describeZodError(parsed.error, networkSchema, value);
    throw new InputError(`${source}: ${at}`, msg);
  }
  const raw: RawNetwork = parsed.data;
  const numeric = raw.numeric ?? 'int8';
  const dtype = numeric === 'q15' ? 'int16' : 'int8';
  const tensors = new Map<string, NetworkTensor>();
  const names = Object.keys(raw.tensors);
  for (const [name, t] of Object.entries(raw.tensors)) {
    const f = Math.fround(t.scale);
    if (!Number.isFinite(f) || f <= 0) throw new InputError(`${source}: $.tensors.${name}.scale`, `${t.scale} is not a finite float32 > 0`);
    if (numeric === 'int8' && t.frac !== undefined)
      throw new InputError(`${source}: $.tensors.${name}.frac`, 'a Q format belongs to a Q-format network ("numeric": "q7" or "q15"); this one is int8');
    if (numeric !== 'int8') {
      if (t.frac === undefined) throw new InputError(`${source}: $.tensors.${name}`, `a ${numeric} network's tensors need "frac" (their Q format's fraction bits)`);
      if (t.zeroPoint !== 0 || f !== 2 ** -t.frac)
        throw new InputError(`${source}: $.tensors.${name}`, `a Q-format tensor has scale 2^-frac = ${2 ** -t.frac} and zero point 0; found scale ${t.scale}, zero point ${t.zeroPoint}`);
    }
    if (elements(t.shape) > MAX_ELEMENTS)
      throw new InputError(`${source}: $.tensors.${name}.shape`, `${elements(t.shape)} elements; at most ${MAX_ELEMENTS} are accepted`);
    tensors.set(name, {
      name, shape: t.shape, dtype, scale: t.scale, zeroPoint: t.zeroPoint, ...(t.frac !== undefined ? { frac: t.frac } : {}),
      ...(t.tfliteIndex !== undefined ? { tfliteIndex: t.tfliteIndex } : {}),
      ...(t.name !== undefined ? { sourceName: t.name } : {}),
      ...(t.callerConverts ? { callerConverts: t.callerConverts } : {}),
      ...(t.sourceLayout ? { sourceLayout: t.sourceLayout } : {}),
    });
  }
  const tensorRef = (name: string, at: string): NetworkTensor => {
    const t = tensors.get(name);
    if (!t) {
      const hint = closest(name, names);
      throw new InputError(`${source}: ${at}`, `unknown tensor '${name}'${hint ? ` (did you mean '${hint}'?)` : ''}; declare it in $.tensors`);
    }
    return t;
  };

  // Tensors that hold a value at each point: the inputs, then each layer's output.
  const defined = new Set<string>();
  raw.inputs.forEach((n, i) => {
    tensorRef(n, `$.inputs[${i}]`);
    if (defined.has(n)) throw new InputError(`${source}: $.inputs[${i}]`, `tensor '${n}' is listed twice`);
    defined.add(n);
  });
  const layerNames = new Set<string>();
  const layers: Layer[] = raw.layers.map((l, index) => {
    const at = `$.layers[${index}]`;
    if (layerNames.has(l.name)) throw new InputError(`${source}: ${at}.name`, `layer name '${l.name}' is used twice`);
    layerNames.add(l.name);
    const op = findOp(l.op);
    if (!op) {
      const hint = closest(l.op, opNames);
      throw new InputError(`${source}: ${at}.op`, `unknown op '${l.op}'${hint ? ` (did you mean '${hint}'?)` : ''}; ops: ${opNames.join(', ')}`);
    }
    const inputs = l.inputs.map((n, i) => {
      const t = tensorRef(n, `${at}.inputs[${i}]`);
      if (!defined.has(n))
        throw new InputError(`${source}: ${at}.inputs[${i}]`, `tensor '${n}' is used by layer ${l.name} before any layer produces it`);
      return t;
    });
    const outputs = l.outputs.map((n, i) => {
      const t = tensorRef(n, `${at}.outputs[${i}]`);
      if (defined.has(n)) throw new InputError(`${source}: ${at}.outputs[${i}]`, `tensor '${n}' is produced twice (or is a network input)`);
      return t;
    });
    if (numeric !== 'int8' && !op.qformat)
      throw new InputError(`${source}: ${at}.op`, `layer ${l.name}: op ${op.name} has no Q-format path (${numeric}); ` +
        `ops of Q-format networks: ${ops.filter((o) => o.qformat).map((o) => o.name).join(', ')}`);
    const params = op.params.safeParse(l.params);
    if (!params.success) {
      const [p, msg] = describeZodError(params.error, op.params, l.params);
      throw new InputError(`${source}: ${at}.params${p.slice(1)}`, `layer ${l.name} (${op.name}): ${msg}`);
    }
    const ctx: BuildContext = {
      layer: l.name,
      outputs: outputs.map((t) => ({ scale: t.scale, zeroPoint: t.zeroPoint, dtype: t.dtype, ...(t.frac !== undefined ? { frac: t.frac } : {}) })),
      constant: (ref, dtype, shape, where) => loadConstant(load, ref, dtype, shape, `${source}: ${at}.params.${where}`, l.name),
      fail: (detail, where) => {
        throw new InputError(`${source}: ${at}${where ? `.params.${where}` : ''}`, `layer ${l.name} (${op.name}): ${detail}`);
      },
    };
    const built = op.build(params.data, inputs, ctx);
    built.outputs.forEach((o, i) => {
      const t = outputs[i];
      if (o.dtype !== t.dtype) ctx.fail(`computes ${o.dtype} output, but tensor ${t.name} is ${t.dtype}`);
      if (o.shape.length !== t.shape.length || o.shape.some((n, k) => n !== t.shape[k]))
        ctx.fail(`computes output shape [${o.shape.join(', ')}], but tensor ${t.name} is declared [${t.shape.join(', ')}]`);
      defined.add(t.name);
    });
    return {
      index, name: l.name, op, params: params.data, model: built.model, inputs: [...l.inputs], outputs: [...l.outputs],
      macs: op.macs(built.model), memory: op.memory(built.model), ...(l.from ? { from: l.from } : {}),
    };
  });
  raw.outputs.forEach((n, i) => {
    tensorRef(n, `$.outputs[${i}]`);
    if (!defined.has(n)) throw new InputError(`${source}: $.outputs[${i}]`, `output tensor '${n}' is never produced`);
  });
  const batch = tensors.get(raw.inputs[0])!.shape[0];
  for (const n of [...raw.inputs, ...raw.outputs])
    if (tensors.get(n)!.shape[0] !== batch)
      throw new InputError(`${source}: $.tensors.${n}.shape`, `the first dimension (the batch) is ${tensors.get(n)!.shape[0]}; input ${raw.inputs[0]} has ${batch}`);
  return {
    name: raw.name, numeric, source, tensors, inputs: [...raw.inputs], outputs: [...raw.outputs], layers, notes: raw.notes ?? [],
    ...(raw.source ? { origin: raw.source } : {}),
  };
}

function loadConstant(load: ConstantLoader, ref: ConstRef, dtype: 'int8' | 'int16' | 'int32', shape: number[] | null, where: string, layer: string): Constant {
  const arr = load(ref, where);
  if (arr.dtype !== dtype)
    throw new InputError(where, `layer ${layer}: ${ref.npy} has dtype ${arr.dtype}; expected ${dtype} (raw quantized values)`);
  if (shape && (arr.shape.length !== shape.length || arr.shape.some((n, i) => n !== shape[i])))
    throw new InputError(where, `layer ${layer}: ${ref.npy} has shape (${arr.shape.join(', ')}); expected (${shape.join(', ')})`);
  if (elements(arr.shape) > MAX_ELEMENTS) throw new InputError(where, `layer ${layer}: ${ref.npy} has more than ${MAX_ELEMENTS} elements`);
  return { shape: arr.shape, data: arr.data as Int8Array | Int16Array | Int32Array };
}

