import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.ts';
import { readTypeScriptSpec } from '../../src/files/typescript-spec.ts';

const FILE = 'edge.kernel.ts';
const HINT = '(specs are read, never executed)';
const IMPORTS_ONLY = `only \`import { defineKernel } from 'convgen'\` and type imports ${HINT}`;

const read = (src: string): unknown => readTypeScriptSpec(FILE, src);

/** Wrap a value expression as the body of a one-line spec: `export default defineKernel({ v: <expr> });`. */
const spec = (expr: string, before = ''): string =>
  `import { defineKernel } from 'convgen';\n${before}export default defineKernel({ v: ${expr} });\n`;
const valueOf = (expr: string, before = ''): unknown => (read(spec(expr, before)) as { v: unknown }).v;

function errorOf(src: string, path = FILE): InputError {
  try {
    readTypeScriptSpec(path, src);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    const err = e as InputError;
    expect(err.exitCode).toBe(2);
    expect(err.message).not.toContain('\n');
    return err;
  }
  throw new Error('expected an InputError, but the spec was accepted');
}
const messageOf = (src: string): string => errorOf(src).message;

describe('allowed forms', () => {
  it('reads the documented example', () => {
    const src = [
      "import { defineKernel } from 'convgen';",
      'const CH = 8;',
      'const FRAC = { inputFrac: 12, weightFrac: 14 } as const;',
      'export default defineKernel({',
      "  name: 'edge3x3',",
      '  input: { channels: 3, height: 32, width: 32 },',
      '  output: { channels: CH },',
      '  kernel: [3, 3],',
      "  padding: 'same',",
      "  numeric: { type: 'q15', ...FRAC, outputFrac: 12 },   // spread of a const object literal: allow it",
      '  weights: { values: [1, -2, 3] },',
      '});',
    ].join('\n');
    expect(read(src)).toEqual({
      name: 'edge3x3',
      input: { channels: 3, height: 32, width: 32 },
      output: { channels: 8 },
      kernel: [3, 3],
      padding: 'same',
      numeric: { type: 'q15', inputFrac: 12, weightFrac: 14, outputFrac: 12 },
      weights: { values: [1, -2, 3] },
    });
  });

  it('accepts a bare object literal, with satisfies, as const or a type assertion', () => {
    expect(read('export default { a: 1 };')).toEqual({ a: 1 });
    expect(read("import type { KernelSpec } from 'convgen';\nexport default { a: 1 } satisfies KernelSpec;")).toEqual({ a: 1 });
    expect(read('export default { a: [1, 2] } as const;')).toEqual({ a: [1, 2] });
    expect(read('export default ({ a: 1 } as const) satisfies object;')).toEqual({ a: 1 });
    expect(read('export default <object>{ a: 1 };')).toEqual({ a: 1 });
    expect(read("import { defineKernel } from 'convgen';\nexport default defineKernel({ a: 1 }) satisfies object;")).toEqual({ a: 1 });
  });

  it('reads string, number, boolean and null literals', () => {
    expect(valueOf(`['a', "b", \`c\`, 'it\\'s', "\\u00e9"]`)).toEqual(['a', 'b', 'c', "it's", 'é']);
    expect(valueOf('[0, 1.5, 1e3, 1_000, 0x7fff, 0X10, 0o17, 0b101, .5]')).toEqual([0, 1.5, 1000, 1000, 32767, 16, 15, 5, 0.5]);
    expect(valueOf('[true, false, null]')).toEqual([true, false, null]);
  });

  it('reads signed numbers, parentheses and type wrappers', () => {
    expect(valueOf('[-3, +3, -0x10, -(4), (5), -1.5e-3, 6 as number, <number>7, (8 satisfies number)]')).toEqual([
      -3, 3, -16, -4, 5, -1.5e-3, 6, 7, 8,
    ]);
    expect(Object.is(valueOf('-0'), -0)).toBe(true);
  });

  it('returns bigint literals as bigints', () => {
    expect(valueOf('[123n, -123n, 0x7fffffffffffffffn, -9223372036854775808n, 1_000n]')).toEqual([
      123n,
      -123n,
      0x7fffffffffffffffn,
      -9223372036854775808n,
      1000n,
    ]);
    expect(typeof valueOf('5n')).toBe('bigint');
  });

  it('resolves consts, in any order, through chains, shorthand and spreads', () => {
    const before = [
      'const LATER = { x: FIRST, y: [...LIST, 4] };',
      'const FIRST = SECOND;',
      'export const SECOND: number = 2;',
      'const LIST = [1, 2, 3] as const;',
      "const A = 'a', B = 'b';",
    ].join('\n');
    expect(valueOf('[LATER, A, B, { FIRST, ...LATER, x: 9 }]', `${before}\n`)).toEqual([
      { x: 2, y: [1, 2, 3, 4] },
      'a',
      'b',
      { FIRST: 2, x: 9, y: [1, 2, 3, 4] },
    ]);
  });

  it('lets a later property override a spread, and a spread override an earlier property', () => {
    expect(valueOf('{ a: 0, ...O, c: 3 }', 'const O = { a: 1, b: 2 };\n')).toEqual({ a: 1, b: 2, c: 3 });
  });

  it('gives every use of a const its own copy', () => {
    const v = valueOf('[O, O]', 'const O = { list: [1] };\n') as { list: number[] }[];
    v[0].list.push(2);
    expect(v[1].list).toEqual([1]);
  });

  it('accepts string, numeric and quoted property names, keeping __proto__ as plain data', () => {
    const v = valueOf(`{ 'a-b': 1, "c": 2, 3: 'x', 0x10: 'y', __proto__: { p: 1 } }`) as Record<string, unknown>;
    expect(Object.keys(v)).toEqual(['3', '16', 'a-b', 'c', '__proto__']);
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(v, '__proto__')?.value).toEqual({ p: 1 });
  });

  it('accepts aliased, type and sub-path imports, type declarations, local exports and directives', () => {
    const src = [
      "'use strict';",
      "import { defineKernel as dk, type KernelSpec } from 'convgen';",
      "import type { Other } from './types.ts';",
      "import type Def from 'somewhere';",
      "import { type Q } from 'convgen/spec';",
      "import { defineKernel } from 'convgen/define';",
      'type Local = { a: number };',
      'interface Shape { a: number }',
      'const C = 1;',
      'export { C };',
      'export type { Local };',
      ';',
      'export default dk({ a: C } satisfies Local);',
    ].join('\n');
    expect(read(src)).toEqual({ a: 1 });
  });

  it('tolerates a defineKernel call without its import (it is never called)', () => {
    expect(read('export default defineKernel({ a: 1 });')).toEqual({ a: 1 });
  });

  it('strips a byte-order mark', () => {
    expect(read('\ufeffexport default { a: 1 };')).toEqual({ a: 1 });
  });
});

describe('rejected expressions, with their position', () => {
  it('rejects arithmetic at the exact line and column', () => {
    const src = [
      "import { defineKernel } from 'convgen';",
      '',
      'export default defineKernel({',
      "  name: 'edge',",
      '  input: { channels: 3, height: 32, width: 32 },',
      '  output: { channels: 8 },',
      '  kernel: [3 * 4, 3],',
      '});',
    ].join('\n');
    expect(messageOf(src)).toBe(
      `${FILE}:7:12: binary expression '3 * 4' is not allowed in a kernel spec: use a literal ${HINT}`,
    );
  });

  // Each value starts at line 2, column 34 of spec(): `export default defineKernel({ v: <here>`.
  const at = (col = 34, line = 2): string => `${FILE}:${line}:${col}`;
  const cases: [string, string][] = [
    ['Math.max(1, 2)', `function call 'Math.max(1, 2)' is not allowed in a kernel spec: use a literal ${HINT}`],
    ['defineKernel({})', `function call 'defineKernel({})' is not allowed in a kernel spec: use a literal ${HINT}`],
    ['new Array(3)', `'new' expression 'new Array(3)' is not allowed in a kernel spec: use a literal ${HINT}`],
    ['`q${15}`', `template literal with substitutions '\`q\${15}\`' is not allowed in a kernel spec: write the whole string literally ${HINT}`],
    ['String.raw`x`', `tagged template 'String.raw\`x\`' is not allowed in a kernel spec: use a literal ${HINT}`],
    ['1 > 0 ? 1 : 2', `conditional expression '1 > 0 ? 1 : 2' is not allowed in a kernel spec: use a literal ${HINT}`],
    ['() => 1', `function '() => 1' is not allowed in a kernel spec: use a literal ${HINT}`],
    ['function () { return 1; }', `function 'function () { return 1; }' is not allowed in a kernel spec: use a literal ${HINT}`],
    ['/ab+/', `regular expression '/ab+/' is not allowed in a kernel spec: use a literal ${HINT}`],
    ['!true', `unary expression '!true' is not allowed in a kernel spec: use a literal ${HINT}`],
    ['~1', `unary expression '~1' is not allowed in a kernel spec: use a literal ${HINT}`],
    ['typeof 1', `unary expression 'typeof 1' is not allowed in a kernel spec: use a literal ${HINT}`],
    ['-"1"', `unary expression '-"1"' is not allowed in a kernel spec: '-' and '+' apply only to number literals; use a literal ${HINT}`],
    ['+5n', `unary '+' on the bigint '+5n' is not allowed (it throws in JavaScript): write the bigint literal alone`],
    ['this', `'this' is not allowed in a kernel spec: use a literal ${HINT}`],
    ['undefined', `'undefined' is not allowed in a kernel spec: leave the property out instead`],
    ['NaN', `identifier 'NaN' is not a const declared in this file: use a literal ${HINT}`],
    ['9007199254740993', `integer 9007199254740993 is beyond 2^53 and would lose precision: write it as a bigint literal (9007199254740993n)`],
    ['0x20000000000001', `integer 0x20000000000001 is beyond 2^53 and would lose precision: write it as a bigint literal (0x20000000000001n)`],
    ['1e999', `number '1e999' is too large for a float64`],
  ];
  for (const [expr, detail] of cases) {
    it(`rejects ${expr}`, () => {
      expect(messageOf(spec(expr))).toBe(`${at()}: ${detail}`);
    });
  }

  it('points inside nested values', () => {
    expect(messageOf(spec('[1, { a: [2, 3 + 1] }]'))).toBe(
      `${at(47)}: binary expression '3 + 1' is not allowed in a kernel spec: use a literal ${HINT}`,
    );
    expect(messageOf(spec('-(-1)'))).toBe(
      `${at()}: unary expression '-(-1)' is not allowed in a kernel spec: '-' and '+' apply only to number literals; use a literal ${HINT}`,
    );
    expect(messageOf(spec('-X', 'const X = 1;\n'))).toBe(
      `${at(34, 3)}: unary expression '-X' is not allowed in a kernel spec: '-' and '+' apply only to number literals; use a literal ${HINT}`,
    );
    expect(messageOf(spec('-9007199254740993'))).toBe(
      `${at(35)}: integer -9007199254740993 is beyond 2^53 and would lose precision: write it as a bigint literal (-9007199254740993n)`,
    );
  });

  it('rejects property and element access on consts', () => {
    const before = 'const FRAC = { inputFrac: 12 };\n';
    expect(messageOf(spec('FRAC.inputFrac', before))).toBe(
      `${at(34, 3)}: property access 'FRAC.inputFrac' is not allowed in a kernel spec: write the value literally, or spread a const object ${HINT}`,
    );
    expect(messageOf(spec("FRAC['inputFrac']", before))).toBe(
      `${at(34, 3)}: element access 'FRAC['inputFrac']' is not allowed in a kernel spec: write the value literally, or spread a const object ${HINT}`,
    );
  });

  it('rejects computed names, getters, setters, methods and shorthand defaults', () => {
    expect(messageOf(spec("{ ['a']: 1 }"))).toBe(
      `${at(36)}: computed property name '['a']' is not allowed in a kernel spec: write the name literally ${HINT}`,
    );
    expect(messageOf(spec('{ get a() { return 1; } }'))).toBe(
      `${at(36)}: getter 'get a() { return 1; }' is not allowed in a kernel spec: use a literal ${HINT}`,
    );
    expect(messageOf(spec('{ set a(x) {} }'))).toBe(`${at(36)}: setter 'set a(x) {}' is not allowed in a kernel spec: use a literal ${HINT}`);
    expect(messageOf(spec('{ a() { return 1; } }'))).toBe(
      `${at(36)}: method 'a() { return 1; }' is not allowed in a kernel spec: use a literal ${HINT}`,
    );
  });

  it('rejects holes, repeated names and mismatched spreads', () => {
    expect(messageOf(spec('[1, , 2]'))).toBe(`${at()}: array with a hole '[1, , 2]' is not allowed in a kernel spec: write every element`);
    expect(messageOf(spec('{ a: 1, b: 2, a: 3 }'))).toBe(`${at(48)}: property 'a' is given twice in this object`);
    expect(messageOf(spec('{ ...L }', 'const L = [1];\n'))).toBe(`${at(36, 3)}: spread '...L' inside an object needs an object, found an array`);
    expect(messageOf(spec('[...O]', 'const O = { a: 1 };\n'))).toBe(`${at(35, 3)}: spread '...O' inside an array needs an array, found an object`);
    expect(messageOf(spec("[...'ab']"))).toBe(`${at(35)}: spread '...'ab'' inside an array needs an array, found the string "ab"`);
  });

  it('rejects identifiers that are not consts of this file', () => {
    expect(messageOf(spec('other'))).toBe(`${at()}: identifier 'other' is not a const declared in this file: use a literal ${HINT}`);
    expect(messageOf(spec('{ other }'))).toBe(`${at(36)}: identifier 'other' is not a const declared in this file: use a literal ${HINT}`);
    expect(messageOf(spec('defineKernel'))).toBe(`${at()}: identifier 'defineKernel' refers to an import, not a value in this file: use a literal ${HINT}`);
    const typeImport = "import type { Q } from 'convgen';\n";
    expect(messageOf(spec('Q', typeImport))).toBe(`${at(34, 3)}: identifier 'Q' refers to an import, not a value in this file: use a literal ${HINT}`);
  });

  it('checks every const, even unused ones', () => {
    expect(messageOf(spec('1', 'const NOW = Date.now();\n'))).toBe(
      `${FILE}:2:13: function call 'Date.now()' is not allowed in a kernel spec: use a literal ${HINT}`,
    );
  });
});

describe('cycles', () => {
  it('detects a const that refers to itself', () => {
    expect(messageOf(spec('A', 'const A = [1, A];\n'))).toBe(`${FILE}:2:15: const 'A' refers to itself (A -> A): a spec value must be finite data`);
  });

  it('detects longer cycles, through shorthand and spread too', () => {
    expect(messageOf(spec('A', 'const A = { b: B };\nconst B = [C];\nconst C = { ...A };\n'))).toBe(
      `${FILE}:4:16: const 'A' refers to itself (A -> B -> C -> A): a spec value must be finite data`,
    );
    expect(messageOf(spec('1', 'const A = { B };\nconst B = { A };\n'))).toBe(
      `${FILE}:3:13: const 'A' refers to itself (A -> B -> A): a spec value must be finite data`,
    );
  });

  it('allows the same const twice without calling it a cycle', () => {
    expect(valueOf('[A, A, [A]]', 'const A = 1;\n')).toEqual([1, 1, [1]]);
  });
});

describe('rejected statements and declarations', () => {
  const line2 = (detail: string): string => `${FILE}:2:1: ${detail}`;

  it("rejects 'let' and 'var', used or not", () => {
    expect(messageOf(spec('X', 'let X = 1;\n'))).toBe(line2(`'let' declaration is not allowed in a kernel spec: use 'const' ${HINT}`));
    expect(messageOf(spec('1', 'var Y = 1;\n'))).toBe(line2(`'var' declaration is not allowed in a kernel spec: use 'const' ${HINT}`));
  });

  it('rejects destructuring, declare const and a const without a value', () => {
    expect(messageOf(spec('1', 'const { a } = { a: 1 };\n'))).toBe(
      `${FILE}:2:7: destructuring '{ a }' is not allowed in a kernel spec: declare each const with a literal ${HINT}`,
    );
    expect(messageOf(spec('1', 'declare const D: number;\n'))).toBe(
      line2(`'declare const' is not allowed in a kernel spec: give the const a literal value ${HINT}`),
    );
    expect(messageOf(spec('1', 'const E;\n'))).toBe(`${FILE}:2:7: const 'E' has no value: give it a literal ${HINT}`);
  });

  it('rejects imports other than defineKernel and types', () => {
    expect(messageOf(spec('1', "import fs from 'node:fs';\n"))).toBe(`${FILE}:2:8: default import 'fs' from 'node:fs' is not allowed in a kernel spec: ${IMPORTS_ONLY}`);
    expect(messageOf(spec('1', "import * as cg from 'convgen';\n"))).toBe(`${FILE}:2:8: namespace import '* as cg' from 'convgen' is not allowed in a kernel spec: ${IMPORTS_ONLY}`);
    expect(messageOf(spec('1', "import { q15 } from 'convgen';\n"))).toBe(`${FILE}:2:10: import of 'q15' from 'convgen' is not allowed in a kernel spec: ${IMPORTS_ONLY}`);
    expect(messageOf(spec('1', "import { defineKernel as d2 } from './mine.ts';\n"))).toBe(
      `${FILE}:2:10: import of 'defineKernel' from './mine.ts' is not allowed in a kernel spec: ${IMPORTS_ONLY}`,
    );
    expect(messageOf(spec('1', "import {} from './setup.ts';\n"))).toBe(
      line2(`side-effect import 'import {} from './setup.ts';' is not allowed in a kernel spec: ${IMPORTS_ONLY}`),
    );
    expect(messageOf(spec('1', "import './setup.ts';\n"))).toBe(
      line2(`side-effect import 'import './setup.ts';' is not allowed in a kernel spec: ${IMPORTS_ONLY}`),
    );
  });

  it('rejects code statements and declarations', () => {
    const stmt = (what: string): string => line2(`${what} is not allowed in a kernel spec: a spec holds only data ${HINT}`);
    expect(messageOf(spec('1', 'console.log(1);\n'))).toBe(stmt("statement 'console.log(1);'"));
    expect(messageOf(spec('1', 'function f() {}\n'))).toBe(stmt("function declaration 'function f() {}'"));
    expect(messageOf(spec('1', 'class K {}\n'))).toBe(stmt("class declaration 'class K {}'"));
    expect(messageOf(spec('1', 'enum E { A }\n'))).toBe(stmt("enum 'enum E { A }'"));
    expect(messageOf(spec('1', 'namespace N {}\n'))).toBe(stmt("namespace 'namespace N {}'"));
    expect(messageOf(spec('1', 'if (1) {}\n'))).toBe(stmt("statement 'if (1) {}'"));
    expect(messageOf(spec('1', "export * from './x.ts';\n"))).toBe(
      line2(`re-export 'export * from './x.ts';' is not allowed in a kernel spec: it would load another module ${HINT}`),
    );
  });
});

describe('the default export', () => {
  it('is required', () => {
    expect(messageOf('const A = { a: 1 };\n')).toBe(`${FILE}: no default export: a kernel spec needs \`export default defineKernel({...})\``);
    expect(errorOf('').where).toBe(FILE);
  });

  it('must be defineKernel(...) or an object literal', () => {
    const must = (snip: string): string => `default export '${snip}' must be defineKernel({...}) or an object literal ${HINT}`;
    expect(messageOf('const A = { a: 1 };\nexport default A;\n')).toBe(`${FILE}:2:16: ${must('A')}`);
    expect(messageOf('export default [1];\n')).toBe(`${FILE}:1:16: ${must('[1]')}`);
    expect(messageOf('export default makeSpec({ a: 1 });\n')).toBe(`${FILE}:1:16: ${must('makeSpec({ a: 1 })')}`);
    expect(messageOf("import { defineKernel } from 'convgen';\nexport default defineKernel?.({});\n")).toBe(`${FILE}:2:16: ${must('defineKernel?.({})')}`);
    expect(messageOf('const defineKernel = 1;\nexport default defineKernel({});\n')).toBe(`${FILE}:2:16: ${must('defineKernel({})')}`);
  });

  it('needs exactly one object argument', () => {
    const head = "import { defineKernel } from 'convgen';\n";
    expect(messageOf(`${head}export default defineKernel();`)).toBe(`${FILE}:2:16: defineKernel(...) takes exactly one argument, the spec object; found 0`);
    expect(messageOf(`${head}export default defineKernel({}, {});`)).toBe(`${FILE}:2:16: defineKernel(...) takes exactly one argument, the spec object; found 2`);
    expect(messageOf(`${head}export default defineKernel(3);`)).toBe(`${FILE}:2:29: the argument of defineKernel(...) must be an object, found the number 3`);
    expect(messageOf(`${head}export default defineKernel([]);`)).toBe(`${FILE}:2:29: the argument of defineKernel(...) must be an object, found an array`);
    expect(messageOf(`${head}const A = [{}];\nexport default defineKernel(...A);`)).toBe(`${FILE}:3:29: spread argument '...A' is not allowed: pass the spec object`);
  });

  it('accepts a const object as the argument', () => {
    expect(read("import { defineKernel } from 'convgen';\nconst S = { a: 1 };\nexport default defineKernel(S);")).toEqual({ a: 1 });
  });

  it('rejects export =, two default exports and export { x as default }', () => {
    expect(messageOf('export = { a: 1 };\n')).toBe(`${FILE}:1:1: 'export =' is not allowed: use \`export default defineKernel({...})\``);
    expect(messageOf('export default { a: 1 };\nexport default { b: 2 };\n')).toBe(`${FILE}:2:1: a module can have only one default export`);
    expect(messageOf('const S = { a: 1 };\nexport { S as default };\n')).toBe(
      `${FILE}:2:10: 'export { ... as default }' is not allowed: use \`export default defineKernel({...})\``,
    );
  });
});

describe('syntax errors', () => {
  it('reports the first TypeScript syntax error with its position', () => {
    expect(messageOf("import { defineKernel } from 'convgen';\nexport default defineKernel({\n  a: 1,\n  b: ,\n});\n")).toBe(
      `${FILE}:4:6: TypeScript syntax error: Expression expected.`,
    );
    expect(messageOf('export default {')).toBe(`${FILE}:1:17: TypeScript syntax error: '}' expected.`);
    expect(messageOf('export default { a: 010 };')).toBe(`${FILE}:1:21: TypeScript syntax error: Octal literals are not allowed. Use the syntax '0o10'.`);
  });
});

describe('files on disk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'convgen-tsspec-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a real file and uses its path in messages', () => {
    const ok = join(dir, 'ok.kernel.ts');
    writeFileSync(ok, spec("'from disk'"));
    expect(readTypeScriptSpec(ok)).toEqual({ v: 'from disk' });
    const bad = join(dir, 'bad.kernel.ts');
    writeFileSync(bad, spec('2 ** 3'));
    const err = errorOf(readFileSync(bad, 'utf8'), bad);
    expect(err.where).toBe(`${bad}:2:34`);
    expect(() => readTypeScriptSpec(bad)).toThrow(`${bad}:2:34: binary expression '2 ** 3' is not allowed`);
  });

  it('reports a missing file and a directory', () => {
    const missing = join(dir, 'missing.kernel.ts');
    const err = errorOf(undefined as unknown as string, missing);
    expect(err.where).toBe(missing);
    expect(err.detail).toBe('file not found');
    expect(err.message).toBe(`${missing}: file not found`);
    expect(() => readTypeScriptSpec(dir)).toThrow(new InputError(dir, 'is a directory, not a file'));
  });

  it('never touches the disk when given the text', () => {
    expect(readTypeScriptSpec(join(dir, 'does-not-exist.kernel.ts'), 'export default { a: 1 };')).toEqual({ a: 1 });
  });
});

