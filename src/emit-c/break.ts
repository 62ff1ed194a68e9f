/**
 * Lines over the budget, broken the way hand-written C breaks them: an argument or parameter list after a comma, an
 * operator chain before an operator, a conditional before `?` and `:`, each continuation line one indent deeper than
 * the line it continues (and a piece that still does not fit breaks again, one indent deeper still). A statement that
 * fits stays on one line, so only the lines that were too long change.
 */
import type { Expr } from '../ir/kernel-ir.ts';
import { ASSIGN, COND, POSTFIX, UNARY, binPrec, fold, prec, print, typeName, type ExprOptions } from './expr.ts';

/** Columns a generated line may take, indentation included. */
export const LINE_BUDGET = 120;
/** How much deeper a continuation line starts than the line it continues. */
export const CONTINUATION = 4;

/** An element of a list: an expression, or text that is never broken (a parameter's declarator). */
type Piece = Expr | string;

class Lines {
  readonly out: string[];
  constructor(indent: number, head: string) {
    this.out = [' '.repeat(indent) + head];
  }

  private get col(): number {
    return this.out[this.out.length - 1].length;
  }

  private put(s: string): void {
    this.out[this.out.length - 1] += s;
  }

  private newline(indent: number): void {
    this.out.push(' '.repeat(indent));
  }

  private fits(text: string, tail: number, lead = 0): boolean {
    return this.col + lead + text.length + tail <= LINE_BUDGET;
  }

  /** e at precedence `min` on the current line, broken when it (and the `tail` columns after it) would not fit. */
  expr(e: Expr, min: number, cont: number, tail: number): void {
    const flat = print(e, min);
    if (this.fits(flat, tail)) return this.put(flat);
    if (prec(e) < min) {
      this.put('(');
      this.bare(e, cont, tail + 1);
      return this.put(')');
    }
    this.bare(e, cont, tail);
  }

  private bare(e: Expr, cont: number, tail: number): void {
    switch (e.k) {
      case 'call': return this.list(`${e.fn}(`, e.args, ')', cont, tail);
      case 'intrinsic': return this.list(`${e.name}(`, e.args, ')', cont, tail);
      case 'bin': return this.chain(e, cont, tail);
      case 'cond': {
        this.expr(e.c, COND + 1, cont + CONTINUATION, 0);
        this.operand('?', e.t, 0, cont, 0);
        return this.operand(':', e.f, COND, cont, tail);
      }
      case 'assign':
        this.put(`${print(e.lhs, UNARY)} ${e.op} `);
        return this.expr(e.rhs, ASSIGN, cont, tail);
      case 'index':
        this.put(`${print(e.a, POSTFIX)}[`);
        this.expr(e.i, 0, cont, tail + 1);
        return this.put(']');
      case 'paren':
        this.put('(');
        this.expr(e.e, 0, cont, tail + 1);
        return this.put(')');
      case 'cast':
        this.put(`(${typeName(e.type)})`);
        return this.expr(e.e, UNARY, cont, tail);
      case 'neg': case 'not': case 'addr': case 'deref':
        this.put({ neg: '-', not: '!', addr: '&', deref: '*' }[e.k]);
        return this.expr(e.e, UNARY, cont, tail);
      // names, numbers, members, increments, sizeof: nothing to break at
      default: return this.put(print(e, 0));
    }
  }

  /**
   * `open` a, b, ... `close`: as many elements a line as fit, the rest on continuation lines; when the first does not
   * fit after `open` but would on a line of its own, the list starts on the next line.
   */
  list(open: string, items: readonly Piece[], close: string, cont: number, tail: number, sep = ','): void {
    this.put(open);
    if (!items.length) return this.put(close);
    items.forEach((item, i) => {
      const last = i === items.length - 1;
      const after = last ? close.length + tail : 1;
      const text = typeof item === 'string' ? item : print(item, ASSIGN);
      if (i > 0) {
        if (this.fits(text, after, 1)) this.put(' ');
        else this.newline(cont);
      } else if (!this.fits(text, after) && cont + text.length + after <= LINE_BUDGET) this.newline(cont);
      if (typeof item === 'string' || this.fits(text, after)) this.put(text);
      else this.expr(item, ASSIGN, cont + CONTINUATION, after);
      this.put(last ? close : sep);
    });
  }

  /** a op b op c (one precedence level, left to right), broken before an operator. */
  private chain(e: Extract<Expr, { k: 'bin' }>, cont: number, tail: number): void {
    const p = binPrec[e.op];
    const rest: { op: string; e: Expr }[] = [];
    let first: Expr = e;
    while (first.k === 'bin' && binPrec[first.op] === p) {
      rest.unshift({ op: first.op, e: first.b });
      first = first.a;
    }
    const start = this.out.length;
    this.expr(first, p, cont + CONTINUATION, 0);
    // once the chain has broken, each of its operators starts a line: operators of one level line up
    rest.forEach((r, i) => this.operand(r.op, r.e, p + 1, cont, i === rest.length - 1 ? tail : 0, this.out.length > start));
  }

  /** ` op b` on this line when it fits (and `own` does not ask for a line of its own), else on a continuation line. */
  private operand(op: string, b: Expr, min: number, cont: number, tail: number, own = false): void {
    const text = `${op} ${print(b, min)}`;
    if (!own && this.fits(text, tail, 1)) return this.put(` ${text}`);
    this.newline(cont);
    if (this.fits(text, tail)) return this.put(text);
    this.put(`${op} `);
    this.expr(b, min, cont + CONTINUATION, tail);
  }
}

/**
 * `head` e `tail` at `indent`: one line when it fits the budget, else broken at e's argument or operator boundaries.
 * `note` (a trailing comment) follows the last line and does not count: a comment is no reason to break code.
 */
export function exprLines(indent: number, head: string, e: Expr, tail: string, o: ExprOptions, note = ''): string[] {
  const l = new Lines(indent, head);
  l.expr(o.fold ? fold(e) : e, 0, indent + CONTINUATION, tail.length);
  l.out[l.out.length - 1] += tail + note;
  return l.out;
}

/**
 * `head` items `close` `tail` (a call's arguments, a function's parameters, declarators, a loop's clauses with `sep`
 * ';') at `indent`, filled line by line.
 */
export function listLines(indent: number, head: string, items: readonly Piece[], close: string, tail: string,
  o: ExprOptions, { sep = ',', note = '' }: { sep?: string; note?: string } = {}): string[] {
  const l = new Lines(indent, head);
  l.list('', items.map((x) => (typeof x === 'string' || !o.fold ? x : fold(x))), close, indent + CONTINUATION, tail.length, sep);
  l.out[l.out.length - 1] += tail + note;
  return l.out;
}
