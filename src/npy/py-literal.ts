/** The .npy header dict: a strict parser for the Python literals numpy writes (never eval), and their repr for messages. */

export type PyValue =
  | { t: 'str'; v: string }
  | { t: 'int'; v: bigint }
  | { t: 'bool'; v: boolean }
  | { t: 'none' }
  | { t: 'tuple'; v: PyValue[] }
  | { t: 'list'; v: PyValue[] }
  | { t: 'dict'; v: Map<string, PyValue> };

export class HeaderSyntaxError extends Error {}

export class PyLiteralParser {
  private pos = 0;
  constructor(private readonly src: string) {}

  parseTop(): PyValue {
    const value = this.value(0);
    this.ws();
    if (this.pos !== this.src.length) this.fail(`unexpected ${this.describeHere()}`);
    return value;
  }

  private fail(msg: string): never {
    throw new HeaderSyntaxError(`${msg} at character ${this.pos + 1}`);
  }

  private describeHere(): string {
    return this.pos >= this.src.length ? 'end of header' : `character ${JSON.stringify(this.src[this.pos])}`;
  }

  private ws(): void {
    while (this.pos < this.src.length && /[ \t\r\n\f\v]/.test(this.src[this.pos])) this.pos++;
  }

  private value(depth: number): PyValue {
    // Bounded so a header of nested brackets cannot overflow the stack.
    if (depth > 32) this.fail('nesting too deep');
    this.ws();
    const c = this.src[this.pos];
    if (c === '{') return this.dict(depth);
    if (c === '(') return this.tupleOrParens(depth);
    if (c === '[') return { t: 'list', v: this.sequence(']', depth) };
    if (c === "'" || c === '"') return { t: 'str', v: this.string() };
    if (c !== undefined && /[-+0-9]/.test(c)) return this.int();
    const word = /^[A-Za-z_]\w*/.exec(this.src.slice(this.pos, this.pos + 64))?.[0];
    if (word === 'True' || word === 'False' || word === 'None') {
      this.pos += word.length;
      return word === 'None' ? { t: 'none' } : { t: 'bool', v: word === 'True' };
    }
    this.fail(`expected a value, found ${this.describeHere()}`);
  }

  private dict(depth: number): PyValue {
    this.pos++;
    const map = new Map<string, PyValue>();
    for (;;) {
      this.ws();
      if (this.src[this.pos] === '}') {
        this.pos++;
        return { t: 'dict', v: map };
      }
      const key = this.value(depth + 1);
      if (key.t !== 'str') this.fail('dict keys must be strings');
      this.ws();
      if (this.src[this.pos] !== ':') this.fail(`expected ':', found ${this.describeHere()}`);
      this.pos++;
      if (map.has(key.v)) this.fail(`duplicate key '${key.v}'`);
      map.set(key.v, this.value(depth + 1));
      this.ws();
      if (this.src[this.pos] === ',') this.pos++;
      else if (this.src[this.pos] !== '}') this.fail(`expected ',' or '}', found ${this.describeHere()}`);
    }
  }

  private tupleOrParens(depth: number): PyValue {
    this.pos++;
    this.ws();
    if (this.src[this.pos] === ')') {
      this.pos++;
      return { t: 'tuple', v: [] };
    }
    const first = this.value(depth + 1);
    this.ws();
    // Python: `(6)` is the int 6; only a comma makes a tuple.
    if (this.src[this.pos] === ')') {
      this.pos++;
      return first;
    }
    if (this.src[this.pos] !== ',') this.fail(`expected ',' or ')', found ${this.describeHere()}`);
    this.pos++;
    return { t: 'tuple', v: [first, ...this.sequence(')', depth)] };
  }

  /** Items up to `close`, allowing a trailing comma; the opening bracket (if any) is already consumed for tuples. */
  private sequence(close: string, depth: number): PyValue[] {
    if (close === ']') this.pos++;
    const items: PyValue[] = [];
    for (;;) {
      this.ws();
      if (this.src[this.pos] === close) {
        this.pos++;
        return items;
      }
      items.push(this.value(depth + 1));
      this.ws();
      if (this.src[this.pos] === ',') this.pos++;
      else if (this.src[this.pos] !== close) this.fail(`expected ',' or '${close}', found ${this.describeHere()}`);
    }
  }

  private string(): string {
    const quote = this.src[this.pos++];
    let out = '';
    for (;;) {
      if (this.pos >= this.src.length) this.fail('unterminated string');
      const c = this.src[this.pos++];
      if (c === quote) return out;
      if (c === '\n') this.fail('unterminated string');
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.src[this.pos++];
      const simple: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', n: '\n', t: '\t', r: '\r', '0': '\0' };
      if (e !== undefined && e in simple) out += simple[e];
      else this.fail('unsupported escape in string');
    }
  }

  private int(): PyValue {
    // Python 2 wrote shapes as `(3L, 4L)`; accept the suffix as numpy does.
    const m = /^[-+]?[0-9]+L?/.exec(this.src.slice(this.pos, this.pos + 400));
    if (!m) this.fail(`expected a number, found ${this.describeHere()}`);
    const text = m[0];
    const next = this.src[this.pos + text.length];
    if (next !== undefined && /[\w.]/.test(next)) this.fail('only integer literals are allowed');
    this.pos += text.length;
    return { t: 'int', v: BigInt(text.replace(/L$/, '')) };
  }
}

export function pyRepr(v: PyValue): string {
  switch (v.t) {
    case 'str':
      return `'${v.v}'`;
    case 'int':
      return v.v.toString();
    case 'bool':
      return v.v ? 'True' : 'False';
    case 'none':
      return 'None';
    case 'tuple':
      return v.v.length === 1 ? `(${pyRepr(v.v[0])},)` : `(${v.v.map(pyRepr).join(', ')})`;
    case 'list':
      return `[${v.v.map(pyRepr).join(', ')}]`;
    case 'dict':
      return `{${[...v.v].map(([k, x]) => `'${k}': ${pyRepr(x)}`).join(', ')}}`;
  }
}

/** Quote text from the file for a one-line message, without control characters or unbounded length. */
export function quoteSnippet(text: string, max = 60): string {
  const cut = text.length > max ? `${text.slice(0, max)}...` : text;
  return JSON.stringify(cut);
}
