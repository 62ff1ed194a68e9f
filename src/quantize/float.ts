/**
 * The float64 reference convolution: the same geometry as the golden model (stride, padding, dilation, groups),
 * on real inputs, real weights and bias, with the activation in real units. Tensors are [C][H][W]; callers convert
 * layouts. Deliberately the plain loop (a bounds check per tap), so that it shares no code with the golden model.
 */
import type { KernelModel } from '../ops/conv_2d/spec/index.ts';

/** The activation as a real interval [lo, hi] (relu6 is [0, 6]; a raw clamp is divided by 2^outputFrac). */
export function realActivation(m: KernelModel, outputFrac: number): [number, number] {
  const name = m.activationName;
  if (name === 'relu') return [0, Infinity];
  if (name === 'relu6') return [0, 6];
  if (name === 'none') return [-Infinity, Infinity];
  // clamp(lo, hi): raw output units, already within storage.
  return [m.actMin / 2 ** outputFrac, m.actMax / 2 ** outputFrac];
}

export function convFloat(m: KernelModel, weights: Float64Array, bias: Float64Array | null, input: Float64Array,
  act: [number, number]): Float64Array {
  const out = new Float64Array(m.outC * m.outH * m.outW);
  const [lo, hi] = act;
  for (let o = 0; o < m.outC; o++) {
    const g = Math.floor(o / m.outPerGroup);
    for (let oy = 0; oy < m.outH; oy++)
      for (let ox = 0; ox < m.outW; ox++) {
        let sum = bias ? bias[o] : 0;
        for (let ci = 0; ci < m.inPerGroup; ci++) {
          const c = g * m.inPerGroup + ci;
          for (let ky = 0; ky < m.kH; ky++) {
            const y = oy * m.strideH - m.pad.top + ky * m.dilH;
            if (y < 0 || y >= m.inH) continue;
            for (let kx = 0; kx < m.kW; kx++) {
              const x = ox * m.strideW - m.pad.left + kx * m.dilW;
              if (x < 0 || x >= m.inW) continue;
              sum += weights[((o * m.inPerGroup + ci) * m.kH + ky) * m.kW + kx] * input[(c * m.inH + y) * m.inW + x];
            }
          }
        }
        out[(o * m.outH + oy) * m.outW + ox] = sum < lo ? lo : sum > hi ? hi : sum;
      }
  }
  return out;
}
