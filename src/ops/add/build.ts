/**
 * ADD's Prepare as TFLite Micro computes it (CalculateOpDataAdd, int8): left_shift = 20;
 * twice_max = 2 · max(s1, s2) in double (the max taken of the float32 scales); input multipliers s_i / twice_max and
 * the output multiplier twice_max / (2^20 · s_out), each by QuantizeMultiplierSmallerThanOneExp (which requires
 * 0 < m < 1: TFLM aborts otherwise, convgen refuses the layer).
 */
import { quantizeMultiplier, f32 } from '../../numerics/index.ts';
import { actRange, checkScale } from '../common.ts';
import { elements, type Built, type BuildContext, type TensorInfo } from '../op.ts';
import type { AddParams } from './params.ts';
import { buildQAdd, type QAddModel } from './q.ts';

export const ADD_LEFT_SHIFT = 20;

export interface AddModel {
  kind?: undefined;
  size: number;
  input1Offset: number;
  input2Offset: number;
  outputOffset: number;
  leftShift: number;
  input1Multiplier: number;
  input1Shift: number;
  input2Multiplier: number;
  input2Shift: number;
  outputMultiplier: number;
  outputShift: number;
  actMin: number;
  actMax: number;
}

export function addMultipliers(s1: number, s2: number, sOut: number, ctx: BuildContext) {
  const twiceMax = 2 * Math.max(f32(s1), f32(s2));
  const smaller = (real: number, what: string) => {
    if (!(real > 0 && real < 1))
      ctx.fail(`the ${what} multiplier ${real} is outside (0, 1): TFLite Micro cannot run this ADD (input scales ${s1}, ` +
        `${s2}, output scale ${sOut})`);
    const q = quantizeMultiplier(real);
    return q;
  };
  const i1 = smaller(f32(s1) / twiceMax, 'first input');
  const i2 = smaller(f32(s2) / twiceMax, 'second input');
  const o = smaller(twiceMax / (2 ** ADD_LEFT_SHIFT * f32(sOut)), 'output');
  return { i1, i2, o };
}

export function buildAdd(p: AddParams, inputs: TensorInfo[], ctx: BuildContext): Built<AddModel | QAddModel> {
  if (inputs.length !== 2) ctx.fail(`ADD takes 2 inputs, found ${inputs.length}`);
  const [a, b] = inputs;
  if (a.shape.length !== b.shape.length || a.shape.some((n, i) => n !== b.shape[i]))
    ctx.fail(`inputs ${a.name} [${a.shape.join(', ')}] and ${b.name} [${b.shape.join(', ')}] differ in shape; broadcasting is not supported`);
  if (a.frac !== undefined) return buildQAdd(p, inputs, ctx);
  const out = ctx.outputs[0];
  checkScale(a, `input ${a.name}`, ctx);
  checkScale(b, `input ${b.name}`, ctx);
  checkScale(out, 'the output', ctx);
  const { i1, i2, o } = addMultipliers(a.scale, b.scale, out.scale, ctx);
  const [actMin, actMax] = actRange(p.activation, out, ctx);
  return {
    model: {
      size: elements(a.shape),
      input1Offset: 0 - a.zeroPoint, input2Offset: 0 - b.zeroPoint, outputOffset: out.zeroPoint,
      leftShift: ADD_LEFT_SHIFT,
      input1Multiplier: i1.multiplier, input1Shift: i1.shift,
      input2Multiplier: i2.multiplier, input2Shift: i2.shift,
      outputMultiplier: o.multiplier, outputShift: o.shift,
      actMin, actMax,
    },
    outputs: [{ shape: [...a.shape], dtype: 'int8', scale: out.scale, zeroPoint: out.zeroPoint }],
  };
}
