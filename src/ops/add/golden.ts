/**
 * TFLM's int8 AddFunc: each input gets its offset, is shifted left by 20 and scaled by its multiplier
 * (MultiplyByQuantizedMultiplierSmallerThanOneExp = RoundingDivideByPOT(SRDHM(x, m), −shift)); the sum is scaled by
 * the output multiplier, offset and clamped. Every intermediate fits int32 (|x + offset| ≤ 255, · 2^20 < 2^28).
 */
import { clamp, multiplyByQuantizedMultiplier } from '../../numerics/index.ts';
import type { AddModel } from './build.ts';

export function addGolden(m: AddModel, [a, b]: Int8Array[]): Int8Array[] {
  const out = new Int8Array(m.size);
  const scale = 2 ** m.leftShift;
  for (let i = 0; i < m.size; i++) {
    const x = multiplyByQuantizedMultiplier((a[i] + m.input1Offset) * scale, m.input1Multiplier, m.input1Shift);
    const y = multiplyByQuantizedMultiplier((b[i] + m.input2Offset) * scale, m.input2Multiplier, m.input2Shift);
    const raw = multiplyByQuantizedMultiplier(x + y, m.outputMultiplier, m.outputShift) + m.outputOffset;
    out[i] = clamp(raw, m.actMin, m.actMax);
  }
  return [out];
}
