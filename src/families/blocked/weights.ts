/**
 * The blocked family's weight array: per group, per block of output channels, in the order the loops read it
 * (plan.ts: BlockedPlan.weights), packed per form: dual's int16 pairs of input channels, quad's words of four, widened
 * quad's pre-unpacked pairs, lane2w's channel pairs in bit lanes, taps8/lanes8's lane pairs.
 */
import type { KernelModel } from '../../ops/conv_2d/spec/index.ts';
import { LANE2_SHIFT } from '../lanes.ts';
import { rowContiguousWeights, unitOf } from './forms.ts';
import type { MacForm } from './plan.ts';

/** form: the chosen blocking's form; base: the spec's form (chooseMacForm), which decides the weight order. */
export function packWeights(m: KernelModel, o: { form: MacForm; base: MacForm; ob: number; widened: boolean; lanes8: boolean }): number[] {
  const { ob, widened, lanes8 } = o;
  const macForm = o.base;
  const dual = macForm === 'dual';
  const quad = macForm === 'quad';
  const unit = unitOf[macForm];
  const chosen = { form: o.form };
  const per = m.inPerGroup * m.kH * m.kW;
  const weights: number[] = [];
  for (let g = 0; g < m.groups; g++)
    for (let start = 0; start < m.outPerGroup; start += ob) {
      const size = Math.min(ob, m.outPerGroup - start);
      const o0 = g * m.outPerGroup + start;
      const taps = m.kH * m.kW;
      for (let ci = 0; ci < m.inPerGroup; ci += unit) {
        // lane2w: per tap, channels (2k, 2k+1) of the block as one word w_2k + w_2k+1 x 2^23 (an odd last channel
        // with a zero partner); exact in int32 as |w| <= 128.
        if (chosen.form === 'lane2w') {
          for (let t = 0; t < taps; t++)
            for (let j = 0; j < size; j += 2) {
              const at = (jj: number) => (jj < size ? m.weights[(o0 + jj) * per + ci * taps + t] : 0);
              weights.push(at(j) + at(j + 1) * 2 ** LANE2_SHIFT);
            }
          continue;
        }
        // taps: each channel's kernel row contiguous, [ci][ky][channel in block][kx]
        if (rowContiguousWeights(macForm)) {
          for (let ky = 0; ky < m.kH; ky++)
            for (let j = 0; j < size; j++)
              for (let kx = 0; kx < m.kW; kx++) weights.push(m.weights[(o0 + j) * per + ci * taps + ky * m.kW + kx]);
          continue;
        }
        for (let t = 0; t < taps; t++)
          for (let j = 0; j < size; j++) {
            const at = (c: number) => m.weights[(o0 + j) * per + c * taps + t];
            const pair = (lo: number, hi: number) => (at(lo) & 0xffff) | (at(hi) << 16);
            // A dual word holds channel ci in its low half and ci+1 in its high half, as SMLAD pairs them.
            if (dual) weights.push(pair(ci, ci + 1));
            // Widened quad: the halves SXTB16 would give, (ci, ci+2) and (ci+1, ci+3).
            else if (widened) weights.push(pair(ci, ci + 2), pair(ci + 1, ci + 3));
            // Quad: the four channels' bytes in order, one word (the raw bytes, reordered).
            else if (quad) weights.push(at(ci), at(ci + 1), at(ci + 2), at(ci + 3));
            else weights.push(at(ci));
          }
      }
    }
  // lanes8: the same element indices, each element with the one two further in its top lane (0 past the end).
  return lanes8 ? weights.map((v, e) => (v & 0xffff) | ((weights[e + 2] ?? 0) << 16)) : weights;
}
