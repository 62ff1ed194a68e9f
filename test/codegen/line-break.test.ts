/**
 * The printer's line budget (src/emit-c/break.ts): a statement that fits stays on one line, exactly as printed before;
 * one that does not is broken at argument or operator boundaries, every line within the budget, each continuation one
 * indent deeper, and the C text itself unchanged (the same tokens in the same order).
 */
import { describe, expect, it } from 'vitest';
import { exprLines, LINE_BUDGET, listLines } from '../../src/emit-c/break.ts';
import { printExpr } from '../../src/emit-c/expr.ts';
import { printItems } from '../../src/emit-c/print.ts';
import { add, assign, call, cast, cond, id, index, mul, paren, ptr, scalar, sub } from '../../src/ir/expr.ts';
import type { Expr, Item, KernelIR } from '../../src/ir/kernel-ir.ts';

const o = { fold: true };
/** The text without its layout: what the compiler reads. */
const tokens = (lines: string[]): string => lines.join(' ').replace(/\s+/g, ' ').replace(/\( /g, '(').trim();
const long = (n: string) => `${n}_with_a_name_long_enough_to_matter`;

function expectWithin(lines: string[]): void {
  for (const l of lines) expect(l.length, l).toBeLessThanOrEqual(LINE_BUDGET);
}

describe('line budget', () => {
  it('leaves a statement that fits on one line, as printExpr prints it', () => {
    const e = assign('acc', add(mul('x', 'w'), 0), '+=');
    expect(exprLines(8, '', e, ';', o)).toEqual([`        ${printExpr(e, o)};`]);
    // exactly at the budget still fits
    const name = 'v'.repeat(LINE_BUDGET - '    f();'.length);
    expect(exprLines(4, '', call('f'), ';', o)).toEqual(['    f();']);
    expect(exprLines(4, '', id(name), ';', o)).toEqual([`    ${name};`]);
  });

  it('breaks a long call after a comma, filling each line, continued one indent deeper', () => {
    const args = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta'].map((a) => long(a));
    const e = call('kernel_block', ...args);
    const lines = exprLines(12, '', e, ';', o);
    expect(lines.length).toBeGreaterThan(1);
    expectWithin(lines);
    expect(lines[0]).toMatch(/^ {12}kernel_block\(alpha_\S+, /);
    for (const l of lines.slice(1)) expect(l).toMatch(/^ {16}\S/);
    for (const l of lines.slice(0, -1)) expect(l).toMatch(/,$/);
    expect(lines.at(-1)).toMatch(/\);$/);
    expect(tokens(lines)).toBe(`${printExpr(e, o)};`);
    // greedy: no line could have taken the next argument too
    for (let i = 0; i + 1 < lines.length; i++) {
      const next = lines[i + 1].trim().split(', ')[0].replace(/[,;)]+$/, '');
      expect(lines[i].length + 1 + next.length + 1).toBeGreaterThan(LINE_BUDGET);
    }
  });

  it('breaks an operator chain before an operator, and a long operand again one indent deeper', () => {
    const rows = mul(paren(add(mul('oy', 'STRIDE_H'), mul(long('reg->ky_lo'), 'DILATION_H'))), paren(mul(long('IN_W'), long('IN_C'))));
    const e = assign('row', add(rows, mul(paren(sub(long('reg->kx_lo'), 'PAD_LEFT')), long('IN_C'))), '+=');
    const lines = exprLines(12, '', e, ';', o);
    expectWithin(lines);
    expect(lines[0]).toMatch(/^ {12}row \+= \(oy \* STRIDE_H/);
    expect(lines).toContainEqual(expect.stringMatching(/^ {20}\* \(IN_W/));
    expect(lines.at(-1)).toMatch(/^ {16}\+ \(reg->kx_lo\S+ - PAD_LEFT\) \* IN_C\S+;$/);
    expect(tokens(lines)).toBe(`${printExpr(e, o)};`);
  });

  it('starts the arguments on the next line when the first does not fit after the call but fits there', () => {
    const first = add(add(call(long('seed_of'), 'o1'), cast('int32_t', paren(sub('l0_0h', 'l0_0l')))), cast('int32_t', 't'));
    const e = assign(call('OUT_AT', 'o1', 'oy', 'ox'), call(long('finish_call'), first, 'o1'));
    const lines = exprLines(8, '', e, ';', o);
    expectWithin(lines);
    expect(lines[0]).toMatch(/finish_call\S*\($/);
    expect(lines[1]).toMatch(/^ {12}seed_of/);
    expect(tokens(lines)).toBe(`${printExpr(e, o)};`);
  });

  it('breaks a conditional before ? and :, and an index inside its brackets', () => {
    const c = cond(add(long('a'), long('b')), mul(long('c'), long('d')), sub(long('e'), long('f')));
    const lines = exprLines(4, 'x = ', c, ';', o);
    expectWithin(lines);
    expect(lines.some((l) => /^ {8}\? /.test(l))).toBe(true);
    expect(lines.some((l) => /^ {8}: /.test(l))).toBe(true);
    expect(tokens(lines)).toBe(`x = ${printExpr(c, o)};`);
    const ix = index('weights', add(mul(paren(add(mul(long('o'), long('in_per_group')), 'ci')), long('s->kernel_h')), 'kx'));
    const il = exprLines(32, 'const int8_t w = ', ix, ';', o);
    expectWithin(il);
    // the outer + lines up under nothing of the inner chain: it starts its own line, one indent in
    expect(il.at(-1)).toMatch(/^ {36}\+ kx\];$/);
    expect(tokens(il)).toBe(`const int8_t w = ${printExpr(ix, o)};`);
  });

  it('does not count a trailing comment: a comment is no reason to break code', () => {
    const e = cast('int32_t', paren(sub(mul('x', long('scale')), long('offset'))));
    const note = ' /* ' + 'a long explanation '.repeat(4) + '*/';
    const lines = exprLines(4, 'const int32_t v = ', e, ';', o, note);
    expect(lines).toEqual([`    const int32_t v = ${printExpr(e, o)};${note}`]);
    expect(lines[0].length).toBeGreaterThan(LINE_BUDGET);
  });

  it('fills parameter and for-loop clause lists the same way', () => {
    const params = ['const int8_t *restrict px0', 'const int8_t *restrict wbase', 'int8_t *restrict out0',
      'const int32_t *restrict seeds', 'int o0', 'int rows', 'int count'];
    const head = `static void ${long('kernel_dot0_n1_o4_p1')}(`;
    const lines = listLines(0, head, params, ')', '', o);
    expectWithin(lines);
    expect(lines[1]).toMatch(/^ {4}\S/);
    expect(tokens(lines)).toBe(`${head}${params.join(', ')})`);
    const loop = listLines(4, 'for (', [`int i = (PAD_LEFT + ${long('IN_W')}) * ${long('IN_C')}`, 'i < STAGE_ROW_ELEMS', '++i'],
      ')', ' {', o, { sep: ';' });
    expectWithin(loop);
    expect(loop).toHaveLength(2);
    expect(loop[0]).toMatch(/;$/);
    expect(loop[1]).toMatch(/^ {8}i < STAGE_ROW_ELEMS; \+\+i\) \{$/);
  });

  it('keeps a hand-wrapped list that fits, and refills it when it does not; long defines and buffers continue on the next line', () => {
    const fn = (name: string): Item => ({ k: 'func', fn: {
      name, linkage: 'static', ret: scalar('void'), wrapAfter: 2, body: [],
      params: [
        { name: 'input', type: ptr('int8_t', { const: true, restrict: true }) },
        { name: 'weights', type: ptr('int8_t', { const: true, restrict: true }) },
        { name: 'output', type: ptr('int8_t', { restrict: true }) },
        { name: 'o0', type: scalar('int') }, { name: 'count', type: scalar('int') },
      ],
    } });
    const ir = (items: Item[]): KernelIR => ({ name: 'k', NAME: 'K', banner: { style: 'line', lines: [] }, items, entry: 'k' } as unknown as KernelIR);
    const short = printItems(ir([fn('k_short')]), o).split('\n');
    expect(short.slice(0, 2)).toEqual([
      'static void k_short(const int8_t *restrict input, const int8_t *restrict weights,',
      '    int8_t *restrict output, int o0, int count)']);
    const longName = `k_${'x'.repeat(60)}`;
    const refilled = printItems(ir([fn(longName)]), o).split('\n');
    expectWithin(refilled);
    expect(refilled[0]).toBe(`static void ${longName}(const int8_t *restrict input,`);
    const body = `(&${'s'.repeat(30)}_stage[((((iy) % STAGE_ROWS) + STAGE_ROWS) % STAGE_ROWS) * STAGE_ROW_ELEMS])`;
    const text = printItems(ir([
      { k: 'define', name: 'STAGE_SLOT', params: ['iy'], body },
      { k: 'define', name: 'SHORT', body: '1' },
      { k: 'buffer', elem: 'int16_t', name: `${'s'.repeat(30)}_stage`, size: `2 * STAGE_ROWS * STAGE_W * ${'S'.repeat(25)}_IN_C`, align: 4 },
    ] as Item[]), o).split('\n');
    expectWithin(text);
    expect(text.slice(0, 3)).toEqual(['#define STAGE_SLOT(iy) \\', `    ${body}`, '#define SHORT 1']);
    expect(text[4]).toBe('    __attribute__((aligned(4)));');
  });

  it('lays out random long expressions within the budget without changing their text', () => {
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    const gen = (d: number): Expr => {
      if (d === 0 || rnd(5) === 0) return id(`${['px', 'weights', 'STRIDE_W', 'reg->ky_lo', 'acc'][rnd(5)]}_${'x'.repeat(rnd(24))}${rnd(100)}`);
      switch (rnd(4)) {
        case 0: return add(gen(d - 1), gen(d - 1));
        case 1: return mul(paren(gen(d - 1)), gen(d - 1));
        case 2: return call(`fn_${rnd(10)}`, ...Array.from({ length: 1 + rnd(4) }, () => gen(d - 1)));
        default: return sub(gen(d - 1), cast('int32_t', gen(d - 1)));
      }
    };
    let broken = 0;
    for (let i = 0; i < 300; i++) {
      const e = assign(id('out'), gen(6));
      const lines = exprLines(8, '', e, ';', o);
      if (lines.length > 1) broken++;
      expect(tokens(lines)).toBe(`${printExpr(e, o)};`);
      // a line can only stay over the budget when it holds a single unbreakable name
      for (const l of lines) if (l.length > LINE_BUDGET) expect(l.trim()).toMatch(/^\S+$/);
    }
    expect(broken).toBeGreaterThan(50);
  });
});
