/** Geometry along one axis of the output plane, shared by the variants and kernel families. */

/** A band of outputs along one axis whose valid kernel positions are the same (a contiguous range). */
export interface AxisBand {
  lo: number;
  hi: number;
  valid: number[];
}

/** Consecutive outputs grouped by the set of kernel positions that land inside [0, inN). */
export function axisBands(outN: number, inN: number, k: number, stride: number, dil: number, before: number): AxisBand[] {
  const bands: AxisBand[] = [];
  for (let o = 0; o < outN; o++) {
    const valid: number[] = [];
    for (let t = 0; t < k; t++) {
      const i = o * stride - before + t * dil;
      if (i >= 0 && i < inN) valid.push(t);
    }
    const last = bands[bands.length - 1];
    if (last && last.valid.join() === valid.join()) last.hi = o;
    else bands.push({ lo: o, hi: o, valid });
  }
  return bands;
}

/** Output rows (and within them columns) whose receptive field lies wholly inside the input. */
export function interiorRange(outN: number, inN: number, k: number, stride: number, dil: number, before: number): [number, number] {
  const lo = Math.ceil(before / stride);
  const hi = Math.floor((inN - 1 - (k - 1) * dil + before) / stride);
  return [Math.max(0, lo), Math.min(outN - 1, hi)];
}
