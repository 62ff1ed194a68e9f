/** Builders for IR expressions, types and statements: lowering code reads as the C it makes. */
import type { CIntType } from '../codegen/clit.ts';
import type { AssignOp, BinOp, CScalar, CType, Expr, Intrinsic, Loop, Stmt } from './kernel-ir.ts';

export const int = (v: number | bigint, c?: CIntType): Expr => (c ? { k: 'int', v, c } : { k: 'int', v });
export const lit = (text: string): Expr => ({ k: 'lit', text });
export const id = (name: string): Expr => ({ k: 'id', name });
/** A number as an int, a string as a name. */
export const ex = (v: Expr | number | string): Expr => (typeof v === 'number' ? int(v) : typeof v === 'string' ? id(v) : v);
export const bin = (op: BinOp, a: Expr | number | string, b: Expr | number | string): Expr => ({ k: 'bin', op, a: ex(a), b: ex(b) });
export const add = (a: Expr | number | string, b: Expr | number | string): Expr => bin('+', a, b);
export const sub = (a: Expr | number | string, b: Expr | number | string): Expr => bin('-', a, b);
export const mul = (a: Expr | number | string, b: Expr | number | string): Expr => bin('*', a, b);
export const call = (fn: string, ...args: (Expr | number | string)[]): Expr => ({ k: 'call', fn, args: args.map(ex) });
export const intrinsic = (name: Intrinsic, ...args: (Expr | number | string)[]): Expr => ({ k: 'intrinsic', name, args: args.map(ex) });
export const index = (a: Expr | string, i: Expr | number | string): Expr => ({ k: 'index', a: ex(a), i: ex(i) });
export const member = (a: Expr | string, field: string): Expr => ({ k: 'member', a: ex(a), field });
/** a.field: a member of a struct value. */
export const dot = (a: Expr | string, field: string): Expr => ({ k: 'member', a: ex(a), field, dot: true });
export const cast = (type: CType | CScalar, e: Expr | number | string): Expr => ({ k: 'cast', type: typeof type === 'string' ? scalar(type) : type, e: ex(e) });
export const paren = (e: Expr): Expr => ({ k: 'paren', e });
export const cond = (c: Expr, t: Expr | number | string, f: Expr | number | string): Expr => ({ k: 'cond', c, t: ex(t), f: ex(f) });
export const assign = (lhs: Expr | string, rhs: Expr | number | string, op: AssignOp = '='): Expr => ({ k: 'assign', op, lhs: ex(lhs), rhs: ex(rhs) });
export const preinc = (e: Expr | string): Expr => ({ k: 'preinc', e: ex(e) });
export const postinc = (e: Expr | string): Expr => ({ k: 'postinc', e: ex(e) });
export const addr = (e: Expr): Expr => ({ k: 'addr', e });
export const neg = (e: Expr | string): Expr => ({ k: 'neg', e: ex(e) });
export const deref = (e: Expr): Expr => ({ k: 'deref', e });
export const sizeOf = (e: Expr | string): Expr => ({ k: 'sizeof', e: ex(e) });

/** A scalar type; `constPtr`/`ptr` pointers to one. */
export const scalar = (base: CScalar, isConst = false): CType => ({ base, ...(isConst ? { const: true } : {}) });
export const ptr = (base: CType['base'], o: { const?: boolean; restrict?: boolean } = {}): CType =>
  ({ base, ...(o.const ? { const: true } : {}), ptr: { restrict: o.restrict ?? false } });

/* Statements */
export const decl = (type: CType | CScalar, name: string, init?: Expr | number | string, comment?: string): Stmt =>
  ({ k: 'decl', type: typeof type === 'string' ? scalar(type) : type, name, ...(init !== undefined ? { init: ex(init) } : {}), ...(comment ? { comment } : {}) });
export const constDecl = (type: CScalar, name: string, init: Expr | number | string, comment?: string): Stmt => decl(scalar(type, true), name, init, comment);
export const stmt = (e: Expr, comment?: string): Stmt => ({ k: 'expr', e, ...(comment ? { comment } : {}) });
export const block = (body: Stmt[], comment?: string): Stmt => ({ k: 'block', body, ...(comment ? { comment } : {}) });
export const ret = (e?: Expr | number | string): Stmt => (e === undefined ? { k: 'return' } : { k: 'return', e: ex(e) });
export const blank: Stmt = { k: 'blank' };
export const ifThen = (c: Expr, then: Stmt[], o: { else?: Stmt[]; braces?: boolean; comment?: string } = {}): Stmt =>
  ({ k: 'if', cond: c, then, braces: o.braces ?? then.length > 1, ...(o.else ? { else: o.else } : {}), ...(o.comment ? { comment: o.comment } : {}) });
/** (void)x: a parameter a function does not use. */
export const unused = (name: string): Stmt => stmt(cast('void', name));

/** for (int v = from; cond; step, also...) { body }. */
export function loop(v: string, from: Expr | number | string, c: Expr, step: Expr | number | string | 'inc', body: Stmt[],
  o: { also?: Expr[]; braces?: boolean; label?: string; hanging?: boolean } = {}): Stmt {
  const l: Loop = {
    var: v, from: ex(from), cond: c, step: step === 'inc' ? 'inc' : ex(step), also: o.also ?? [], body,
    braces: o.braces ?? true, ...(o.label ? { label: o.label } : {}), ...(o.hanging ? { hanging: true } : {}),
  };
  return { k: 'for', loop: l };
}
/** v < bound: a count fixed by a constant or a symbol. */
export const upTo = (v: string, bound: Expr | number | string): Expr => bin('<', v, bound);
/** v <= last. */
export const through = (v: string, last: Expr | number | string): Expr => bin('<=', v, last);
