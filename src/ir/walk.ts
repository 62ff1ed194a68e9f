/**
 * One traversal of the IR for the passes that read it (requirements, pruning): every item, every statement inside
 * functions, every expression inside statements (loads' and MACs' operands included), each handed to the visitor.
 */
import type { Expr, Item, Stmt } from './kernel-ir.ts';

export interface Visitor {
  item?(it: Item): void;
  stmt?(s: Stmt): void;
  expr?(e: Expr): void;
}

export function visitExpr(e: Expr, v: Visitor): void {
  v.expr?.(e);
  switch (e.k) {
    case 'int': case 'lit': case 'id': return;
    case 'bin': visitExpr(e.a, v); visitExpr(e.b, v); return;
    case 'neg': case 'not': case 'addr': case 'deref': case 'preinc': case 'postinc': case 'sizeof': case 'cast': case 'paren':
      visitExpr(e.e, v); return;
    case 'call': case 'intrinsic': e.args.forEach((a) => visitExpr(a, v)); return;
    case 'index': visitExpr(e.a, v); visitExpr(e.i, v); return;
    case 'member': visitExpr(e.a, v); return;
    case 'cond': visitExpr(e.c, v); visitExpr(e.t, v); visitExpr(e.f, v); return;
    case 'assign': visitExpr(e.lhs, v); visitExpr(e.rhs, v); return;
    default: { const never: never = e; throw new Error(`walk: unknown expression ${JSON.stringify(never)}`); }
  }
}

/** The expressions a statement holds directly (not those of the statements inside it). */
function ownExprs(s: Stmt): Expr[] {
  switch (s.k) {
    case 'decl': return s.init ? [s.init] : [];
    case 'decls': return s.vars.flatMap((x) => (x.init ? [x.init] : []));
    case 'expr': case 'opaque': return [s.e];
    case 'asm': return [...s.outputs, ...s.inputs].map((o) => o.e);
    case 'load': {
      const l = s.load;
      switch (l.k) {
        case 'elem': return [l.base, l.at, ...(l.add ? [l.add] : [])];
        case 'word': case 'pair16': return [l.base, l.at];
        case 'lanes': return [l.base, l.at, l.at2, ...(l.add ? [l.add] : [])];
        case 'pack8': return [l.base, l.at, l.at2];
        case 'ldrd': case 'sxtb16': return [];
        default: { const never: never = l; throw new Error(`walk: unknown load ${JSON.stringify(never)}`); }
      }
    }
    case 'mac': return s.mac.form === 'quad' ? [...s.mac.x, ...s.mac.w] : [s.mac.x, s.mac.w];
    case 'output': return [s.o, s.y, s.x, s.acc];
    case 'for': return [s.loop.from, s.loop.cond, ...(s.loop.step === 'inc' ? [] : [s.loop.step]), ...s.loop.also];
    case 'if': return [s.cond];
    case 'switch': return [s.on];
    case 'return': return s.e ? [s.e] : [];
    case 'block': case 'continue': case 'break': case 'comment': case 'blank': case 'pp-if': return [];
    default: { const never: never = s; throw new Error(`walk: unknown statement ${JSON.stringify(never)}`); }
  }
}

/** The statements directly inside a statement. */
function innerStmts(s: Stmt): Stmt[] {
  switch (s.k) {
    case 'for': return s.loop.body;
    case 'if': return [...s.then, ...(s.else ?? [])];
    case 'block': return s.body;
    case 'pp-if': return [...s.then, ...s.else];
    case 'switch': return [...s.cases.flatMap((c) => c.body), ...s.default];
    default: return [];
  }
}

export function visitStmts(list: Stmt[], v: Visitor): void {
  for (const s of list) {
    v.stmt?.(s);
    for (const e of ownExprs(s)) visitExpr(e, v);
    visitStmts(innerStmts(s), v);
  }
}

/** The items directly inside an item (a group's, a preprocessor conditional's branches). */
export function innerItems(it: Item): Item[] {
  if (it.k === 'group') return it.items;
  if (it.k === 'pp-if') return [...it.then, ...(it.elif ?? []).flatMap((b) => b.then), ...(it.else ?? [])];
  return [];
}

export function visitItems(items: Item[], v: Visitor): void {
  for (const it of items) {
    v.item?.(it);
    if (it.k === 'func') visitStmts(it.fn.body, v);
    visitItems(innerItems(it), v);
  }
}
