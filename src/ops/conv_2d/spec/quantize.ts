/**
 * Real-valued specs and automatic Q formats (issue 5 §2). A spec may give real weights and bias and let convgen
 * choose the fraction bits; the KernelModel stays the integer model everything downstream reads, and `model.real`
 * keeps the real tensors and the reasons for each format so that `convgen quantize` can measure the error.
 *
 * Choice rules (one format per tensor, fraction bits 0 … bits−1 as for any Q spec; "fits" means no saturation):
 *  - input:   given inputFrac, or from inputRange [lo, hi]: the most fraction bits f whose storage range
 *             [min·2^−f, max·2^−f] covers [lo, hi] (in real units, so no value in range saturates).
 *  - weights: "auto": the most f such that every weight rounded to nearest (half away from zero) at f bits fits the
 *             storage type. The range is asymmetric: −1.0 fits q15 at 15 bits (−32768), +1.0 does not (32768).
 *             All-zero weights take the most fraction bits.
 *  - bias:    inputFrac + weightFrac (no alignment shift) when every bias fits the bias storage (int32, or int64
 *             for q31) there, else the most fraction bits below that which fit.
 *  - output:  "auto": the most f such that no output saturates for any input in the range. The proof uses the
 *             quantized weights and bias, the quantized ends of the input range and the kernel's exact output stage
 *             (shift, rounding), per output channel and per sign:
 *               max acc[o] = Σ_{w>0} w·max(xHi, 0) + Σ_{w<0} |w|·max(−xLo, 0) + bias term
 *               min acc[o] = −(Σ_{w>0} w·max(−xLo, 0) + Σ_{w<0} |w|·max(xHi, 0)) + bias term
 *             (a padded tap reads 0, hence the max(…, 0)). This is never looser than Σ|w|·max(|lo|,|hi|) + |b|.
 *             Only the sides the activation keeps must fit: relu ignores the negative side; relu6 clamps at
 *             6·2^f, so above that a larger value is harmless; none and clamp need both sides.
 * Impossible cases (a weight too large for 0 fraction bits, a range no format holds, an output bound too large)
 * are InputErrors naming the JSON path.
 */
import { InputError } from '../../../errors.ts';
import { qName, roundHalfAway, type StorageType } from '../../../numerics/index.ts';

export interface ChosenFormat {
  frac: number;
  /** Chosen by convgen ("auto", or inputFrac from inputRange) rather than given. */
  auto: boolean;
  /** One line: why this format. */
  why: string;
}

export interface ChosenFormats {
  input: ChosenFormat;
  weights: ChosenFormat;
  /** null when the spec has no bias. */
  bias: ChosenFormat | null;
  output: ChosenFormat;
}

/** The real-valued side of a Q model: what the integer kernel approximates. */
export interface RealModel {
  /** Real weights, [outC][inPerGroup][kH][kW] like model.weights. */
  weights: Float64Array;
  bias: Float64Array | null;
  /** The expected input range in real units: inputRange, or inputFrac's representable range. */
  inputRange: [number, number];
  /** True when the spec gave inputRange. */
  rangeGiven: boolean;
  chosen: ChosenFormats;
  /** Real values that saturated when quantized with a given fraction (the documented float-with-integer-frac path). */
  saturated: { weights: number; bias: number };
}

/** v·2^frac rounded to nearest as an exact integer, or null when it does not fit `bits`-bit storage. */
export function quantizeExact(v: number, frac: number, bits: number): bigint | null {
  const r = roundHalfAway(v * 2 ** frac);
  if (!Number.isFinite(r)) return null;
  const q = BigInt(r);
  const max = 2n ** BigInt(bits - 1) - 1n;
  return q > max || q < -max - 1n ? null : q;
}

/** Real-number formatting for messages: short but exact enough to recognise the value. */
export function fmtReal(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
}

function rangeAt(bits: number, frac: number): string {
  return `${fmtReal(-(2 ** (bits - 1)) / 2 ** frac)}…${fmtReal((2 ** (bits - 1) - 1) / 2 ** frac)}`;
}

/** Index of the largest and of the smallest value (rounding is monotone: these two decide whether all fit). */
function extremes(values: ArrayLike<number>): { iMax: number; iMin: number } {
  let iMax = 0;
  let iMin = 0;
  for (let i = 1; i < values.length; i++) {
    if (values[i] > values[iMax]) iMax = i;
    if (values[i] < values[iMin]) iMin = i;
  }
  return { iMax, iMin };
}

/** The most fraction bits f ≤ maxFrac at which every value fits `bits`-bit storage, or null when even 0 does not. */
export function largestFittingFrac(values: ArrayLike<number>, maxFrac: number, bits: number): number | null {
  if (values.length === 0) return maxFrac;
  const { iMax, iMin } = extremes(values);
  for (let f = maxFrac; f >= 0; f--)
    if (quantizeExact(values[iMax], f, bits) !== null && quantizeExact(values[iMin], f, bits) !== null) return f;
  return null;
}

/** The value with the largest magnitude and its index. */
function absMax(values: ArrayLike<number>): { i: number; v: number } {
  let i = 0;
  for (let k = 1; k < values.length; k++) if (Math.abs(values[k]) > Math.abs(values[i])) i = k;
  return { i, v: values.length ? values[i] : 0 };
}

/** weightFrac "auto". `where` is "file: $.weights" for messages. */
export function chooseWeightFrac(w: Float64Array, st: StorageType, where: string): ChosenFormat {
  const top = st.bits - 1;
  const { i, v } = absMax(w);
  if (v === 0) return { frac: top, auto: true, why: `every weight is 0: the most fraction bits ${st.bits}-bit storage has` };
  const f = largestFittingFrac(w, top, st.bits);
  if (f === null)
    throw new InputError(where, `weight ${fmtReal(v)} at index ${i} does not fit int${st.bits} at any fraction bits (at 0 the range is ${rangeAt(st.bits, 0)})`);
  const q = quantizeExact(v, f, st.bits)!;
  return {
    frac: f, auto: true,
    why: f === top
      ? `max |w| = ${fmtReal(Math.abs(v))} (index ${i}) is ${q} at ${f} fraction bits, the most int${st.bits} has`
      : `max |w| = ${fmtReal(Math.abs(v))} (index ${i}) is ${q} at ${f} fraction bits; at ${f + 1} it would not fit int${st.bits} (${st.min}…${st.max})`,
  };
}

/** inputFrac from inputRange: the most fraction bits whose storage range covers [lo, hi]. */
export function chooseInputFrac(range: [number, number], st: StorageType, where: string): ChosenFormat {
  const [lo, hi] = range;
  for (let f = st.bits - 1; f >= 0; f--)
    if (lo >= st.min / 2 ** f && hi <= st.max / 2 ** f)
      return {
        frac: f, auto: true,
        why: `inputRange [${fmtReal(lo)}, ${fmtReal(hi)}] lies in ${qName(st.bits, f)}'s range ${rangeAt(st.bits, f)}` +
          (f < st.bits - 1 ? `, not in ${qName(st.bits, f + 1)}'s ${rangeAt(st.bits, f + 1)}` : ''),
      };
  throw new InputError(where, `inputRange [${fmtReal(lo)}, ${fmtReal(hi)}] does not fit int${st.bits} at any fraction bits (at 0 the range is ${rangeAt(st.bits, 0)})`);
}

/** biasFrac "auto" (or left out in a real-valued spec): inputFrac + weightFrac if the bias fits there, else less. */
export function chooseBiasFrac(b: Float64Array, maxFrac: number, st: StorageType, where: string): ChosenFormat {
  const f = largestFittingFrac(b, maxFrac, st.biasBits);
  const { i, v } = absMax(b);
  if (f === null)
    throw new InputError(where, `bias ${fmtReal(v)} at index ${i} does not fit int${st.biasBits} at any fraction bits`);
  return {
    frac: f, auto: true,
    why: f === maxFrac
      ? `inputFrac + weightFrac = ${maxFrac}: the bias adds without a shift (max |b| = ${fmtReal(Math.abs(v))} fits int${st.biasBits})`
      : `max |b| = ${fmtReal(Math.abs(v))} (index ${i}) does not fit int${st.biasBits} at inputFrac + weightFrac = ${maxFrac}; ${f} fraction bits is the most that fits`,
  };
}

export interface OutputBoundInput {
  st: StorageType;
  inputFrac: number;
  weightFrac: number;
  biasFrac: number;
  rounding: 'nearest' | 'floor';
  /** Named activation (clamp counts as needing both sides). */
  activation: 'none' | 'relu' | 'relu6' | 'clamp';
  /** Quantized weights [outC][taps] and bias (raw), as in the model. */
  weights: ArrayLike<number>;
  bias: ArrayLike<bigint> | null;
  outC: number;
  /** The input range's ends, quantized (raw input values). */
  xLo: number;
  xHi: number;
}

/** Exact extremes of the accumulator over every input whose raw values lie in [xLo, xHi] (or padding, 0). */
export function accumulatorExtremes(a: OutputBoundInput): {
  max: bigint; min: bigint; maxCh: number; minCh: number; perChannel: { max: bigint; min: bigint }[];
} {
  const taps = a.weights.length / a.outC;
  const up = BigInt(Math.max(a.xHi, 0));
  const down = BigInt(Math.max(-a.xLo, 0));
  const biasShift = BigInt(a.inputFrac + a.weightFrac - a.biasFrac);
  let max = -(2n ** 200n);
  let min = 2n ** 200n;
  let maxCh = 0;
  let minCh = 0;
  const perChannel: { max: bigint; min: bigint }[] = [];
  for (let o = 0; o < a.outC; o++) {
    // Chunks of 4096 |w| ≤ 2^31 stay below 2^53: each chunk sum is exact as a double.
    let pos = 0n;
    let neg = 0n;
    for (let s = o * taps; s < (o + 1) * taps; s += 4096) {
      let p = 0;
      let n = 0;
      for (let t = s; t < Math.min(s + 4096, (o + 1) * taps); t++) {
        const w = a.weights[t];
        if (w > 0) p += w;
        else n -= w;
      }
      pos += BigInt(p);
      neg += BigInt(n);
    }
    const b = a.bias ? a.bias[o] << biasShift : 0n;
    const hi = pos * up + neg * down + b;
    const lo = -(pos * down + neg * up) + b;
    perChannel.push({ max: hi, min: lo });
    if (hi > max) [max, maxCh] = [hi, o];
    if (lo < min) [min, minCh] = [lo, o];
  }
  return { max, min, maxCh, minCh, perChannel };
}

/**
 * Whether no output saturates at `outputFrac` when the accumulator stays within [min, max]: only the sides the
 * activation keeps must fit (relu drops the negative side; relu6 clamps at 6·2^f before a larger value matters).
 */
export function outputFits(a: OutputBoundInput, acc: { max: bigint; min: bigint }, outputFrac: number): boolean {
  const s = a.inputFrac + a.weightFrac - outputFrac;
  let hi = outputStage(acc.max, s, a.rounding);
  if (a.activation === 'relu6') {
    const six = 6n << BigInt(outputFrac);
    if (six < hi) hi = six;
  }
  if (hi > BigInt(a.st.max)) return false;
  const keepsNegative = a.activation === 'none' || a.activation === 'clamp';
  return !keepsNegative || outputStage(acc.min, s, a.rounding) >= BigInt(a.st.min);
}

/** The kernel's output stage without saturation (monotone in acc, so it maps extremes to extremes). */
export function outputStage(acc: bigint, shift: number, rounding: 'nearest' | 'floor'): bigint {
  if (shift <= 0) return acc << BigInt(-shift);
  const r = rounding === 'nearest' ? 1n << BigInt(shift - 1) : 0n;
  return (acc + r) >> BigInt(shift);
}

/** outputFrac "auto": the most fraction bits at which no output saturates for any input in the range. */
export function chooseOutputFrac(a: OutputBoundInput, where: string): ChosenFormat {
  const { st } = a;
  const ext = accumulatorExtremes(a);
  const scale = 2 ** (a.inputFrac + a.weightFrac);
  const realHi = Number(ext.max) / scale;
  const realLo = Number(ext.min) / scale;
  const keepsNegative = a.activation === 'none' || a.activation === 'clamp';
  const ok = (f: number): boolean => outputFits(a, ext, f);
  const sides = keepsNegative ? `${fmtReal(realLo)} ≤ y ≤ ${fmtReal(realHi)}` : `y ≤ ${fmtReal(realHi)}`;
  for (let f = st.bits - 1; f >= 0; f--)
    if (ok(f))
      return {
        frac: f, auto: true,
        why: `${sides} for every input in range (proved with the quantized weights and bias)` +
          (a.activation === 'relu6' && 6 * 2 ** f <= st.max ? '; relu6 clamps at 6' : '') +
          (f < st.bits - 1 ? `; at ${f + 1} fraction bits an output could saturate` : ''),
      };
  throw new InputError(where, `the output can reach ${sides} for inputs in range, which int${st.bits} cannot hold at any fraction bits (at 0 the range is ${rangeAt(st.bits, 0)})`);
}

/** One line per tensor describing the chosen formats (`convgen build` and `convgen quantize`). */
export function describeChosen(c: ChosenFormats, bits: number, biasBits: number): string[] {
  const line = (label: string, f: ChosenFormat, name: string) => `${label.padEnd(8)} ${name.padEnd(8)} ${f.auto ? 'auto' : 'given'}: ${f.why}`;
  const out = [
    line('input', c.input, qName(bits, c.input.frac)),
    line('weights', c.weights, qName(bits, c.weights.frac)),
  ];
  if (c.bias) out.push(line('bias', c.bias, `${c.bias.frac} frac (int${biasBits})`));
  out.push(line('output', c.output, qName(bits, c.output.frac)));
  return out;
}
