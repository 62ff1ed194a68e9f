/** CONCATENATION: for each outer index, each input's chunk in turn. */
import type { ConcatenationModel } from './build.ts';

export function concatenationGolden(m: ConcatenationModel, inputs: Int8Array[]): Int8Array[] {
  const total = m.chunks.reduce((a, b) => a + b, 0);
  const out = new Int8Array(m.outer * total);
  let o = 0;
  for (let k = 0; k < m.outer; k++)
    inputs.forEach((x, i) => {
      out.set(x.subarray(k * m.chunks[i], (k + 1) * m.chunks[i]), o);
      o += m.chunks[i];
    });
  return [out];
}
