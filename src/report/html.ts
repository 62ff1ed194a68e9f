/**
 * Self-contained HTML reports (`convgen test --html`, `convgen bench --html`): one file with its styles and SVG charts
 * inline and nothing fetched, so a CI artifact opens anywhere. No scripts: the page is complete as written.
 * Nothing depends on the clock, so the same results give the same file.
 */
import type { PairResult } from '../verify/index.ts';
import { describeMismatch } from '../verify/index.ts';

export function esc(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface Column<R> {
  head: string;
  cell: (r: R) => string;
  /** Numbers are right-aligned. */
  numeric?: boolean;
}

/** A table from column definitions (cells are text, escaped here); `rowClass` marks failing rows. */
export function htmlTable<R>(columns: Column<R>[], rows: R[], o: { id?: string; rowClass?: (r: R) => string } = {}): string {
  const th = columns.map((c) => `<th${c.numeric ? ' class="num"' : ''}>${esc(c.head)}</th>`).join('');
  const trs = rows.map((r) => {
    const cls = o.rowClass?.(r);
    const tds = columns.map((c) => `<td${c.numeric ? ' class="num"' : ''}>${esc(c.cell(r))}</td>`).join('');
    return `<tr${cls ? ` class="${cls}"` : ''}>${tds}</tr>`;
  });
  return `<table${o.id ? ` id="${o.id}"` : ''}><thead><tr>${th}</tr></thead><tbody>\n${trs.join('\n')}\n</tbody></table>`;
}

const STYLE = `
body { font-family: Helvetica, Arial, sans-serif; font-size: 14px; color: #222; margin: 24px; max-width: 1200px; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; } h3 { font-size: 15px; }
table { border-collapse: collapse; margin: 8px 0 16px; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #eee; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.fail td { background: #fde2e2; } tr.error td { background: #fff0d6; }
.verdict { font-size: 16px; font-weight: bold; padding: 8px 12px; display: inline-block; border-radius: 4px; }
.verdict.ok { background: #dff3df; } .verdict.bad { background: #fde2e2; }
.chart svg { max-width: 100%; height: auto; border: 1px solid #ddd; }
code { background: #f4f4f4; padding: 0 3px; }
`;

export function htmlPage(title: string, body: string[]): string {
  return `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>${esc(title)}</title>\n` +
    `<style>${STYLE}</style>\n</head>\n<body>\n<h1>${esc(title)}</h1>\n${body.join('\n')}\n</body>\n</html>\n`;
}

const colours = { pass: '#2ca02c', built: '#9e9e9e', fail: '#d62728', error: '#ff7f0e' } as const;
const kinds = ['pass', 'built', 'fail', 'error'] as const;
const kindName = { pass: 'bit-exact', built: 'built, not run', fail: 'failed', error: 'errors' } as const;

interface TargetRow {
  target: string;
  pairs: number;
  /** Bit-exact under an emulator or natively. */
  pass: number;
  /** Build-only targets (no emulator): compiled and linked, not compared. */
  built: number;
  fail: number;
  error: number;
  elements: number;
  seconds: number;
}

function byTarget(results: PairResult[]): TargetRow[] {
  const rows = new Map<string, TargetRow>();
  for (const r of results) {
    const t = rows.get(r.target) ?? { target: r.target, pairs: 0, pass: 0, built: 0, fail: 0, error: 0, elements: 0, seconds: 0 };
    t.pairs++;
    t[r.status === 'pass' && r.tensors === 0 ? 'built' : r.status]++;
    t.elements += r.elements;
    t.seconds += r.seconds;
    rows.set(r.target, t);
  }
  return [...rows.values()];
}

/** One stacked bar per target: bit-exact, built only, failed, errors. */
function resultsChart(rows: TargetRow[]): string {
  const labelW = 100;
  const barW = 420;
  const barH = 18;
  const top = 58;
  const height = top + rows.length * (barH + 8) + 10;
  const width = labelW + barW + 150;
  const max = Math.max(1, ...rows.map((r) => r.pairs));
  const s: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`];
  s.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  s.push('<text x="10" y="20" font-size="15" font-weight="bold">(spec, target) pairs per target</text>');
  let lx = labelW;
  for (const k of kinds) {
    s.push(`<rect x="${lx}" y="32" width="12" height="12" fill="${colours[k]}"/><text x="${lx + 16}" y="42">${kindName[k]}</text>`);
    lx += 30 + kindName[k].length * 7;
  }
  s.push('<g class="bars">');
  rows.forEach((r, i) => {
    const y = top + i * (barH + 8);
    s.push(`<text x="${labelW - 6}" y="${y + barH - 5}" text-anchor="end">${esc(r.target)}</text>`);
    let x = labelW;
    for (const k of kinds) {
      if (!r[k]) continue;
      const w = (r[k] / max) * barW;
      s.push(`<rect x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${colours[k]}"><title>${esc(`${r.target}: ${r[k]} ${k}`)}</title></rect>`);
      x += w;
    }
    s.push(`<text x="${(x + 6).toFixed(1)}" y="${y + barH - 5}">${r.pass}/${r.pairs} bit-exact${r.built ? `, ${r.built} built only` : ''}</text>`);
  });
  s.push('</g>', '</svg>');
  return s.join('\n');
}

function firstMismatch(r: PairResult): string {
  if (r.status === 'error') return r.error ?? 'error';
  if (!r.first) return `${describeMismatch(r)}${r.error ? `; ${r.error}` : ''}`;
  const f = r.first;
  return `tensor ${f.tensor}, channel ${f.channel}, y ${f.y}, x ${f.x}: expected ${f.expected}, got ${f.actual}`;
}

/** The report of `convgen test`: verdict, per-target table and chart, failing pairs, every pair. */
export function testHtml(results: PairResult[], o: { seed: number }): string {
  const targets = byTarget(results);
  const bad = results.filter((r) => r.status !== 'pass');
  const count = (s: PairResult['status']) => results.filter((r) => r.status === s).length;
  const built = targets.reduce((a, t) => a + t.built, 0);
  const verdict = bad.length === 0
    ? `<p class="verdict ok">BIT-EXACT: ${results.length - built} (spec, target) pairs match the golden model` +
      `${built ? `; ${built} built for a board without an emulator, not run` : ''}</p>`
    : `<p class="verdict bad">NOT bit-exact: ${count('fail')} failed, ${count('error')} errors of ${results.length} pairs</p>`;
  const specs = [...new Set(results.map((r) => r.spec))];
  const body = [
    verdict,
    `<p>${specs.length} spec(s) × ${targets.length} target(s), seeded inputs (seed ${o.seed}), every output element compared bit for bit with the golden model.</p>`,
    '<h2>Per target</h2>',
    htmlTable<TargetRow>([
      { head: 'target', cell: (r) => r.target },
      { head: 'pairs', cell: (r) => String(r.pairs), numeric: true },
      { head: 'bit-exact', cell: (r) => String(r.pass), numeric: true },
      { head: 'built only', cell: (r) => String(r.built), numeric: true },
      { head: 'failed', cell: (r) => String(r.fail), numeric: true },
      { head: 'errors', cell: (r) => String(r.error), numeric: true },
      { head: 'elements compared', cell: (r) => r.elements.toLocaleString('en-US'), numeric: true },
      { head: 'seconds', cell: (r) => r.seconds.toFixed(1), numeric: true },
    ], targets, { id: 'per-target', rowClass: (r) => (r.fail ? 'fail' : r.error ? 'error' : '') }),
    `<div class="chart" id="chart">${resultsChart(targets)}</div>`,
    '<h2>Failing pairs</h2>',
    bad.length === 0 ? '<p id="failures">None.</p>' : htmlTable<PairResult>([
      { head: 'spec', cell: (r) => r.name },
      { head: 'target', cell: (r) => r.target },
      { head: 'variant', cell: (r) => r.variant },
      { head: 'status', cell: (r) => r.status.toUpperCase() },
      { head: 'differing', cell: (r) => (r.status === 'fail' ? `${r.mismatches} of ${r.elements}` : '-'), numeric: true },
      { head: 'first mismatch (or error)', cell: firstMismatch },
      { head: 'file', cell: (r) => r.spec },
    ], bad, { id: 'failures', rowClass: (r) => r.status }),
    '<h2>Every pair</h2>',
    htmlTable<PairResult>([
      { head: 'spec', cell: (r) => r.name },
      { head: 'target', cell: (r) => r.target },
      { head: 'variant', cell: (r) => r.variant },
      { head: 'status', cell: (r) => (r.status === 'pass' && r.tensors === 0 ? 'BUILT' : r.status.toUpperCase()) },
      { head: 'inputs', cell: (r) => String(r.tensors), numeric: true },
      { head: 'elements', cell: (r) => r.elements.toLocaleString('en-US'), numeric: true },
      { head: 'MACs', cell: (r) => r.macs.toLocaleString('en-US'), numeric: true },
      { head: 'seconds', cell: (r) => r.seconds.toFixed(1), numeric: true },
    ], results, { id: 'pairs', rowClass: (r) => (r.status === 'pass' ? '' : r.status) }),
  ];
  return htmlPage('convgen test report', body);
}
