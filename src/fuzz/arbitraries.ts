/**
 * fast-check generators over the spec space: every Q numeric type, rounding, activation, layout, padding form
 * (asymmetric, and "same" with stride), stride 1–4, dilation 1–3, groups and depthwise multipliers, 1×1 to 7×7 and
 * non-square kernels, channel counts around the vector widths (13–20 per group, so MVE/NEON/SIMD kernels meet
 * their tails), TFLite's int8 type (offsets, per-channel or per-tensor multipliers, shifts from -31 to 30,
 * activation ranges), tiny and odd shapes (1×1 inputs bigger-than-input kernels made legal by padding, outputs of
 * width 1), and weights and biases at the extremes of their type (the ones that push the accumulator to 64 bits).
 * Specs are plain values, as a user would write them; every generated spec is valid.
 *
 * Strata: a run draws its specs round-robin over every (numeric type × layout × kernel class × what decides the
 * optimized family) stratum, in a seeded order per round, so a rare corner (q31 1×1 CHW, which the unstratified
 * generator reached once in ~2,400 specs) comes every 192 specs. The family is chosen per target by
 * src/families/index.ts from the accumulator width (vector lanes are int32 in places), the stride and output
 * width along W, the output channels per group and the groups: the `acc` and `shape` steers set those.
 */
import fc from 'fast-check';
import { storageTypes } from '../numerics/qformat.ts';

export const fuzzTypes = ['q7', 'q15', 'q31', 'int8'] as const;
export type FuzzType = (typeof fuzzTypes)[number];

export const kernelClasses = ['1x1', 'depthwise', 'general'] as const;
/**
 * Padding forms: a number, [h, w], [top, left, bottom, right], "valid", "same", and "after" (bottom and right only,
 * as TensorFlow's "same" pads an even kernel at stride 1: the lines' left edge unpadded and the right padded).
 */
export const padKinds = ['number', 'pair', 'quad', 'valid', 'same', 'after'] as const;
export type PadKind = (typeof padKinds)[number];
export type KernelClass = (typeof kernelClasses)[number];
/** int32: weights and bias small enough for a 32-bit accumulator (not reachable by q31); int64: extreme bias. */
export const accSteers = ['int32', 'int64'] as const;
/**
 * vector: one group, stride 1–2 and at least 4 outputs along W (MVE's lanes), or 8 and at least 4 output channels
 * (NEON's: what the vector families need); scalar: stride 3–4 along W (what none of them takes); grouped: several
 * groups, or for depthwise a channel multiplier of 2 or more; large: kernels of 9x9 to 11x11 with "same" padding
 * (past maxKernel: where unrolled code outgrows the 4 KiB budget and the loops family takes over), 1x1 with 13–20
 * input channels.
 */
export const shapeSteers = ['vector', 'scalar', 'grouped', 'large'] as const;

export interface Stratum {
  type: FuzzType;
  layout: 'chw' | 'hwc';
  kernelClass: KernelClass;
  acc: (typeof accSteers)[number];
  shape: (typeof shapeSteers)[number];
  /** Not a stratum dimension: rotated over rounds, so that each stratum meets every form in 6 rounds. */
  padKind?: PadKind;
}

/** Every stratum over `types`: 4 types × 2 layouts × 3 kernel classes × 2 × 4 steers = 192 by default. */
export function allStrata(types: readonly FuzzType[] = fuzzTypes): Stratum[] {
  const out: Stratum[] = [];
  for (const type of types)
    for (const layout of ['chw', 'hwc'] as const)
      for (const kernelClass of kernelClasses)
        for (const acc of accSteers) for (const shape of shapeSteers) out.push({ type, layout, kernelClass, acc, shape });
  return out;
}

/** The stratum of spec `index` in the stream of `seed`: round-robin, each round in its own seeded order. */
export function stratumOf(index: number, seed: number, types: readonly FuzzType[] = fuzzTypes): Stratum {
  const list = allStrata(types);
  const round = Math.floor(index / list.length);
  const order = list.map((_, i) => i);
  let state = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(round + 1, 0xc2b2ae35)) >>> 0;
  for (let i = order.length - 1; i > 0; i--) {
    state = (Math.imul(state ^ (state >>> 16), 0x45d9f3b) + 0x6d2b79f5) >>> 0;
    const j = state % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const which = order[index % list.length];
  return { ...list[which], padKind: padKinds[(which + round) % padKinds.length] };
}

export interface SpecOptions {
  /** Channels per group, 1…maxChannels (default 4). */
  maxChannels?: number;
  /** Input height and width are 1…maxSize+1 before the kernel's span is accounted for (default 9). */
  maxSize?: number;
  /** Kernel height and width 1…maxKernel (default 7). */
  maxKernel?: number;
  /** Stride 1…maxStride (default 4). */
  maxStride?: number;
  /** Dilation 1…maxDilation (default 3). */
  maxDilation?: number;
  /** Groups 1…maxGroups (default 3). */
  maxGroups?: number;
  types?: readonly FuzzType[];
  /** Draw inside this stratum only (type, layout, kernel class and the family steers fixed). */
  stratum?: Stratum;
}

/** One TFLite int8 numeric record: typical scales mostly, the extremes of every field sometimes. */
function int8Numeric(outC: number, seed: number, perChannel: boolean, extreme: boolean): Record<string, unknown> {
  const pick = (i: number, n: number) => Math.abs((Math.imul(i + 1, 2654435761) ^ seed) % n);
  const multiplier = (i: number) =>
    extreme ? [0, 1, 2 ** 30, 2 ** 31 - 1][pick(i, 4)] : 2 ** 30 + pick(i, 2 ** 30 - 1);
  // Typical layers scale down by 2^-6…2^-12; the extremes include the largest left shift and the -31 floor.
  const shift = (i: number) => (extreme ? [-31, -1, 0, 1, 30][pick(i + 7, 5)] : -(6 + pick(i + 7, 7)));
  const lo = -128 + pick(3, 60);
  const hi = Math.max(lo, 127 - pick(5, 60));
  return {
    type: 'int8',
    inputOffset: -127 + pick(11, 256),
    outputOffset: -128 + pick(13, 256),
    multiplier: perChannel ? Array.from({ length: outC }, (_, o) => multiplier(o)) : multiplier(0),
    shift: perChannel ? Array.from({ length: outC }, (_, o) => shift(o)) : shift(0),
    activationMin: lo,
    activationMax: hi,
  };
}

const INT32_MAX = 2 ** 31 - 1;

/** 1 with probability 1/2, else uniform over 1…max; shrinks to 1. */
const oneMostly = (max: number) => fc.oneof(fc.constant(1), fc.integer({ min: 1, max }));

export function specArbitrary(opts: SpecOptions = {}): fc.Arbitrary<Record<string, unknown>> {
  const maxC = opts.maxChannels ?? 4;
  const maxSize = opts.maxSize ?? 9;
  const maxK = opts.maxKernel ?? 7;
  return fc
    .record({
      type: fc.constantFrom(...(opts.types ?? fuzzTypes)),
      layout: fc.constantFrom('chw', 'hwc'),
      groups: fc.integer({ min: 1, max: opts.maxGroups ?? 3 }),
      inPerGroup: fc.integer({ min: 1, max: maxC }),
      // Shrinks toward 0, i.e. toward the narrow case.
      wide: fc.integer({ min: 0, max: 5 }).map((n) => (n === 5 ? 12 : 0)),
      wideExtra: fc.integer({ min: 1, max: 8 }),
      // Set by a stratum only: outputs along W at least this many; weights kept within a 32-bit accumulator.
      minOutW: fc.constant(0),
      // The vector shape's outputs along W: at least MVE's 4 lanes (and its tails) or NEON's 8.
      vectorOutW: fc.constantFrom(4, 8),
      acc32: fc.constant(false),
      int8PerChannel: fc.boolean(),
      int8Extreme: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
      outPerGroup: fc.integer({ min: 1, max: maxC }),
      depthwise: fc.boolean(),
      kH: fc.integer({ min: 1, max: maxK }),
      kW: fc.integer({ min: 1, max: maxK }),
      // Stride and dilation 1 half the time (most layers), the rest spread over 1…max.
      sH: oneMostly(opts.maxStride ?? 4),
      sW: oneMostly(opts.maxStride ?? 4),
      dH: oneMostly(opts.maxDilation ?? 3),
      dW: oneMostly(opts.maxDilation ?? 3),
      padKind: fc.constantFrom<PadKind>(...padKinds),
      pads: fc.tuple(fc.nat(3), fc.nat(3), fc.nat(3), fc.nat(3)),
      inH: fc.integer({ min: 1, max: maxSize + 1 }),
      inW: fc.integer({ min: 1, max: maxSize + 1 }),
      rounding: fc.constantFrom('nearest', 'floor'),
      activation: fc.constantFrom<unknown>('none', 'relu', 'relu6', 'clamp'),
      fracSeed: fc.tuple(fc.nat(1000), fc.nat(1000), fc.nat(1000), fc.nat(1000)),
      weightKind: fc.constantFrom('random', 'max', 'min', 'alternating', 'mixed'),
      biasKind: fc.constantFrom('none', 'values', 'extreme'),
      seed: fc.nat(1 << 30),
    })
    .map((drawn) => (opts.stratum ? inStratum(drawn, opts.stratum, maxK) : drawn))
    .map((r) => {
      const st = storageTypes[r.type];
      // One spec in six gets 13–20 input channels per group (one group, a kernel of at most 3x3 to stay small).
      const wide = r.wide > 0 && !r.depthwise;
      const groups = wide ? 1 : r.depthwise ? r.inPerGroup * r.groups : r.groups;
      const inPerGroup = wide ? r.wide + r.wideExtra : r.depthwise ? 1 : r.inPerGroup;
      const kH = wide ? Math.min(r.kH, 3) : r.kH;
      const kW = wide ? Math.min(r.kW, 3) : r.kW;
      const inC = groups * inPerGroup;
      const outC = groups * r.outPerGroup;
      const spanH = (kH - 1) * r.dH + 1;
      const spanW = (kW - 1) * r.dW + 1;
      // 'valid' needs the input to cover the kernel's span; the explicit forms get the missing rows as padding.
      const height = r.padKind === 'valid' ? Math.max(r.inH, spanH) : r.inH;
      // The vector shape: at least 8 outputs along W whatever the padding (their lanes, and their tails).
      const minW = r.minOutW > 1 ? (r.minOutW - 1) * r.sW + spanW : 0;
      const width = Math.max(r.padKind === 'valid' ? Math.max(r.inW, spanW) : r.inW, minW);
      const needH = Math.max(0, spanH - height);
      const needW = Math.max(0, spanW - width);
      let padding: unknown;
      if (r.padKind === 'number') padding = Math.max(r.pads[0], Math.ceil(needH / 2), Math.ceil(needW / 2));
      else if (r.padKind === 'pair') padding = [Math.max(r.pads[0], Math.ceil(needH / 2)), Math.max(r.pads[1], Math.ceil(needW / 2))];
      else if (r.padKind === 'quad') {
        const [t, l, b, rr] = r.pads;
        padding = [t, l, Math.max(b, needH - t), Math.max(rr, needW - l)];
      } else if (r.padKind === 'after') padding = [0, 0, Math.max(1 + (r.pads[2] % 3), needH), Math.max(1 + (r.pads[3] % 3), needW)];
      else padding = r.padKind;
      const bits = st.bits;
      const inputFrac = r.fracSeed[0] % bits;
      const weightFrac = r.fracSeed[1] % bits;
      const outputFrac = r.fracSeed[2] % bits;
      const biasFrac = inputFrac + weightFrac - (r.fracSeed[3] % (Math.min(inputFrac + weightFrac, 8) + 1));
      const biasShift = inputFrac + weightFrac - biasFrac;
      const taps = inPerGroup * kH * kW;
      const count = outC * taps;
      // q31: weights as large as a 64-bit accumulator allows (the bound Σ|w|·2^31 + |bias|·2^shift stays below 2^62);
      // steered to int32 (q15): small enough that Σ|w|·2^15 stays below 2^30.
      const small = r.acc32 && r.type === 'q15';
      const wMax = r.type === 'q31' ? Math.floor(2 ** 31 / taps) - 1 : small ? Math.max(1, Math.floor(2 ** 15 / taps) - 1) : st.max;
      const wMin = r.type === 'q31' || small ? -wMax : st.min;
      const weights =
        r.weightKind === 'random' && r.type !== 'q31' && !small
          ? { random: { seed: r.seed } }
          : {
              values: Array.from({ length: count }, (_, i) =>
                r.weightKind === 'max' ? wMax : r.weightKind === 'min' ? wMin : r.weightKind === 'alternating' ? (i % 2 ? wMax : wMin)
                  : Math.round(((((i + 1) * 2654435761 + r.seed) % 2001) / 1000 - 1) * wMax)),
            };
      // Bias: int32 for q7/q15 (its extremes force a 64-bit accumulator once shifted), small enough for q31.
      const biasMax = r.type === 'q31' ? Math.floor(2 ** 52 / 2 ** biasShift) : INT32_MAX;
      const bias =
        r.biasKind === 'none'
          ? undefined
          : r.biasKind === 'extreme'
            ? { values: Array.from({ length: outC }, (_, o) => (o % 2 === (r.seed & 1) ? biasMax : -biasMax - (r.type === 'q31' ? 0 : 1))) }
            : { values: Array.from({ length: outC }, (_, o) => ((o * 7919 + r.seed) % (2 * 2 ** (bits - 1))) - 2 ** (bits - 1)) };
      const lo = st.min + (r.seed % 50);
      const int8 = r.type === 'int8';
      // int8 names its clamp in the numeric record (activationMin/Max); relu6 needs scales there, so none here.
      const activation = int8 ? 'none' : r.activation === 'clamp' ? { clamp: [lo, Math.min(st.max, lo + 1 + (r.seed % 1000))] } : r.activation;
      const numeric = int8
        ? int8Numeric(outC, r.seed, r.int8PerChannel, r.int8Extreme)
        : { type: r.type, inputFrac, weightFrac, outputFrac, biasFrac, rounding: r.rounding };
      return {
        name: 'fuzz',
        layout: r.layout,
        input: { channels: inC, height, width },
        output: { channels: outC },
        kernel: [kH, kW],
        stride: [r.sH, r.sW],
        dilation: [r.dH, r.dW],
        padding,
        groups,
        activation,
        numeric,
        weights: int8 ? { ...weights, layout: r.layout === 'hwc' ? 'ohwi' : 'oihw' } : weights,
        ...(bias ? { bias } : {}),
      };
    });
}

type Drawn = {
  type: FuzzType; layout: string; groups: number; inPerGroup: number; wide: number; outPerGroup: number; depthwise: boolean;
  kH: number; kW: number; sW: number; dH: number; dW: number; padKind: PadKind; inH: number; inW: number; minOutW: number; vectorOutW: number; acc32: boolean; biasKind: string; weightKind: string;
};

/** A drawn record moved into `s`: each field forced only as far as the stratum needs, so shrinking stays in it. */
function inStratum<R extends Drawn>(r: R, s: Stratum, maxK: number): R {
  const out = { ...r, type: s.type, layout: s.layout };
  out.depthwise = s.kernelClass === 'depthwise';
  // Depthwise means at least two channels (one is a plain convolution).
  if (out.depthwise && r.inPerGroup * r.groups < 2) out.groups = 2;
  if (s.kernelClass === '1x1') [out.kH, out.kW] = [1, 1];
  if (s.kernelClass === 'general' && r.kH * r.kW === 1) out.kW = Math.min(2, maxK);
  if (s.padKind) out.padKind = s.padKind;
  if (s.shape === 'vector') {
    // Stride and dilation 1 or 2 along W: the vector families' lanes and their strided loads.
    [out.sW, out.dW] = [1 + ((r.sW - 1) % 2), 1 + ((r.dW - 1) % 2)];
    out.minOutW = r.vectorOutW;
    // NEON's 8 lanes with 4+ output channels (neon-hwc's dense form); MVE's 4 with any (its 1-3 channel blocks).
    if (!out.depthwise) [out.groups, out.outPerGroup] = [1, r.vectorOutW === 8 ? Math.max(4, r.outPerGroup) : r.outPerGroup];
  } else if (s.shape === 'scalar') {
    out.sW = 3 + ((r.sW - 1) % 2);
    if (!out.depthwise) out.groups = 1;
  } else if (s.shape === 'large') {
    // 9x9 to 11x11, "same", stride 1 along W and an input a little wider than the kernel: many border functions of
    // long unrolled rows (1x1: 13–20 input channels).
    if (s.kernelClass === '1x1') [out.groups, out.wide] = [1, 12];
    else {
      [out.kH, out.kW, out.sW, out.dH, out.dW, out.padKind] = [9 + (r.kH % 3), 9 + (r.kW % 3), 1, 1, 1, 'same'];
      [out.inH, out.inW] = [out.kH + (r.inH % 4), out.kW + (r.inW % 4)];
      if (!out.depthwise) [out.groups, out.wide] = [1, 0];
    }
  } else if (out.depthwise) out.outPerGroup = Math.max(2, r.outPerGroup);
  // Grouped, not depthwise: two or more input channels per group.
  else [out.groups, out.wide, out.inPerGroup] = [Math.max(2, r.groups), 0, Math.max(2, r.inPerGroup)];
  if (s.acc === 'int64') out.biasKind = 'extreme';
  else {
    out.acc32 = true;
    if (r.biasKind === 'extreme') out.biasKind = 'values';
  }
  return out;
}
