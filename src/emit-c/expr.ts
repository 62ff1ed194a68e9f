/**
 * Expressions and types as C text: parentheses from C's precedence (plus the ones the IR asks for), integer literals
 * through cInt, and constant folding (x + 0, 1 * x, 2 * 4) so that no generated line carries arithmetic a reader
 * would do in their head.
 */
import { cInt } from '../codegen/clit.ts';
import type { CType, Expr } from '../ir/kernel-ir.ts';

export interface ExprOptions {
  /** Fold integer constants (on for every kernel; off only to compare with text printed before folding existed). */
  fold: boolean;
}

export const baseName = (b: CType['base']): string => (typeof b === 'string' ? b : 'struct' in b ? `struct ${b.struct}` : b.typedef);

/** `const int16_t *restrict name`, `int64_t name`. */
export function declarator(t: CType, name: string): string {
  const base = `${t.const ? 'const ' : ''}${baseName(t.base)}`;
  const inner = t.ptr?.inner ? `*${t.ptr.inner.const ? 'const ' : ''}` : '';
  return t.ptr ? `${base} ${inner}*${t.ptr.restrict ? 'restrict ' : ''}${name}` : `${base} ${name}`;
}

/** The type as a cast spells it: `int32_t`, `const uint64_t *`. */
export function typeName(t: CType): string {
  return `${t.const ? 'const ' : ''}${baseName(t.base)}${t.ptr ? ` ${t.ptr.inner ? `*${t.ptr.inner.const ? 'const ' : ''}` : ''}*` : ''}`;
}

/** C's precedence levels (higher binds tighter). */
export const binPrec: Record<string, number> = {
  '*': 13, '/': 13, '%': 13, '+': 12, '-': 12, '<<': 11, '>>': 11, '<': 10, '<=': 10, '>': 10, '>=': 10, '==': 9, '!=': 9,
  '&': 8, '^': 7, '|': 6, '&&': 5, '||': 4,
};
export const POSTFIX = 16;
export const UNARY = 15;
export const COND = 3;
export const ASSIGN = 2;

export function prec(e: Expr): number {
  switch (e.k) {
    case 'int': return typeof e.v === 'bigint' ? (e.v < 0n ? UNARY : POSTFIX) : e.v < 0 ? UNARY : POSTFIX;
    case 'lit': case 'id': case 'paren': case 'call': case 'intrinsic': case 'index': case 'member': case 'postinc': return POSTFIX;
    case 'neg': case 'not': case 'addr': case 'deref': case 'preinc': case 'cast': case 'sizeof': return UNARY;
    case 'bin': return binPrec[e.op];
    case 'cond': return COND;
    case 'assign': return ASSIGN;
    default: return never(e);
  }
}

function never(e: never): never {
  throw new Error(`emit-c: unhandled expression ${JSON.stringify(e)}`);
}

const plainInt = (e: Expr): e is { k: 'int'; v: number } => e.k === 'int' && e.c === undefined && typeof e.v === 'number';

/**
 * Integer constants folded, bottom-up: a + 0, 0 + a, a - 0, 1 * a, a * 1, and sums and products of two constants.
 * An unchanged subtree is returned as is (the same object).
 */
export function fold(e: Expr): Expr {
  switch (e.k) {
    case 'bin': {
      const a = fold(e.a);
      const b = fold(e.b);
      if (plainInt(a) && plainInt(b)) {
        if (e.op === '+') return { k: 'int', v: a.v + b.v };
        if (e.op === '*') return { k: 'int', v: a.v * b.v };
        if (e.op === '-' && a.v >= b.v) return { k: 'int', v: a.v - b.v };
      }
      if ((e.op === '+' || e.op === '-') && plainInt(b) && b.v === 0) return a;
      if (e.op === '+' && plainInt(a) && a.v === 0) return b;
      if (e.op === '*' && plainInt(b) && b.v === 1) return a;
      if (e.op === '*' && plainInt(a) && a.v === 1) return b;
      return a === e.a && b === e.b ? e : { ...e, a, b };
    }
    case 'paren': {
      const inner = fold(e.e);
      // parentheses around what folded down to one number or name are no longer needed
      if (inner !== e.e && (plainInt(inner) || inner.k === 'id')) return inner;
      return inner === e.e ? e : { ...e, e: inner };
    }
    case 'neg': case 'not': case 'addr': case 'deref': case 'preinc': case 'postinc': case 'sizeof': case 'cast': {
      const inner = fold(e.e);
      return inner === e.e ? e : { ...e, e: inner };
    }
    case 'call': case 'intrinsic': {
      const args = e.args.map(fold);
      return args.every((a, i) => a === e.args[i]) ? e : { ...e, args };
    }
    case 'index': {
      const a = fold(e.a);
      const i = fold(e.i);
      return a === e.a && i === e.i ? e : { ...e, a, i };
    }
    case 'member': {
      const a = fold(e.a);
      return a === e.a ? e : { ...e, a };
    }
    case 'cond': {
      const c = fold(e.c);
      const t = fold(e.t);
      const f = fold(e.f);
      return c === e.c && t === e.t && f === e.f ? e : { ...e, c, t, f };
    }
    case 'assign': {
      const lhs = fold(e.lhs);
      const rhs = fold(e.rhs);
      return lhs === e.lhs && rhs === e.rhs ? e : { ...e, lhs, rhs };
    }
    case 'int': case 'lit': case 'id': return e;
    default: return never(e);
  }
}

/** e as C text, in parentheses when it binds looser than `min`. */
export function print(e: Expr, min: number): string {
  const s = printBare(e);
  return prec(e) < min ? `(${s})` : s;
}

function printBare(e: Expr): string {
  switch (e.k) {
    case 'int': return e.c ? cInt(e.v, e.c) : String(e.v);
    case 'lit': return e.text;
    case 'id': return e.name;
    case 'bin': return `${print(e.a, binPrec[e.op])} ${e.op} ${print(e.b, binPrec[e.op] + 1)}`;
    case 'neg': return `-${print(e.e, UNARY)}`;
    case 'not': return `!${print(e.e, UNARY)}`;
    case 'addr': return `&${print(e.e, UNARY)}`;
    case 'deref': return `*${print(e.e, UNARY)}`;
    case 'preinc': return `++${print(e.e, UNARY)}`;
    case 'postinc': return `${print(e.e, POSTFIX)}++`;
    case 'sizeof': return `sizeof ${print(e.e, UNARY)}`;
    case 'call': return `${e.fn}(${e.args.map((a) => print(a, ASSIGN)).join(', ')})`;
    case 'intrinsic': return `${e.name}(${e.args.map((a) => print(a, ASSIGN)).join(', ')})`;
    case 'index': return `${print(e.a, POSTFIX)}[${print(e.i, 0)}]`;
    case 'member': return `${print(e.a, POSTFIX)}${e.dot ? '.' : '->'}${e.field}`;
    case 'cast': return `(${typeName(e.type)})${print(e.e, UNARY)}`;
    case 'cond': return `${print(e.c, COND + 1)} ? ${print(e.t, 0)} : ${print(e.f, COND)}`;
    case 'paren': return `(${print(e.e, 0)})`;
    case 'assign': return `${print(e.lhs, UNARY)} ${e.op} ${print(e.rhs, ASSIGN)}`;
    default: return never(e);
  }
}

export function printExpr(e: Expr, o: ExprOptions): string {
  return print(o.fold ? fold(e) : e, 0);
}
