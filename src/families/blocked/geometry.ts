/** Element strides of the input and the kernel positions that carry weight: what every body builder reads. */
import type { KernelModel } from '../../ops/conv_2d/spec/index.ts';

export function strides(m: KernelModel) {
  return m.layout === 'hwc'
    ? { ci: 1, row: m.inW * m.inC, col: m.inC }
    : { ci: m.inH * m.inW, row: m.inW, col: 1 };
}

/** Kernel positions with a non-zero weight in some channel. */
export function liveTaps(m: KernelModel): Set<string> {
  const live = new Set<string>();
  const per = m.inPerGroup * m.kH * m.kW;
  for (let o = 0; o < m.outC; o++)
    for (let ci = 0; ci < m.inPerGroup; ci++)
      for (let ky = 0; ky < m.kH; ky++)
        for (let kx = 0; kx < m.kW; kx++) if (m.weights[o * per + (ci * m.kH + ky) * m.kW + kx] !== 0) live.add(`${ky},${kx}`);
  return live;
}

export function distinctColumns(m: KernelModel, kxs: number[], pb: number, step = m.strideW): number {
  const s = new Set<number>();
  for (let p = 0; p < pb; p++) for (const kx of kxs) s.add(p * step + kx * m.dilW);
  return s.size;
}

export const allColumns = (m: KernelModel) => Array.from({ length: m.kW }, (_, i) => i);
