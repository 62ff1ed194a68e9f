/**
 * Calibration: the float64 evaluator runs the model on each sample and records the smallest and largest value of
 * every ONNX value that becomes a network tensor. Samples come from the user's .npy (N samples shaped like the
 * model's input, as PyTorch holds them: NCHW) or, without one, are drawn and the ranges said to be guessed.
 */
import { InputError } from '../../errors.ts';
import type { NpyArray } from '../../npy/index.ts';
import { Mulberry32 } from '../../tensors/random.ts';
import { evaluateGraph, type FTensor } from '../eval/index.ts';
import { make } from '../eval/tensor.ts';
import type { Prepared } from './prepare.ts';

export interface Range {
  min: number;
  max: number;
}

/** The samples of an .npy: (N, …input dims after the batch) or exactly the input's dims; finite numbers. */
export function samplesFromNpy(arr: NpyArray, dims: number[], type: number, file: string): FTensor[] {
  const per = dims.slice(1);
  const exact = arr.shape.length === dims.length && arr.shape.every((n, i) => n === dims[i]);
  const batch = arr.shape.length === dims.length && arr.shape.slice(1).every((n, i) => n === per[i]);
  if (!exact && !batch)
    throw new InputError(file, `has shape (${arr.shape.join(', ')}); the model input takes (N, ${per.join(', ')}): N samples as the model holds them (NCHW)`);
  if (arr.dtype === 'int64') throw new InputError(file, 'has dtype int64; give float32 samples (or int8/uint8 for a quantized input)');
  const size = per.reduce((a, b) => a * b, 1);
  const data = arr.data as ArrayLike<number>;
  const n = arr.shape[0];
  if (n === 0) throw new InputError(file, 'holds no samples');
  for (let i = 0; i < data.length; i++)
    if (!Number.isFinite(Number(data[i]))) throw new InputError(file, `element ${i} is ${data[i]}; samples must be finite`);
  return Array.from({ length: n }, (_, k) => make([1, ...per], Float64Array.from({ length: size }, (_, i) => Number(data[k * size + i])), type));
}

/** N samples drawn from N(0, 1) (the range of normalized images and features), or uniform in [lo, hi]. */
export function syntheticSamples(dims: number[], type: number, count: number, range?: [number, number], seed = 1): FTensor[] {
  const rng = new Mulberry32(seed);
  const u = () => (rng.nextU32() + 0.5) / 2 ** 32;
  const size = dims.reduce((a, b) => a * b, 1);
  const draw = range ? () => range[0] + (range[1] - range[0]) * u() : () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  return Array.from({ length: count }, () => make([...dims], Float64Array.from({ length: size }, draw), type));
}

/** Observed [min, max] of each named value over the samples. */
export function observeRanges(prep: Prepared, values: Set<string>, samples: FTensor[]): Map<string, Range> {
  const ranges = new Map<string, Range>();
  for (const s of samples) {
    const run = evaluateGraph(prep.g, new Map([[prep.input.name, s]]), { opset: prep.opset, known: prep.constants, strict: true });
    for (const v of values) {
      const t = run.values.get(v);
      if (!t) continue;
      let { min, max } = ranges.get(v) ?? { min: Infinity, max: -Infinity };
      for (const x of t.data) {
        if (x < min) min = x;
        if (x > max) max = x;
      }
      ranges.set(v, { min, max });
    }
  }
  return ranges;
}
