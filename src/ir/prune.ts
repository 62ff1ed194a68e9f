/**
 * Dead-item removal: a kernel keeps only the functions, helpers, output stages, tables and buffers its entry reaches
 * (a static inline function nobody calls compiles without a warning, and reads as if it mattered). Macros, comments
 * and preprocessor lines stay; a removed item takes the blank line before it with it, and a group goes once none of
 * its items is left.
 */
import type { Expr, Item, KernelIR, Load, Mac, OutputVia, Stmt } from './kernel-ir.ts';
import { defines } from './symbols.ts';

/** The names an item's code uses (besides its own). */
class Uses {
  readonly names = new Set<string>();
  constructor(private readonly p: string) {}

  expr(e: Expr): void {
    switch (e.k) {
      case 'int': case 'lit': return;
      case 'id': this.names.add(e.name); return;
      case 'bin': this.expr(e.a); this.expr(e.b); return;
      case 'neg': case 'not': case 'addr': case 'deref': case 'preinc': case 'postinc': case 'sizeof': case 'cast': case 'paren': this.expr(e.e); return;
      case 'call': this.names.add(e.fn); e.args.forEach((a) => this.expr(a)); return;
      case 'intrinsic': e.args.forEach((a) => this.expr(a)); return;
      case 'index': this.expr(e.a); this.expr(e.i); return;
      case 'member': this.expr(e.a); return;
      case 'cond': this.expr(e.c); this.expr(e.t); this.expr(e.f); return;
      case 'assign': this.expr(e.lhs); this.expr(e.rhs); return;
      default: { const never: never = e; throw new Error(`prune: unknown expression ${JSON.stringify(never)}`); }
    }
  }

  private load(l: Load): void {
    const p = this.p;
    switch (l.k) {
      case 'elem': this.expr(l.base); this.expr(l.at); if (l.add) this.expr(l.add); return;
      case 'word': this.names.add(`${p}_word`); this.expr(l.base); this.expr(l.at); return;
      case 'pair16': this.names.add('PAIR'); this.expr(l.base); this.expr(l.at); return;
      case 'lanes': this.expr(l.base); this.expr(l.at); this.expr(l.at2); if (l.add) this.expr(l.add); return;
      case 'pack8': this.names.add('PACK8'); this.expr(l.base); this.expr(l.at); this.expr(l.at2); return;
      case 'ldrd': this.names.add(l.pre ? 'LDRD_PRE' : 'LDRD_POST'); this.names.add(l.ptr); return;
      case 'sxtb16':
        if (l.rotate === 8) this.names.add(l.addPair ? `${p}_odd_offset` : `${p}_odd`);
        if (l.addPair) this.names.add('OFFSET_PAIR');
        this.names.add(l.src);
        return;
      default: { const never: never = l; throw new Error(`prune: unknown load ${JSON.stringify(never)}`); }
    }
  }

  private mac(m: Mac): void {
    (m.form === 'quad' ? [...m.x, ...m.w] : [m.x, m.w]).forEach((x) => this.expr(x));
    if (m.form === 'lane') this.names.add('LANE_MAC');
    else if (m.repr === 'split') this.names.add('MAC_LONG');
    else if (m.form === 'halves' && m.repr === 'int64') this.names.add(`${this.p}_smlal${m.sel}`);
  }

  private via(v: OutputVia): void {
    this.names.add(v.fn);
  }

  stmts(list: Stmt[]): void {
    for (const s of list) this.stmt(s);
  }

  private stmt(s: Stmt): void {
    switch (s.k) {
      case 'decl': if (s.init) this.expr(s.init); return;
      case 'decls': s.vars.forEach((v) => v.init && this.expr(v.init)); return;
      case 'expr': this.expr(s.e); return;
      case 'opaque': this.names.add('KEEP_LOADS_IN_LOOP'); this.expr(s.e); return;
      case 'load': this.load(s.load); return;
      case 'mac': this.mac(s.mac); return;
      case 'output': this.names.add('OUT_AT'); [s.o, s.y, s.x, s.acc].forEach((e) => this.expr(e)); this.via(s.via); return;
      case 'for': this.expr(s.loop.from); this.expr(s.loop.cond); if (s.loop.step !== 'inc') this.expr(s.loop.step);
        s.loop.also.forEach((e) => this.expr(e)); this.stmts(s.loop.body); return;
      case 'if': this.expr(s.cond); this.stmts(s.then); if (s.else) this.stmts(s.else); return;
      case 'block': this.stmts(s.body); return;
      case 'switch': this.expr(s.on); s.cases.forEach((c) => this.stmts(c.body)); this.stmts(s.default); return;
      case 'return': if (s.e) this.expr(s.e); return;
      case 'continue': case 'break': case 'comment': case 'blank': return;
      default: { const never: never = s; throw new Error(`prune: unknown statement ${JSON.stringify(never)}`); }
    }
  }

  item(it: Item): void {
    switch (it.k) {
      case 'func': this.stmts(it.fn.body); return;
      case 'define': for (const w of it.body.match(/[A-Za-z_]\w*/g) ?? []) this.names.add(w); return;
      case 'helper':
        if (it.helper.k === 'sxtab16-ror8') this.names.add('OFFSET_PAIR');
        return;
      case 'stage': {
        const s = it.stage;
        if (s.k === 'outline') this.names.add(`${s.prefix}_finish`);
        if (s.k === 'store-bits') this.names.add('KEEP_LOADS_IN_LOOP');
        if (s.k === 'bias-seed' && s.bias) this.names.add(`${s.prefix}_bias`);
        return;
      }
      case 'group': it.items.forEach((x) => this.item(x)); return;
      case 'pp-if': [...it.then, ...(it.elif ?? []).flatMap((b) => b.then), ...(it.else ?? [])].forEach((x) => this.item(x)); return;
      case 'table': case 'region-table': case 'buffer': case 'struct': case 'comment': case 'blank': case 'pragma': return;
      default: { const never: never = it; throw new Error(`prune: unknown item ${JSON.stringify(never)}`); }
    }
  }
}

/** Items that are code (removable when unused); macros, comments and preprocessor lines are not. */
const removable = (it: Item) => it.k === 'func' || it.k === 'helper' || it.k === 'stage' || it.k === 'table' || it.k === 'buffer';

export function prune(ir: KernelIR): KernelIR {
  const p = ir.name;
  // every item with its names and uses, groups flattened (a group is kept while one of its items is)
  const all: Item[] = [];
  const walk = (items: Item[]) => items.forEach((it) => (it.k === 'group' ? walk(it.items) : all.push(it)));
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
    const u = new Uses(p);
    u.item(it);
    for (const n of u.names) {
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
