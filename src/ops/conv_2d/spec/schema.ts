/**
 * The kernel spec as written by a user (JSON or a statically read *.kernel.ts), checked for shape and types only.
 * Relations between fields (groups divide channels, the kernel fits, fraction bits in range) are checked in model.ts.
 */
import { z } from 'zod';

const positiveInt = z.number().int().min(1);
const nonNegativeInt = z.number().int().min(0);
const pair = z.union([positiveInt, z.tuple([positiveInt, positiveInt])]);
const integer = z.union([z.number().int(), z.bigint()]);

const seed = z.number().int().min(0).max(0xffffffff);
const sourceForms = {
  npy: { npy: z.string().min(1) },
  values: { values: z.array(z.unknown()) },
  random: { random: z.strictObject({ seed }) },
};
const tensorSource = z.union([
  z.strictObject(sourceForms.npy),
  z.strictObject(sourceForms.values),
  z.strictObject(sourceForms.random),
]);
const weightLayout = { layout: z.enum(['oihw', 'ohwi']).default('oihw') };
const weightSource = z.union([
  z.strictObject({ ...sourceForms.npy, ...weightLayout }),
  z.strictObject({ ...sourceForms.values, ...weightLayout }),
  z.strictObject({ ...sourceForms.random, ...weightLayout }),
]);

export const qTypeNames = ['q7', 'q15', 'q31'] as const;

/** A fraction-bit count, or "auto": convgen chooses it (./quantize.ts states the rules). */
const fracOrAuto = z.union([nonNegativeInt, z.literal('auto')]);

/**
 * Q formats. inputFrac may be left out when inputRange (real units) is given: the most fraction bits whose range
 * covers it. With weightFrac "auto" the weights and bias hold real numbers; whether inputFrac or inputRange is
 * present, and lo < hi, are checked in model.ts.
 */
const qNumeric = z.strictObject({
  type: z.enum(qTypeNames),
  inputFrac: nonNegativeInt.optional(),
  inputRange: z.tuple([z.number(), z.number()]).optional(),
  weightFrac: fracOrAuto,
  outputFrac: fracOrAuto,
  biasFrac: fracOrAuto.optional(),
  rounding: z.enum(['nearest', 'floor']).default('nearest'),
});

/** int8 (TFLite): ranges, forms and per-channel lengths are checked in int8.ts with the channel count at hand. */
const perChannelNumber = z.union([z.number(), z.array(z.number()).min(1)]);
const int8Numeric = z.strictObject({
  type: z.literal('int8'),
  inputOffset: z.number().int().optional(),
  outputOffset: z.number().int().optional(),
  multiplier: perChannelNumber.optional(),
  shift: perChannelNumber.optional(),
  inputScale: z.number().optional(),
  inputZeroPoint: z.number().int().optional(),
  weightScales: perChannelNumber.optional(),
  outputScale: z.number().optional(),
  outputZeroPoint: z.number().int().optional(),
  activationMin: z.number().int().default(-128),
  activationMax: z.number().int().default(127),
});

/** One member per numeric kind, told apart by `type`. */
const numeric = z.discriminatedUnion('type', [qNumeric, int8Numeric]);

/** "same" / "valid" in any case: TensorFlow and Keras write "SAME" / "VALID". */
function paddingWord<W extends string>(word: W) {
  return z.string().refine((v) => v.toLowerCase() === word).transform(() => word);
}

export const specSchema = z.strictObject({
  name: z.string(),
  layout: z.enum(['chw', 'hwc']).default('chw'),
  input: z.strictObject({ channels: positiveInt, height: positiveInt, width: positiveInt }),
  output: z.strictObject({ channels: positiveInt }),
  kernel: pair,
  stride: pair.default(1),
  padding: z
    .union([
      nonNegativeInt,
      z.tuple([nonNegativeInt, nonNegativeInt]),
      z.tuple([nonNegativeInt, nonNegativeInt, nonNegativeInt, nonNegativeInt]),
      paddingWord('valid'),
      paddingWord('same'),
    ])
    .default(0),
  dilation: pair.default(1),
  groups: positiveInt.default(1),
  activation: z
    .union([z.enum(['none', 'relu', 'relu6']), z.strictObject({ clamp: z.tuple([integer, integer]) })])
    .default('none'),
  numeric,
  weights: weightSource,
  bias: tensorSource.optional(),
});

export type RawSpec = z.output<typeof specSchema>;
export type TensorSource = z.output<typeof tensorSource>;
export type WeightSource = z.output<typeof weightSource>;
