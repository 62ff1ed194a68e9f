/**
 * fast-check generators over the spec space: every numeric type, rounding, activation, layout, padding form
 * (asymmetric and "same" with stride), stride, dilation, groups and depthwise multipliers, odd and tiny shapes,
 * and weights at the extremes of their type. Specs are plain values, as a user would write them.
 */
import fc from 'fast-check';
import { storageTypes } from '../src/spec/numeric.ts';

const types = ['q7', 'q15', 'q31'] as const;

export interface SpecOptions {
  maxChannels?: number;
  maxSize?: number;
}

export function specArbitrary(opts: SpecOptions = {}): fc.Arbitrary<Record<string, unknown>> {
  const maxC = opts.maxChannels ?? 4;
  const maxSize = opts.maxSize ?? 9;
  return fc
    .record({
      type: fc.constantFrom(...types),
      layout: fc.constantFrom('chw', 'hwc'),
      groups: fc.integer({ min: 1, max: 3 }),
      inPerGroup: fc.integer({ min: 1, max: maxC }),
      outPerGroup: fc.integer({ min: 1, max: maxC }),
      depthwise: fc.boolean(),
      kH: fc.integer({ min: 1, max: 5 }),
      kW: fc.integer({ min: 1, max: 5 }),
      sH: fc.integer({ min: 1, max: 3 }),
      sW: fc.integer({ min: 1, max: 3 }),
      dH: fc.integer({ min: 1, max: 3 }),
      dW: fc.integer({ min: 1, max: 3 }),
      padKind: fc.constantFrom('number', 'pair', 'quad', 'valid', 'same'),
      pads: fc.tuple(fc.nat(3), fc.nat(3), fc.nat(3), fc.nat(3)),
      extraH: fc.nat(maxSize),
      extraW: fc.nat(maxSize),
      rounding: fc.constantFrom('nearest', 'floor'),
      activation: fc.constantFrom<unknown>('none', 'relu', 'relu6', 'clamp'),
      fracSeed: fc.tuple(fc.nat(1000), fc.nat(1000), fc.nat(1000), fc.nat(1000)),
      weightKind: fc.constantFrom('random', 'max', 'min', 'alternating'),
      hasBias: fc.boolean(),
      seed: fc.nat(1 << 30),
    })
    .map((r) => {
      const st = storageTypes[r.type];
      const groups = r.depthwise ? r.inPerGroup * r.groups : r.groups;
      const inPerGroup = r.depthwise ? 1 : r.inPerGroup;
      const inC = groups * inPerGroup;
      const outC = groups * r.outPerGroup;
      const spanH = (r.kH - 1) * r.dH + 1;
      const spanW = (r.kW - 1) * r.dW + 1;
      // The input always covers the kernel's span, so every padding form yields at least one output.
      const height = Math.max(1, spanH - (r.padKind === 'valid' ? 0 : 0)) + r.extraH % 6;
      const width = Math.max(1, spanW) + r.extraW % 6;
      const padding =
        r.padKind === 'number' ? r.pads[0] : r.padKind === 'pair' ? [r.pads[0], r.pads[1]] : r.padKind === 'quad' ? [...r.pads] : r.padKind;
      const bits = st.bits;
      const inputFrac = r.fracSeed[0] % bits;
      const weightFrac = r.fracSeed[1] % bits;
      const outputFrac = r.fracSeed[2] % bits;
      const biasFrac = (inputFrac + weightFrac) - (r.fracSeed[3] % (Math.min(inputFrac + weightFrac, 8) + 1));
      const count = outC * inPerGroup * r.kH * r.kW;
      // q31 weights stay small enough that the proved bound fits a 64-bit accumulator.
      const wMax = r.type === 'q31' ? Math.floor(2 ** 61 / (2 ** 31 * inPerGroup * r.kH * r.kW)) - 1 : st.max;
      const wMin = r.type === 'q31' ? -wMax : st.min;
      const weights =
        r.weightKind === 'random' && r.type !== 'q31'
          ? { random: { seed: r.seed } }
          : {
              values: Array.from({ length: count }, (_, i) =>
                r.weightKind === 'max' ? wMax : r.weightKind === 'min' ? wMin : r.weightKind === 'alternating' ? (i % 2 ? wMax : wMin)
                  : Math.round(((((i + 1) * 2654435761 + r.seed) % 2001) / 1000 - 1) * wMax)),
            };
      const biasMax = r.type === 'q31' ? 2 ** 20 : 2 ** (bits - 1) - 1;
      const bias = r.hasBias
        ? { values: Array.from({ length: outC }, (_, o) => ((o * 7919 + r.seed) % (2 * biasMax)) - biasMax) }
        : undefined;
      const lo = st.min + (r.seed % 50);
      const activation = r.activation === 'clamp' ? { clamp: [lo, Math.min(st.max, lo + 1 + (r.seed % 1000))] } : r.activation;
      return {
        name: 'fuzz',
        layout: r.layout,
        input: { channels: inC, height, width },
        output: { channels: outC },
        kernel: [r.kH, r.kW],
        stride: [r.sH, r.sW],
        dilation: [r.dH, r.dW],
        padding,
        groups,
        activation,
        numeric: { type: r.type, inputFrac, weightFrac, outputFrac, biasFrac, rounding: r.rounding },
        weights,
        ...(bias ? { bias } : {}),
      };
    });
}
