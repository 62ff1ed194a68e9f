/**
 * The networks of `convgen bench`: each (network, target) measured by src/network/measure.ts on the seeded inputs
 * (verified bit-exact in the same run), issue 17's goals judged on the results (src/measure/network-goals.ts), and
 * the terminal and Markdown tables: one row per (network, target), one per layer.
 */
import path from 'node:path';
import { pool } from '../pool.ts';
import { evaluateNetworkGoals, NETWORK_REFERENCES, type NetworkGoalResult } from '../measure/network-goals.ts';
import { describeNetworkInputs, networkTestInputs } from '../network/inputs.ts';
import { measureNetwork, type NetworkMeasurement } from '../network/measure.ts';
import type { Network } from '../network/network.ts';
import type { Target } from '../targets/index.ts';
import type { OptimizeGoal } from '../codegen/index.ts';

export interface NetworkBenchReport {
  networks: string[];
  /** What the inputs were (seeded; the first is the one whose instructions are reported). */
  inputs: string;
  results: NetworkMeasurement[];
  goals: NetworkGoalResult[];
}

export async function runNetworkBench(nets: Network[], targets: Target[], o: {
  seed: number; jobs: number; timeoutSeconds: number; optimize?: OptimizeGoal[];
  onStart?: (total: number) => void; onResult?: (r: NetworkMeasurement) => void;
}): Promise<NetworkBenchReport> {
  const goals = o.optimize?.length ? o.optimize : (['default'] as OptimizeGoal[]);
  const pairs = nets.flatMap((net) => targets.flatMap((t) => goals.map((g) => ({ net, t, g }))));
  o.onStart?.(pairs.length);
  const results = await pool(pairs, o.jobs, ({ net, t, g }) =>
    measureNetwork(net, t, { inputs: networkTestInputs(net, o.seed), timeoutSeconds: o.timeoutSeconds, optimize: g }), (r) => o.onResult?.(r));
  return {
    networks: nets.map((n) => n.source), inputs: `${describeNetworkInputs()} (seed ${o.seed})`, results, goals: evaluateNetworkGoals(results),
  };
}

const int = (n: number | null | undefined): string => (n === null || n === undefined ? '-' : n.toLocaleString('en-US'));
const fix = (n: number | null | undefined, d = 2): string => (n === null || n === undefined ? '-' : n.toFixed(d));
const status = (r: NetworkMeasurement): string =>
  r.status === 'does-not-fit' ? 'does not fit' : r.status === 'fail' ? 'FAIL (not bit-exact)' : r.status === 'error' ? 'ERROR' : r.status === 'skipped' ? 'skipped' : '';

const COLUMNS = ['network', 'target', 'optimize', 'MACs', 'instructions', 'instr/MAC', 'arena', 'stack', 'text', 'parameters', 'weights'];

function cells(r: NetworkMeasurement): string[] {
  const ok = r.status === 'ok';
  return [r.name, r.target, r.optimize, int(r.macs), ok ? int(r.instructions) : status(r), ok ? fix(r.instructionsPerMac) : '-', int(r.arenaBytes),
    int(r.stackBytes), int(r.size?.text), int(r.parameters.flash), int(r.parameters.weights)];
}

/** Terminal lines: a row per (network, target), then each layer, notes and goal counts. */
export function renderNetworkTable(report: NetworkBenchReport): string[] {
  const rows = report.results.map(cells);
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)));
  const line = (c: string[]) => c.map((x, i) => (i < 3 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join('  ').trimEnd();
  const out = [line(COLUMNS), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
  for (const r of report.results.filter((x) => x.status === 'ok')) {
    out.push('', `${r.name} on ${r.target} (optimize ${r.optimize}), per layer: instructions (instr/MAC), arena high-water mark, stack, text + rodata`);
    for (const l of r.layers)
      out.push(`  ${l.name.padEnd(24)} ${l.op.padEnd(18)} ${l.instructions === null ? 'no code'.padStart(12) : int(l.instructions).padStart(12)}` +
        `${l.instructionsPerMac !== null ? ` (${fix(l.instructionsPerMac)})` : ''}  arena ${int(l.arenaBytes)}  stack ${int(l.stackBytes)}` +
        `${l.size ? `  ${int(l.size.text)} + ${int(l.size.rodata)} B` : ''}`);
  }
  for (const r of report.results) if (r.note && r.status !== 'ok') out.push(`note: ${r.name} on ${r.target}: ${r.note}`);
  for (const r of report.results) if (r.error) out.push(`${r.status === 'fail' ? 'FAIL' : 'ERROR'}: ${r.name} on ${r.target}: ${r.error}`);
  for (const g of report.goals) out.push(`goal ${g.id}: ${g.met} met, ${g.notMet} not met, ${g.notMeasured} not measured`);
  return out;
}

function md(head: string[], rows: string[][], align: ('l' | 'r')[]): string[] {
  return [`| ${head.join(' | ')} |`, `|${align.map((a) => (a === 'r' ? '---:' : ':---')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

const label = (name: string) => NETWORK_REFERENCES.find((r) => r.name === name)?.label ?? name;

/** The Markdown section: goals, the (network, target) table, each network's layers across the targets. */
export function renderNetworkMarkdown(report: NetworkBenchReport): string[] {
  const out: string[] = ['## Networks (issue 17)', ''];
  out.push(`Each network is one C module (\`convgen generate NET --target T\`) run under QEMU with the network harness on ${report.inputs}; ` +
    'every output was compared bit for bit with the golden model in the same run, on a poisoned arena, output and stack. ' +
    '`instructions` is per inference (the first input), the empty inference\'s window subtracted; per layer, the markers go around each ' +
    'layer (the empty layer\'s window subtracted). `arena` is the memory plan\'s, with the input and output in the caller\'s buffers; ' +
    '`stack` the worst call path from `<net>_run`; `text` and `parameters` (`.rodata` + `.data`: weights, biases, requantization and ' +
    'region tables) are the module object\'s; `weights` the weight tables as stored.', '');
  out.push('### Goals', '');
  out.push(...md(['goal', 'met', 'NOT met', 'not measured'], report.goals.map((g) => [g.title, String(g.met), String(g.notMet), String(g.notMeasured)]),
    ['l', 'r', 'r', 'r']), '');
  for (const g of report.goals) {
    out.push(`#### ${g.title}`, '', `Compared with: ${g.against}.`, '');
    out.push(...md(['network', 'target', 'convgen', 'optimize', 'reference', 'bound', 'ratio', 'status'], g.rows.map((r) => [
      label(r.network), r.target, int(r.value), r.optimize ?? '-', int(r.reference === null ? null : Math.round(r.reference)), int(r.bound === null ? null : Math.round(r.bound)),
      r.value !== null && r.reference ? `${(r.value / r.reference).toFixed(3)}×` : '-',
      r.status === 'met' ? 'met' : r.status === 'not met' ? '**NOT met**' : `not measured (${r.note ?? ''})`,
    ]), ['l', 'l', 'r', 'l', 'r', 'r', 'r', 'l']), '');
  }
  out.push('### Per network and target', '');
  out.push(...md(COLUMNS, report.results.map(cells), ['l', 'l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r']), '');
  const notes = report.results.filter((r) => r.status !== 'ok' && (r.note || r.error));
  if (notes.length) out.push(...notes.map((r) => `- ${r.name} on ${r.target}: ${r.note ?? r.error}`), '');
  for (const name of [...new Set(report.results.map((r) => r.name))]) {
    const runs = report.results.filter((r) => r.name === name && r.status === 'ok' && r.optimize === 'default');
    if (!runs.length) continue;
    out.push(`### ${label(name)} (${name}), per layer: instructions (optimize default)`, '');
    out.push(...md(['layer', 'op', 'MACs', 'arena', ...runs.map((r) => r.target)], runs[0].layers.map((l, i) => [
      l.name, l.op, int(l.macs), int(l.arenaBytes), ...runs.map((r) => {
        const x = r.layers[i];
        return x.instructions === null ? 'no code' : `${int(x.instructions)}${x.instructionsPerMac !== null ? ` (${fix(x.instructionsPerMac)}/MAC)` : ''}`;
      }),
    ]), ['l', 'l', 'r', 'r', ...runs.map(() => 'r' as const)]), '');
  }
  return out;
}

export const networkLabel = (r: NetworkMeasurement) => `${path.basename(r.network)} on ${r.target}`;
