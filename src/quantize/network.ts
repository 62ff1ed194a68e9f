/**
 * `convgen quantize NET --data samples.npy`: how far the int8 (or q7, q15) network is from the float model it came from. Each
 * sample runs through the ONNX model in float64 (src/onnx/eval, the reference) and through the network's golden
 * model (quantized by the caller as TFLite does); every layer's output is dequantized and compared with the model's
 * value of the same tensor: SNR = 10·log10(Σ ref² / Σ (int8 − ref)²) over all samples, max and RMS error. At the
 * output: top-1 agreement (argmax over the last dimension, per row), and accuracy against labels when given.
 */
import { InputError } from '../errors.ts';
import { runNetwork } from '../network/golden.ts';
import type { Network } from '../network/network.ts';
import { evaluateGraph, type FTensor } from '../onnx/eval/index.ts';
import { dequantized, networkInput, realValues } from '../onnx/net/layout.ts';
import type { Prepared } from '../onnx/net/prepare.ts';

export interface LayerAccuracy {
  layer: string;
  op: string;
  tensor: string;
  /** The ONNX value it is compared with. */
  reference: string;
  /** dB; Infinity when the error is 0. */
  snrDb: number;
  maxAbsError: number;
  rmsError: number;
  /** Largest |reference| (the scale the errors are in). */
  maxAbsReference: number;
}

export interface AccuracyReport {
  network: string;
  /** The network's numeric type: int8, q7 or q15. */
  numeric: Network['numeric'];
  model: string;
  samples: number;
  layers: LayerAccuracy[];
  /** Layers without a model value to compare with (a requantization convgen added, an explicit pad). */
  unmatched: string[];
  worst: { layer: string; snrDb: number } | null;
  output: { tensor: string; snrDb: number };
  top1: { agree: number; total: number; agreement: number };
  accuracy?: { labels: number; float: number; int8: number };
}

class Acc {
  ref2 = 0;
  err2 = 0;
  max = 0;
  maxRef = 0;
  n = 0;
  add(ref: Float64Array, got: Float64Array): void {
    for (let i = 0; i < ref.length; i++) {
      const e = got[i] - ref[i];
      this.ref2 += ref[i] * ref[i];
      this.err2 += e * e;
      this.max = Math.max(this.max, Math.abs(e));
      this.maxRef = Math.max(this.maxRef, Math.abs(ref[i]));
      this.n++;
    }
  }
  snr(): number {
    return this.err2 === 0 ? Infinity : this.ref2 === 0 ? -Infinity : 10 * Math.log10(this.ref2 / this.err2);
  }
}

/** argmax over the last dimension, per row (the first of equal maxima). */
export function argmaxRows(v: Float64Array | Int8Array | Int16Array, depth: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < v.length / depth; r++) {
    let best = 0;
    for (let k = 1; k < depth; k++) if (v[r * depth + k] > v[r * depth + best]) best = k;
    out.push(best);
  }
  return out;
}

export function accuracyReport(net: Network, prep: Prepared, samples: FTensor[], labels?: number[]): AccuracyReport {
  if (net.inputs.length !== 1 || net.outputs.length !== 1)
    throw new InputError(net.source, `the accuracy report takes a network with one input and one output (${net.inputs.length} and ${net.outputs.length})`);
  const inT = net.tensors.get(net.inputs[0])!;
  const outT = net.tensors.get(net.outputs[0])!;
  const compared = net.layers.filter((l) => {
    const t = net.tensors.get(l.outputs[0])!;
    return t.sourceName !== undefined && prep.probe.has(t.sourceName);
  });
  const unmatched = net.layers.filter((l) => !compared.includes(l)).map((l) => l.name);
  if (!outT.sourceName || !prep.probe.has(outT.sourceName))
    throw new InputError(net.source, `its output ${outT.name} names no value of ${prep.file} (${outT.sourceName ?? 'no name'}); is it the model it was imported from?`);
  const acc = new Map(compared.map((l) => [l.name, new Acc()]));
  const outAcc = new Acc();
  const depth = outT.shape[outT.shape.length - 1];
  let agree = 0;
  let total = 0;
  let floatRight = 0;
  let int8Right = 0;
  samples.forEach((s, k) => {
    const ref = evaluateGraph(prep.g, new Map([[prep.input.name, s]]), { opset: prep.opset, known: prep.constants, strict: true }).values;
    const run = runNetwork(net, [networkInput(inT, s)]);
    for (const l of compared) {
      const t = net.tensors.get(l.outputs[0])!;
      acc.get(l.name)!.add(realValues(t, ref.get(t.sourceName!)!), dequantized(t, run.tensors.get(t.name)!));
    }
    const r = realValues(outT, ref.get(outT.sourceName!)!);
    const got = dequantized(outT, run.outputs[0]);
    outAcc.add(r, got);
    const a = argmaxRows(r, depth);
    const b = argmaxRows(run.outputs[0], depth);
    a.forEach((v, i) => {
      total++;
      if (v === b[i]) agree++;
      if (labels) {
        if (v === labels[k]) floatRight++;
        if (b[i] === labels[k]) int8Right++;
      }
    });
  });
  const layers: LayerAccuracy[] = compared.map((l) => {
    const a = acc.get(l.name)!;
    const t = net.tensors.get(l.outputs[0])!;
    return {
      layer: l.name, op: l.op.name, tensor: t.name, reference: t.sourceName!, snrDb: a.snr(), maxAbsError: a.max,
      rmsError: Math.sqrt(a.err2 / Math.max(1, a.n)), maxAbsReference: a.maxRef,
    };
  });
  const worst = layers.reduce<LayerAccuracy | null>((w, l) => (!w || l.snrDb < w.snrDb ? l : w), null);
  return {
    network: net.source, numeric: net.numeric, model: prep.file, samples: samples.length, layers, unmatched,
    worst: worst ? { layer: worst.layer, snrDb: worst.snrDb } : null,
    output: { tensor: outT.name, snrDb: outAcc.snr() },
    top1: { agree, total, agreement: total ? agree / total : 0 },
    ...(labels ? { accuracy: { labels: labels.length, float: floatRight / labels.length, int8: int8Right / labels.length } } : {}),
  };
}

const db = (v: number) => (v === Infinity ? 'inf' : v === -Infinity ? '-inf' : v.toFixed(1));

/** The report as terminal lines. */
export function accuracyLines(r: AccuracyReport): string[] {
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  const lines = [
    `network    ${r.network}`,
    `reference  ${r.model} run in float64 on ${r.samples} samples; the network's golden model on the same samples, ` +
      (r.numeric === 'int8' ? 'quantized as TFLite does' : `in its ${r.numeric} formats (the input rounded to its format, half away from zero)`),
    `${'layer'.padEnd(32)} ${'op'.padEnd(18)} ${'SNR dB'.padStart(7)}  ${'max |err|'.padStart(10)}  ${'RMS err'.padStart(10)}  ${'max |ref|'.padStart(10)}`,
    ...r.layers.map((l) => `${l.layer.padEnd(32)} ${l.op.padEnd(18)} ${db(l.snrDb).padStart(7)}  ${l.maxAbsError.toPrecision(4).padStart(10)}  ${l.rmsError.toPrecision(4).padStart(10)}  ${l.maxAbsReference.toPrecision(4).padStart(10)}`),
  ];
  if (r.unmatched.length) lines.push(`unmatched  ${r.unmatched.join(', ')} (no model value to compare with: added by convgen)`);
  if (r.worst) lines.push(`worst      ${r.worst.layer}: ${db(r.worst.snrDb)} dB`);
  lines.push(`output     ${r.output.tensor}: ${db(r.output.snrDb)} dB`);
  lines.push(`top-1      ${r.top1.agree} of ${r.top1.total} agree with the float model (${pct(r.top1.agreement)})`);
  if (r.accuracy) lines.push(`accuracy   float ${pct(r.accuracy.float)}, ${r.numeric} ${pct(r.accuracy.int8)} on ${r.accuracy.labels} labels`);
  return lines;
}
