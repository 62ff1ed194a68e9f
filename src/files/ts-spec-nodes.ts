/**
 * What the syntax nodes of a `*.kernel.ts` spec mean to its reader (type-only wrappers, literals, copies of plain data)
 * and how its messages describe them: the value kinds, expressions and statements a spec may not use, with hints.
 */
import { Node, SyntaxKind, type PrefixUnaryExpression } from 'ts-morph';
import { SPEC_BOUNDS } from './expansion.ts';

export type Value = null | boolean | number | bigint | string | Value[] | { [key: string]: Value };

export const READ_ONLY_HINT = '(specs are read, never executed)';
export const LITERAL_HINT = `use a literal ${READ_ONLY_HINT}`;
export const IMPORTS_HINT = `only \`import { defineKernel } from 'convgen'\` and type imports ${READ_ONLY_HINT}`;
export const CONVGEN_MODULE = /^convgen(\/.*)?$/;

/** Strip the purely type-level wrappers, which do not change the value. */
export function unwrap(node: Node): Node {
  let n = node;
  for (;;) {
    if (
      Node.isParenthesizedExpression(n) ||
      Node.isAsExpression(n) ||
      Node.isSatisfiesExpression(n) ||
      Node.isTypeAssertion(n) ||
      Node.isNonNullExpression(n)
    ) {
      n = n.getExpression();
    } else {
      return n;
    }
  }
}

export function unwrapParens(node: Node): Node {
  let n = node;
  while (Node.isParenthesizedExpression(n)) n = n.getExpression();
  return n;
}

export function bigintOf(node: Node): bigint {
  return BigInt(node.getText().replace(/_/g, '').replace(/n$/, ''));
}

export function isPlainObject(v: Value): v is { [key: string]: Value } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Define rather than assign, so a key such as `__proto__` stays ordinary data as in JSON.parse. */
export function setOwn(obj: { [key: string]: Value }, key: string, value: Value): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A deep copy (depth is bounded by SPEC_BOUNDS.depth, so the recursion is too). */
export function copy(v: Value): Value {
  if (Array.isArray(v)) return v.map(copy);
  if (isPlainObject(v)) {
    const out: { [key: string]: Value } = {};
    for (const [k, x] of Object.entries(v)) setOwn(out, k, copy(x));
    return out;
  }
  return v;
}

export function describeValue(v: Value): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  return `the ${typeof v} ${String(v)}`;
}

/** Source text for a one-line message. */
export function snippet(node: Node, max = 60): string {
  const text = node.getText().replace(/\s+/g, ' ');
  return text.length > max ? `${text.slice(0, max)}...` : text;
}

export function describeExpression(e: Node): string {
  switch (e.getKind()) {
    case SyntaxKind.BinaryExpression:
      return 'binary expression';
    case SyntaxKind.CallExpression:
      return 'function call';
    case SyntaxKind.NewExpression:
      return "'new' expression";
    case SyntaxKind.TemplateExpression:
      return 'template literal with substitutions';
    case SyntaxKind.TaggedTemplateExpression:
      return 'tagged template';
    case SyntaxKind.PropertyAccessExpression:
      return 'property access';
    case SyntaxKind.ElementAccessExpression:
      return 'element access';
    case SyntaxKind.ConditionalExpression:
      return 'conditional expression';
    case SyntaxKind.ArrowFunction:
    case SyntaxKind.FunctionExpression:
      return 'function';
    case SyntaxKind.ClassExpression:
      return 'class';
    case SyntaxKind.RegularExpressionLiteral:
      return 'regular expression';
    case SyntaxKind.PostfixUnaryExpression:
    case SyntaxKind.PrefixUnaryExpression:
    case SyntaxKind.TypeOfExpression:
    case SyntaxKind.VoidExpression:
    case SyntaxKind.DeleteExpression:
    case SyntaxKind.AwaitExpression:
      return 'unary expression';
    default:
      return `expression (${e.getKindName()})`;
  }
}

export function hintFor(e: Node): string {
  if (Node.isTemplateExpression(e)) return `write the whole string literally ${READ_ONLY_HINT}`;
  if (Node.isPropertyAccessExpression(e) || Node.isElementAccessExpression(e)) {
    return `write the value literally, or spread a const object ${READ_ONLY_HINT}`;
  }
  return LITERAL_HINT;
}

export function describeStatement(st: Node): string {
  switch (st.getKind()) {
    case SyntaxKind.FunctionDeclaration:
      return `function declaration '${snippet(st, 40)}'`;
    case SyntaxKind.ClassDeclaration:
      return `class declaration '${snippet(st, 40)}'`;
    case SyntaxKind.EnumDeclaration:
      return `enum '${snippet(st, 40)}'`;
    case SyntaxKind.ModuleDeclaration:
      return `namespace '${snippet(st, 40)}'`;
    default:
      return `statement '${snippet(st, 40)}'`;
  }
}
