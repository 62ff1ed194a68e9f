/** The C names IR items define: functions, tables and buffers, and the macros a kernel's text introduces. */
import type { Helper, Item, OutputStage } from './kernel-ir.ts';

/** The C names an item defines. */
export function defines(it: Item, p: string): string[] {
  switch (it.k) {
    case 'func': return [it.fn.name];
    case 'helper': return helperNames(it.helper, p);
    case 'stage': return stageNames(it.stage);
    case 'table': return [it.table.name];
    case 'region-table': return [it.table.name, it.table.struct];
    case 'buffer': return [it.name];
    case 'define': return [it.name];
    case 'struct': return [it.name];
    case 'group': return it.items.flatMap((x) => defines(x, p));
    case 'pp-if': return [...it.then, ...(it.elif ?? []).flatMap((b) => b.then), ...(it.else ?? [])].flatMap((x) => defines(x, p));
    case 'comment': case 'blank': case 'pragma': return [];
    default: { const never: never = it; throw new Error(`prune: unknown item ${JSON.stringify(never)}`); }
  }
}

export function helperNames(h: Helper, p: string): string[] {
  switch (h.k) {
    case 'word-load': return [`${h.prefix}_word`];
    case 'sxtb16-ror8': return [`${h.prefix}_odd`];
    case 'sxtab16-ror8': return [`${h.prefix}_odd_offset`];
    case 'offset-pair': return ['OFFSET_PAIR'];
    case 'pack8': return ['PACK8'];
    case 'pair16': return ['PAIR'];
    case 'ldrd': return ['LDRD_POST', 'LDRD_PRE'];
    case 'smlal-halves': return [`${h.prefix}_smlal${h.sel}`];
    case 'lane-mac': return ['LANE_MAC'];
    case 'mac-long': return ['MAC_LONG'];
    case 'opaque': return ['KEEP_LOADS_IN_LOOP'];
    case 'halves-pack': return [`${h.prefix}_low_halves`, `${h.prefix}_high_halves`];
    case 'mve-offset-load': return ['LOAD'];
    case 'load-next': return [`${h.prefix}_load_next`];
    case 'load-word-next': return [`${h.prefix}_load_word_next`];
    case 'sxtb16-ror8-portable': return [`${h.prefix}_sxtb16_ror8`];
    default: { const never: never = h; throw new Error(`prune: unknown helper ${JSON.stringify(never)} in ${p}`); }
  }
}

export function stageNames(s: OutputStage): string[] {
  switch (s.k) {
    case 'q': case 'requantize': return [`${s.prefix}_finish`];
    case 'q-seeded': return [`${s.prefix}_${s.tag}_finish`];
    case 'store-bits': return [`${s.prefix}_q_store`];
    case 'bias-seed': return [`${s.prefix}_seed`];
    case 'seed-table': return [s.fn];
    case 'outline': return [`${s.prefix}_finish_call`];
    default: { const never: never = s; throw new Error(`prune: unknown output stage ${JSON.stringify(never)}`); }
  }
}

/** Helpers that are macros (the others are functions named with the kernel's prefix). */
const helperMacros: Partial<Record<Helper['k'], string[]>> = {
  'offset-pair': ['OFFSET_PAIR'], pack8: ['PACK8'], pair16: ['PAIR'], ldrd: ['LDRD_POST', 'LDRD_PRE'], 'lane-mac': ['LANE_MAC'],
  'mac-long': ['MAC_LONG'], opaque: ['KEEP_LOADS_IN_LOOP'], 'mve-offset-load': ['LOAD'],
};

/** Every macro the items #define (the kernel's own #defines, its helpers' macros, the region table's none), in order. */
export function macros(items: Item[]): string[] {
  const out: string[] = [];
  const walk = (list: Item[]) => {
    for (const it of list) {
      if (it.k === 'define') out.push(it.name);
      else if (it.k === 'helper') out.push(...(helperMacros[it.helper.k] ?? []));
      else if (it.k === 'region-table') out.push(it.table.none.name);
      else if (it.k === 'group') walk(it.items);
      else if (it.k === 'pp-if') walk([...it.then, ...(it.elif ?? []).flatMap((b) => b.then), ...(it.else ?? [])]);
    }
  };
  walk(items);
  return [...new Set(out)];
}
