/**
 * The golden model: the spec's arithmetic, exactly (Q formats: the README's "Arithmetic"; int8: ./int8.ts).
 * Doubles are used where the proved accumulator bound keeps every partial sum below 2^53 (then every addition is
 * exact); BigInt otherwise (q31 with large weights).
 */
import type { KernelModel, QFormat } from './index.ts';
import { accumulatorBound, roundingConstant } from './bounds.ts';
import { requantize } from '../../../numerics/index.ts';
import { chwToHwc, hwcToChw } from '../../../tensors/layout.ts';

export interface GoldenResult {
  /** Raw output values in the model's layout. */
  output: Int32Array;
}

const EXACT_DOUBLE = 2n ** 53n;

/** Run the conv on one input tensor (raw values, in the model's layout); returns raw outputs in the model's layout. */
export function runGolden(m: KernelModel, input: Int32Array): Int32Array {
  const expected = m.inC * m.inH * m.inW;
  if (input.length !== expected) throw new Error(`golden: input has ${input.length} elements, expected ${expected}`);
  const chw = m.layout === 'hwc' ? hwcToChw(input, m.inC, m.inH, m.inW) : input;
  // Each tap multiplies x + inputOffset (0 for Q formats); padded taps are never visited, so they add nothing.
  const off = m.numeric.inputOffset;
  const taps = off === 0 ? chw : Int32Array.from(chw, (v) => v + off);
  const bound = accumulatorBound(m).max + roundingConstant(m);
  const out = bound < EXACT_DOUBLE ? convNumber(m, taps) : convBigInt(m, taps);
  return m.layout === 'hwc' ? chwToHwc(out, m.outC, m.outH, m.outW) : out;
}

/** For tap (ky or kx), the output index range whose input index lies inside [0, n). */
function validRange(outN: number, n: number, stride: number, before: number, offset: number): [number, number] {
  // input index = o * stride - before + offset must lie in [0, n)
  const lo = Math.max(0, Math.ceil((before - offset) / stride));
  const hi = Math.min(outN - 1, Math.floor((n - 1 + before - offset) / stride));
  return [lo, hi];
}

/** Visit every (weight, output position, input position) triple of output channel o that lies inside the input. */
function forEachTap(m: KernelModel, o: number,
  visit: (w: number, inBase: number, oyLo: number, oyHi: number, oxLo: number, oxHi: number, wIn: number) => void): void {
  const g = Math.floor(o / m.outPerGroup);
  for (let ci = 0; ci < m.inPerGroup; ci++) {
    const c = g * m.inPerGroup + ci;
    for (let ky = 0; ky < m.kH; ky++) {
      const [oyLo, oyHi] = validRange(m.outH, m.inH, m.strideH, m.pad.top, ky * m.dilH);
      for (let kx = 0; kx < m.kW; kx++) {
        const w = m.weights[((o * m.inPerGroup + ci) * m.kH + ky) * m.kW + kx];
        if (w === 0) continue;
        const [oxLo, oxHi] = validRange(m.outW, m.inW, m.strideW, m.pad.left, kx * m.dilW);
        // input offset of output (0,0) for this tap; may be negative, the ranges keep accesses inside
        const inBase = c * m.inH * m.inW + (ky * m.dilH - m.pad.top) * m.inW + (kx * m.dilW - m.pad.left);
        visit(w, inBase, oyLo, oyHi, oxLo, oxHi, m.inW);
      }
    }
  }
}

function convNumber(m: KernelModel, input: Int32Array): Int32Array {
  const plane = m.outH * m.outW;
  const out = new Int32Array(m.outC * plane);
  const acc = new Float64Array(plane);
  const { strideH: sh, strideW: sw, outW } = m;
  for (let o = 0; o < m.outC; o++) {
    const finish = numberFinisher(m, o);
    acc.fill(m.bias ? Number(m.bias[o]) * 2 ** m.numeric.biasShift : 0);
    forEachTap(m, o, (w, inBase, oyLo, oyHi, oxLo, oxHi, inW) => {
      for (let oy = oyLo; oy <= oyHi; oy++) {
        const row = inBase + oy * sh * inW;
        const accRow = oy * outW;
        for (let ox = oxLo; ox <= oxHi; ox++) acc[accRow + ox] += w * input[row + ox * sw];
      }
    });
    for (let p = 0; p < plane; p++) out[o * plane + p] = finish(acc[p]);
  }
  return out;
}

function convBigInt(m: KernelModel, input: Int32Array): Int32Array {
  const plane = m.outH * m.outW;
  const out = new Int32Array(m.outC * plane);
  const { strideH: sh, strideW: sw, outW } = m;
  for (let o = 0; o < m.outC; o++) {
    const finish = bigIntFinisher(m, o);
    const acc: bigint[] = new Array(plane).fill(m.bias ? m.bias[o] << BigInt(m.numeric.biasShift) : 0n);
    forEachTap(m, o, (w, inBase, oyLo, oyHi, oxLo, oxHi, inW) => {
      const wb = BigInt(w);
      for (let oy = oyLo; oy <= oyHi; oy++) {
        const row = inBase + oy * sh * inW;
        for (let ox = oxLo; ox <= oxHi; ox++) acc[oy * outW + ox] += wb * BigInt(input[row + ox * sw]);
      }
    });
    for (let p = 0; p < plane; p++) out[o * plane + p] = finish(acc[p]);
  }
  return out;
}

/** The output stage of channel o for an exact accumulator held in a double: one per numeric kind. */
function numberFinisher(m: KernelModel, o: number): (acc: number) => number {
  const nf = m.numeric;
  if (nf.kind === 'q') return (acc) => finishNumber(m, nf, acc);
  const [mult, shift, off] = [nf.multiplier[o], nf.shift[o], nf.outputOffset];
  const lo = Math.max(nf.storage.min, m.actMin);
  const hi = Math.min(nf.storage.max, m.actMax);
  return (acc) => {
    // The offset is added exactly (TFLite's int32 sum can only overflow where its SRDHM result is near ±2^31).
    const v = requantize(acc, mult, shift) + off;
    return v < lo ? lo : v > hi ? hi : v;
  };
}

/** The same for a BigInt accumulator. */
function bigIntFinisher(m: KernelModel, o: number): (acc: bigint) => number {
  const nf = m.numeric;
  if (nf.kind === 'q') return (acc) => finishBigInt(m, nf, acc);
  const finish = numberFinisher(m, o);
  // Beyond ±2^40 the saturated acc · 2^left is INT32_MIN or INT32_MAX either way, so a clamped double is exact enough.
  const limit = 2n ** 40n;
  return (acc) => finish(Number(acc > limit ? limit : acc < -limit ? -limit : acc));
}

/** Shift to the output format (rounding as the spec says), saturate to storage, then clamp (the activation). */
export function finishBigInt(m: KernelModel, nf: QFormat, acc: bigint): number {
  const s = nf.outputShift;
  let v: bigint;
  if (s > 0) v = (acc + roundingConstant(m)) >> BigInt(s);
  else v = acc << BigInt(-s);
  const { min, max } = m.numeric.storage;
  const lo = BigInt(Math.max(min, m.actMin));
  const hi = BigInt(Math.min(max, m.actMax));
  return Number(v < lo ? lo : v > hi ? hi : v);
}

function finishNumber(m: KernelModel, nf: QFormat, acc: number): number {
  const s = nf.outputShift;
  let v: number;
  if (s > 0) {
    // floor division by 2^s, exactly: q and the remainder are exact in doubles since |acc| < 2^53
    const div = 2 ** s;
    let q = Math.floor(acc / div);
    if (nf.rounding === 'nearest' && acc - q * div >= div / 2) q += 1;
    v = q;
  } else v = acc * 2 ** -s;
  // Saturating to storage and then clamping to the activation range is one clamp to their intersection.
  const lo = Math.max(m.numeric.storage.min, m.actMin);
  const hi = Math.min(m.numeric.storage.max, m.actMax);
  return v < lo ? lo : v > hi ? hi : v;
}
