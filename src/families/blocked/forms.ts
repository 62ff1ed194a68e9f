/**
 * The blocked family's MAC forms: which form multiplies, by ISA feature and spec (a table of rows, first match wins),
 * and what each form implies for the weight order and the input channels one MAC unit covers.
 */
import type { KernelModel } from '../../ops/conv_2d/spec/index.ts';
import type { IsaFeatures } from '../../targets/index.ts';
import { planAccumulator } from '../../codegen/accumulator.ts';
import { lane2Fits } from '../lanes.ts';
export { LANE2_SHIFT, lane2Fits } from '../lanes.ts';
import type { MacForm } from './plan.ts';

/**
 * MAC forms by ISA feature, best first: the first row whose features the ISA has and whose spec test passes wins.
 * ISA differences live in this table, never in checks of target names.
 */
export const macForms: readonly { form: MacForm; needs: (keyof IsaFeatures)[]; lacks?: (keyof IsaFeatures)[]; states?: IsaFeatures['state'][]; accepts: (m: KernelModel) => boolean; why: string }[] = [
  {
    form: 'quad', needs: ['simd32', 'unaligned'],
    accepts: (m) => m.numeric.storage.bits === 8 && m.layout === 'hwc' && m.inPerGroup % 4 === 0,
    why: '8-bit HWC, input channels per group a multiple of 4 (one unaligned word load per 4 channels)',
  },
  {
    form: 'taps', needs: ['simd32', 'unaligned'],
    accepts: (m) => m.numeric.storage.bits === 16 && m.numeric.inputOffset === 0 && m.layout === 'chw'
      && m.strideW === 1 && m.dilW === 1 && m.kW >= 2 && m.kW <= 4,
    // Wider rows keep more words live than GCC 12 allocates without spills under Cortex-M7 tuning (measured on
    // the 5x5 bench: slower than dual there), so they stay with dual.
    why: 'q15 CHW, stride and dilation 1 along W, kernel 2 to 4 wide (pairs of kernel columns)',
  },
  {
    form: 'taps8', needs: ['simd32', 'unaligned'],
    accepts: (m) => m.numeric.storage.bits === 8 && m.numeric.inputOffset === 0 && m.layout === 'chw'
      && m.strideW === 1 && m.dilW === 1 && m.kW >= 3 && m.kW <= 5 && planAccumulator(m).accType === 'int32_t'
      // depthwise-like (one input channel per group): single measured faster (bench d q7 instructions/MAC: cortex-m4
      // 2.62 -> 2.46, cortex-m7 2.62 -> 2.44, cortex-m55 2.78 -> 2.44)
      && m.inPerGroup > 1,
    why: '8-bit CHW without input offset, stride and dilation 1 along W, kernel 3 to 5 wide (columns c, c+2 pair), 32-bit accumulators, several input channels per group',
  },
  {
    form: 'dual', needs: ['simd32'],
    accepts: (m) => m.numeric.storage.bits === 16 && m.numeric.inputOffset === 0 && m.inPerGroup % 2 === 0,
    why: 'q15, an even number of input channels per group',
  },
  {
    form: 'halves', needs: ['dspv5te'],
    accepts: (m) => m.numeric.storage.bits === 16 && m.numeric.inputOffset === 0 && m.outPerGroup % 2 === 0,
    why: 'q15, an even number of output channels per group (blocks of whole channel pairs)',
  },
  {
    form: 'dwpair', needs: ['dspv5te'], lacks: ['simd32'],
    accepts: (m) => m.numeric.storage.bits === 16 && m.numeric.inputOffset === 0 && m.layout === 'chw' && m.inPerGroup === 1
      && m.outPerGroup === 1,
    why: 'q15 CHW depthwise (one input and one output channel per group): words of two inputs and of two taps\' weights, SMLALxy',
  },
  {
    // Thumb-1 has no SMLAL; the host runs no inline ARM assembly. Measured on cores without SIMD32 only (ARM920T,
    // ARM926EJ-S, Cortex-M3): the SIMD cores keep single where quad and taps8 do not apply.
    form: 'lane2', needs: ['longMultiply'], lacks: ['simd32'], states: ['a32', 'thumb2'],
    accepts: (m) => lane2Fits(m) && planAccumulator(m).accType === 'int32_t',
    why: '8-bit, every channel\'s |sum of products| < 2^22 (two pixels in bit lanes of one SMLAL), 32-bit accumulators',
  },
  { form: 'single', needs: [], accepts: () => true, why: 'every spec' },
];

export function chooseMacForm(m: KernelModel, isa: IsaFeatures): MacForm {
  return macForms.find((r) => r.needs.every((f) => isa[f] === true) && !(r.lacks ?? []).some((f) => isa[f] === true) && (!r.states || r.states.includes(isa.state)) && r.accepts(m))!.form;
}

/** taps and taps8 store weights [ci][ky][channel in block][kx] (each channel's kernel row contiguous); the others [ci][ky][kx][channel]. */
export const rowContiguousWeights = (f: MacForm): boolean => f === 'taps' || f === 'taps8';

/** Input channels one MAC unit covers. */
export const unitOf: Record<MacForm, number> = { single: 1, dual: 2, quad: 4, taps: 1, taps8: 1, halves: 1, lane2: 1, lane2w: 1, dwpair: 1 };

/** Weight-array elements per tap of a block of `ob` channels: lane2w packs two channels per word. */
export const weightSlots = (form: MacForm, ob: number) => (form === 'lane2w' ? Math.ceil(ob / 2) : ob);

/** Dual 16-bit multiply-accumulate: q15 data on a core with the DSP extension, an even number of inputs per group. */
export function usesDual(m: KernelModel, isa: IsaFeatures): boolean {
  return chooseMacForm(m, isa) === 'dual';
}

/** How the header's Optimize line names each form. */
export const macFormDocs: Record<MacForm, string> = {
  single: 'one multiply-accumulate per input value',
  dual: 'q15 pairs of input channels through SMLAD/SMLALD (packed int16 weight pairs, the raw weight bytes)',
  quad: 'four 8-bit input channels per word: SXTB16 unpacks channel pairs (0,2) and (1,3), two SMLADs per four MACs',
  taps8: '8-bit adjacent inputs as one word, SXTB16 lanes (x[e], x[e+2]) x weight lanes (w[c], w[c+2]) through SMLAD, SMLAxy for the rest',
  taps: 'q15 pairs of adjacent kernel columns through SMLALD/SMLAD (words of two inputs x words of two weights), SMLALxy for the rest',
  halves: 'q15 weights of two output channels per aligned word, SMLALxy/SMLAxy pick the half (no load per weight)',
  lane2: 'two 8-bit pixels packed in bit lanes of one register (x0 + x1*2^23), one SMLAL per two MACs in the interior',
  lane2w: 'two output channels\' 8-bit weights packed in bit lanes of one word (w0 + w1*2^23), one SMLAL per two MACs everywhere',
  dwpair: 'q15 depthwise: the interior loads inputs and weights as aligned words of two, SMLALxy/SMLAxy pick the halves',
};
