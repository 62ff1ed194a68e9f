/** Requantize each element (requantize() is MultiplyByQuantizedMultiplier wherever TFLite's int32 is defined). */
import { clamp, requantize } from '../../numerics/index.ts';
import type { QuantizeModel } from './build.ts';

export function quantizeGolden(m: QuantizeModel, [input]: Int8Array[]): Int8Array[] {
  return [Int8Array.from(input, (x) => clamp(requantize(x - m.inputZeroPoint, m.multiplier, m.shift) + m.outputZeroPoint, -128, 127))];
}
