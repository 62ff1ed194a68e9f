/**
 * Dead-item removal: a kernel keeps only the functions, helpers, output stages, tables and buffers its entry reaches
 * (a static inline function nobody calls compiles without a warning, and reads as if it mattered). Macros, comments
 * and preprocessor lines stay; a removed item takes the blank line before it with it, and a group goes once none of
 * its items is left.
 */
import type { Item, KernelIR } from './kernel-ir.ts';
import { innerItems, visitItems } from './walk.ts';
import { defines } from './symbols.ts';

/** The names an item's code uses (besides its own), including the helpers its loads and MACs are spelled with. */
function uses(it: Item, p: string): Set<string> {
  const names = new Set<string>();
  visitItems([it], {
    item: (x) => {
      if (x.k === 'define') for (const w of x.body.match(/[A-Za-z_]\w*/g) ?? []) names.add(w);
      else if (x.k === 'helper' && x.helper.k === 'sxtab16-ror8') names.add('OFFSET_PAIR');
      else if (x.k === 'stage') {
        const s = x.stage;
        if (s.k === 'outline') names.add(`${s.prefix}_finish`);
        if (s.k === 'store-bits') names.add('KEEP_LOADS_IN_LOOP');
        if (s.k === 'bias-seed' && s.bias) names.add(`${s.prefix}_bias`);
      }
    },
    stmt: (s) => {
      if (s.k === 'opaque') names.add('KEEP_LOADS_IN_LOOP');
      else if (s.k === 'output') names.add('OUT_AT').add(s.via.fn);
      else if (s.k === 'mac') {
        const m = s.mac;
        if (m.form === 'lane') names.add('LANE_MAC');
        else if (m.repr === 'split') names.add('MAC_LONG');
        else if (m.form === 'halves' && m.repr === 'int64') names.add(`${p}_smlal${m.sel}`);
      } else if (s.k === 'load') {
        const l = s.load;
        if (l.k === 'word') names.add(`${p}_word`);
        else if (l.k === 'pair16') names.add('PAIR');
        else if (l.k === 'pack8') names.add('PACK8');
        else if (l.k === 'ldrd') names.add(l.pre ? 'LDRD_PRE' : 'LDRD_POST').add(l.ptr);
        else if (l.k === 'sxtb16') {
          if (l.rotate === 8) names.add(l.addPair ? `${p}_odd_offset` : `${p}_odd`);
          if (l.addPair) names.add('OFFSET_PAIR');
          names.add(l.src);
        }
      }
    },
    expr: (e) => {
      if (e.k === 'id') names.add(e.name);
      else if (e.k === 'call') names.add(e.fn);
    },
  });
  return names;
}

/** Items that are code (removable when unused); macros, comments and preprocessor lines are not. */
const removable = (it: Item) => it.k === 'func' || it.k === 'helper' || it.k === 'stage' || it.k === 'table' || it.k === 'buffer';

export function prune(ir: KernelIR): KernelIR {
  const p = ir.name;
  // every item with its names and uses, groups flattened (a group is kept while one of its items is)
  const all: Item[] = [];
  const walk = (items: Item[]) => items.forEach((it) => (it.k === 'group' ? walk(innerItems(it)) : all.push(it)));
  walk(ir.items);
  const byName = new Map<string, Item>();
  for (const it of all) for (const n of defines(it, p)) byName.set(n, it);
  const entry = byName.get(ir.entry);
  if (!entry) throw new Error(`prune: the entry ${ir.entry} is not among the items`);
  // from the entry, through every name a reached item uses (a macro's body counts once code uses the macro)
  const todo: Item[] = [entry];
  const reached = new Set<Item>();
  while (todo.length) {
    const it = todo.pop()!;
    if (reached.has(it)) continue;
    reached.add(it);
    for (const n of uses(it, p)) {
      const d = byName.get(n);
      if (d && !reached.has(d)) todo.push(d);
    }
  }
  const keep = (it: Item) => !removable(it) || reached.has(it);
  const filter = (items: Item[]): Item[] => {
    const out: Item[] = [];
    for (const it of items) {
      if (it.k === 'group') {
        const inner = filter(it.items);
        if (inner.some(removable)) out.push({ ...it, items: inner });
        continue;
      }
      if (keep(it)) out.push(it);
      else if (out.length && out[out.length - 1].k === 'blank') out.pop();
    }
    return out;
  };
  return { ...ir, items: filter(ir.items) };
}
