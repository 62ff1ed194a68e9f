/**
 * fast-check generators over int8 (TFLite) specs: per-tensor and per-channel multipliers, positive and negative
 * shifts (down to −31 and up to 30, so acc · 2^left saturates in some), "fine" scales that expose SRDHM's rounding, input offsets across −127…128 with padding,
 * both weight layouts, depthwise with a channel multiplier, activation clamps, int32 biases up to the extremes
 * (64-bit accumulators), and the scales form. Specs are plain values, as a user would write them.
 */
import fc from 'fast-check';

export interface Int8SpecOptions {
  maxChannels?: number;
  maxSize?: number;
}

const INT32_MAX = 2 ** 31 - 1;

/** Multipliers: mostly normalized (TFLite's ≥ 2^30), plus the edges of the accepted range. */
const multiplierArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 2 ** 30, max: INT32_MAX }) },
  { weight: 1, arbitrary: fc.constantFrom(0, 1, 2 ** 30, INT32_MAX, 2 ** 30 + 1) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: INT32_MAX }) },
);

/** Shifts: mostly the useful range for a conv (outputs spread over int8), sometimes the extremes. */
const shiftArb = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: -14, max: 0 }) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 30 }) },
  { weight: 1, arbitrary: fc.constantFrom(-31, -30, 30, 0) },
  { weight: 1, arbitrary: fc.integer({ min: -31, max: 30 }) },
);

/**
 * "fine" scales: small (unnormalized) multipliers with right shifts of 0…3, so that an off-by-one in SRDHM's
 * rounding is not divided away by a large rounding divide and shows in the outputs.
 */
const fineMultiplierArb = fc.integer({ min: 2 ** 16, max: 2 ** 25 });
const fineShiftArb = fc.integer({ min: -3, max: 1 });

const offsetIn = fc.oneof(fc.constantFrom(128, -127, 0, 1, -1), fc.integer({ min: -127, max: 128 }));
const offsetOut = fc.oneof(fc.constantFrom(-128, 127, 0), fc.integer({ min: -128, max: 127 }));

export function int8SpecArbitrary(opts: Int8SpecOptions = {}): fc.Arbitrary<Record<string, unknown>> {
  const maxC = opts.maxChannels ?? 4;
  const maxSize = opts.maxSize ?? 8;
  return fc
    .record({
      layout: fc.constantFrom('hwc', 'chw'),
      weightLayout: fc.constantFrom('ohwi', 'oihw'),
      groups: fc.integer({ min: 1, max: 3 }),
      inPerGroup: fc.integer({ min: 1, max: maxC }),
      outPerGroup: fc.integer({ min: 1, max: maxC }),
      depthwise: fc.boolean(),
      kH: fc.integer({ min: 1, max: 4 }),
      kW: fc.integer({ min: 1, max: 4 }),
      sH: fc.integer({ min: 1, max: 3 }),
      sW: fc.integer({ min: 1, max: 3 }),
      dH: fc.integer({ min: 1, max: 2 }),
      dW: fc.integer({ min: 1, max: 2 }),
      padKind: fc.constantFrom('quad', 'quad', 'same', 'valid', 'number'),
      pads: fc.tuple(fc.nat(3), fc.nat(3), fc.nat(3), fc.nat(3)),
      extraH: fc.nat(maxSize),
      extraW: fc.nat(maxSize),
      form: fc.constantFrom('perTensor', 'perChannel', 'perChannel', 'scales'),
      regime: fc.constantFrom('normal', 'normal', 'fine'),
      multipliers: fc.array(multiplierArb, { minLength: 64, maxLength: 64 }),
      shifts: fc.array(shiftArb, { minLength: 64, maxLength: 64 }),
      fineMultipliers: fc.array(fineMultiplierArb, { minLength: 64, maxLength: 64 }),
      fineShifts: fc.array(fineShiftArb, { minLength: 64, maxLength: 64 }),
      inputOffset: offsetIn,
      outputOffset: offsetOut,
      act: fc.constantFrom('full', 'narrow', 'relu', 'clamp'),
      actA: fc.integer({ min: -128, max: 127 }),
      actB: fc.integer({ min: -128, max: 127 }),
      weightKind: fc.constantFrom('random', 'random', 'max', 'min', 'alternating'),
      biasKind: fc.constantFrom('none', 'small', 'small', 'extreme'),
      scales: fc.record({
        input: fc.double({ min: 1e-4, max: 0.5, noNaN: true }),
        output: fc.double({ min: 1e-3, max: 2, noNaN: true }),
        weights: fc.array(fc.double({ min: 1e-5, max: 0.05, noNaN: true }), { minLength: 64, maxLength: 64 }),
      }),
      seed: fc.nat(1 << 30),
    })
    .map((r) => {
      const groups = r.depthwise ? r.inPerGroup * r.groups : r.groups;
      const inPerGroup = r.depthwise ? 1 : r.inPerGroup;
      const inC = groups * inPerGroup;
      const outC = groups * r.outPerGroup;
      const spanH = (r.kH - 1) * r.dH + 1;
      const spanW = (r.kW - 1) * r.dW + 1;
      const height = spanH + (r.extraH % 6);
      const width = spanW + (r.extraW % 6);
      const padding = r.padKind === 'number' ? r.pads[0] : r.padKind === 'quad' ? [...r.pads] : r.padKind;
      const count = outC * inPerGroup * r.kH * r.kW;
      const weights =
        r.weightKind === 'random'
          ? { random: { seed: r.seed }, layout: r.weightLayout }
          : {
              values: Array.from({ length: count }, (_, i) =>
                r.weightKind === 'max' ? 127 : r.weightKind === 'min' ? -128 : i % 2 ? 127 : -128),
              layout: r.weightLayout,
            };
      const biasMax = r.biasKind === 'extreme' ? INT32_MAX : 40000;
      const bias =
        r.biasKind === 'none'
          ? undefined
          : {
              values: Array.from({ length: outC }, (_, o) =>
                r.biasKind === 'extreme' && o % 3 === 0 ? (o % 2 ? -(2 ** 31) : INT32_MAX)
                  : ((o * 7919 + r.seed) % (2 * biasMax)) - biasMax),
            };
      const [lo, hi] = r.actA <= r.actB ? [r.actA, r.actB] : [r.actB, r.actA];
      const clampRange = r.act === 'narrow' ? { activationMin: lo, activationMax: hi } : {};
      const multipliers = r.regime === 'fine' ? r.fineMultipliers : r.multipliers;
      const shifts = r.regime === 'fine' ? r.fineShifts : r.shifts;
      const numeric: Record<string, unknown> =
        r.form === 'scales'
          ? {
              type: 'int8',
              inputScale: r.scales.input,
              inputZeroPoint: -Math.min(127, r.inputOffset),
              weightScales: r.scales.weights.slice(0, outC),
              outputScale: r.scales.output,
              outputZeroPoint: r.outputOffset,
              ...clampRange,
            }
          : {
              type: 'int8',
              inputOffset: r.inputOffset,
              outputOffset: r.outputOffset,
              multiplier: r.form === 'perTensor' ? multipliers[0] : multipliers.slice(0, outC),
              shift: r.form === 'perTensor' ? shifts[0] : shifts.slice(0, outC),
              ...clampRange,
            };
      const activation = r.act === 'relu' ? 'relu' : r.act === 'clamp' ? { clamp: [lo, hi] } : 'none';
      return {
        name: 'fuzz8',
        layout: r.layout,
        input: { channels: inC, height, width },
        output: { channels: outC },
        kernel: [r.kH, r.kW],
        stride: [r.sH, r.sW],
        dilation: [r.dH, r.dW],
        padding,
        groups,
        activation,
        numeric,
        weights,
        ...(bias ? { bias } : {}),
      };
    });
}
