/**
 * `convgen quantize`: how far the integer kernel is from the float convolution it stands for. Random real inputs
 * uniform in the input range are quantized to the input format (round to nearest, saturate), run through the golden
 * model and dequantized; the float64 reference convolves the same real inputs with the real weights and bias, so
 * input, weight, bias and output rounding all count. Figures per output channel and overall: max |error|, RMS error,
 * SNR = 10·log10(Σ ref² / Σ err²), and the worst-case bound below.
 *
 * Bound on |kernel − reference| for channel o, in real units, whenever no output saturates (proved per channel):
 *   2^−(inputFrac+1)·Σ|w_q|        input rounding: |x_q − x| ≤ half an input LSB for x in the covered range
 * + A·Σ|w_q − w|                   weight rounding, A = max(|lo|, |hi|)
 * + |b_q − b|                      bias rounding
 * + 2^−(outputFrac+1)              output rounding (nearest; floor: 2^−outputFrac; a left shift: 0)
 * + (taps + 2)·2^−52·(Σ|w|·A + |b|) the float64 reference's own rounding
 * Σ runs over the channel's taps; a padded tap adds nothing to either side. The activation is a clamp, which never
 * increases a difference.
 */
import { InputError } from '../errors.ts';
import { chwToHwc, hwcToChw } from '../tensors/layout.ts';
import { runGolden } from '../ops/conv_2d/spec/golden.ts';
import { Mulberry32 } from '../tensors/random.ts';
import { quantizeFloat } from '../numerics/index.ts';
import { type KernelModel, type QFormat, type RealModel } from '../ops/conv_2d/spec/index.ts';
import { qName } from '../numerics/qformat.ts';
import { accumulatorExtremes, outputFits, type ChosenFormat } from '../ops/conv_2d/spec/quantize.ts';
import { convFloat, realActivation } from './float.ts';

export { convFloat, realActivation } from './float.ts';

export interface QuantizeOptions {
  samples: number;
  seed: number;
}

export interface ErrorFigures {
  maxAbs: number;
  rms: number;
  /** dB; Infinity when the error is zero, -Infinity when the reference is zero and the error is not. */
  snrDb: number;
  /** Worst-case |error| (real units), or null where an output may saturate (the bound assumes it does not). */
  bound: number | null;
  /** Outputs compared. */
  count: number;
  /** Outputs whose reference lies outside the output format's range (the kernel saturates them). */
  saturated: number;
}

export interface ChannelFigures extends ErrorFigures {
  channel: number;
}

export interface FormatLine {
  q: string;
  frac: number;
  auto: boolean;
  why: string;
}

export interface QuantizeReport {
  spec: string;
  name: string;
  type: string;
  formats: { input: FormatLine; weights: FormatLine; bias: (FormatLine & { bits: number }) | null; output: FormatLine };
  inputRange: [number, number];
  rangeGiven: boolean;
  samples: number;
  seed: number;
  /** Real weights and biases that saturated when quantized with a given fraction. */
  saturated: { weights: number; bias: number };
  channels: ChannelFigures[];
  overall: ErrorFigures;
  /** Channels whose max error exceeds their bound: always empty unless convgen has a bug. */
  boundExceeded: number[];
}

function qOf(m: KernelModel): QFormat {
  if (m.numeric.kind !== 'q')
    throw new InputError(m.source, 'convgen quantize measures Q formats (q7, q15, q31); an int8 spec has no fraction bits');
  return m.numeric;
}

/** The real side of a Q model: what the spec gave, or for an integer spec the raw values / 2^frac. */
export function realView(m: KernelModel): RealModel {
  if (m.real) return m.real;
  const nf = qOf(m);
  const given = (frac: number): ChosenFormat => ({ frac, auto: false, why: 'given in the spec' });
  const { min, max } = nf.storage;
  return {
    weights: Float64Array.from(m.weights, (v) => v / 2 ** nf.weightFrac),
    bias: m.bias ? Float64Array.from(m.bias, (v) => Number(v) / 2 ** nf.biasFrac) : null,
    inputRange: [min / 2 ** nf.inputFrac, max / 2 ** nf.inputFrac],
    rangeGiven: false,
    chosen: {
      input: given(nf.inputFrac), weights: given(nf.weightFrac), bias: m.bias ? given(nf.biasFrac) : null,
      output: given(nf.outputFrac),
    },
    saturated: { weights: 0, bias: 0 },
  };
}

/** The worst-case error per channel (module comment), or null where an output may saturate. */
export function errorBounds(m: KernelModel, real: RealModel): (number | null)[] {
  const nf = qOf(m);
  const [lo, hi] = real.inputRange;
  const A = Math.max(Math.abs(lo), Math.abs(hi));
  const taps = m.inPerGroup * m.kH * m.kW;
  const act = m.activationName === 'none' || m.activationName === 'relu' || m.activationName === 'relu6' ? m.activationName : 'clamp';
  const ext = accumulatorExtremes({
    st: nf.storage, inputFrac: nf.inputFrac, weightFrac: nf.weightFrac, biasFrac: nf.biasFrac, rounding: nf.rounding,
    activation: act, weights: m.weights, bias: m.bias, outC: m.outC,
    xLo: Number(quantizeFloat(lo, nf.inputFrac, nf.storage.bits)),
    xHi: Number(quantizeFloat(hi, nf.inputFrac, nf.storage.bits)),
  });
  const fitsArgs = { st: nf.storage, inputFrac: nf.inputFrac, weightFrac: nf.weightFrac, biasFrac: nf.biasFrac,
    rounding: nf.rounding, activation: act, weights: m.weights, bias: m.bias, outC: m.outC, xLo: 0, xHi: 0 } as const;
  const outRound = nf.outputShift <= 0 ? 0 : nf.rounding === 'nearest' ? 2 ** -(nf.outputFrac + 1) : 2 ** -nf.outputFrac;
  const bounds: (number | null)[] = [];
  for (let o = 0; o < m.outC; o++) {
    if (!outputFits(fitsArgs, ext.perChannel[o], nf.outputFrac)) {
      bounds.push(null);
      continue;
    }
    let sumQ = 0;
    let sumDiff = 0;
    let sumReal = 0;
    for (let t = o * taps; t < (o + 1) * taps; t++) {
      const wq = m.weights[t] / 2 ** nf.weightFrac;
      sumQ += Math.abs(wq);
      sumDiff += Math.abs(wq - real.weights[t]);
      sumReal += Math.abs(real.weights[t]);
    }
    const b = real.bias ? real.bias[o] : 0;
    const bq = m.bias ? Number(m.bias[o]) / 2 ** nf.biasFrac : 0;
    const refRounding = (taps + 2) * 2 ** -52 * (sumReal * A + Math.abs(b));
    bounds.push(2 ** -(nf.inputFrac + 1) * sumQ + A * sumDiff + Math.abs(bq - b) + outRound + refRounding);
  }
  return bounds;
}

/** Accumulates one group of (reference, kernel) pairs. */
class Stats {
  maxAbs = 0;
  sumErr2 = 0;
  sumRef2 = 0;
  count = 0;
  saturated = 0;
  constructor(private readonly outLo: number, private readonly outHi: number) {}
  add(ref: number, got: number): void {
    if (ref < this.outLo || ref > this.outHi) this.saturated++;
    const e = got - ref;
    this.maxAbs = Math.max(this.maxAbs, Math.abs(e));
    this.sumErr2 += e * e;
    this.sumRef2 += ref * ref;
    this.count++;
  }
  figures(bound: number | null): ErrorFigures {
    const snrDb = this.sumErr2 === 0 ? Infinity : this.sumRef2 === 0 ? -Infinity : 10 * Math.log10(this.sumRef2 / this.sumErr2);
    return { maxAbs: this.maxAbs, rms: Math.sqrt(this.sumErr2 / Math.max(this.count, 1)), snrDb, bound, count: this.count, saturated: this.saturated };
  }
}

function formatLine(bits: number, c: ChosenFormat): FormatLine {
  return { q: qName(bits, c.frac), frac: c.frac, auto: c.auto, why: c.why };
}

/** Draw inputs, run the golden model and the float reference, and measure. */
export function quantizeReport(m: KernelModel, o: QuantizeOptions): QuantizeReport {
  const nf = qOf(m);
  const real = realView(m);
  const bits = nf.storage.bits;
  const [lo, hi] = real.inputRange;
  const act = realActivation(m, nf.outputFrac);
  const rng = new Mulberry32(o.seed);
  const plane = m.outH * m.outW;
  // A reference value more than half an LSB beyond the format's ends cannot be represented.
  const lsb = 2 ** -nf.outputFrac;
  const [outLo, outHi] = [(nf.storage.min - 0.5) * lsb, (nf.storage.max + 0.5) * lsb];
  const perChannel = Array.from({ length: m.outC }, () => new Stats(outLo, outHi));
  const overall = new Stats(outLo, outHi);
  const n = m.inC * m.inH * m.inW;
  for (let s = 0; s < o.samples; s++) {
    const x = new Float64Array(n);
    for (let i = 0; i < n; i++) x[i] = lo + (hi - lo) * (rng.nextU32() / 2 ** 32);
    const xq = Int32Array.from(x, (v) => Number(quantizeFloat(v, nf.inputFrac, bits)));
    const raw = runGolden(m, m.layout === 'hwc' ? chwToHwc(xq, m.inC, m.inH, m.inW) : xq);
    const got = m.layout === 'hwc' ? hwcToChw(raw, m.outC, m.outH, m.outW) : raw;
    const ref = convFloat(m, real.weights, real.bias, x, act);
    for (let i = 0; i < got.length; i++) {
      const y = got[i] / 2 ** nf.outputFrac;
      perChannel[Math.floor(i / plane)].add(ref[i], y);
      overall.add(ref[i], y);
    }
  }
  const bounds = errorBounds(m, real);
  const channels = perChannel.map((st, c) => ({ channel: c, ...st.figures(bounds[c]) }));
  const allBound = bounds.some((b) => b === null) ? null : Math.max(...(bounds as number[]));
  const c = real.chosen;
  return {
    spec: m.source,
    name: m.name,
    type: nf.type,
    formats: {
      input: formatLine(bits, c.input),
      weights: formatLine(bits, c.weights),
      bias: c.bias ? { ...formatLine(nf.storage.biasBits, c.bias), q: `${c.bias.frac} fraction bits (int${nf.storage.biasBits})`, bits: nf.storage.biasBits } : null,
      output: formatLine(bits, c.output),
    },
    inputRange: [lo, hi],
    rangeGiven: real.rangeGiven,
    samples: o.samples,
    seed: o.seed,
    saturated: real.saturated,
    channels,
    overall: overall.figures(allBound),
    boundExceeded: channels.filter((ch) => ch.bound !== null && ch.maxAbs > ch.bound).map((ch) => ch.channel),
  };
}
