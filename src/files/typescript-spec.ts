/**
 * Static reader for `*.kernel.ts` specs. The file is parsed with ts-morph and its default export is turned into
 * plain data; nothing in it is ever executed, so only literal data (and same-file consts holding literal data)
 * is accepted.
 */
import {
  Node, Project, SyntaxKind, VariableDeclarationKind, ts, type ArrayLiteralExpression, type Expression,
  type ImportDeclaration, type ObjectLiteralExpression, type PrefixUnaryExpression, type SourceFile,
  type VariableDeclaration,
} from 'ts-morph';
import { InputError } from '../errors.ts';
import { FILE_BOUNDS, readUserFile } from './read.ts';
import { DEPTH_MESSAGE, SPEC_BOUNDS, VALUES_MESSAGE } from './expansion.ts';
import {
  CONVGEN_MODULE, IMPORTS_HINT, LITERAL_HINT, READ_ONLY_HINT, type Value, bigintOf, copy, describeExpression,
  describeStatement, describeValue, hintFor, isPlainObject, setOwn, snippet, unwrap, unwrapParens,
} from './ts-spec-nodes.ts';


/**
 * Read a kernel spec module and return the plain value of its default export: the argument of
 * `defineKernel(...)`, or a bare object literal. `sourceText` overrides reading `path` from disk.
 */
export function readTypeScriptSpec(path: string, sourceText?: string): unknown {
  let text = sourceText ?? readUserFile(path, FILE_BOUNDS.typescriptSpec).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  checkSourceNesting(path, text);
  return new SpecReader(path, text).read();
}

/** Brackets a .kernel.ts source may nest: TypeScript's parser recurses once per level (800 overflow its stack). */
export const SOURCE_NESTING = 2 * SPEC_BOUNDS.depth;

/**
 * Refuse sources that nest brackets deeper than SOURCE_NESTING, before TypeScript parses them. TypeScript's own
 * scanner finds the brackets (so strings and comments do not count); the values' own depth is checked later.
 */
function checkSourceNesting(path: string, text: string): void {
  const scanner = ts.createScanner(ts.ScriptTarget.ES2022, true, ts.LanguageVariant.Standard, text);
  let depth = 0;
  for (let tok = scanner.scan(); tok !== SyntaxKind.EndOfFileToken; tok = scanner.scan()) {
    if (tok === SyntaxKind.OpenBracketToken || tok === SyntaxKind.OpenParenToken || tok === SyntaxKind.OpenBraceToken) {
      if (++depth > SOURCE_NESTING) {
        const before = text.slice(0, scanner.getTokenStart()).split('\n');
        throw new InputError(`${path}:${before.length}:${before[before.length - 1].length + 1}`,
          `brackets nested more than ${SOURCE_NESTING} deep; a kernel spec may nest brackets at most ${SOURCE_NESTING} levels`);
      }
    } else if (tok === SyntaxKind.CloseBracketToken || tok === SyntaxKind.CloseParenToken || tok === SyntaxKind.CloseBraceToken) {
      depth = Math.max(0, depth - 1);
    }
  }
}

interface ConstEntry {
  decl: VariableDeclaration;
  state: 'pending' | 'active' | 'done';
  value?: Value;
}

class SpecReader {
  private readonly sf!: SourceFile;
  private readonly consts = new Map<string, ConstEntry>();
  /** Local names bound by imports, so a misused import gets a precise message. */
  private readonly importNames = new Map<string, 'defineKernel' | 'type'>();
  private readonly evaluating: string[] = [];
  /** Values materialized so far (literals, containers and the slots spreads fill): see SPEC_BOUNDS. */
  private produced = 0;
  /**
   * Size and depth of every array and object a literal built. Const references share their value while the spec is
   * read (each is copied once, at the end, when the whole size is known), so doubling references cost nothing
   * until the final copy, which is refused before it allocates if it would be too large.
   */
  private readonly stats = new WeakMap<object, { size: number; depth: number }>();

  constructor(
    private readonly path: string,
    text: string,
  ) {
    // noLib and no types: only this one file is parsed, nothing on disk is read.
    const project = new Project({
      useInMemoryFileSystem: true,
      skipAddingFilesFromTsConfig: true,
      compilerOptions: { noLib: true, types: [], target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
    });
    let diags;
    try {
      this.sf = project.createSourceFile('/kernel-spec.ts', text);
      diags = project.getProgram().getSyntacticDiagnostics(this.sf);
    } catch (e) {
      // The parser recurses per level of any nesting, not only brackets (a chain of 10,000 unary minus signs).
      if (e instanceof RangeError && /call stack/i.test(e.message))
        throw new InputError(path, 'nested too deeply for the TypeScript parser; a kernel spec holds literal data only');
      throw e;
    }
    if (diags.length > 0) {
      const d = diags[0];
      const message = ts.flattenDiagnosticMessageText(d.compilerObject.messageText, ' ');
      throw new InputError(this.whereAt(d.getStart() ?? 0), `TypeScript syntax error: ${message}`);
    }
  }

  read(): Value {
    const statements = this.sf.getStatements();
    for (const st of statements) this.collect(st);

    let exported: Expression | undefined;
    for (const st of statements) {
      if (Node.isExportAssignment(st)) {
        if (st.isExportEquals()) this.fail(st, "'export =' is not allowed: use `export default defineKernel({...})`");
        if (exported !== undefined) this.fail(st, 'a module can have only one default export');
        exported = st.getExpression();
      } else if (Node.isVariableStatement(st)) {
        // Every const is checked, used or not, so nothing in the file looks like it runs.
        for (const decl of st.getDeclarations()) this.evalConst(decl.getName(), decl);
      } else {
        this.checkStatement(st);
      }
    }
    if (exported === undefined) {
      throw new InputError(this.path, 'no default export: a kernel spec needs `export default defineKernel({...})`');
    }
    return this.evalExport(exported);
  }

  /** First pass: index consts and imports, so uses may come before declarations. */
  private collect(st: Node): void {
    if (Node.isImportDeclaration(st)) {
      this.checkImport(st);
      return;
    }
    if (!Node.isVariableStatement(st)) return;
    const list = st.getDeclarationList();
    const kind = list.getDeclarationKind();
    if (kind !== VariableDeclarationKind.Const) {
      this.fail(st, `'${kind}' declaration is not allowed in a kernel spec: use 'const' ${READ_ONLY_HINT}`);
    }
    if (st.hasModifier(SyntaxKind.DeclareKeyword)) {
      this.fail(st, `'declare const' is not allowed in a kernel spec: give the const a literal value ${READ_ONLY_HINT}`);
    }
    for (const decl of st.getDeclarations()) {
      const nameNode = decl.getNameNode();
      if (!Node.isIdentifier(nameNode)) {
        this.fail(nameNode, `destructuring '${snippet(nameNode)}' is not allowed in a kernel spec: declare each const with a literal ${READ_ONLY_HINT}`);
      }
      if (decl.getInitializer() === undefined) {
        this.fail(decl, `const '${decl.getName()}' has no value: give it a literal ${READ_ONLY_HINT}`);
      }
      this.consts.set(decl.getName(), { decl, state: 'pending' });
    }
  }

  private checkImport(imp: ImportDeclaration): void {
    const from = imp.getModuleSpecifierValue();
    const clause = imp.getImportClause();
    const typeOnly = imp.isTypeOnly();
    const named = clause?.getNamedBindings();
    // `import {} from 'x'` loads the module just like `import 'x'`.
    if (
      clause === undefined ||
      (!typeOnly && !clause.getDefaultImport() && Node.isNamedImports(named) && named.getElements().length === 0)
    ) {
      this.fail(imp, `side-effect import '${snippet(imp)}' is not allowed in a kernel spec: ${IMPORTS_HINT}`);
    }
    if (typeOnly) {
      for (const id of clause.getDescendantsOfKind(SyntaxKind.Identifier)) this.importNames.set(id.getText(), 'type');
      return;
    }
    const fromConvgen = CONVGEN_MODULE.test(from);
    const bad = (node: Node, what: string): never => this.fail(node, `${what} is not allowed in a kernel spec: ${IMPORTS_HINT}`);
    const def = imp.getDefaultImport();
    if (def) bad(def, `default import '${def.getText()}' from '${from}'`);
    if (Node.isNamespaceImport(named)) bad(named, `namespace import '${named.getText()}' from '${from}'`);
    for (const spec of imp.getNamedImports()) {
      const imported = spec.getName();
      const local = spec.getAliasNode()?.getText() ?? imported;
      if (spec.isTypeOnly()) {
        this.importNames.set(local, 'type');
      } else if (imported === 'defineKernel' && fromConvgen) {
        this.importNames.set(local, 'defineKernel');
      } else {
        bad(spec, `import of '${imported}' from '${from}'`);
      }
    }
  }

  private checkStatement(st: Node): void {
    if (Node.isImportDeclaration(st) || Node.isEmptyStatement(st)) return;
    if (Node.isTypeAliasDeclaration(st) || Node.isInterfaceDeclaration(st)) return;
    if (Node.isExportDeclaration(st)) {
      if (st.getModuleSpecifier() !== undefined) {
        this.fail(st, `re-export '${snippet(st)}' is not allowed in a kernel spec: it would load another module ${READ_ONLY_HINT}`);
      }
      if (st.isTypeOnly()) return;
      for (const spec of st.getNamedExports()) {
        if ((spec.getAliasNode()?.getText() ?? spec.getName()) === 'default') {
          this.fail(spec, "'export { ... as default }' is not allowed: use `export default defineKernel({...})`");
        }
      }
      return;
    }
    // A directive such as 'use strict' is inert.
    if (Node.isExpressionStatement(st) && Node.isStringLiteral(st.getExpression())) return;
    this.fail(st, `${describeStatement(st)} is not allowed in a kernel spec: a spec holds only data ${READ_ONLY_HINT}`);
  }

  private evalExport(expr: Expression): Value {
    const inner = unwrap(expr);
    if (Node.isCallExpression(inner)) {
      const callee = inner.getExpression();
      if (!(Node.isIdentifier(callee) && this.isDefineKernel(callee.getText())) || inner.hasQuestionDotToken()) {
        this.fail(inner, `default export '${snippet(inner)}' must be defineKernel({...}) or an object literal ${READ_ONLY_HINT}`);
      }
      const args = inner.getArguments();
      if (args.length !== 1) {
        this.fail(inner, `defineKernel(...) takes exactly one argument, the spec object; found ${args.length}`);
      }
      const arg = args[0];
      if (Node.isSpreadElement(arg)) this.fail(arg, `spread argument '${snippet(arg)}' is not allowed: pass the spec object`);
      const value = this.eval(arg as Expression);
      if (!isPlainObject(value)) this.fail(arg, `the argument of defineKernel(...) must be an object, found ${describeValue(value)}`);
      return this.materialize(value, arg);
    }
    if (Node.isObjectLiteralExpression(inner)) return this.materialize(this.eval(inner), inner);
    this.fail(inner, `default export '${snippet(inner)}' must be defineKernel({...}) or an object literal ${READ_ONLY_HINT}`);
  }

  private isDefineKernel(name: string): boolean {
    const bound = this.importNames.get(name);
    // An un-imported `defineKernel` is tolerated: the call is never made anyway.
    return bound === 'defineKernel' || (bound === undefined && name === 'defineKernel' && !this.consts.has(name));
  }

  private evalConst(name: string, site: Node): Value {
    const entry = this.consts.get(name)!;
    if (entry.state === 'done') return entry.value!;
    if (entry.state === 'active') {
      const cycle = [...this.evaluating.slice(this.evaluating.indexOf(name)), name].join(' -> ');
      this.fail(site, `const '${name}' refers to itself (${cycle}): a spec value must be finite data`);
    }
    entry.state = 'active';
    this.evaluating.push(name);
    entry.value = this.eval(entry.decl.getInitializerOrThrow());
    this.evaluating.pop();
    entry.state = 'done';
    return entry.value;
  }

  private eval(node: Expression): Value {
    const e = unwrap(node);
    const kind = e.getKind();
    if (kind !== SyntaxKind.ArrayLiteralExpression && kind !== SyntaxKind.ObjectLiteralExpression && kind !== SyntaxKind.Identifier)
      this.charge(1, e);
    switch (kind) {
      case SyntaxKind.NullKeyword:
        return null;
      case SyntaxKind.TrueKeyword:
        return true;
      case SyntaxKind.FalseKeyword:
        return false;
      case SyntaxKind.StringLiteral:
        return e.asKindOrThrow(SyntaxKind.StringLiteral).getLiteralText();
      case SyntaxKind.NoSubstitutionTemplateLiteral:
        return e.asKindOrThrow(SyntaxKind.NoSubstitutionTemplateLiteral).getLiteralText();
      case SyntaxKind.NumericLiteral:
        return this.numeric(e, 1);
      case SyntaxKind.BigIntLiteral:
        return bigintOf(e);
      case SyntaxKind.PrefixUnaryExpression:
        return this.signed(e.asKindOrThrow(SyntaxKind.PrefixUnaryExpression));
      case SyntaxKind.ArrayLiteralExpression:
        return this.array(e.asKindOrThrow(SyntaxKind.ArrayLiteralExpression));
      case SyntaxKind.ObjectLiteralExpression:
        return this.object(e.asKindOrThrow(SyntaxKind.ObjectLiteralExpression));
      case SyntaxKind.Identifier:
        return this.identifier(e);
      case SyntaxKind.ThisKeyword:
        return this.fail(e, `'this' is not allowed in a kernel spec: ${LITERAL_HINT}`);
      default:
        return this.fail(e, `${describeExpression(e)} '${snippet(e)}' is not allowed in a kernel spec: ${hintFor(e)}`);
    }
  }

  private numeric(e: Node, sign: 1 | -1): number {
    const lit = e.asKindOrThrow(SyntaxKind.NumericLiteral);
    const value = Number(lit.compilerNode.text);
    if (!Number.isFinite(value)) this.fail(lit, `number '${snippet(lit)}' is too large for a float64`);
    // An integer literal past 2^53 would silently change value; bigint literals keep it exact.
    if (/^[0-9_]+$|^0[xXoObB]/.test(lit.getText()) && !Number.isSafeInteger(value)) {
      const written = lit.getText().replace(/_/g, '');
      const digits = sign < 0 ? `-${written}` : written;
      this.fail(lit, `integer ${digits} is beyond 2^53 and would lose precision: write it as a bigint literal (${digits}n)`);
    }
    return sign * value;
  }

  private signed(u: PrefixUnaryExpression): Value {
    const op = u.getOperatorToken();
    const operand = unwrapParens(u.getOperand());
    if (op !== SyntaxKind.MinusToken && op !== SyntaxKind.PlusToken) {
      this.fail(u, `unary expression '${snippet(u)}' is not allowed in a kernel spec: ${LITERAL_HINT}`);
    }
    if (Node.isNumericLiteral(operand)) return this.numeric(operand, op === SyntaxKind.MinusToken ? -1 : 1);
    if (Node.isBigIntLiteral(operand)) {
      if (op === SyntaxKind.PlusToken) this.fail(u, `unary '+' on the bigint '${snippet(u)}' is not allowed (it throws in JavaScript): write the bigint literal alone`);
      return -bigintOf(operand);
    }
    this.fail(u, `unary expression '${snippet(u)}' is not allowed in a kernel spec: '-' and '+' apply only to number literals; ${LITERAL_HINT}`);
  }

  private array(a: ArrayLiteralExpression): Value[] {
    const out: Value[] = [];
    for (const el of a.getElements()) {
      if (Node.isOmittedExpression(el)) {
        this.fail(a, `array with a hole '${snippet(a)}' is not allowed in a kernel spec: write every element`);
      }
      if (Node.isSpreadElement(el)) {
        const v = this.eval(el.getExpression());
        if (!Array.isArray(v)) this.fail(el, `spread '${snippet(el)}' inside an array needs an array, found ${describeValue(v)}`);
        this.charge(v.length, el);
        for (const x of v) out.push(x);
      } else {
        out.push(this.eval(el));
      }
    }
    return this.built(out, out, a);
  }

  private object(o: ObjectLiteralExpression): { [key: string]: Value } {
    const out: { [key: string]: Value } = {};
    const explicit = new Set<string>();
    for (const prop of o.getProperties()) {
      if (Node.isSpreadAssignment(prop)) {
        const v = this.eval(prop.getExpression());
        if (!isPlainObject(v)) this.fail(prop, `spread '${snippet(prop)}' inside an object needs an object, found ${describeValue(v)}`);
        const entries = Object.entries(v);
        this.charge(entries.length, prop);
        for (const [k, x] of entries) setOwn(out, k, x);
        continue;
      }
      let key: string;
      let value: Value;
      if (Node.isPropertyAssignment(prop)) {
        key = this.propertyKey(prop.getNameNode());
        value = this.eval(prop.getInitializerOrThrow());
      } else if (Node.isShorthandPropertyAssignment(prop)) {
        if (prop.hasObjectAssignmentInitializer()) {
          this.fail(prop, `'${snippet(prop)}' is not allowed in a kernel spec: write 'name: value'`);
        }
        key = prop.getName();
        value = this.identifier(prop.getNameNode());
      } else {
        const what = Node.isGetAccessorDeclaration(prop) ? 'getter' : Node.isSetAccessorDeclaration(prop) ? 'setter' : 'method';
        return this.fail(prop, `${what} '${snippet(prop)}' is not allowed in a kernel spec: ${LITERAL_HINT}`);
      }
      // TypeScript itself rejects repeated names; a spread may still be overridden on purpose.
      if (explicit.has(key)) this.fail(prop, `property '${key}' is given twice in this object`);
      explicit.add(key);
      setOwn(out, key, value);
    }
    return this.built(out, Object.values(out), o);
  }

  private charge(n: number, site: Node): void {
    this.produced += n;
    if (this.produced > SPEC_BOUNDS.values) this.fail(site, `with every spread repeated, the spec ${VALUES_MESSAGE}`);
  }

  private measure(v: Value): { size: number; depth: number } {
    return v !== null && typeof v === 'object' ? this.stats.get(v)! : { size: 1, depth: 0 };
  }

  /** Record a new array or object (its children are already counted) and refuse one nested too deep. */
  private built<T extends Value[] | { [key: string]: Value }>(container: T, children: Value[], site: Node): T {
    let size = 1;
    let depth = 0;
    for (const c of children) {
      const m = this.measure(c);
      size += m.size;
      depth = Math.max(depth, m.depth);
    }
    if (depth + 1 > SPEC_BOUNDS.depth) this.fail(site, `this value is ${DEPTH_MESSAGE}`);
    this.charge(1, site);
    this.stats.set(container, { size, depth: depth + 1 });
    return container;
  }

  /** The value the spec expands to, refused before it is copied if too large; the copy shares nothing. */
  private materialize(v: Value, site: Node): Value {
    if (this.measure(v).size > SPEC_BOUNDS.values) this.fail(site, `with every const reference and spread repeated, the spec ${VALUES_MESSAGE}`);
    return copy(v);
  }

  private propertyKey(name: Node): string {
    if (Node.isIdentifier(name) || Node.isStringLiteral(name) || Node.isNoSubstitutionTemplateLiteral(name)) {
      return Node.isIdentifier(name) ? name.getText() : name.getLiteralText();
    }
    if (Node.isNumericLiteral(name)) return String(this.numeric(name, 1));
    if (Node.isComputedPropertyName(name)) {
      this.fail(name, `computed property name '${snippet(name)}' is not allowed in a kernel spec: write the name literally ${READ_ONLY_HINT}`);
    }
    this.fail(name, `property name '${snippet(name)}' is not allowed in a kernel spec: write a plain name or a string`);
  }

  private identifier(id: Node): Value {
    const name = id.getText();
    if (this.consts.has(name)) return this.evalConst(name, id);
    if (name === 'undefined') {
      this.fail(id, `'undefined' is not allowed in a kernel spec: leave the property out instead`);
    }
    const bound = this.importNames.get(name);
    if (bound !== undefined) {
      this.fail(id, `identifier '${name}' refers to an import, not a value in this file: ${LITERAL_HINT}`);
    }
    this.fail(id, `identifier '${name}' is not a const declared in this file: ${LITERAL_HINT}`);
  }

  private whereAt(pos: number): string {
    const { line, column } = this.sf.getLineAndColumnAtPos(pos);
    return `${this.path}:${line}:${column}`;
  }

  private fail(node: Node, detail: string): never {
    throw new InputError(this.whereAt(node.getStart()), detail);
  }
}
