/**
 * Post-training quantization as TensorFlow Lite's converter does it, on the mapped float layers:
 *   activations per tensor, asymmetric int8, from the observed [min, max] nudged to include 0
 *     (GetAsymmetricQuantizationParams, in float32: scale = (max − min) / 255, the zero point from whichever end has
 *     the smaller error, rounded and clamped to int8);
 *   weights per output channel, symmetric int8 in [−127, 127]: scale = max|w| / 127, q = round(w · (127 / max|w|))
 *     (SymmetricPerChannelQuantization, float32);
 *   bias int32 at input scale × weight scale (float32 product), q = round(b · (1 / scale)).
 * The model's own quantization wins where it gives one (QDQ and QLinear models); data movement keeps its input's
 * quantization (TFLM requires it of pooling; reshape and pad copy bytes); softmax's output is 1/256 and −128,
 * sigmoid's and tanh's TFLite's fixed ones unless the model says otherwise. Where a rule and the model disagree, or
 * a concatenation's inputs differ from its output, an explicit quantize layer requantizes.
 */
import { InputError } from '../../errors.ts';
import type { NpyArray } from '../../npy/index.ts';
import { INT32_MAX, quantizeInt8, roundHalfAway } from '../../numerics/index.ts';
import type { Quant } from '../../ops/op.ts';
import { NETWORK_FORMAT, type RawLayer, type RawNetwork, type RawTensor } from '../../network/schema.ts';
import type { Range } from './calibrate.ts';
import type { BiasIn, FloatLayer, NetTensor, WeightsIn } from './layers.ts';
import type { Mapped } from './map.ts';

const f32 = Math.fround;

/** TFLite's GetAsymmetricQuantizationParams for int8, in float32. A range of only 0 gets scale 1 (nothing to lose). */
export function asymmetricQuant({ min, max }: Range): Quant {
  const rmin = f32(Math.min(f32(min), 0));
  const rmax = f32(Math.max(f32(max), 0));
  if (rmin === rmax) return { scale: 1, zeroPoint: 0 };
  const scale = f32(f32(rmax - rmin) / 255);
  const fromMin = f32(-128 - f32(rmin / scale));
  const fromMax = f32(127 - f32(rmax / scale));
  const errMin = f32(128 + Math.abs(f32(rmin / scale)));
  const errMax = f32(127 + Math.abs(f32(rmax / scale)));
  const zp = errMin < errMax ? fromMin : fromMax;
  const zeroPoint = zp < -128 ? -128 : zp > 127 ? 127 : roundHalfAway(zp);
  return { scale, zeroPoint };
}

/** TFLite's SymmetricPerChannelQuantization of int8 weights (narrow range, zero point 0). */
export function symmetricPerChannel(real: Float64Array, shape: number[], axis: number): { ints: Int8Array; scales: number[] } {
  const channels = shape[axis];
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const ch = (i: number) => Math.floor(i / inner) % channels;
  const half = new Array<number>(channels).fill(0);
  real.forEach((v, i) => {
    half[ch(i)] = Math.max(half[ch(i)], Math.abs(f32(v)));
  });
  const scales = half.map((h) => f32(h / 127));
  const inv = half.map((h) => (h === 0 ? 0 : f32(127 / h)));
  const ints = Int8Array.from(real, (v, i) => Math.max(-127, Math.min(127, roundHalfAway(f32(f32(v) * inv[ch(i)])))));
  return { ints, scales };
}

/** int32 bias in units of input scale × weight scale (TFLite's SymmetricPerChannelBiasQuantize). */
export function quantizeBias(b: BiasIn, inputScale: number, weightScales: number[], where: string): Int32Array {
  const units = weightScales.map((s) => f32(f32(inputScale) * f32(s)));
  if (b.raw && (!b.scales || b.scales.every((s, o) => units[o] > 0 && Math.abs(f32(s) / units[o] - 1) < 1e-6))) return Int32Array.from(b.raw);
  return Int32Array.from(b.real, (v, o) => {
    if (b.scales || b.raw) {
      // the model's bias in another unit: rescaled (round half away from zero)
      const q = units[o] === 0 ? 0 : roundHalfAway(v / units[o]);
      if (Math.abs(q) > INT32_MAX) throw new InputError(where, `the bias of output channel ${o} (${v}) does not fit int32 in units of input scale × weight scale`);
      return q;
    }
    const inv = units[o] === 0 ? 0 : f32(1 / units[o]);
    return Math.max(-INT32_MAX, Math.min(INT32_MAX, roundHalfAway(f32(f32(v) * inv))));
  });
}

const same = (a: Quant, b: Quant) => f32(a.scale) === f32(b.scale) && a.zeroPoint === b.zeroPoint;

export interface Quantized {
  spec: RawNetwork;
  arrays: Map<string, NpyArray>;
  /** Explicit requantizations convgen added, for the import's report. */
  requantized: string[];
}

export function quantizeNetwork(m: Mapped, ranges: Map<string, Range>, o: { name: string; source: RawNetwork['source']; file: string }): Quantized {
  const { ctx } = m;
  const tensors = ctx.tensors;
  const quant = new Map<string, Quant>();
  const arrays = new Map<string, NpyArray>();
  const layers: RawLayer[] = [];
  const requantized: string[] = [];
  const rangeOf = (t: NetTensor): Range => {
    const r = ranges.get(t.value);
    if (!r) throw new InputError(o.file, `no calibration range for '${t.value}' (a convgen bug: every float tensor is observed)`);
    return r;
  };
  const calibrated = (t: NetTensor): Quant => t.pin ?? asymmetricQuant(rangeOf(t));
  const producer = new Map(ctx.layers.map((l) => [l.output, l]));
  const readers = (id: string) => ctx.layers.filter((l) => l.inputs.includes(id));

  // A concatenation's free, unpinned inputs read by it alone take its quantization (no requantization needed).
  const preset = new Map<string, Quant>();
  for (const l of ctx.layers) {
    if (l.op !== 'concatenation') continue;
    const q = calibrated(tensors.get(l.output)!);
    for (const id of l.inputs) {
      const p = producer.get(id);
      if (p?.rule === 'free' && !tensors.get(id)!.pin && readers(id).length === 1 && !m.outputTensors.includes(id)) preset.set(id, q);
    }
  }

  quant.set(m.inputTensor, calibrated(tensors.get(m.inputTensor)!));
  const extraTensor = (base: NetTensor, q: Quant, why: string): NetTensor => {
    let id = `${base.id}_q`;
    for (let k = 2; tensors.has(id); k++) id = `${base.id}_q${k}`;
    const t: NetTensor = { id, value: '', shape: base.shape };
    tensors.set(id, t);
    quant.set(id, q);
    requantized.push(why);
    return t;
  };
  const requantizeLayer = (from: NetTensor, to: NetTensor, why: string) => {
    layers.push({ name: `${from.id}_requantize`.slice(0, 60).replace(/^([0-9])/, 'q$1'), op: 'quantize', inputs: [from.id], outputs: [to.id], params: {}, from: why });
  };

  for (const l of ctx.layers) {
    const out = tensors.get(l.output)!;
    const inputs = [...l.inputs];
    const inQ = inputs.map((id) => quant.get(id)!);
    let outQ: Quant;
    let producedQ: Quant | undefined; // the op's own output quantization when it must differ from the tensor's
    if (l.rule === 'free') outQ = preset.get(out.id) ?? calibrated(out);
    else if (l.rule === 'same') {
      outQ = out.pin ?? inQ[0];
      if (!same(outQ, inQ[0])) producedQ = inQ[0];
    } else {
      outQ = !l.rule.strict && out.pin ? out.pin : l.rule.fixed;
      if (out.pin && !same(out.pin, outQ)) {
        producedQ = outQ;
        outQ = out.pin;
      }
    }
    if (l.op === 'concatenation')
      inputs.forEach((id, i) => {
        if (same(inQ[i], outQ)) return;
        const src = tensors.get(id)!;
        const t = extraTensor(src, outQ, `${src.id} requantized for ${l.name} (a concatenation's inputs share its output's quantization)`);
        requantizeLayer(src, t, `convgen: ${src.id} to the quantization of ${l.name}'s output`);
        inputs[i] = t.id;
      });
    let target = out;
    if (producedQ) target = extraTensor(out, producedQ, `${l.name} computes at scale ${producedQ.scale}, zero point ${producedQ.zeroPoint}; the model gives ${out.id} another quantization`);
    else quant.set(out.id, outQ);
    const params: Record<string, unknown> = { ...l.params };
    if (l.weights) params.weights = weightsParam(l, l.weights, arrays);
    if (l.bias && l.weights) {
      const scales = (params.weights as { scales: number[] }).scales;
      const fullScales = scales.length === 1 ? new Array<number>(l.weights.shape[l.weights.channelAxis]).fill(scales[0]) : scales;
      const npy = `${l.name}_bias.npy`;
      arrays.set(npy, { dtype: 'int32', shape: [fullScales.length], data: quantizeBias(l.bias, inQ[0].scale, fullScales, `${o.file}: ${l.from}`) });
      params.bias = { npy };
    }
    if (l.op === 'pad' && l.padValue !== undefined) params.value = quantizeInt8(l.padValue, inQ[0].scale, inQ[0].zeroPoint);
    layers.push({ name: l.name, op: l.op, inputs, outputs: [target.id], params, from: l.from });
    if (producedQ) {
      quant.set(out.id, outQ);
      requantizeLayer(target, out, `convgen: ${l.name}'s output to the quantization the model gives it`);
    }
  }

  const used = new Set([m.inputTensor, ...m.outputTensors, ...layers.flatMap((l) => [...l.inputs, ...l.outputs])]);
  const raw: Record<string, RawTensor> = {};
  for (const id of used) {
    const t = tensors.get(id)!;
    const q = quant.get(id)!;
    const isFloat = t.value !== '' && ctx.isFloat(t.value);
    raw[id] = {
      shape: t.shape, scale: f32(q.scale), zeroPoint: q.zeroPoint,
      ...(t.value ? { name: t.value } : {}),
      ...(t.layout ? { sourceLayout: t.layout } : {}),
      ...(id === m.inputTensor && isFloat ? { callerConverts: 'quantize' as const } : {}),
      ...(m.outputTensors.includes(id) && isFloat && id !== m.inputTensor ? { callerConverts: 'dequantize' as const } : {}),
    };
  }
  const spec: RawNetwork = {
    format: NETWORK_FORMAT, version: 1, name: o.name, source: o.source,
    inputs: [m.inputTensor], outputs: m.outputTensors, tensors: raw, layers,
  };
  return { spec, arrays, requantized };
}

function weightsParam(l: FloatLayer, w: WeightsIn, arrays: Map<string, NpyArray>): { npy: string; scales: number[] } {
  const { ints, scales } = w.given ?? symmetricPerChannel(w.real!, w.shape, w.channelAxis);
  const npy = `${l.name}_weights.npy`;
  arrays.set(npy, { dtype: 'int8', shape: [...w.shape], data: ints });
  return { npy, scales: scales.map(f32) };
}
