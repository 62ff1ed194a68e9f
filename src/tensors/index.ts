/**
 * Tensors on the command line are .npy files: (C,H,W) or (H,W,C) by the spec's layout. Integer dtypes hold raw
 * values; float dtypes are quantized with the input's fraction bits (Q formats) or the input scale and zero point
 * (int8 given by scales), rounding half away from zero and saturating.
 */
import { InputError } from '../errors.ts';
import { readNpy, writeNpyAtomic, type NpyArray } from '../npy/index.ts';
import { quantizeInputValue, type KernelModel } from '../spec/index.ts';

export function inputShape(m: KernelModel): number[] {
  return m.layout === 'hwc' ? [m.inH, m.inW, m.inC] : [m.inC, m.inH, m.inW];
}

export function outputShape(m: KernelModel): number[] {
  return m.layout === 'hwc' ? [m.outH, m.outW, m.outC] : [m.outC, m.outH, m.outW];
}

export function readInputTensor(m: KernelModel, file: string): Int32Array {
  const shape = inputShape(m);
  const axes = m.layout === 'hwc' ? '(H, W, C)' : '(C, H, W)';
  // Checked on the header, before the data is read.
  const arr = readNpy(file, {
    check: (h) => {
      if (h.shape.length !== 3 || h.shape.some((n, i) => n !== shape[i]))
        throw new InputError(file, `expected an input of shape (${shape.join(', ')}) ${axes} for layout ${m.layout}, found (${h.shape.join(', ')})`);
    },
  });
  const { min, max } = m.numeric.storage;
  const out = new Int32Array(arr.data.length);
  const isFloat = arr.dtype === 'float32' || arr.dtype === 'float64';
  for (let i = 0; i < out.length; i++) {
    const v = arr.data[i];
    if (isFloat) {
      if (!Number.isFinite(v as number)) throw new InputError(file, `element ${i} is ${v}; values must be finite`);
      const q = quantizeInputValue(m.numeric, v as number);
      if (typeof q === 'string') throw new InputError(file, `${q}; found dtype ${arr.dtype}`);
      out[i] = q;
    } else {
      const n = Number(v);
      if (n < min || n > max)
        throw new InputError(file, `element ${i} is ${n}, outside the ${m.numeric.type} input range ${min}…${max}`);
      out[i] = n;
    }
  }
  return out;
}

export function outputArray(m: KernelModel, data: Int32Array): NpyArray {
  const st = m.numeric.storage;
  const typed = st.bits === 8 ? Int8Array.from(data) : st.bits === 16 ? Int16Array.from(data) : Int32Array.from(data);
  return { dtype: st.npyDtype, shape: outputShape(m), data: typed };
}

export function writeOutputTensor(m: KernelModel, file: string, data: Int32Array): void {
  writeNpyAtomic(file, outputArray(m, data));
}
