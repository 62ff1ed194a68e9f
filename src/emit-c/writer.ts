/** Lines of C with indentation: the one place that decides how text is laid out. */
import type { Comment } from '../ir/kernel-ir.ts';

export class Writer {
  private readonly out: string[] = [];

  /** One line at `indent` columns (an empty line stays empty). */
  line(indent: number, text: string): void {
    this.out.push(text === '' ? '' : ' '.repeat(Math.max(0, indent)) + text);
  }

  lines(indent: number, texts: readonly string[]): void {
    for (const t of texts) this.line(indent, t);
  }

  comment(indent: number, c: Comment): void {
    this.lines(indent, commentLines(c));
  }

  text(): string {
    return this.out.length ? this.out.join('\n') + '\n' : '';
  }
}

/** A comment's lines in its style (see Comment). */
export function commentLines(c: Comment): string[] {
  const l = c.lines;
  switch (c.style) {
    case 'line': return l.map((t) => `/* ${t} */`);
    case 'block': return ['/*', ...l.map((t) => (t === '' ? ' *' : ` * ${t}`)), ' */'];
    case 'hang': return l.map((t, i) => `${i === 0 ? '/* ' : '   '}${t}${i === l.length - 1 ? ' */' : ''}`);
    default: {
      const never: never = c.style;
      throw new Error(`emit-c: unknown comment style ${String(never)}`);
    }
  }
}
