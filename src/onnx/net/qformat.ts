/**
 * Q-format quantization of the mapped float layers (`convgen import MODEL.onnx --type q7|q15`): one Q format per
 * tensor, as a fixed-point DSP engineer sets a network up by hand. Storage int8 (q7) or int16 (q15); a tensor's
 * value is raw · 2^−frac.
 *
 *   activations  frac from the calibrated range: the most fraction bits at which max|x| × HEADROOM still fits the
 *                storage type (frac may exceed bits − 1 for small tensors, or be negative for large ones, within
 *                [FRAC_MIN, bits − 1 + EXTRA_FRAC]). Pooling and reshape keep their input's format (they move values,
 *                they do not scale them); a global average pool is an average pool over the whole plane, in the
 *                input's format.
 *   weights      one format per layer: the most fraction bits at which every weight, rounded half away from zero,
 *                fits the storage type (as a q7/q15 kernel spec's "weightFrac": "auto", up to bits − 1 + EXTRA_FRAC).
 *   bias         int32 at inputFrac + weightFrac (added to the accumulator unshifted) when it fits, else the most
 *                fraction bits below that which fit (shifted left into the accumulator).
 *   requantize   a convolution's or fully connected layer's output stage shifts the accumulator from inputFrac +
 *                weightFrac to the output's frac (round to nearest, saturate: the Q kernels' arithmetic); an add
 *                aligns its inputs by exact left shifts, then shifts to its output's format; a standalone Relu,
 *                Clip or LeakyRelu is a `requantize` layer (a shift, LeakyRelu's negative side times alpha in Q0.15).
 * A concatenation takes the format of its output's range; an input in another format goes through an explicit
 * requantize layer first. A pad keeps its input's format, its value rounded into it. What has no Q-format path in
 * this cut (softmax, the lookup-table activations, a model's own int8 quantization) is refused, every such node
 * named, nothing written.
 */
import { InputError } from '../../errors.ts';
import type { NpyArray } from '../../npy/index.ts';
import { NETWORK_FORMAT, type RawLayer, type RawNetwork, type RawTensor } from '../../network/schema.ts';
import { roundHalfAway } from '../../numerics/index.ts';
import { storageTypes } from '../../numerics/qformat.ts';
import { largestFittingFrac, quantizeExact } from '../../ops/conv_2d/spec/quantize.ts';
import type { Range } from './calibrate.ts';
import type { FloatLayer, NetTensor } from './layers.ts';
import type { Mapped } from './map.ts';
import { quantizeQ } from './layout.ts';

export type QNetworkType = 'q7' | 'q15';

/** max|x| is multiplied by this before the format is chosen: about 2 dB of room above the calibrated range. */
export const HEADROOM = 1.25;
/** Fraction bits beyond bits − 1 a small tensor (or weights) may take, and the fewest a large tensor may take. */
export const EXTRA_FRAC = 8;
export const FRAC_MIN = -16;

/** The fraction bits of an activation with this calibrated range (the rule above). */
export function activationFrac(r: Range, type: QNetworkType): number {
  const st = storageTypes[type];
  const maxAbs = Math.max(Math.abs(r.min), Math.abs(r.max)) * HEADROOM;
  const top = st.bits - 1 + EXTRA_FRAC;
  if (maxAbs === 0) return st.bits - 1;
  for (let f = top; f > FRAC_MIN; f--) if (maxAbs * 2 ** f <= st.max) return f;
  return FRAC_MIN;
}

export interface QQuantized {
  spec: RawNetwork;
  arrays: Map<string, NpyArray>;
  /** One line per layer on the formats chosen, for the import's notes. */
  formats: string[];
}

/** Why a layer has no Q-format path in this cut, or null when it has one. */
function refusal(l: FloatLayer): string | null {
  switch (l.op) {
    case 'conv_2d': case 'depthwise_conv_2d': case 'fully_connected': case 'max_pool_2d': case 'average_pool_2d': case 'add': case 'reshape': case 'mean':
    case 'pad': case 'concatenation':
      return l.weights?.given ? 'its weights are the model\'s int8' : null;
    case 'lut': {
      const fn = l.params.function;
      if (fn === 'clip') return null;
      if (fn === 'leaky_relu') return Math.abs(Number(l.params.alpha)) <= 1 ? null : `a LeakyRelu alpha of ${String(l.params.alpha)} (at most 1 in magnitude in Q0.15)`;
      return `${String(fn)} needs a lookup table, which convgen builds for int8 only`;
    }
    case 'softmax': return 'a softmax\'s exponentials and division have no Q-format path in this cut; end the model at the logits, or import it as int8';
    case 'quantize': return 'the model\'s own quantization (QuantizeLinear) is int8';
    default: return `op ${l.op} has no Q-format path`;
  }
}

export function quantizeQNetwork(m: Mapped, ranges: Map<string, Range>, type: QNetworkType,
  o: { name: string; source: RawNetwork['source']; file: string }): QQuantized {
  const { ctx } = m;
  const tensors = ctx.tensors;
  const st = storageTypes[type];
  const dtype = st.npyDtype as 'int8' | 'int16';
  const pinned = [...tensors.values()].filter((t) => t.pin);
  const refused = ctx.layers.map((l) => [l, refusal(l)] as const).filter(([, why]) => why !== null);
  if (pinned.length && !refused.length)
    throw new InputError(o.file, `--type ${type}: the model carries its own int8 quantization (${pinned[0].pin!.by}); Q formats are chosen for float models`);
  if (refused.length)
    throw new InputError(o.file, `--type ${type}: no Q-format path for: ${refused.map(([l, why]) => `${l.from} (${why})`).join('; ')}. ` +
      `Nothing was written. In ${type} networks convgen runs Conv (+ BatchNormalization), depthwise Conv, Gemm/MatMul, Relu/Clip, LeakyRelu, ` +
      'MaxPool, AveragePool, GlobalAveragePool, Add, Concat, Pad and Flatten/Reshape; without --type the model imports as int8');

  const frac = new Map<string, number>();
  const rangeOf = (t: NetTensor): Range => {
    const r = ranges.get(t.value);
    if (!r) throw new InputError(o.file, `no calibration range for '${t.value}' (a convgen bug: every float tensor is observed)`);
    return r;
  };
  const arrays = new Map<string, NpyArray>();
  const layers: RawLayer[] = [];
  const formats: string[] = [];
  const extra = new Map<string, NetTensor>();
  frac.set(m.inputTensor, activationFrac(rangeOf(tensors.get(m.inputTensor)!), type));

  for (const l of ctx.layers) {
    const out = tensors.get(l.output)!;
    const inFrac = frac.get(l.inputs[0])!;
    const same = l.rule === 'same' || l.op === 'mean';
    const outFrac = same ? inFrac : activationFrac(rangeOf(out), type);
    frac.set(out.id, outFrac);
    const params: Record<string, unknown> = { ...l.params };
    let op = l.op;
    let note = `${l.name}: output ${outFrac} fraction bits`;
    if (l.weights?.real) {
      const real = l.weights.real;
      const wf = largestFittingFrac(real, st.bits - 1 + EXTRA_FRAC, st.bits);
      if (wf === null) throw new InputError(`${o.file}: ${l.from}`, `a weight does not fit ${type} at any format with 0 or more fraction bits`);
      const ints = Array.from(real, (v) => Number(quantizeExact(v, wf, st.bits)));
      const npy = `${l.name}_weights.npy`;
      arrays.set(npy, { dtype, shape: [...l.weights.shape], data: dtype === 'int16' ? Int16Array.from(ints) : Int8Array.from(ints) });
      params.weights = { npy, frac: wf };
      note += `, weights ${wf}`;
      if (l.bias) {
        const full = inFrac + wf;
        const bf = largestFittingFrac(l.bias.real, full, 32);
        if (bf === null) throw new InputError(`${o.file}: ${l.from}`, `the bias does not fit int32 at any format with 0 or more fraction bits`);
        const bnpy = `${l.name}_bias.npy`;
        arrays.set(bnpy, { dtype: 'int32', shape: [l.bias.real.length], data: Int32Array.from(l.bias.real, (v) => roundHalfAway(v * 2 ** bf)) });
        params.bias = bf === full ? { npy: bnpy } : { npy: bnpy, frac: bf };
        note += `, bias ${bf}${bf === full ? '' : ` (shifted left ${full - bf} into the accumulator)`}`;
      }
    }
    let output = out.id;
    if (l.op === 'lut') {
      op = 'requantize';
      const { function: fn, alpha, min, max } = l.params as { function: string; alpha?: number; min?: number; max?: number };
      for (const k of Object.keys(params)) delete params[k];
      if (fn === 'leaky_relu') params.negativeSlope = alpha;
      else params.activation = { ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) };
    } else if (l.op === 'mean') {
      // The average of the H·W plane: an average pool in the input's format (then, without keepDims, a reshape).
      op = 'average_pool_2d';
      const [, h, w] = tensors.get(l.inputs[0])!.shape;
      for (const k of Object.keys(params)) delete params[k];
      Object.assign(params, { filter: [h, w], stride: [1, 1], padding: 'valid' });
      if (out.shape.length !== 4) {
        const pooled: NetTensor = { id: `${out.id}_pooled`, value: '', shape: [out.shape[0], 1, 1, out.shape[out.shape.length - 1]] };
        extra.set(pooled.id, pooled);
        frac.set(pooled.id, outFrac);
        output = pooled.id;
      }
    }
    const inputs = [...l.inputs];
    if (l.op === 'pad' && l.padValue !== undefined) params.value = quantizeQ(l.padValue, inFrac, dtype);
    if (l.op === 'concatenation')
      // The inputs share the output's format: where one differs, an explicit requantize layer shifts it there.
      inputs.forEach((id, i) => {
        if (frac.get(id) === outFrac) return;
        const src = tensors.get(id) ?? extra.get(id)!;
        const t: NetTensor = { id: `${id}_q${outFrac < 0 ? 'm' : ''}${Math.abs(outFrac)}`, value: '', shape: src.shape, ...(src.layout ? { layout: src.layout } : {}) };
        extra.set(t.id, t);
        frac.set(t.id, outFrac);
        layers.push({ name: `${l.name}_in${i}_requantize`, op: 'requantize', inputs: [id], outputs: [t.id], params: {},
          from: `convgen: ${id} from ${frac.get(id)} to ${outFrac} fraction bits for ${l.name} (a concatenation's inputs share its output's format)` });
        formats.push(`${l.name}: input ${id} requantized from ${frac.get(id)} to ${outFrac} fraction bits`);
        inputs[i] = t.id;
      });
    layers.push({ name: l.name, op, inputs, outputs: [output], params, from: l.from });
    if (output !== out.id)
      layers.push({ name: `${l.name}_reshape`, op: 'reshape', inputs: [output], outputs: [out.id], params: { shape: out.shape }, from: `${l.from} (keepdims 0)` });
    formats.push(note);
  }

  const used = new Set([m.inputTensor, ...m.outputTensors, ...layers.flatMap((l) => [...l.inputs, ...l.outputs])]);
  const raw: Record<string, RawTensor> = {};
  for (const id of used) {
    const t = tensors.get(id) ?? extra.get(id)!;
    const f = frac.get(id)!;
    const isFloat = t.value !== '' && ctx.isFloat(t.value);
    raw[id] = {
      shape: t.shape, scale: 2 ** -f, zeroPoint: 0, frac: f,
      ...(t.value ? { name: t.value } : {}),
      ...(t.layout ? { sourceLayout: t.layout } : {}),
      ...(id === m.inputTensor && isFloat ? { callerConverts: 'quantize' as const } : {}),
      ...(m.outputTensors.includes(id) && isFloat && id !== m.inputTensor ? { callerConverts: 'dequantize' as const } : {}),
    };
  }
  const spec: RawNetwork = {
    format: NETWORK_FORMAT, version: 1, name: o.name, numeric: type, source: o.source,
    inputs: [m.inputTensor], outputs: m.outputTensors, tensors: raw, layers,
  };
  return { spec, arrays, formats };
}
