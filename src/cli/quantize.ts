/**
 * `convgen quantize SPEC`: the Q formats a spec uses (chosen or given, and why) and the quantization error of the
 * integer kernel against the float64 convolution on random real inputs in the input range (src/quantize).
 * `convgen quantize NET --data samples.npy`: the int8 network against the float ONNX model it was imported from,
 * layer by layer and at the output (src/quantize/network.ts).
 */
import { InvalidArgumentError, type Command } from 'commander';
import { ExitCode } from '../errors.ts';
import { describeNumeric, loadSpec } from '../ops/conv_2d/spec/index.ts';
import { quantizeReport, type ErrorFigures, type QuantizeReport } from '../quantize/index.ts';
import { fmtReal } from '../ops/conv_2d/spec/quantize.ts';
import { writeFileAtomic } from '../report/index.ts';
import { checkOutputFile } from '../files/write.ts';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.ts';
import { isNetworkFile, loadNetwork } from '../network/load.ts';
import { readNpy } from '../npy/index.ts';
import { readModelFile } from '../onnx/index.ts';
import { samplesFromNpy } from '../onnx/net/calibrate.ts';
import { prepare } from '../onnx/net/prepare.ts';
import { accuracyLines, accuracyReport, type AccuracyReport } from '../quantize/network.ts';

function count(name: string, min: number) {
  return (v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v)))
      throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}`);
    return Number(v);
  };
}

const num = (v: number) => (v === 0 ? '0' : v.toExponential(3));
const db = (v: number) => (v === Infinity ? 'inf' : v === -Infinity ? '-inf' : v.toFixed(2));

function row(label: string, f: ErrorFigures): string {
  return `${label.padStart(7)}  ${num(f.maxAbs).padStart(11)}  ${num(f.rms).padStart(11)}  ${db(f.snrDb).padStart(8)}  ${String(f.saturated).padStart(6)}  ${f.bound === null ? 'n/a (may saturate)' : num(f.bound)}`;
}

/** The report as terminal lines. */
export function reportLines(r: QuantizeReport, numeric: string): string[] {
  const f = r.formats;
  const fmt = (label: string, q: string, l: { auto: boolean; why: string }) => `  ${label.padEnd(8)} ${q.padEnd(8)} ${l.auto ? 'auto' : 'given'}: ${l.why}`;
  const lines = [
    `spec       ${r.spec} (${r.name})`,
    `numeric    ${numeric}`,
    'formats',
    fmt('input', f.input.q, f.input),
    fmt('weights', f.weights.q, f.weights),
    ...(f.bias ? [fmt('bias', `${f.bias.frac} frac`, { auto: f.bias.auto, why: `int${f.bias.bits}; ${f.bias.why}` })] : []),
    fmt('output', f.output.q, f.output),
  ];
  if (r.saturated.weights || r.saturated.bias)
    lines.push(`saturated  ${r.saturated.weights} weights and ${r.saturated.bias} biases did not fit their given format and were saturated`);
  const [lo, hi] = r.inputRange;
  lines.push(
    `samples    ${r.samples} random inputs uniform in [${fmtReal(lo)}, ${fmtReal(hi)}] (${r.rangeGiven ? 'inputRange' : "the input format's range"}, seed ${r.seed}),` +
      ` quantized to ${f.input.q}; float64 reference on the same real inputs;` +
      ' sat = outputs whose reference the output format cannot hold',
    `${'channel'.padStart(7)}  ${'max |err|'.padStart(11)}  ${'RMS err'.padStart(11)}  ${'SNR dB'.padStart(8)}  ${'sat'.padStart(6)}  bound (worst case, any input in range)`,
    ...r.channels.map((c) => row(String(c.channel), c)),
    row('all', r.overall),
  );
  if (r.boundExceeded.length)
    lines.push(`FAIL       channels ${r.boundExceeded.join(', ')} exceed their proved error bound: a bug in convgen`);
  return lines;
}

export function registerQuantize(program: Command): void {
  program
    .command('quantize')
    .description('a kernel spec: its Q formats and error against a float convolution; a network imported from ONNX: ' +
      'per-layer SNR and top-1 agreement against the float model on --data samples')
    .argument('<spec>', 'kernel spec (.json or .kernel.ts) or network spec (.json)')
    .option('--samples <n>', 'kernel spec: random inputs to draw (default 8)', count('--samples', 1))
    .option('--seed <n>', 'kernel spec: seed of the random inputs (default 1)', count('--seed', 0))
    .option('--data <npy>', 'network: input samples (N, ...) as the ONNX model takes them (NCHW floats)')
    .option('--labels <npy>', 'network: one integer class per sample, for accuracy')
    .option('--float <onnx>', "network: the ONNX model it was imported from (default: the spec's source, a path from the spec's folder)")
    .option('--json <file>', 'write the figures as JSON')
    .action(async (spec: string, o: { samples?: number; seed?: number; data?: string; labels?: string; float?: string; json?: string }) => {
      if (o.json) checkOutputFile(o.json);
      const root = program.opts().root as string | undefined;
      // JSON has no infinities: an error-free SNR is written as "inf".
      const json = (r: unknown) => `${JSON.stringify(r, (_, v) => (v === Infinity ? 'inf' : v === -Infinity ? '-inf' : v), 2)}\n`;
      if (isNetworkFile(spec)) {
        const kernelOnly = (['samples', 'seed'] as const).find((k) => o[k] !== undefined);
        if (kernelOnly) throw new InputError(`--${kernelOnly}`, 'is for kernel specs; a network is measured on --data samples');
        const r = networkAccuracy(spec, o, root);
        for (const line of accuracyLines(r)) console.log(line);
        if (o.json) writeFileAtomic(o.json, json(r));
        return;
      }
      const networkOnly = (['data', 'labels', 'float'] as const).find((k) => o[k] !== undefined);
      if (networkOnly) throw new InputError(`--${networkOnly}`, 'is for network specs; a kernel spec is measured on random inputs in its range');
      const m = await loadSpec(spec, { root });
      const r = quantizeReport(m, { samples: o.samples ?? 8, seed: o.seed ?? 1 });
      for (const line of reportLines(r, `${describeNumeric(m.numeric)}, activation ${m.activationName}`)) console.log(line);
      if (o.json) writeFileAtomic(o.json, json(r));
      process.exitCode = r.boundExceeded.length ? ExitCode.mismatch : ExitCode.ok;
    });
}

/** The network, the ONNX model it came from (checked by its sha256), the samples and labels -> the report. */
function networkAccuracy(spec: string, o: { data?: string; labels?: string; float?: string }, root?: string): AccuracyReport {
  if (spec.toLowerCase().endsWith('.tflite'))
    throw new InputError(spec, 'the accuracy report compares a network with the float ONNX model it was imported from; a .tflite model has none');
  if (!o.data) throw new InputError('--data', 'is required for a network: samples.npy with N inputs as the ONNX model takes them');
  const net = loadNetwork(spec, root);
  const source = net.origin;
  const modelFile = o.float ?? (source ? path.join(path.dirname(spec), source.file) : undefined);
  if (!modelFile) throw new InputError('--float', `give the ONNX model ${net.name} was imported from (the spec names no source)`);
  if (!modelFile.toLowerCase().endsWith('.onnx'))
    throw new InputError(o.float ? '--float' : spec, `${modelFile} is not an ONNX model; the accuracy report compares with a float ONNX model`);
  if (!o.float && !fs.existsSync(modelFile))
    throw new InputError('--float', `give the ONNX model ${net.name} was imported from (${modelFile}, the spec's source, is not there)`);
  const bytes = readModelFile(modelFile);
  if (source && createHash('sha256').update(bytes).digest('hex') !== source.sha256)
    throw new InputError(modelFile, `is not the model ${net.name} was imported from (its sha256 differs from the spec's source ${source.file})`);
  const input = net.tensors.get(net.inputs[0])!;
  const inputShape = input.sourceLayout === 'nchw' ? [input.shape[3], input.shape[1], input.shape[2]] : input.shape.slice(1);
  const prep = prepare(bytes, modelFile, inputShape);
  const samples = samplesFromNpy(readNpy(o.data), prep.input.dims, prep.input.type, o.data);
  let labels: number[] | undefined;
  if (o.labels) {
    const l = readNpy(o.labels);
    const depth = net.tensors.get(net.outputs[0])!.shape.at(-1)!;
    if (!['int8', 'uint8', 'int16', 'int32', 'int64'].includes(l.dtype)) throw new InputError(o.labels, `has dtype ${l.dtype}; labels are integers`);
    labels = Array.from(l.data as ArrayLike<number | bigint>, Number);
    if (labels.length !== samples.length) throw new InputError(o.labels, `holds ${labels.length} labels for ${samples.length} samples`);
    const bad = labels.findIndex((v) => v < 0 || v >= depth);
    if (bad >= 0) throw new InputError(o.labels, `label ${bad} is ${labels[bad]}, outside the ${depth} classes 0…${depth - 1}`);
  }
  return accuracyReport(net, prep, samples, labels);
}
