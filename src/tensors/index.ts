/**
 * Tensors on the command line are .npy files: (C,H,W) or (H,W,C) by the spec's layout, or a batch of them with a
 * leading N axis. Integer dtypes hold raw values; float dtypes are quantized with the input's fraction bits (Q formats)
 * or the input scale and zero point (int8 given by scales), rounding half away from zero and saturating.
 * Reading also notes likely mistakes (uint8 data read as raw values, saturated floats) as warnings, which `--strict`
 * turns into errors.
 */
import { InputError } from '../errors.ts';
import { readNpy, writeNpyAtomic, type NpyArray } from '../npy/index.ts';
import { qName } from '../numerics/index.ts';
import { inputSaturates, quantizeInputValue, type KernelModel } from '../ops/conv_2d/spec/index.ts';
import { fmtReal } from '../ops/conv_2d/spec/quantize.ts';

export function inputShape(m: KernelModel): number[] {
  return m.layout === 'hwc' ? [m.inH, m.inW, m.inC] : [m.inC, m.inH, m.inW];
}

export function outputShape(m: KernelModel): number[] {
  return m.layout === 'hwc' ? [m.outH, m.outW, m.outC] : [m.outC, m.outH, m.outW];
}

export interface InputTensors {
  tensors: Int32Array[];
  /** The file had a leading batch axis (N, ...): outputs are written as (N, ...) too, even for N = 1. */
  batched: boolean;
  /** Likely mistakes, one line each without the file name (the caller prefixes it). */
  warnings: string[];
}

/** A single tensor (3-D) or a batch (4-D, N ≥ 1) of the spec's input shape. */
export function readInputTensors(m: KernelModel, file: string): InputTensors {
  const shape = inputShape(m);
  const axes = m.layout === 'hwc' ? '(H, W, C)' : '(C, H, W)';
  const batchAxes = m.layout === 'hwc' ? '(N, H, W, C)' : '(N, C, H, W)';
  const matches = (dims: number[]) => dims.length === 3 && dims.every((n, i) => n === shape[i]);
  // Checked on the header, before the data is read. A batch may hold 2^26 elements (a tensor at most 2^24).
  const arr = readNpy(file, {
    maxElements: 2 ** 26,
    check: (h) => {
      if (h.shape.length === 3 && !matches(h.shape))
        throw new InputError(file, `expected an input of shape (${shape.join(', ')}) ${axes} for layout ${m.layout}, found (${h.shape.join(', ')})`);
      if (h.shape.length === 4 && !matches(h.shape.slice(1)))
        throw new InputError(file, `expected a batch of shape (N, ${shape.join(', ')}) ${batchAxes} for layout ${m.layout}, found (${h.shape.join(', ')})`);
      if (h.shape.length !== 3 && h.shape.length !== 4)
        throw new InputError(file, `expected an input of shape (${shape.join(', ')}) ${axes} or a batch (N, ${shape.join(', ')}) ${batchAxes} ` +
          `for layout ${m.layout}, found (${h.shape.join(', ')})`);
    },
  });
  const batched = arr.shape.length === 4;
  const count = batched ? arr.shape[0] : 1;
  if (count === 0) throw new InputError(file, `the batch is empty: shape (${arr.shape.join(', ')})`);

  const { min, max } = m.numeric.storage;
  const isFloat = arr.dtype === 'float32' || arr.dtype === 'float64';
  const flat = new Int32Array(arr.data.length);
  let saturated = 0;
  for (let i = 0; i < flat.length; i++) {
    const v = arr.data[i];
    if (isFloat) {
      if (!Number.isFinite(v as number)) throw new InputError(file, `element ${i} is ${v}; values must be finite`);
      const q = quantizeInputValue(m.numeric, v as number);
      if (typeof q === 'string') throw new InputError(file, `${q}; found dtype ${arr.dtype}`);
      if (inputSaturates(m.numeric, v as number)) saturated++;
      flat[i] = q;
    } else {
      const n = Number(v);
      if (n < min || n > max)
        throw new InputError(file, `element ${i} is ${n}, outside the ${m.numeric.type} input range ${min}…${max}`);
      flat[i] = n;
    }
  }

  const warnings: string[] = [];
  if (arr.dtype === 'uint8') warnings.push(uint8Warning(m, flat));
  if (saturated > 0)
    warnings.push(`${saturated} of ${flat.length} float values saturated: outside the input range ${realRange(m)}, clamped to its ends`);
  const per = flat.length / count;
  const tensors = Array.from({ length: count }, (_, t) => flat.slice(t * per, (t + 1) * per));
  return { tensors, batched, warnings };
}

/** uint8 is how images are stored; here its integers are raw input values, not real numbers to be quantized. */
function uint8Warning(m: KernelModel, data: Int32Array): string {
  const nf = m.numeric;
  const top = data.reduce((a, v) => Math.max(a, v), 0);
  if (nf.kind === 'q')
    return `${data.length} uint8 values (0…${top}) are read as raw ${nf.type} values, i.e. ${qName(nf.storage.bits, nf.inputFrac)} ` +
      `numbers 0…${fmtReal(top / 2 ** nf.inputFrac)}; save real values as float32 to have them quantized`;
  return `${data.length} uint8 values (0…${top}) are read as raw int8 values; a uint8 model's input needs 128 subtracted first`;
}

/** The real numbers the input type holds, as "lo…hi". */
function realRange(m: KernelModel): string {
  const nf = m.numeric;
  const { min, max } = nf.storage;
  if (nf.kind === 'q') return `${fmtReal(min / 2 ** nf.inputFrac)}…${fmtReal(max / 2 ** nf.inputFrac)} (${qName(nf.storage.bits, nf.inputFrac)})`;
  const s = nf.scales!;
  return `${fmtReal((min - s.inputZeroPoint) * s.input)}…${fmtReal((max - s.inputZeroPoint) * s.input)} (scale ${fmtReal(s.input)}, zero point ${s.inputZeroPoint})`;
}

/** One tensor of the spec's input shape (tests and callers that take exactly one). */
export function readInputTensor(m: KernelModel, file: string): Int32Array {
  const r = readInputTensors(m, file);
  if (r.batched) throw new InputError(file, `expected one input of shape (${inputShape(m).join(', ')}), found a batch of ${r.tensors.length}`);
  return r.tensors[0];
}

export function outputArray(m: KernelModel, data: Int32Array): NpyArray {
  return outputBatchArray(m, [data], false);
}

/** Outputs in the storage dtype: (C, H, W) / (H, W, C), or (N, ...) for a batch. */
export function outputBatchArray(m: KernelModel, outputs: Int32Array[], batched: boolean): NpyArray {
  const st = m.numeric.storage;
  const all = new Int32Array(outputs.reduce((a, o) => a + o.length, 0));
  let off = 0;
  for (const o of outputs) {
    all.set(o, off);
    off += o.length;
  }
  const typed = st.bits === 8 ? Int8Array.from(all) : st.bits === 16 ? Int16Array.from(all) : all;
  return { dtype: st.npyDtype, shape: batched ? [outputs.length, ...outputShape(m)] : outputShape(m), data: typed };
}

export function writeOutputTensor(m: KernelModel, file: string, data: Int32Array): void {
  writeNpyAtomic(file, outputArray(m, data));
}

export function writeOutputTensors(m: KernelModel, file: string, outputs: Int32Array[], batched: boolean): void {
  writeNpyAtomic(file, outputBatchArray(m, outputs, batched));
}
