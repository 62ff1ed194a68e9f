/**
 * Quantized ONNX convolutions -> convgen's int8 type (TFLite's integer conv): QLinearConv (the QOperator form) and
 * DequantizeLinear -> Conv [-> Relu | Clip] -> QuantizeLinear (the QDQ form). Scales and zero points carry over as
 * the spec's scales form; convgen derives multiplier and shift from them exactly as TFLite does.
 *
 * Rounding: ONNX Runtime requantizes in float, y = round half to even of float32(acc) · float32(x_scale · w_scale /
 * y_scale). convgen, like TFLite and CMSIS-NN, multiplies by a 31-bit fixed-point multiplier and rounds twice:
 * SRDHM leaves the product to 2^−(right shift) of an output step, then the rounding right shift rounds again (half
 * away from zero). The two differ, by one, only where the exact result lies within about 2^−(right shift + 1) of a
 * rounding boundary (k + ½ output steps), or on an exact tie. Measured (test/onnx/rounding.test.ts): 4 of 1,258
 * outputs on 20 random QLinearConv models, 393 of 142,165 (0.28%) on 2,000, none of them a tie.
 */
import { InputError } from '../errors.ts';

/** Said by `convgen import` for quantized models (the figures are checked by test/onnx/rounding.test.ts). */
export const ROUNDING_NOTE = 'rounding: ONNX Runtime requantizes in float (round half to even of float32(acc) · scale); convgen, as ' +
  'TFLite, with a 31-bit multiplier and two roundings. They differ by one where the exact result lies within about ' +
  '2^-(right shift + 1) of a rounding boundary (k + 0.5 output steps) or on a tie: 4 of 1,258 outputs on 20 random QLinearConv ' +
  'models, 393 of 142,165 (0.28%) on 2,000. convgen is bit-exact with TFLite\'s integer arithmetic, not ONNX Runtime\'s float one';
import { quantizeInt8, roundHalfAway } from '../numerics/index.ts';
import type { Graph } from './graph.ts';
import { Attributes, DataType, typeName, type NodeProto, type Tensor } from './proto.ts';

export interface Int8Numeric {
  type: 'int8';
  inputScale: number;
  inputZeroPoint: number;
  weightScales: number | number[];
  outputScale: number;
  outputZeroPoint: number;
  activationMin: number;
  activationMax: number;
}

export interface Int8Layer {
  /** The value holding the quantized input (for its shape) and the activation fused, for the summary. */
  input: string;
  numeric: Int8Numeric;
  weights: Int8Array;
  weightDims: number[];
  bias?: Int32Array;
  fused: string[];
  notes: string[];
}

export type ClipBounds = { lo: number; hi: number };

/** The real-valued bounds of a Relu or Clip node (Clip: inputs from opset 11, attributes before). */
export function clipBounds(g: Graph, n: NodeProto, opset: number, where: string): ClipBounds {
  if (n.opType === 'Relu') return { lo: 0, hi: Infinity };
  if (opset < 11) {
    const a = new Attributes(n, where);
    return { lo: a.float('min') ?? -Infinity, hi: a.float('max') ?? Infinity };
  }
  const bound = (i: number, dflt: number): number => {
    const name = n.input[i];
    if (!name) return dflt;
    const t = g.constant(name);
    if (!t || t.values.length !== 1)
      throw new InputError(where, `its ${i === 1 ? 'min' : 'max'} input '${name}' is not a constant scalar; convgen fuses only constant bounds`);
    return t.values[0];
  };
  return { lo: bound(1, -Infinity), hi: bound(2, Infinity) };
}

function scalar(g: Graph, name: string | undefined, what: string, where: string): Tensor {
  const t = name ? g.constant(name) : undefined;
  if (!t) throw new InputError(where, `${what} ${name ? `'${name}' ` : ''}is missing or not a constant`);
  if (t.values.length !== 1) throw new InputError(where, `${what} '${name}' has ${t.values.length} values; convgen needs one (per-tensor) here`);
  return t;
}

/**
 * Scale and zero point of an activation (input or output), as int8. A uint8 tensor maps exactly onto int8 by
 * subtracting 128 from every value and from the zero point (the real values are unchanged).
 */
function activationParams(g: Graph, scaleName: string | undefined, zpName: string | undefined, value: string,
  what: string, where: string, notes: string[]): { scale: number; zeroPoint: number } {
  const scale = scalar(g, scaleName, `${what} scale`, where).values[0];
  if (!(Math.fround(scale) > 0) || !Number.isFinite(Math.fround(scale)))
    throw new InputError(where, `${what} scale ${scale} is not a positive finite float32`);
  const zp = zpName ? scalar(g, zpName, `${what} zero point`, where) : undefined;
  // Without a zero point the quantized type is the value's declared one, else ONNX's default, uint8.
  const type = zp?.dataType ?? g.elemType.get(value) ?? DataType.UINT8;
  const z = zp?.values[0] ?? 0;
  if (type === DataType.INT8) return { scale, zeroPoint: z };
  if (type === DataType.UINT8) {
    // The kernel is int8 on both sides: the caller converts uint8 data in, and int8 results out.
    notes.push(`${what} is uint8 in the model: mapped exactly to int8 (value − 128, zero point ${z} → ${z - 128}); ` +
      (what === 'output' ? 'add 128 to the kernel\'s int8 outputs to get the model\'s uint8 output'
        : `subtract 128 from the model's uint8 ${what}s before giving them to the kernel`));
    return { scale, zeroPoint: z - 128 };
  }
  throw new InputError(where, `${what} is ${typeName(type)}; convgen's int8 type takes int8 (or uint8, mapped exactly) activations`);
}

/** int8 weights with zero point 0 and per-tensor or per-output-channel scales. */
function weightParams(g: Graph, wName: string, scaleName: string | undefined, zpName: string | undefined, axis: number,
  where: string): { w: Tensor; scales: number | number[] } {
  const w = g.constant(wName);
  if (!w) throw new InputError(where, `weights '${wName}' are not a constant`);
  if (w.dataType !== DataType.INT8)
    throw new InputError(where, `weights '${wName}' are ${typeName(w.dataType)}; convgen's int8 type needs int8 weights (zero point 0)`);
  if (w.dims.length !== 4) throw new InputError(where, `weights '${wName}' have ${w.dims.length} dimensions; convgen imports 2-D convolutions (4-D weights)`);
  const m = w.dims[0];
  const s = scaleName ? g.constant(scaleName) : undefined;
  if (!s) throw new InputError(where, `weight scale ${scaleName ? `'${scaleName}' ` : ''}is missing or not a constant`);
  if (s.values.length !== 1 && (s.values.length !== m || axis !== 0))
    throw new InputError(where, `weight scale '${scaleName}' has ${s.values.length} values${s.values.length === m ? ` along axis ${axis}` : ''}; ` +
      `convgen needs one, or one per output channel (${m}, axis 0)`);
  if (zpName) {
    const zp = g.constant(zpName);
    if (!zp) throw new InputError(where, `weight zero point '${zpName}' is not a constant`);
    const bad = zp.values.findIndex((v) => v !== 0);
    if (bad >= 0)
      throw new InputError(where, `weight zero point '${zpName}' is ${zp.values[bad]}${zp.values.length > 1 ? ` at channel ${bad}` : ''}; ` +
        `convgen's int8 type (like TFLite) needs symmetric weights, zero point 0`);
  }
  return { w, scales: s.values.length === 1 ? s.values[0] : [...s.values] };
}

/** TFLite's CalculateActivationRangeQuantized: quantize the real bounds with the output scale, intersect with int8. */
export function int8ActivationRange(b: ClipBounds, scale: number, zeroPoint: number): [number, number] {
  const lo = b.lo === -Infinity ? -128 : quantizeInt8(b.lo, scale, zeroPoint);
  const hi = b.hi === Infinity ? 127 : quantizeInt8(b.hi, scale, zeroPoint);
  return [lo, hi];
}

function checkBias(t: Tensor, m: number, where: string): Int32Array {
  if (t.dataType !== DataType.INT32) throw new InputError(where, `bias '${t.name}' is ${typeName(t.dataType)}; expected int32`);
  if (t.values.length !== m) throw new InputError(where, `bias '${t.name}' has ${t.values.length} values; expected ${m}`);
  return Int32Array.from(t.values);
}

function layerFrom(input: string, inP: { scale: number; zeroPoint: number }, wp: { w: Tensor; scales: number | number[] },
  outP: { scale: number; zeroPoint: number }, range: [number, number], bias: Int32Array | undefined, fused: string[],
  notes: string[]): Int8Layer {
  return {
    input,
    numeric: {
      type: 'int8', inputScale: inP.scale, inputZeroPoint: inP.zeroPoint, weightScales: wp.scales,
      outputScale: outP.scale, outputZeroPoint: outP.zeroPoint, activationMin: range[0], activationMax: range[1],
    },
    weights: Int8Array.from(wp.w.values),
    weightDims: wp.w.dims,
    bias,
    fused,
    notes,
  };
}

/** QLinearConv(x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B?). */
export function mapQLinearConv(g: Graph, n: NodeProto, where: string): Int8Layer {
  const notes: string[] = [];
  const [x, xs, xz, w, ws, wz, ys, yz, b] = n.input;
  const inP = activationParams(g, xs, xz, x, 'input', where, notes);
  const wp = weightParams(g, w, ws, wz, 0, where);
  const outP = activationParams(g, ys, yz, n.output[0], 'output', where, notes);
  let bias: Int32Array | undefined;
  if (b) {
    const t = g.constant(b);
    if (!t) throw new InputError(where, `bias '${b}' is not a constant`);
    bias = checkBias(t, wp.w.dims[0], where);
  }
  return layerFrom(x, inP, wp, outP, [-128, 127], bias, [], notes);
}

/** DequantizeLinear(x) and DequantizeLinear(w) -> Conv [-> Relu | Clip] -> QuantizeLinear. */
export function mapQdqConv(g: Graph, n: NodeProto, where: string, opset: number): Int8Layer {
  const notes: string[] = [];
  const dqOf = (value: string, what: string): NodeProto => {
    const p = g.producer.get(value);
    if (p?.opType !== 'DequantizeLinear')
      throw new InputError(where, `is quantized (QDQ) but its ${what} '${value}' does not come from a DequantizeLinear ` +
        `(found ${p ? p.opType : g.isConstant(value) ? 'a float constant' : 'a model input'}); convgen needs both input and weights quantized`);
    return p;
  };
  const dx = dqOf(n.input[0], 'input');
  const dw = dqOf(n.input[1], 'weights');
  const inP = activationParams(g, dx.input[1], dx.input[2], dx.input[0], 'input', where, notes);
  const wp = weightParams(g, dw.input[0], dw.input[1], dw.input[2], new Attributes(dw, where).int('axis', 1), where);
  const m = wp.w.dims[0];
  const wScales = Array.isArray(wp.scales) ? wp.scales : new Array<number>(m).fill(wp.scales);

  let bias: Int32Array | undefined;
  if (n.input[2]) {
    const bName = n.input[2];
    const db = g.producer.get(bName);
    // The accumulator's unit is x_scale · w_scale[o]: an int32 bias in that unit is used as is, anything else is
    // rescaled to it (round half away from zero, as quantizers do).
    const unit = (o: number) => Math.fround(inP.scale) * Math.fround(wScales[o]);
    let real: (o: number) => number;
    let raw: Tensor | undefined;
    let rawScale: number[] = [];
    if (db?.opType === 'DequantizeLinear') {
      raw = g.constant(db.input[0]);
      const s = db.input[1] ? g.constant(db.input[1]) : undefined;
      if (!raw || !s) throw new InputError(where, `bias '${bName}' is dequantized from a non-constant`);
      if (raw.values.length !== m) throw new InputError(where, `bias '${raw.name}' has ${raw.values.length} values; expected ${m}`);
      const zp = db.input[2] ? g.constant(db.input[2])?.values ?? [0] : [0];
      if (zp.some((v) => v !== 0)) throw new InputError(where, `bias zero point of '${bName}' is not 0`);
      rawScale = s.values.length === 1 ? new Array<number>(m).fill(s.values[0]) : s.values;
      const r = raw;
      real = (o) => r.values[o] * Math.fround(rawScale[o]);
    } else {
      const t = g.constant(bName);
      if (!t || t.values.length !== m) throw new InputError(where, `bias '${bName}' is not a constant of ${m} values`);
      real = (o) => t.values[o];
    }
    bias = Int32Array.from({ length: m }, (_, o) => {
      const sameUnit = raw && raw.dataType === DataType.INT32 && Math.abs(Math.fround(rawScale[o]) / unit(o) - 1) < 1e-6;
      const v = sameUnit ? raw!.values[o] : roundHalfAway(real(o) / unit(o));
      if (!Number.isFinite(v) || v > 2 ** 31 - 1 || v < -(2 ** 31))
        throw new InputError(where, `bias of output channel ${o} is ${real(o)}, which does not fit int32 in units of input scale × weight scale`);
      return v;
    });
  }

  const fused: string[] = [];
  let value = n.output[0];
  let bounds: ClipBounds = { lo: -Infinity, hi: Infinity };
  let next = g.soleConsumer(value);
  if (next && (next.opType === 'Relu' || next.opType === 'Clip')) {
    bounds = clipBounds(g, next, opset, `${g.file}: ${next.opType} node '${next.name}'`);
    fused.push(next.opType);
    value = next.output[0];
    next = g.soleConsumer(value);
  }
  if (next?.opType !== 'QuantizeLinear')
    throw new InputError(where, `is quantized (QDQ) but its output does not go (only) to a QuantizeLinear${next ? ` (found ${next.opType})` : ''}; ` +
      'convgen needs the output scale and zero point');
  const outP = activationParams(g, next.input[1], next.input[2], next.output[0], 'output', where, notes);
  fused.push('QuantizeLinear');
  const range = int8ActivationRange(bounds, outP.scale, outP.zeroPoint);
  if (range[0] > range[1]) throw new InputError(where, `the ${fused[0]} after it leaves no int8 output value (range ${range[0]}…${range[1]})`);
  return layerFrom(dx.input[0], inP, wp, outP, range, bias, fused, notes);
}
