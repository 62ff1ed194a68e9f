/**
 * `convgen import MODEL.onnx -o DIR`: the whole ONNX graph as a network spec (docs/networks.md), in four stages:
 * prepare (the data input, a probe run of the float64 evaluator, constant folding), map (ONNX nodes -> network
 * layers in NHWC with real or given weights; every unsupported node collected), calibrate (observed ranges of every
 * tensor the model does not quantize itself) and quantize (TFLite's post-training int8 quantization).
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { NpyArray } from '../../npy/index.ts';
import { fuseNetwork } from '../../network/fuse.ts';
import type { ImportedNetwork } from '../../tflite/import.ts';
import { observeRanges, samplesFromNpy, syntheticSamples } from './calibrate.ts';
import { mapGraph } from './map.ts';
import { prepare } from './prepare.ts';
import { quantizeNetwork } from './quantize.ts';
import { quantizeQNetwork, HEADROOM, type QNetworkType } from './qformat.ts';
import { ROUNDING_NOTE } from '../quant.ts';

export interface NetworkImportOptions {
  /** Dimensions of the model input after the batch, for open ones. */
  inputShape?: number[];
  /** Calibration samples (N, …) as the model holds its input. */
  calibration?: { file: string; array: NpyArray };
  /** Without calibration: draw the guessed samples uniformly from this range instead of N(0, 1). */
  inputRange?: [number, number];
  /** One Q format per tensor with int8 (q7) or int16 (q15) storage instead of TFLite's int8 (src/onnx/net/qformat.ts). */
  type?: QNetworkType;
}

export interface OnnxNetworkImport {
  imported: ImportedNetwork;
  /** Lines for stdout: how the quantization was chosen. */
  notes: string[];
  /** Lines for stderr: ranges that were guessed. */
  warnings: string[];
}

export const GUESSED_SAMPLES = 32;

/** A C-identifier-like network name from a model file name. */
export function networkNameOf(file: string): string {
  const base = path.basename(file).replace(/\.[a-z0-9]+$/i, '').toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  const name = /^[a-z_]/.test(base) ? base : `net_${base}`;
  return name.slice(0, 32) || 'net';
}

export function importOnnxNetwork(bytes: Uint8Array, file: string, o: NetworkImportOptions = {}): OnnxNetworkImport {
  const prep = prepare(bytes, file, o.inputShape);
  const mapped = mapGraph(prep);
  const notes: string[] = [];
  const warnings: string[] = [];
  const observe = new Set([...mapped.ctx.tensors.values()].filter((t) => !t.pin && t.value !== '').map((t) => t.value));
  let ranges = new Map<string, { min: number; max: number }>();
  if (observe.size) {
    let samples;
    if (o.calibration) {
      samples = samplesFromNpy(o.calibration.array, prep.input.dims, prep.input.type, o.calibration.file);
      notes.push(`calibrated on ${samples.length} samples of ${o.calibration.file}: each activation's range is the smallest and largest value ` +
        'the float64 run of the model produced, widened to include 0');
    } else {
      samples = syntheticSamples(prep.input.dims, prep.input.type, GUESSED_SAMPLES, o.inputRange);
      const from = o.inputRange ? `uniform in [${o.inputRange.join(', ')}] (--input-range)` : 'normal with mean 0 and standard deviation 1 (normalized data)';
      warnings.push(`no --calibrate data: the ${observe.size} activation ranges are guessed from ${GUESSED_SAMPLES} random inputs ${from}; ` +
        'give --calibrate samples.npy with real inputs (N, ' + prep.input.dims.slice(1).join(', ') + ') for ranges you can trust');
    }
    ranges = observeRanges(prep, observe, samples);
  } else notes.push('every tensor\'s quantization comes from the model (QuantizeLinear / QLinear ops): no calibration needed');
  const meta = {
    name: networkNameOf(file), file,
    source: { file: path.basename(file), sha256: createHash('sha256').update(bytes).digest('hex') },
  };
  if (o.type) {
    const qq = quantizeQNetwork(mapped, ranges, o.type, meta);
    notes.push(`${o.type}: one Q format per tensor, the most fraction bits that hold the calibrated max |x| × ${HEADROOM}; ` +
      'weights one format per layer, bias at input + weight fraction bits; every layer rounds to nearest and saturates into its output\'s format');
    notes.push(...qq.formats.map((f) => `format ${f}`));
    return { imported: { spec: fuseNetwork(qq.spec, qq.arrays), arrays: qq.arrays }, notes, warnings };
  }
  const q = quantizeNetwork(mapped, ranges, meta);
  for (const r of q.requantized) notes.push(`requantized: ${r}`);
  if ([...mapped.ctx.tensors.values()].some((t) => t.pin)) notes.push(ROUNDING_NOTE);
  const uint8 = [...mapped.ctx.tensors.values()].filter((t) => t.uint8 && (t.id === mapped.inputTensor || mapped.outputTensors.includes(t.id)));
  for (const t of uint8)
    notes.push(`${t.id} is uint8 in the model: the network's int8 is the model's value − 128 (${t.id === mapped.inputTensor ? 'subtract 128 from the input' : 'add 128 to the output'})`);
  const spec = fuseNetwork(q.spec, q.arrays);
  return { imported: { spec, arrays: q.arrays }, notes, warnings };
}
