/** Tensor layouts: reordering between channel-first and channel-last activations and between weight orders. */

/** OHWI weights (TFLite's, and a spec's `weightsLayout: "ohwi"`) -> OIHW ([out][in][kh][kw], the KernelModel's). */
export function ohwiToOihw<T>(w: ArrayLike<T>, o: number, kh: number, kw: number, i: number): T[] {
  const out = new Array<T>(w.length);
  for (let a = 0; a < o; a++)
    for (let y = 0; y < kh; y++)
      for (let x = 0; x < kw; x++)
        for (let c = 0; c < i; c++) out[((a * i + c) * kh + y) * kw + x] = w[((a * kh + y) * kw + x) * i + c];
  return out;
}

export function hwcToChw(t: ArrayLike<number>, c: number, h: number, w: number): Int32Array {
  const out = new Int32Array(c * h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) out[(k * h + y) * w + x] = t[(y * w + x) * c + k];
  return out;
}

export function chwToHwc(t: ArrayLike<number>, c: number, h: number, w: number): Int32Array {
  const out = new Int32Array(c * h * w);
  for (let k = 0; k < c; k++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[(y * w + x) * c + k] = t[(k * h + y) * w + x];
  return out;
}
