/** QUANTIZE int8 -> int8 (no options). Float edges are handled by the importer before the hook is asked. */
import type { TfliteHook } from '../op.ts';
import type { QuantizeParams } from './params.ts';

export const quantizeTflite: TfliteHook<QuantizeParams> = {
  builtins: ['QUANTIZE'],
  import() {
    return { params: {}, inputs: [0] };
  },
};
