/** The bench report as a terminal table, JSON and a Markdown page (with the goals and the optimize comparison). */
import path from 'node:path';
import type { Measurement } from '../measure/index.ts';
import {
  CMSIS_SOURCE, SHAPES, cmsisNnInt8, cmsisNnM4Accesses, issueNaiveQ15Arm920t, shapeLabel, type GoalResult,
  type GoalRow,
} from '../measure/goals.ts';
import { renderNetworkMarkdown, renderNetworkTable } from './bench-network.ts';
import { BASELINE, type BenchReport, type BenchRow } from './bench.ts';
import { cyclesPerMac, instructionsPerMac } from './bench-chart.ts';

export const fmtInt = (n: number | null | undefined): string => (n === null || n === undefined ? '-' : n.toLocaleString('en-US'));
export const fmtFix = (n: number | null | undefined, d = 2): string => (n === null || n === undefined ? '-' : n.toFixed(d));

export function statusText(r: BenchRow): string {
  if (r.status === 'does-not-fit') return 'does not fit';
  if (r.status === 'fail') return 'FAIL (not bit-exact)';
  if (r.status === 'error') return 'ERROR';
  if (r.status === 'skipped') return 'skipped';
  return '';
}

/** Rows of the default goal: what the per-variant tables and the chart show. */
export const isDefault = (r: Measurement): boolean => (r.optimize ?? 'default') === 'default';
/** Rows worth a line of their own: every measured row, not the copies of an identical default. */
export const ownRows = (rs: BenchRow[]): BenchRow[] => rs.filter((r) => !r.sameCodeAs);
export const variantLabel = (r: Measurement): string => (isDefault(r) ? r.variant : `${r.variant} (${r.optimize})`);

export const columns = ['spec', 'target', 'variant', 'MACs', 'instructions', 'instr/MAC', 'cycles/MAC', '(i+ld+st)/MAC', 'text', 'rodata', 'RAM', 'stack', 'vs naive'];

/** A cycle figure; `~` marks a rough model's (docs/cycles.md). */
export function fmtCycles(r: Measurement, v: number | null, digits = 2): string {
  if (r.status !== 'ok' || v === null) return '-';
  const text = digits ? fmtFix(v, digits) : fmtInt(v);
  return r.cycleModel?.kind === 'rough' ? `~${text}` : text;
}

export function rowCells(r: BenchRow): string[] {
  const ok = r.status === 'ok';
  const bad = statusText(r);
  return [
    r.name, r.target, variantLabel(r), fmtInt(r.macs),
    ok ? fmtInt(r.instructions) : bad,
    ok ? fmtFix(r.instructionsPerMac) : '-',
    fmtCycles(r, r.cyclesPerMac),
    ok ? fmtFix(r.instructionsPlusAccessesPerMac) : '-',
    fmtInt(r.size?.text), fmtInt(r.size?.rodata), fmtInt(r.ramBytes), r.stack && !r.stack.bounded ? `${fmtInt(r.stackBytes)}+` : fmtInt(r.stackBytes),
    r.ratioToNaive === null ? '-' : `${r.ratioToNaive.toFixed(2)}x`,
  ];
}

/** The terminal table: fixed-width columns, numbers right-aligned. */
export function renderTable(report: BenchReport): string {
  const nets = report.networks ? renderNetworkTable(report.networks) : [];
  if (!report.results.length && report.networks) return nets.join('\n') + '\n';
  const rows = ownRows(report.results).map(rowCells);
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)));
  const left = new Set([0, 1, 2]);
  const line = (cells: string[]) => cells.map((c, i) => (left.has(i) ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  const out = [line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
  for (const r of report.results) if (r.note && r.status !== 'ok') out.push(`note: ${r.name} on ${r.target} (${r.variant}): ${r.note}`);
  for (const r of report.results) if (r.error) out.push(`${r.status === 'fail' ? 'FAIL' : 'ERROR'}: ${r.name} on ${r.target} (${r.variant}): ${r.error}`);
  for (const s of report.skipped) out.push(`skipped ${s.target}: ${s.reason}`);
  const copies = report.results.filter((r) => r.sameCodeAs);
  if (copies.length) out.push(`${copies.length} optimized kernel(s) generate the same code for --optimize ${[...new Set(copies.map((r) => r.optimize))].join(', ')} as for default: not measured twice`);
  for (const g of report.goals) out.push(`goal ${g.id}: ${g.met} met, ${g.notMet} not met, ${g.notMeasured} not measured`);
  if (nets.length) out.push('', ...nets);
  return out.join('\n') + '\n';
}

export function benchJson(report: BenchReport): string {
  return JSON.stringify(report, null, 2) + '\n';
}

function mdTable(head: string[], rows: string[][], align: ('l' | 'r')[]): string[] {
  return [
    `| ${head.join(' | ')} |`,
    `|${align.map((a) => (a === 'r' ? '---:' : ':---')).join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
}

/** "6 instructions, 1 load on arm920t, …": the measured empty-kernel windows, grouped. */
function overheadSummary(report: BenchReport): string {
  const by = new Map<string, string[]>();
  for (const r of report.results) {
    if (!r.overhead) continue;
    const k = `${r.overhead.insns} instructions, ${r.overhead.loads} load${r.overhead.loads === 1 ? '' : 's'}, ${r.overhead.stores} stores`;
    const list = by.get(k) ?? [];
    if (!list.includes(r.target)) list.push(r.target);
    by.set(k, list);
  }
  if (!by.size) return 'none measured in this run';
  return [...by].map(([k, ts]) => `${k} on ${ts.join(', ')}`).join('; ');
}

const isBytes = (g: GoalResult) => g.metric === 'text' || g.metric === 'weightFlash';
const fmtGoalValue = (g: GoalResult, v: number | null): string => (v === null ? '-' : isBytes(g) ? fmtInt(v) : fmtFix(v));
const statusCell = (row: GoalRow): string =>
  row.status === 'met' ? 'met' : row.status === 'not met' ? '**NOT met**' : `not measured (${row.note ?? 'no figure'})`;

/** One table per goal; goals over every kernel of the run are a spec × target grid of the failures and gaps. */
function renderGoals(report: BenchReport): string[] {
  const out: string[] = ['## Goals (issues 6 and 19)', ''];
  out.push('Each goal of issues 6 and 19, judged on this run. "convgen" is the `optimized` variant; where `--optimize speed` was ' +
    'measured too, the speed goals take the faster of the two (the mode is named) and the size goals take `default`. ' +
    'Goals are judged in estimated cycles wherever the target has a cycle model and the reference is a cycle figure ' +
    '(measured in this run, or issue 19\'s estimates for CMSIS-NN); goals against quoted instruction counts stay in ' +
    'instructions. A goal whose inputs were not measured says so rather than being left out. The ratio is convgen / reference.', '');
  out.push(...mdTable(['goal', 'met', 'NOT met', 'not measured'],
    report.goals.map((g) => [g.title, String(g.met), String(g.notMet), String(g.notMeasured)]), ['l', 'r', 'r', 'r']), '');
  for (const g of report.goals) {
    out.push(`### ${g.title}`, '', `Compared with: ${g.against}.`, '');
    const grid = g.rows.length > 20;
    if (!grid) {
      const showOpt = g.rows.some((r) => r.optimize && r.optimize !== 'default');
      out.push(...mdTable(
        ['spec', 'target', 'convgen', ...(showOpt ? ['optimize'] : []), 'reference', 'ratio', 'goal', 'status'],
        g.rows.map((r) => [shapeLabel(r.spec), r.target, fmtGoalValue(g, r.value), ...(showOpt ? [r.optimize ?? '-'] : []),
          fmtGoalValue(g, r.reference), r.ratio === null ? '-' : `${r.ratio.toFixed(2)}×`, r.goal, statusCell(r)]),
        ['l', 'l', 'r', ...(showOpt ? ['l' as const] : []), 'r', 'r', 'l', 'l'],
      ), '');
      continue;
    }
    const specs = [...new Set(g.rows.map((r) => r.spec))];
    const targets = [...new Set(g.rows.map((r) => r.target))];
    out.push(`Goal: ${[...new Set(g.rows.map((r) => r.goal))].join(', ')}. Each cell: convgen's figure` +
      `${g.rows.some((r) => r.reference !== null && g.metric === 'weightFlash') ? ' / the raw weight bytes' : ''}; ` +
      '**NOT met** or "not measured" where the goal is not met.', '');
    const cell = (spec: string, target: string): string => {
      const r = g.rows.find((x) => x.spec === spec && x.target === target);
      if (!r) return '-';
      if (r.status === 'not measured') return `not measured (${r.note})`;
      const v = `${fmtGoalValue(g, r.value)}${g.metric === 'weightFlash' ? ` / ${fmtGoalValue(g, r.reference)}` : ''}`;
      return r.status === 'met' ? v : `**${v} NOT met**`;
    };
    out.push(...mdTable(['spec', ...targets], specs.map((sp) => [sp, ...targets.map((t) => cell(sp, t))]), ['l', ...targets.map(() => 'r' as const)]), '');
  }
  return out;
}

/** Default and non-default optimize goals side by side: flash (text + rodata) and instructions/MAC. */
function renderOptimize(report: BenchReport): string[] {
  const others = report.optimize.filter((g) => g !== 'default');
  if (!others.length || !report.optimize.includes('default')) return [];
  const out: string[] = ['## Optimize goals: default and speed', ''];
  out.push('`--optimize default` keeps weight flash at the raw weight bytes; `--optimize speed` lets a kernel family trade ' +
    'flash for speed. Flash = `.text` + `.rodata` of the kernel object.', '');
  for (const g of others) {
    const rows = report.results.filter((r) => r.variant === 'optimized' && r.optimize === g);
    const same = rows.filter((r) => r.sameCodeAs === 'default');
    const differ = rows.filter((r) => !r.sameCodeAs);
    out.push(`\`${g}\` generates the same code as \`default\` for ${same.length} of ${rows.length} (spec, target) pairs; ` +
      `those are not measured twice.${differ.length ? ' The others:' : ''}`, '');
    if (!differ.length) continue;
    const flash = (r?: BenchRow) => (r?.size ? fmtInt(r.size.text + r.size.rodata) : '-');
    const ipm = (r?: BenchRow) => (r?.status === 'ok' ? fmtFix(r.instructionsPerMac) : r ? statusText(r) || '-' : '-');
    const cpm = (r?: BenchRow) => (r ? fmtCycles(r, r.cyclesPerMac) : '-');
    out.push(...mdTable(['spec', 'target', 'default flash', 'default instr/MAC', 'default cycles/MAC', `${g} flash`, `${g} instr/MAC`, `${g} cycles/MAC`],
      differ.map((r) => {
        const d = report.results.find((x) => x.name === r.name && x.target === r.target && x.variant === 'optimized' && isDefault(x));
        return [r.name, r.target, flash(d), ipm(d), cpm(d), flash(r), ipm(r), cpm(r)];
      }), ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r']), '');
  }
  return out;
}

export function renderMarkdown(report: BenchReport, opts: { svgLink?: string; command?: string } = {}): string {
  const out: string[] = [];
  const ok = report.results.filter((r) => r.status === 'ok');
  const names = [...new Set(report.results.map((r) => r.name))];
  const targets = [...new Set(report.results.map((r) => r.target))];
  out.push('# convgen benchmarks', '');
  out.push(`Generated by \`${opts.command ?? 'make bench'}\` with convgen ${report.convgen}, ${report.tools.gcc} and ${report.tools.qemu}. ` +
    'Do not edit by hand: regenerate it whenever generated code changes.', '');
  if (!report.results.length && report.networks) return [...out, ...renderNetworkMarkdown(report.networks)].join('\n');
  out.push('Every figure below comes from a kernel that was also proved bit-exact against the golden model on the same run ' +
    `(${ok[0]?.verified.tensors ?? 5} seeded inputs per kernel, seed ${report.seed}); a kernel that is fast and wrong is reported as a failure, not a result.`, '');
  if (opts.svgLink) out.push(`![instructions and estimated cycles per MAC per target and variant](${opts.svgLink})`, '', `Chart: [${path.basename(opts.svgLink)}](${opts.svgLink}).`, '');

  out.push(...renderGoals(report));

  const shown = report.variants;
  const pickRows = (name: string, target: string) => shown.map((v) => report.results.find((r) => r.name === name && r.target === target && r.variant === v && isDefault(r))
    ?? report.results.find((r) => r.name === name && r.target === target && r.variant === v));
  const defaultNote = report.optimize.includes('default') && report.optimize.length > 1 ? ' The optimized figure is `--optimize default`\'s.' : '';
  out.push('## Instructions per MAC', '');
  out.push(`Each cell: ${shown.join(' / ')} instructions per MAC; in brackets the best variant's ratio to \`naive\` on the same target. ` +
    '"no fit": the tensors do not fit the target\'s RAM.' + defaultNote, '');
  const cell = (name: string, target: string): string => {
    const rs = pickRows(name, target);
    if (rs.every((r) => r?.status === 'does-not-fit')) return 'no fit';
    const vals = rs.map((r) => (r?.status === 'ok' ? fmtFix(r.instructionsPerMac) : r ? statusText(r) || '-' : '-'));
    const best = rs.filter((r) => r?.status === 'ok' && r.variant !== BASELINE && r.ratioToNaive !== null)
      .sort((a, b) => a!.ratioToNaive! - b!.ratioToNaive!)[0];
    return `${vals.join(' / ')}${best ? ` (${best.ratioToNaive!.toFixed(2)}x)` : ''}`;
  };
  out.push(...mdTable(['spec', ...targets], names.map((n) => [n, ...targets.map((t) => cell(n, t))]), ['l', ...targets.map(() => 'r' as const)]), '');

  out.push('## Estimated cycles per MAC', '');
  out.push(`The same kernels in estimated cycles ([docs/cycles.md](cycles.md): each core's documented timing applied to the executed ` +
    `instructions, with multiply operand sizes read from the registers). Each cell: ${shown.join(' / ')} cycles per MAC; in brackets the ` +
    'best variant\'s ratio to `naive` in cycles. `~`: the Cortex-A9 figure is rough (docs/cycles.md), not a model.' + defaultNote, '');
  const cycleCell = (name: string, target: string): string => {
    const rs = pickRows(name, target);
    if (rs.every((r) => r?.status === 'does-not-fit')) return 'no fit';
    const vals = rs.map((r) => (r?.status === 'ok' ? fmtCycles(r, r.cyclesPerMac) : r ? statusText(r) || '-' : '-'));
    const base = rs.find((r) => r?.variant === BASELINE && r.status === 'ok' && r.cyclesPerMac);
    const ratios = rs.filter((r) => r?.status === 'ok' && r.variant !== BASELINE && r.cyclesPerMac !== null && base)
      .map((r) => r!.cyclesPerMac! / base!.cyclesPerMac!).sort((a, b) => a - b);
    return `${vals.join(' / ')}${ratios.length ? ` (${ratios[0].toFixed(2)}x)` : ''}`;
  };
  out.push(...mdTable(['spec', ...targets], names.map((n) => [n, ...targets.map((t) => cycleCell(n, t))]), ['l', ...targets.map(() => 'r' as const)]), '');

  out.push(...renderOptimize(report));

  out.push('## All figures', '');
  out.push('`instructions`: executed per call of `<name>_run` (first seeded random input), the call-site overhead subtracted. ' +
    '`cycles`: the same call in estimated cycles (docs/cycles.md; `~` a rough figure). ' +
    '`(i+ld+st)/MAC`: instructions plus memory accesses per MAC. `text`/`rodata`: bytes of the kernel object (weights are rodata; ' +
    'libgcc helpers are not included). `weights`: bytes of its weight arrays / the raw weight bytes of the spec. ' +
    '`RAM`: kernel data + bss + input + output + scratch buffers. `stack`: worst case over the ' +
    'kernel\'s call graph. `vs naive`: instructions relative to the `naive` variant on the same target. A variant with a ' +
    'goal in brackets was generated with `--optimize <goal>`.', '');
  for (const name of names) {
    const rows = ownRows(report.results.filter((r) => r.name === name));
    const r0 = rows[0];
    out.push(`### ${name}`, '', `\`${path.relative(process.cwd(), r0.spec) || r0.spec}\` — ${fmtInt(r0.macs)} MACs per call, accumulator \`${r0.accumulator}\`.`, '');
    out.push(...mdTable(
      ['target', 'variant', 'instructions', 'instr/MAC', 'cycles', 'cycles/MAC', '(i+ld+st)/MAC', 'loads', 'stores', 'text', 'rodata', 'weights', 'RAM', 'stack', 'vs naive'],
      rows.map((r) => {
        const c = rowCells(r);
        const good = r.status === 'ok';
        const w = r.weightBytes ? `${fmtInt(r.weightBytes.flash)} / ${fmtInt(r.weightBytes.raw)}` : '-';
        return [r.target, c[2], c[4], c[5], fmtCycles(r, r.cycles, 0), c[6], c[7], good ? fmtInt(r.loads) : '-', good ? fmtInt(r.stores) : '-', c[8], c[9], w, c[10], c[11], c[12]];
      }),
      ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ), '');
  }
  const notes = ownRows(report.results).filter((r) => r.status !== 'ok' && (r.note || r.error));
  if (notes.length || report.skipped.length) {
    out.push('### Notes', '');
    for (const r of notes) out.push(`- ${r.name} on ${r.target} (${variantLabel(r)}): ${r.error ?? r.note}`);
    for (const s of report.skipped) out.push(`- ${s.target}: skipped, ${s.reason}`);
    out.push('');
  }

  if (report.networks) out.push(...renderNetworkMarkdown(report.networks));

  out.push('## How it is measured', '');
  out.push(
    '- **Instructions, loads, stores**: the image runs under `qemu-system-arm` with convgen\'s TCG plugin ' +
      '(`firmware/plugin`, see its README). The harness calls `convgen_mark_begin(); <name>_run(in, out); convgen_mark_end();` ' +
      'and the plugin counts every guest instruction and memory access between the entries of the two markers, libgcc helpers ' +
      'included. The counts are exact and deterministic: same image and input, same numbers.',
    '- **Overhead**: the window also holds the markers\' own instructions and the call site\'s argument set-up. It is measured, ' +
      'not assumed: the same image is built with an empty `<name>_run` (same header, same harness code, same flags) and its window ' +
      `(${overheadSummary(report)}) is subtracted. An empty function is a single return, so a kernel's ` +
      'count leaves out exactly its one return instruction.',
    '- **Cycles**: estimated from the same run: the plugin also records how often each instruction ran, which branches were ' +
      'taken, which conditional instructions executed and, where a core\'s multiplier terminates early, the significant bytes of ' +
      'every multiply\'s operands (read from the registers); each core\'s documented timing table turns that into cycles, with ' +
      'load-use and multiply interlocks from the neighbouring instructions. The empty kernel\'s estimate is subtracted as for ' +
      'instructions. What each model covers, its sources and what it approximates: [docs/cycles.md](cycles.md). The Cortex-A9 ' +
      'figure is rough (marked `~`) and no goal uses it.',
    '- **Which input**: the reported count is for the first seeded random input. The count can depend on the data (clamps ' +
      'compile to branches on some cores); the JSON also carries `instructionsWorst`, the largest count over all seeded inputs ' +
      '(random, all-max, all-min, alternating), and `cyclesWorst` likewise.',
    '- **Flash**: `<name>.c` compiled alone with the image\'s flags (`-O2 -ffunction-sections -fdata-sections` and the ' +
      'target\'s CPU flags), `.text*` and `.rodata*` summed from `arm-none-eabi-size -A`; the weight arrays are its ' +
      '`.rodata.<name>_weights*` sections. The JSON lists the libgcc helpers the kernel calls and the code they add (`helpers`).',
    '- **RAM**: `.data` + `.bss` of the kernel object plus the input, output and scratch buffers its header declares.',
    '- **Stack**: the worst path through the kernel\'s call graph from `<name>_run`: frame sizes from `-fstack-usage` (.su), ' +
      'edges from `-fcallgraph-info=su` (.ci). libgcc helpers have no .su; their frames are read from their code in a link of ' +
      'the kernel object alone (every push and `sub sp` counted, pops ignored: an upper bound), following their calls. A `+` ' +
      'after the figure means it is not bounded (recursion, dynamic frame or an unknown callee).',
    '- **Baseline**: the `naive` variant is the textbook loop people write by hand: one function that receives the shape at run ' +
      'time in a struct, seven nested loops (group, output channel, row, column, kernel row, kernel column, input channel: the ' +
      'order of CMSIS-NN\'s portable C convolution), a bounds check on every tap, `-O2`, with exactly the same arithmetic as every ' +
      'other variant. It is verified bit-exact like every variant.',
    '- **Optimize goals**: `--optimize speed` rows are measured only where the generated code differs from `default` ' +
      '(comments aside); elsewhere the JSON row copies the default\'s figures and says `sameCodeAs`.',
    '- **Does not fit**: a kernel whose tensors exceed the target\'s RAM (the Cortex-M0 board has 16 KiB in all) is reported ' +
      'with its sizes and no counts.',
    '',
  );

  out.push('## Reference figures quoted from issue 6', '');
  out.push(`CMSIS-NN, int8 per-channel, instructions/MAC. Source: ${CMSIS_SOURCE}. Quoted, not re-measured by \`make bench\`.`, '');
  const cores: [string, string][] = [['cortex-m4', 'Cortex-M4'], ['cortex-m7', 'Cortex-M7'], ['cortex-m3', 'Cortex-M3'],
    ['cortex-m55', 'Cortex-M55'], ['arm920t', 'ARM920T (portable C, A32)']];
  out.push(...mdTable(['core', ...SHAPES.map((s) => s.label)],
    [...cores.map(([t, core]) => [core, ...cmsisNnInt8[t].map((v) => v.toFixed(2))]),
      ['Cortex-M4, (i+ld+st)/MAC', ...cmsisNnM4Accesses.map((v) => v.toFixed(2))]],
    ['l', ...SHAPES.map(() => 'r' as const)]), '');
  out.push('CMSIS-NN\'s former q15/q7 kernels (removed in 2022, still used through NNoM) did shape (a) on Cortex-M4 at ' +
    `1.59 (q15 "fast") and 1.99 (q7 "fast") instructions/MAC. Issue 6 also quotes the \`naive\` variant for q15 on ARM920T at ` +
    `${issueNaiveQ15Arm920t.map((v) => v.toFixed(2)).join(' / ')} instructions/MAC for shapes a–e. The goals above compare ` +
    'convgen with these figures.', '');
  return out.join('\n');
}
