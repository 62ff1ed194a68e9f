/**
 * The cycle models as Markdown, for docs/cycles.md: each core's notes and its timing table with the source of every
 * row. test/cycles/docs.test.ts checks that the page carries exactly these tables, so the page and the code that
 * costs instructions cannot drift apart.
 */
import type { CycleModel } from './model.ts';

const cell = (s: string): string => s.replace(/\|/g, '\\|');

export function modelMarkdown(m: CycleModel): string {
  const lines = [`### ${m.core} (\`${m.id}\`${m.kind === 'rough' ? ', rough figure only' : ''})`, ''];
  for (const n of m.notes) lines.push(n, '');
  lines.push('| rule | cycles | source |', '|:---|:---|:---|');
  for (const r of Object.values(m.rows)) lines.push(`| ${cell(r.what)} | ${cell(r.cycles)} | ${cell(r.source)} |`);
  return lines.join('\n') + '\n';
}
