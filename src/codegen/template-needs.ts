/**
 * What the C of a family still printed by a template needs, for its header and target guard. The IR families'
 * requirements come from the IR (src/ir/requirements.ts); a template has no IR, so each such family declares the
 * ISA extension and GNU C it is written for here, and the headers and ACLE intrinsics are read from the C it printed
 * (both are spelled one way only). A family ported to the IR stops using this table.
 */
import { headerOrder, intrinsicIsa, type Extension, type Header, type IsaNeed, type Requirements } from '../ir/requirements.ts';
import type { Intrinsic } from '../ir/kernel-ir.ts';

interface Declared {
  isa: IsaNeed[];
  /** Extensions used without a portable fallback (the pointwise asm sits under #if with plain C in the #else). */
  extensions: Extension[];
}

const declared: Record<string, Declared> = {
  pointwise: { isa: [], extensions: [] },
};

export function templateNeeds(family: string, c: string): Requirements {
  const d = declared[family];
  if (!d) throw new Error(`templateNeeds: the template family ${family} declares no needs (src/codegen/template-needs.ts)`);
  const included = new Set([...c.matchAll(/^#include <([^>]+)>/gm)].map((m) => m[1]));
  const headers = headerOrder.filter((h: Header) => included.has(h));
  const intrinsics = Object.keys(intrinsicIsa).filter((n) => new RegExp(`\\b${n}\\(`).test(c)) as Intrinsic[];
  return {
    headers,
    isa: [...new Set([...d.isa, ...intrinsics.map((n) => intrinsicIsa[n])])].sort(),
    extensions: [...d.extensions].sort(),
  };
}
