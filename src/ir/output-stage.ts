/**
 * Output stages and seeds as IR nodes, from the accumulator plan (accumulator.ts decides; these nodes say it):
 * the spec's Q stage, TFLite's requantization with per-channel quantities as constants or tables, the bias seed.
 */
import type { KernelModel } from '../ops/conv_2d/spec/index.ts';
import type { AccumulatorPlan } from '../codegen/accumulator.ts';
import { cArrayRows, cInt } from '../codegen/clit.ts';
import type { CScalar, OutputStage, PerChannel } from './kernel-ir.ts';
import { dspRound } from './requantize-dsp.ts';

/**
 * The narrowest C type of a per-channel table that holds every value: uint8_t when all lie in 0..255 (shifts; unless
 * `unsigned` is false: vector widening loads are signed), else
 * int8_t, int16_t or int32_t (int64_t only for values beyond int32). Indexed loads of any of them cost the same
 * instruction (LDRB/LDRSB/LDRSH/LDR), so the narrowest is free flash. Tables read by vector loads keep their lane type.
 */
export function narrowestType(values: ArrayLike<number | bigint>, unsigned = true): CScalar {
  let lo = 0n;
  let hi = 0n;
  for (let i = 0; i < values.length; i++) {
    const v = BigInt(values[i]);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (unsigned && lo >= 0n && hi <= 255n) return 'uint8_t';
  for (const [t, bits] of [['int8_t', 7n], ['int16_t', 15n], ['int32_t', 31n]] as const)
    if (lo >= -(1n << bits) && hi < 1n << bits) return t;
  return 'int64_t';
}

/**
 * One per-channel quantity (a multiplier, a shift, a seed) as the kernels store it, the rule every family's scalar
 * tables follow: a baked constant when every channel shares it (per-tensor quantization), else a static const table
 * of the narrowest type that holds its values.
 */
export function channelQuantity(values: number[], table: string, perLine = 8): PerChannel {
  return values.every((v) => v === values[0]) ? { k: 'const', value: values[0] }
    : { k: 'table', table, cType: narrowestType(values), lines: cArrayRows(values, perLine) };
}

/** A seed table's initializer rows: int32 literals, or int64 ones where a value needs them (narrowestType's table). */
export function seedLines(values: bigint[]): string[] {
  const t = narrowestType(values) === 'int64_t' ? 'int64_t' : 'int32_t';
  return cArrayRows(values.map((v) => cInt(v, t)), 8);
}

/** The common output stage `<name>_finish(acc[, o])`: the spec's Q stage, or TFLite's requantization for int8. */
export function commonStage(m: KernelModel, plan: AccumulatorPlan, fastSrdhm: boolean, shortRound = false, dsp = false,
  roundTable = false): Extract<OutputStage, { k: 'q' | 'requantize' }> {
  const nf = m.numeric;
  const st = nf.storage;
  const stage = plan.stage;
  const cType = st.cType as CScalar;
  if (nf.kind === 'q' && stage.kind !== 'requantize') {
    const doc = stage.kind === 'right'
      ? `${nf.rounding === 'nearest' ? 'add 2^' + (stage.shift - 1) + ', ' : ''}shift right ${stage.shift} (${nf.rounding}), saturate, clamp`
      : stage.kind === 'left' ? `shift left ${stage.shift}, saturating, clamp` : 'saturate, clamp';
    return { k: 'q', prefix: m.name, cType, accType: plan.accType, stage, doc };
  }
  if (nf.kind !== 'int8' || stage.kind !== 'requantize') throw new Error('commonStage: stage does not match the numeric kind');
  const multiplier = channelQuantity(stage.multiplier, `${m.name}_multiplier`);
  const left = channelQuantity(stage.left, `${m.name}_left_shift`);
  const right = channelQuantity(stage.right, `${m.name}_right_shift`);
  const shifts = nf.shift.every((v) => v === nf.shift[0]) ? `shift ${nf.shift[0]}` : 'shift per output channel';
  const mults = nf.multiplier.every((v) => v === nf.multiplier[0]) ? `multiplier ${nf.multiplier[0]}` : 'multiplier per output channel';
  const leftDoc = left.k === 'const' ? (left.value === 0 ? 'acc' : `acc * 2^${left.value}`) : 'acc * 2^left';
  const short = shortRound && plan.bound < 1n << 29n && !stage.saturate && stage.left.every((v) => v === 0) && stage.right.every((v) => v >= 1);
  const dspForm = short && dsp ? dspRound(plan) : null;
  return {
    k: 'requantize', prefix: m.name, NAME: m.name.toUpperCase(), cType, accType: plan.accType, fastSrdhm,
    ...(short ? { shortRound: true } : {}),
    ...(dspForm ? { dsp: { round: roundTable || dspForm.rounds.every((r) => r === dspForm.rounds[0]) ? channelQuantity(dspForm.rounds, `${m.name}_round`)
      : { k: 'from-shift', odd: 2 * stage.outputOffset + 1 }, ssat: dspForm.ssat } } : {}),
    doc: `SRDHM(${leftDoc}${stage.saturate ? ' saturated to int32' : ''}, ${mults}), rounding divide by ` +
      `2^${right.k === 'const' ? right.value : 'right'} (${shifts}), + output offset ${nf.outputOffset}, clamp to [${stage.lo}, ${stage.hi}]`,
    multiplier, left, right, saturate: stage.saturate,
    // Clamp before adding the offset: v + offset stays exact in int32 for every v.
    preLo: stage.lo - nf.outputOffset, preHi: stage.hi - nf.outputOffset, lo: stage.lo, hi: stage.hi,
  };
}

/** Whether the common stage takes the output channel (per-channel requantization tables). */
export const stageTakesChannel = (s: OutputStage): boolean =>
  s.k === 'requantize' && [s.multiplier, s.left, s.right, ...(s.dsp ? [s.dsp.round] : [])].some((p) => p.k === 'table');

/** `<name>_seed(o)`: the bias aligned to the product's fraction bits, or 0. */
export function biasSeed(m: KernelModel, plan: AccumulatorPlan): OutputStage {
  return {
    k: 'bias-seed', prefix: m.name, accType: plan.accType,
    bias: m.bias ? { scaled: m.numeric.biasShift > 0, scale: plan.biasScale } : null,
  };
}
