/**
 * `convgen quantize SPEC`: the Q formats a spec uses (chosen or given, and why) and the quantization error of the
 * integer kernel against the float64 convolution on random real inputs in the input range (src/quantize).
 */
import { InvalidArgumentError, type Command } from 'commander';
import { ExitCode } from '../errors.ts';
import { describeNumeric, loadSpec } from '../spec/index.ts';
import { quantizeReport, type ErrorFigures, type QuantizeReport } from '../quantize/index.ts';
import { fmtReal } from '../spec/quantize.ts';
import { writeFileAtomic } from '../report/index.ts';
import { checkOutputFile } from '../files/write.ts';

function count(name: string, min: number) {
  return (v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) < min || !Number.isSafeInteger(Number(v)))
      throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}`);
    return Number(v);
  };
}

const num = (v: number) => (v === 0 ? '0' : v.toExponential(3));
const db = (v: number) => (v === Infinity ? 'inf' : v === -Infinity ? '-inf' : v.toFixed(2));

function row(label: string, f: ErrorFigures): string {
  return `${label.padStart(7)}  ${num(f.maxAbs).padStart(11)}  ${num(f.rms).padStart(11)}  ${db(f.snrDb).padStart(8)}  ${String(f.saturated).padStart(6)}  ${f.bound === null ? 'n/a (may saturate)' : num(f.bound)}`;
}

/** The report as terminal lines. */
export function reportLines(r: QuantizeReport, numeric: string): string[] {
  const f = r.formats;
  const fmt = (label: string, q: string, l: { auto: boolean; why: string }) => `  ${label.padEnd(8)} ${q.padEnd(8)} ${l.auto ? 'auto' : 'given'}: ${l.why}`;
  const lines = [
    `spec       ${r.spec} (${r.name})`,
    `numeric    ${numeric}`,
    'formats',
    fmt('input', f.input.q, f.input),
    fmt('weights', f.weights.q, f.weights),
    ...(f.bias ? [fmt('bias', `${f.bias.frac} frac`, { auto: f.bias.auto, why: `int${f.bias.bits}; ${f.bias.why}` })] : []),
    fmt('output', f.output.q, f.output),
  ];
  if (r.saturated.weights || r.saturated.bias)
    lines.push(`saturated  ${r.saturated.weights} weights and ${r.saturated.bias} biases did not fit their given format and were saturated`);
  const [lo, hi] = r.inputRange;
  lines.push(
    `samples    ${r.samples} random inputs uniform in [${fmtReal(lo)}, ${fmtReal(hi)}] (${r.rangeGiven ? 'inputRange' : "the input format's range"}, seed ${r.seed}),` +
      ` quantized to ${f.input.q}; float64 reference on the same real inputs;` +
      ' sat = outputs whose reference the output format cannot hold',
    `${'channel'.padStart(7)}  ${'max |err|'.padStart(11)}  ${'RMS err'.padStart(11)}  ${'SNR dB'.padStart(8)}  ${'sat'.padStart(6)}  bound (worst case, any input in range)`,
    ...r.channels.map((c) => row(String(c.channel), c)),
    row('all', r.overall),
  );
  if (r.boundExceeded.length)
    lines.push(`FAIL       channels ${r.boundExceeded.join(', ')} exceed their proved error bound: a bug in convgen`);
  return lines;
}

export function registerQuantize(program: Command): void {
  program
    .command('quantize')
    .description('print the Q formats (chosen or given, and why) and the error against a float convolution on random inputs in range')
    .argument('<spec>', 'kernel spec (.json or .kernel.ts)')
    .option('--samples <n>', 'random inputs to draw', count('--samples', 1), 8)
    .option('--seed <n>', 'seed of the random inputs', count('--seed', 0), 1)
    .option('--json <file>', 'write the figures as JSON')
    .action(async (spec: string, o: { samples: number; seed: number; json?: string }) => {
      if (o.json) checkOutputFile(o.json);
      const m = await loadSpec(spec, { root: program.opts().root as string | undefined });
      const r = quantizeReport(m, { samples: o.samples, seed: o.seed });
      for (const line of reportLines(r, `${describeNumeric(m.numeric)}, activation ${m.activationName}`)) console.log(line);
      if (o.json) {
        // JSON has no infinities: an error-free SNR is written as "inf".
        const text = JSON.stringify(r, (_, v) => (v === Infinity ? 'inf' : v === -Infinity ? '-inf' : v), 2);
        writeFileAtomic(o.json, `${text}\n`);
      }
      process.exitCode = r.boundExceeded.length ? ExitCode.mismatch : ExitCode.ok;
    });
}
