/** C literal formatting: the one place that knows how C spells an integer of a given type. */

export type CIntType = 'int8_t' | 'int16_t' | 'int32_t' | 'int64_t' | 'uint32_t' | 'uint64_t';

/** A C expression of type `type` equal to v (INT32_MIN and INT64_MIN cannot be written as a negated literal). */
export function cInt(v: bigint | number, type: CIntType): string {
  const b = BigInt(v);
  if (type === 'int64_t') {
    if (b === -(2n ** 63n)) return '(-INT64_C(9223372036854775807) - 1)';
    return b < 0n ? `(-INT64_C(${-b}))` : `INT64_C(${b})`;
  }
  if (type === 'uint64_t') return `UINT64_C(${b})`;
  if (type === 'uint32_t') return `${b}u`;
  if (b === -(2n ** 31n)) return '(-2147483647 - 1)';
  return `${b}`;
}

/** Array initializer body: values in rows of `perLine`, indented, with an optional comment line per group. */
export function cArrayRows(values: ArrayLike<number | bigint | string>, perLine: number, indent = '    '): string[] {
  const rows: string[] = [];
  for (let i = 0; i < values.length; i += perLine) {
    const chunk: string[] = [];
    for (let j = i; j < Math.min(i + perLine, values.length); j++) chunk.push(String(values[j]));
    rows.push(indent + chunk.join(', ') + ',');
  }
  return rows;
}
