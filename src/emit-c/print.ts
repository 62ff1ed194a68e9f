/**
 * The C printer: KernelIR -> C text. Every node kind has one case here (the switches are exhaustive: a new kind does
 * not compile until it is printed). Helpers and output stages print through helpers.ts and stages.ts.
 */
import type { AsmOperand, Expr, Func, Item, KernelIR, Load, Mac, RegionTable, Stmt, Table } from '../ir/kernel-ir.ts';
import { add, assign, call, cast, id, index, intrinsic, lit } from '../ir/expr.ts';
import { exprLines, LINE_BUDGET, listLines } from './break.ts';
import { baseName, declarator, printExpr, typeName, type ExprOptions } from './expr.ts';
import { helperLines } from './helpers.ts';
import { stageLines } from './stages.ts';
import { Writer } from './writer.ts';

export interface PrintOptions extends ExprOptions {
  /** Printed as a unit of a larger module: functions with external linkage become static. */
  unit?: boolean;
}

const INDENT = 4;

class Printer {
  readonly w = new Writer();
  constructor(private readonly ir: KernelIR, private readonly o: PrintOptions) {}

  private e(x: Expr): string {
    return printExpr(x, this.o);
  }

  /** `head` x `tail` at `ind`, broken at x's argument or operator boundaries when it is over the line budget. */
  private exprLine(ind: number, head: string, x: Expr, tail: string, comment?: string): void {
    this.w.lines(0, exprLines(ind, head, x, tail, this.o, this.tail(comment)));
  }

  /** Lines laid out by hand (wrapAfter) stay as they are while they fit; over the budget they are filled instead. */
  private fitting(ind: number, lines: string[]): boolean {
    return lines.every((l) => ind + l.length <= LINE_BUDGET);
  }

  private tail(comment: string | undefined): string {
    return comment ? ` /* ${comment} */` : '';
  }

  item(it: Item): void {
    const w = this.w;
    switch (it.k) {
      case 'comment': w.comment(0, it.text); return;
      case 'blank': w.line(0, ''); return;
      case 'define': {
        const head = `#define ${it.name}${it.params ? `(${it.params.join(', ')})` : ''}`;
        // over the budget, the body goes on a continuation line of its own
        if (it.body && head.length + 1 + it.body.length > LINE_BUDGET) w.lines(0, [`${head} \\`, `${' '.repeat(INDENT)}${it.body}`]);
        else w.line(0, `${head}${it.body ? ` ${it.body}` : ''}`);
        return;
      }
      case 'pp-if':
        w.line(0, `#if ${it.cond}`);
        for (const x of it.then) this.item(x);
        for (const b of it.elif ?? []) {
          w.line(0, `#elif ${b.cond}`);
          for (const x of b.then) this.item(x);
        }
        if (it.else) {
          w.line(0, '#else');
          for (const x of it.else) this.item(x);
        }
        w.line(0, '#endif');
        return;
      case 'pragma': w.line(0, `#pragma ${it.text}`); return;
      case 'struct':
        w.line(0, it.typedef ? 'typedef struct {' : `struct ${it.name} {`);
        for (const g of it.fieldGroups) w.line(INDENT, `${g.type} ${g.names.join(', ')};`);
        w.line(0, it.typedef ? `} ${it.name};` : '};');
        return;
      case 'helper':
        if (it.doc) w.comment(0, it.doc);
        w.lines(0, helperLines(it.helper));
        return;
      case 'table':
        if (it.doc) w.comment(0, it.doc);
        this.table(it.table);
        return;
      case 'group':
        if (it.doc) w.comment(0, it.doc);
        for (const x of it.items) this.item(x);
        return;
      case 'region-table': this.regionTable(it.table); return;
      case 'stage': w.lines(0, stageLines(it.stage)); return;
      case 'func':
        if (it.doc) w.comment(0, it.doc);
        this.func(it.fn);
        return;
      case 'buffer': {
        const decl = `static ${it.elem} ${it.name}[${it.size}]`;
        const attr = `__attribute__((aligned(${it.align})));`;
        if (decl.length + 1 + attr.length > LINE_BUDGET) w.lines(0, [decl, `${' '.repeat(INDENT)}${attr}`]);
        else w.line(0, `${decl} ${attr}`);
        return;
      }
      default: {
        const never: never = it;
        throw new Error(`emit-c: unknown item ${JSON.stringify(never)}`);
      }
    }
  }

  private table(t: Table): void {
    const w = this.w;
    w.line(0, `${t.isStatic === false ? '' : 'static '}const ${baseName(t.elem)} ${t.name}${t.dims.map((d) => `[${d}]`).join('')}` +
      `${t.align ? ` __attribute__((aligned(${t.align})))` : ''} = {`);
    if (t.body.k === 'flat') w.lines(0, t.body.lines);
    else
      for (const g of t.body.groups) {
        w.line(INDENT, `{ /* ${g.comment} */`);
        w.lines(0, g.lines);
        w.line(INDENT, '},');
      }
    w.line(0, '};');
  }

  private regionTable(t: RegionTable): void {
    const w = this.w;
    w.comment(0, t.doc);
    w.line(0, `struct ${t.struct} {`);
    for (const g of t.fields) w.line(INDENT, `${g.type} ${g.names.join(', ')}; /* ${g.doc} */`);
    w.line(0, '};');
    w.line(0, `#define ${t.none.name} ${t.none.value} /* ${t.none.doc} */`);
    w.line(0, '');
    w.line(0, `static const struct ${t.struct} ${t.name}[${t.count}] = {`);
    w.line(INDENT, `/* ${t.fields.flatMap((g) => g.names).join(', ')} */`);
    for (const r of t.rows) w.line(INDENT, `{ ${r.values.map((v) => (v === null ? t.none.name : String(v))).join(', ')} }, /* ${r.doc} */`);
    w.line(0, '};');
  }

  private func(f: Func): void {
    const w = this.w;
    if (f.noinline) w.lines(0, ['#if defined(__GNUC__)', '__attribute__((noinline))', '#endif']);
    if (f.attribute) w.line(0, f.attribute);
    const params = f.params.map((p) => declarator(p.type, p.name));
    const linkage = f.linkage === 'extern' && this.o.unit ? 'static' : f.linkage;
    const head = `${linkage === 'extern' ? '' : `${linkage} `}${f.specifier ? `${f.specifier} ` : ''}${typeName(f.ret)} ${f.name}(`;
    const byHand = f.wrapAfter !== undefined && f.wrapAfter < params.length
      ? [`${head}${params.slice(0, f.wrapAfter).join(', ')},`, `${' '.repeat(INDENT)}${params.slice(f.wrapAfter).join(', ')})`]
      : [`${head}${params.length ? params.join(', ') : 'void'})`];
    w.lines(0, this.fitting(0, byHand) ? byHand : listLines(0, head, params, ')', '', this.o));
    w.line(0, '{');
    this.stmts(f.body, INDENT);
    w.line(0, '}');
  }

  stmts(list: Stmt[], indent: number): void {
    for (const s of list) this.stmt(s, indent);
  }

  private stmt(s: Stmt, ind: number): void {
    const w = this.w;
    switch (s.k) {
      case 'decl': {
        const head = `${s.register ? 'register ' : ''}${declarator(s.type, s.name)}${(s.dims ?? []).map((d) => `[${d}]`).join('')}` +
          `${s.register ? ` __asm__("${s.register}")` : ''}`;
        if (s.init) this.exprLine(ind, `${head} = `, s.init, ';', s.comment);
        else w.line(ind, `${head};${this.tail(s.comment)}`);
        return;
      }
      case 'decls':
        if (s.type.ptr) throw new Error('emit-c: several variables on one line are of a scalar type');
        w.lines(0, listLines(ind, `${typeName(s.type)} `, s.vars.map((v) => (v.init ? assign(id(v.name), v.init) : v.name)), '',
          ';', this.o, { note: this.tail(s.comment) }));
        return;
      case 'expr':
        if (s.wrapAfter !== undefined && s.e.k === 'call') {
          const args = s.e.args.map((a) => this.e(a));
          const byHand = [`${s.e.fn}(${args.slice(0, s.wrapAfter).join(', ')},`,
            `${' '.repeat(INDENT)}${args.slice(s.wrapAfter).join(', ')});`];
          if (this.fitting(ind, byHand)) w.lines(ind, [byHand[0], byHand[1] + this.tail(s.comment)]);
          else w.lines(0, listLines(ind, `${s.e.fn}(`, s.e.args, ')', ';', this.o, { note: this.tail(s.comment) }));
        } else this.exprLine(ind, '', s.e, ';', s.comment);
        return;
      case 'load': this.load(s.load, ind); return;
      case 'mac': this.mac(s.mac, ind); return;
      case 'output': {
        const at = call('OUT_AT', s.o, s.y, s.x);
        if (s.via.k === 'store') this.exprLine(ind, '', call(s.via.fn, { k: 'addr', e: at }, s.acc), ';');
        else {
          const v = call(s.via.fn, s.acc, ...(s.via.withO ? [s.o] : []));
          this.exprLine(ind, '', assign(at, s.via.cast ? cast(s.via.cast, v) : v), ';');
        }
        return;
      }
      case 'opaque': this.exprLine(ind, '', call('KEEP_LOADS_IN_LOOP', s.e), ';', s.comment); return;
      case 'asm': {
        // one instruction a line; then the operand lists, one line each (outputs, inputs, clobbers)
        if (s.comment) w.comment(ind, { style: 'line', lines: [s.comment] });
        w.line(ind, '__asm__(');
        s.lines.forEach((l) => w.line(ind + INDENT, `"${l}\\n\\t"`));
        const ops = (list: AsmOperand[]) => list.map((o) => `[${o.name}] "${o.constraint}"(${this.e(o.e)})`);
        w.lines(0, listLines(ind + INDENT, ': ', ops(s.outputs), '', '', this.o));
        w.lines(0, listLines(ind + INDENT, ': ', ops(s.inputs), '', '', this.o));
        w.line(ind + INDENT, `: ${s.clobbers.map((c) => `"${c}"`).join(', ')});`);
        return;
      }
      case 'pp-if':
        w.line(0, `#if ${s.cond}`);
        this.stmts(s.then, ind);
        w.line(0, '#else');
        this.stmts(s.else, ind);
        w.line(0, '#endif');
        return;
      case 'for': {
        const l = s.loop;
        const step = l.step === 'inc' ? `++${l.var}` : `${l.var} += ${this.e(l.step)}`;
        const clauses = [`int ${l.var} = ${this.e(l.from)}`, this.e(l.cond), [step, ...l.also.map((a) => this.e(a))].join(', ')];
        const head = (at: number, tail: string) =>
          w.lines(0, listLines(at, 'for (', clauses, ')', tail, this.o, { sep: ';', note: this.tail(l.label) }));
        if (!l.braces) {
          if (l.body.length !== 1) throw new Error('emit-c: a loop without braces has one statement');
          head(ind, '');
          this.stmts(l.body, ind + INDENT);
          return;
        }
        const at = l.hanging ? ind - INDENT / 2 : ind;
        head(at, ' {');
        this.stmts(l.body, l.hanging ? ind : ind + INDENT);
        w.line(at, '}');
        return;
      }
      case 'if':
        if (!s.braces) {
          if (s.then.length !== 1 || (s.else && s.else.length !== 1)) throw new Error('emit-c: an if without braces has one statement per branch');
          this.exprLine(ind, 'if (', s.cond, ')', s.comment);
          this.stmts(s.then, ind + INDENT);
          if (s.else) {
            w.line(ind, 'else');
            this.stmts(s.else, ind + INDENT);
          }
          return;
        }
        this.exprLine(ind, 'if (', s.cond, ') {', s.comment);
        this.stmts(s.then, ind + INDENT);
        if (s.else) {
          w.line(ind, '} else {');
          this.stmts(s.else, ind + INDENT);
        }
        w.line(ind, '}');
        return;
      case 'block':
        w.line(ind, `{${this.tail(s.comment)}`);
        this.stmts(s.body, ind + INDENT);
        w.line(ind, '}');
        return;
      case 'switch':
        w.line(ind, `switch (${this.e(s.on)}) {`);
        for (const c of s.cases) {
          w.line(ind, `case ${c.value}:`);
          this.stmts(c.body, ind + INDENT);
        }
        w.line(ind, 'default:');
        this.stmts(s.default, ind + INDENT);
        w.line(ind, '}');
        return;
      case 'return':
        if (s.e) this.exprLine(ind, 'return ', s.e, ';');
        else w.line(ind, 'return;');
        return;
      case 'continue': w.line(ind, `continue;${this.tail(s.comment)}`); return;
      case 'break': w.line(ind, 'break;'); return;
      case 'comment': w.comment(ind, s.text); return;
      case 'blank': w.line(0, ''); return;
      default: {
        const never: never = s;
        throw new Error(`emit-c: unknown statement ${JSON.stringify(never)}`);
      }
    }
  }

  private load(l: Load, ind: number): void {
    const w = this.w;
    const p = this.ir.name;
    const def = (name: string, type: string, init: Expr) => this.exprLine(ind, `const ${type} ${name} = `, init, ';');
    switch (l.k) {
      case 'elem': {
        const v = l.cast ? cast(l.type, index(l.base, l.at)) : index(l.base, l.at);
        def(l.name, l.type, l.add ? add(v, l.add) : v);
        return;
      }
      case 'word': def(l.name, 'int32_t', call(`${p}_word`, add(l.base, l.at))); return;
      case 'pair16': def(l.name, 'int32_t', call('PAIR', l.base, l.at)); return;
      case 'lanes': {
        // x[at] + x[at2] * 2^shift, on two lines: the lanes read as a sum of two terms
        const term = (at: typeof l.at) => (l.add ? add(cast('int32_t', index(l.base, at)), l.add) : cast('int32_t', index(l.base, at)));
        const hi = term(l.at2);
        w.line(ind, `const int32_t ${l.name} = ${this.e(term(l.at))}`);
        w.line(ind + INDENT, `+ (${this.e(hi)}) * ${2 ** l.shift};`);
        return;
      }
      case 'pack8': def(l.name, 'int32_t', call('PACK8', index(l.base, l.at), index(l.base, l.at2))); return;
      case 'ldrd':
        w.line(ind, `int32_t ${l.lo};`);
        this.exprLine(ind, '', call(l.pre ? 'LDRD_PRE' : 'LDRD_POST', l.lo, l.hi, l.ptr, l.step), ';');
        return;
      case 'sxtb16':
        def(l.name, 'int32_t', l.rotate === 0
          ? (l.addPair ? intrinsic('__sxtab16', 'OFFSET_PAIR', l.src) : intrinsic('__sxtb16', l.src))
          : call(l.addPair ? `${p}_odd_offset` : `${p}_odd`, l.src));
        return;
      default: {
        const never: never = l;
        throw new Error(`emit-c: unknown load ${JSON.stringify(never)}`);
      }
    }
  }

  private mac(m: Mac, ind: number): void {
    const w = this.w;
    const line = (e: Expr) => this.exprLine(ind, '', e, ';');
    const long = (ins: string, x: Expr, wt: Expr) => line(call('MAC_LONG', lit(`"${ins}"`), `${m.acc}l`, `${m.acc}h`, x, wt));
    switch (m.form) {
      case 'single':
        if (m.repr === 'split') long('smlal', m.x, m.w);
        else line(assign(m.acc, { k: 'bin', op: '*', a: m.x, b: m.w }, '+='));
        return;
      case 'dual':
        if (m.repr === 'split') long('smlald', m.x, m.w);
        else line(assign(m.acc, intrinsic(m.repr === 'int64' ? '__smlald' : '__smlad', m.x, m.w, m.acc)));
        return;
      case 'halves':
        if (m.repr === 'split') long(`smlal${m.sel}`, m.x, m.w);
        else if (m.repr === 'int64') line(assign(m.acc, call(`${this.ir.name}_smlal${m.sel}`, m.x, m.w, m.acc)));
        else line(assign(m.acc, intrinsic(`__smla${m.sel}`, m.x, m.w, m.acc)));
        return;
      case 'quad': {
        const op = m.repr === 'int64' ? '__smlald' : '__smlad';
        line(assign(m.acc, intrinsic(op, m.x[0], m.w[0], m.acc)));
        line(assign(m.acc, intrinsic(op, m.x[1], m.w[1], m.acc)));
        return;
      }
      case 'lane': line(call('LANE_MAC', `${m.acc}l`, `${m.acc}h`, ...(m.rs === 'w' ? [m.x, m.w] : [m.w, m.x]))); return;
      default: {
        const never: never = m;
        throw new Error(`emit-c: unknown MAC form ${JSON.stringify(never)}`);
      }
    }
  }
}

/** The items of a kernel's .c after its `#include "<name>.h"` line. */
export function printItems(ir: KernelIR, o: PrintOptions): string {
  const p = new Printer(ir, o);
  for (const it of ir.items) p.item(it);
  return p.w.text();
}
