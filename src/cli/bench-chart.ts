/** The bench report as an SVG bar chart (instructions and cycles per MAC against naive) and an HTML page. */
import type { VariantName } from '../codegen/index.ts';
import type { GoalResult } from '../measure/goals.ts';
import { esc, htmlPage, htmlTable, type Column } from '../report/html.ts';
import { BASELINE, type BenchReport, type BenchRow } from './bench.ts';
import { columns, fmtCycles, fmtFix, isDefault, ownRows, rowCells, statusText, variantLabel } from './bench-render.ts';

const palette: Record<string, string> = { naive: '#9e9e9e', reference: '#1f77b4', optimized: '#d62728' };
const extraColours = ['#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

function xmlEscape(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** What a chart plots per row: instructions/MAC, estimated cycles/MAC, or both side by side. */
export interface ChartMetric {
  title: string;
  /** Short name in the bars' tooltips: "instr/MAC". */
  unit: string;
  /** The legend's name for the figures: "instructions/MAC". */
  legend: string;
  value: (r: BenchRow) => number | null | undefined;
  /** The figure as shown (a rough cycle figure carries `~`). */
  format: (r: BenchRow, v: number | null | undefined) => string;
  /** The bracketed ratio to the naive row of the same spec and target. */
  ratio: (r: BenchRow, naive: BenchRow | undefined) => number | null;
}

export const instructionsPerMac: ChartMetric = {
  title: 'Instructions per MAC (QEMU, exact counts; shorter is better)', unit: 'instr/MAC', legend: 'instructions/MAC',
  value: (r) => r.instructionsPerMac,
  format: (_r, v) => fmtFix(v),
  ratio: (r) => r.ratioToNaive,
};

export const cyclesPerMac: ChartMetric = {
  title: 'Estimated cycles per MAC (docs/cycles.md; shorter is better)', unit: 'cycles/MAC (estimate)', legend: 'cycles/MAC',
  value: (r) => r.cyclesPerMac,
  format: (r, v) => fmtCycles(r, v ?? null),
  ratio: (r, naive) => {
    const [a, b] = [r.cyclesPerMac, naive?.cyclesPerMac];
    return typeof a === 'number' && typeof b === 'number' && b > 0 ? a / b : null;
  },
};

/**
 * Small multiples: one panel per spec, a group of horizontal bars per target, one bar per variant and metric on one
 * scale per panel. By default instructions/MAC (light) and estimated cycles/MAC (solid) side by side; cycles are left
 * out when no row has them.
 */
export function renderSvg(report: BenchReport, metric: ChartMetric | ChartMetric[] = [instructionsPerMac, cyclesPerMac]): string {
  // The chart shows the default goal; the Markdown page compares the optimize goals.
  const results = report.results.filter(isDefault);
  const metrics = (Array.isArray(metric) ? metric : [metric])
    .filter((m, i, all) => all.length === 1 || i === 0 || results.some((r) => typeof m.value(r) === 'number'));
  const both = metrics.length > 1;
  const names = [...new Set(results.map((r) => r.name))];
  const targets = [...new Set(results.map((r) => r.target))];
  const variants = report.variants;
  const colour = (v: string) => palette[v] ?? extraColours[variants.indexOf(v as VariantName) % extraColours.length];
  const cols = names.length > 1 ? 2 : 1;
  const panelW = 470;
  const labelW = 84;
  const barH = both ? 14 : 10;
  const groupGap = 6;
  const headH = 26;
  const panelH = headH + targets.length * (variants.length * barH + groupGap) + 22;
  const top = both ? 76 : 62;
  const width = Math.max(720, cols * panelW + (cols + 1) * 10); // room for the title over a single panel
  const rowsN = Math.ceil(names.length / cols);
  const height = top + rowsN * (panelH + 10) + 10;
  const s: string[] = [];
  s.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`);
  s.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  const title = both ? 'Instructions and estimated cycles per MAC (QEMU; shorter is better)' : metrics[0].title;
  s.push(`<text x="10" y="22" font-size="16" font-weight="bold">${xmlEscape(title)}</text>`);
  let lx = 10;
  for (const v of variants) {
    s.push(`<rect x="${lx}" y="34" width="12" height="12" fill="${colour(v)}"/><text x="${lx + 16}" y="44">${xmlEscape(v)}</text>`);
    lx += 24 + v.length * 7;
  }
  if (both) {
    s.push(`<text x="${lx + 10}" y="44" fill="#555">per-panel scale; light bar: ${xmlEscape(metrics[0].legend)}, solid bar: ${xmlEscape(metrics.slice(1).map((m) => m.legend).join(', '))} (docs/cycles.md)</text>`);
    s.push(`<text x="10" y="62" fill="#555">label: ${xmlEscape(metrics.map((m) => m.legend).join(' / '))}; bracket = ratio to naive in the last figure shown; ~ = rough (Cortex-A9)</text>`);
  } else {
    s.push(`<text x="${lx + 10}" y="44" fill="#555">per-panel scale; figures are ${xmlEscape(metrics[0].legend)}, bracket = ratio to naive</text>`);
  }
  names.forEach((name, i) => {
    const px = 10 + (i % cols) * (panelW + 10);
    const py = top + Math.floor(i / cols) * (panelH + 10);
    const rows = results.filter((r) => r.name === name);
    const max = Math.max(1e-9, ...rows.filter((r) => r.status === 'ok').flatMap((r) => metrics.map((m) => m.value(r) ?? 0)));
    const barMax = panelW - labelW - (both ? 110 : 80);
    s.push(`<g transform="translate(${px},${py})">`);
    s.push(`<rect width="${panelW}" height="${panelH}" fill="#fafafa" stroke="#dddddd"/>`);
    s.push(`<text x="8" y="17" font-size="12" font-weight="bold">${xmlEscape(name)}</text>`);
    s.push(`<text x="${panelW - 8}" y="17" text-anchor="end" fill="#555">${rows[0].macs.toLocaleString('en-US')} MACs</text>`);
    targets.forEach((t, ti) => {
      const gy = headH + ti * (variants.length * barH + groupGap);
      s.push(`<text x="${labelW - 6}" y="${gy + (variants.length * barH) / 2 + 4}" text-anchor="end">${xmlEscape(t)}</text>`);
      const group = variants.map((v) => rows.find((x) => x.target === t && x.variant === v));
      const shared = group[0] && group[0].status !== 'ok' && group.every((r) => r?.status === group[0]!.status) ? statusText(group[0]) : '';
      if (shared) {
        s.push(`<text x="${labelW + 2}" y="${gy + (variants.length * barH) / 2 + 4}" fill="#999" font-style="italic">${xmlEscape(shared)}</text>`);
        return;
      }
      const naive = rows.find((x) => x.target === t && x.variant === BASELINE);
      variants.forEach((v, vi) => {
        const r = rows.find((x) => x.target === t && x.variant === v);
        const y = gy + vi * barH;
        if (!r) return;
        if (r.status !== 'ok') {
          s.push(`<text x="${labelW + 2}" y="${y + barH - (both ? 3 : 1)}" fill="#999" font-style="italic" font-size="9">${xmlEscape(statusText(r))}</text>`);
          return;
        }
        const h = both ? (barH - 2) / metrics.length : barH - 1;
        let end = 0;
        const shown: string[] = [];
        let toNaive: number | null = null;
        metrics.forEach((m, mi) => {
          const value = m.value(r);
          if (typeof value !== 'number') return;
          const w = Math.max(1, (value / max) * barMax);
          const light = both && mi === 0 ? ' fill-opacity="0.4"' : '';
          s.push(`<rect x="${labelW}" y="${(y + mi * h).toFixed(1)}" width="${w.toFixed(1)}" height="${h}" fill="${colour(v)}"${light}><title>${xmlEscape(`${name} ${t} ${v}: ${m.format(r, value)} ${m.unit}`)}</title></rect>`);
          end = Math.max(end, w);
          shown.push(m.format(r, value));
          if (v !== BASELINE) toNaive = m.ratio(r, naive) ?? toNaive;
        });
        const ratio = toNaive !== null ? ` (${(toNaive as number).toFixed(2)}x)` : '';
        s.push(`<text x="${(labelW + end + 4).toFixed(1)}" y="${y + barH - (both ? 3 : 1)}" font-size="9">${xmlEscape(shown.join(' / '))}${ratio}</text>`);
      });
    });
    s.push(`</g>`);
  });
  s.push('</svg>');
  return s.join('\n') + '\n';
}

/**
 * The HTML report: goals, the chart(s), one table per target with the terminal table's columns (so a column added
 * there shows here too), and the failures with their first mismatch.
 */
export function benchHtml(report: BenchReport): string {
  const rows = ownRows(report.results);
  const targets = [...new Set(rows.map((r) => r.target))];
  const bad = rows.filter((r) => r.status === 'fail' || r.status === 'error');
  const withCycles = rows.some((r) => typeof r.cyclesPerMac === 'number');
  const targetCol = columns.indexOf('target');
  const cols: Column<BenchRow>[] = columns.flatMap((head, i) => (i === targetCol ? [] : [{ head, cell: (r: BenchRow) => rowCells(r)[i], numeric: i > 2 }]));
  cols.push({ head: 'status', cell: (r) => statusText(r) || 'ok' });
  const rowClass = (r: BenchRow) => (r.status === 'fail' ? 'fail' : r.status === 'error' ? 'error' : '');
  const body = [
    `<p class="verdict ${bad.length ? 'bad' : 'ok'}">${bad.length ? `${bad.length} measurement(s) failed or errored` : `every measured kernel is bit-exact (${rows.filter((r) => r.status === 'ok').length} measurements)`}</p>`,
    `<p>convgen ${esc(report.convgen)}, ${esc(report.tools.gcc)}, ${esc(report.tools.qemu)}; seed ${report.seed}; variants ${esc(report.variants.join(', '))}` +
      `; optimize ${esc(report.optimize.join(', '))}; specs: ${report.specs.map((x) => `<code>${esc(x)}</code>`).join(', ')}.</p>`,
    '<h2>Goals</h2>',
    htmlTable<GoalResult>([
      { head: 'goal', cell: (g) => g.title },
      { head: 'met', cell: (g) => String(g.met), numeric: true },
      { head: 'NOT met', cell: (g) => String(g.notMet), numeric: true },
      { head: 'not measured', cell: (g) => String(g.notMeasured), numeric: true },
    ], report.goals, { id: 'goals', rowClass: (g) => (g.notMet ? 'fail' : '') }),
    '<h2>Chart</h2>',
    `<div class="chart" id="chart">${renderSvg(report, instructionsPerMac)}</div>`,
    ...(withCycles ? [`<div class="chart" id="chart-cycles">${renderSvg(report, cyclesPerMac)}</div>`] : []),
    '<h2>Per target</h2>',
    ...targets.flatMap((t) => [`<h3>${esc(t)}</h3>`, htmlTable(cols, rows.filter((r) => r.target === t), { id: `target-${t}`, rowClass })]),
    '<h2>Failures</h2>',
    bad.length === 0 ? '<p id="failures">None.</p>' : htmlTable<BenchRow>([
      { head: 'spec', cell: (r) => r.name },
      { head: 'target', cell: (r) => r.target },
      { head: 'variant', cell: variantLabel },
      { head: 'status', cell: (r) => r.status.toUpperCase() },
      { head: 'first mismatch (or error)', cell: (r) => r.error ?? r.note ?? '' },
    ], bad, { id: 'failures', rowClass }),
    ...(report.skipped.length ? ['<h2>Skipped</h2>', `<ul>${report.skipped.map((x) => `<li>${esc(x.target)}: ${esc(x.reason)}</li>`).join('')}</ul>`] : []),
  ];
  return htmlPage('convgen bench report', body);
}
