/**
 * Output stages and seeds as IR nodes, from the accumulator plan (accumulator.ts decides; these nodes say it):
 * the spec's Q stage, TFLite's requantization with per-channel quantities as constants or tables, the bias seed.
 */
import type { KernelModel } from '../ops/conv_2d/spec/index.ts';
import type { AccumulatorPlan } from '../codegen/accumulator.ts';
import { cArrayRows } from '../codegen/clit.ts';
import type { CScalar, OutputStage, PerChannel } from './kernel-ir.ts';

/** The common output stage `<name>_finish(acc[, o])`: the spec's Q stage, or TFLite's requantization for int8. */
export function commonStage(m: KernelModel, plan: AccumulatorPlan, fastSrdhm: boolean): Extract<OutputStage, { k: 'q' | 'requantize' }> {
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
  // Each per-channel quantity is a baked constant when every channel shares it, a static const table otherwise.
  const perChannel = (values: number[], name: string, tType: CScalar): PerChannel =>
    values.every((v) => v === values[0]) ? { k: 'const', value: values[0] } : { k: 'table', table: `${m.name}_${name}`, cType: tType, lines: cArrayRows(values, 8) };
  const multiplier = perChannel(stage.multiplier, 'multiplier', 'int32_t');
  const left = perChannel(stage.left, 'left_shift', 'uint8_t');
  const right = perChannel(stage.right, 'right_shift', 'uint8_t');
  const shifts = nf.shift.every((v) => v === nf.shift[0]) ? `shift ${nf.shift[0]}` : 'shift per output channel';
  const mults = nf.multiplier.every((v) => v === nf.multiplier[0]) ? `multiplier ${nf.multiplier[0]}` : 'multiplier per output channel';
  const leftDoc = left.k === 'const' ? (left.value === 0 ? 'acc' : `acc * 2^${left.value}`) : 'acc * 2^left';
  return {
    k: 'requantize', prefix: m.name, NAME: m.name.toUpperCase(), cType, accType: plan.accType, fastSrdhm,
    doc: `SRDHM(${leftDoc}${stage.saturate ? ' saturated to int32' : ''}, ${mults}), rounding divide by ` +
      `2^${right.k === 'const' ? right.value : 'right'} (${shifts}), + output offset ${nf.outputOffset}, clamp to [${stage.lo}, ${stage.hi}]`,
    multiplier, left, right, saturate: stage.saturate,
    // Clamp before adding the offset: v + offset stays exact in int32 for every v.
    preLo: stage.lo - nf.outputOffset, preHi: stage.hi - nf.outputOffset, lo: stage.lo, hi: stage.hi,
  };
}

/** Whether the common stage takes the output channel (per-channel requantization tables). */
export const stageTakesChannel = (s: OutputStage): boolean =>
  s.k === 'requantize' && [s.multiplier, s.left, s.right].some((p) => p.k === 'table');

/** `<name>_seed(o)`: the bias aligned to the product's fraction bits, or 0. */
export function biasSeed(m: KernelModel, plan: AccumulatorPlan): OutputStage {
  return {
    k: 'bias-seed', prefix: m.name, accType: plan.accType,
    bias: m.bias ? { scaled: m.numeric.biasShift > 0, scale: plan.biasScale } : null,
  };
}
