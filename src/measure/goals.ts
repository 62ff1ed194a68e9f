/**
 * The goals of issues 6 ("kernels that beat CMSIS-NN") and 19 ("cycles, not instructions"), as one declarative
 * table, and their evaluation against a bench run. Each goal names the metric, the (spec, target) cases, what the
 * convgen figure is compared with (a quoted figure, another variant on the same target, the same variant on another
 * target, the other optimize goal, or the raw weights) and the bound. A case whose inputs were not measured is
 * reported as "not measured", never dropped.
 *
 * Goals are judged in estimated cycles (src/cycles) wherever the target has a cycle model and the reference can be
 * had in cycles: measured in the same run, or quoted as cycles (issue 19's audit). Goals whose reference is a quoted
 * instruction count (CMSIS-NN on M3, M7, M55; the former q15/q7 kernels) stay in instructions, as does the
 * Cortex-A9, whose cycle figure is only rough.
 */
import type { OptimizeGoal, VariantName } from '../codegen/index.ts';
import type { MeasureStatus, SectionSizes } from './index.ts';

export type GoalMetric = 'instructionsPerMac' | 'instructionsPlusAccessesPerMac' | 'cyclesPerMac' | 'text' | 'weightFlash';

/** Where the figure a convgen kernel is compared with comes from. */
export type GoalAgainst =
  /** A figure quoted from elsewhere: each case carries it. */
  | { kind: 'quoted'; source: string }
  /** Another variant, same spec and target, measured in the same run. */
  | { kind: 'variant'; variant: VariantName }
  /** The optimized variant of the same spec on another target, measured in the same run. */
  | { kind: 'target'; target: string }
  /** The same optimized kernel generated for another optimize goal, measured in the same run. */
  | { kind: 'optimize'; goal: OptimizeGoal }
  /** The spec's raw weight bytes (elements × storage width). */
  | { kind: 'raw-weights' }
  /** No comparison: an absolute bound only. */
  | { kind: 'none' };

export interface GoalCase {
  /** Kernel name (the spec's `name`). */
  spec: string;
  target: string;
  /** The quoted comparison figure, for `against.kind === 'quoted'`. */
  quoted?: number;
  /** Case-level bounds override the goal's. */
  maxRatio?: number;
  maxValue?: number;
  /** The bound is strict: the figure must beat it, not merely match it. */
  strict?: boolean;
}

export interface GoalDef {
  id: string;
  title: string;
  metric: GoalMetric;
  /**
   * Which optimized figure is judged: 'best' the lower over the optimize goals measured (`--optimize speed` exists
   * to trade flash for speed), 'default' the default one only (the size goals hold for the default).
   */
  optimize: 'best' | OptimizeGoal;
  against: GoalAgainst;
  /** The cases; 'all': every (spec, target) of the run; 'speed': every one whose `--optimize speed` code differs. */
  cases: GoalCase[] | 'all' | 'speed';
  maxRatio?: number;
  maxValue?: number;
}

export type GoalStatus = 'met' | 'not met' | 'not measured';

export interface GoalRow {
  spec: string;
  target: string;
  /** convgen's figure (the optimized variant), or null when not measured. */
  value: number | null;
  /** Which optimize goal gave `value`. */
  optimize: OptimizeGoal | null;
  reference: number | null;
  ratio: number | null;
  goal: string;
  status: GoalStatus;
  /** Why a case was not measured. */
  note?: string;
}

export interface GoalResult {
  id: string;
  title: string;
  metric: GoalMetric;
  /** Where the comparison figures come from, in words. */
  against: string;
  rows: GoalRow[];
  met: number;
  notMet: number;
  notMeasured: number;
}

/** What goal evaluation needs of a measurement (bench rows carry more). */
export interface GoalInput {
  name: string;
  target: string;
  variant: VariantName;
  optimize?: OptimizeGoal;
  status: MeasureStatus;
  instructionsPerMac: number | null;
  instructionsPlusAccessesPerMac: number | null;
  /** Estimated cycles/MAC; only figures of a 'model' kind cycle model are judged (a 'rough' one is not). */
  cyclesPerMac?: number | null;
  cycleModel?: { id: string; kind: 'model' | 'rough' } | null;
  /** Set when this row copies another optimize goal's figures (identical code). */
  sameCodeAs?: OptimizeGoal;
  size: SectionSizes | null;
  weightBytes?: { raw: number; flash: number | null };
}

/** The run the rows came from, so that a missing case can say why. */
export interface GoalContext {
  specs: string[];
  targets: string[];
  variants: VariantName[];
  skipped: { target: string; reason: string }[];
}

// ---------------------------------------------------------------------------------------------------------------
// The table

/** The bench suite's shapes, as issue 6 names them, and the kernel-name stem of each bench/*.json. */
export const SHAPES = [
  { id: 'a', stem: 'a_3x3_16to16_32x32', label: '(a) 3×3 16→16 32×32 pad 1' },
  { id: 'b', stem: 'b_3x3_3to8_32x32', label: '(b) 3×3 3→8 32×32 pad 1' },
  { id: 'c', stem: 'c_1x1_32to32_16x16', label: '(c) 1×1 32→32 16×16' },
  { id: 'd', stem: 'd_dw3x3_32_32x32', label: '(d) depthwise 3×3 32 ch 32×32 pad 1' },
  { id: 'e', stem: 'e_5x5_8to16_28x28', label: '(e) 5×5 8→16 28×28 pad 2' },
] as const;
export type ShapeId = (typeof SHAPES)[number]['id'];

const spec = (shape: ShapeId, format: 'int8' | 'q15' | 'q7'): string => `${SHAPES.find((s) => s.id === shape)!.stem}_${format}`;

export const CMSIS_SOURCE = 'issue #6: CMSIS-NN 7.0+, -Ofast, arm-none-eabi-gcc 12.2, same QEMU counting';

/** CMSIS-NN instructions/MAC for int8 per-channel shapes a–e, quoted from issue 6. */
export const cmsisNnInt8: Record<string, readonly number[]> = {
  'cortex-m4': [2.33, 6.16, 2.70, 8.91, 2.37],
  'cortex-m7': [2.33, 6.24, 2.67, 8.77, 2.39],
  'cortex-m3': [3.33, 6.86, 3.66, 10.05, 3.38],
  'cortex-m55': [0.39, 1.99, 0.62, 2.69, 0.42],
  arm920t: [3.38, 7.06, 3.57, 25.90, 3.54],
};
export const AUDIT_SOURCE = 'issue #19: an independent audit\'s cycle estimates for CMSIS-NN from the executed instruction stream and each core\'s documented timing';

/** CMSIS-NN estimated cycles/MAC for int8 per-channel shapes a–e, quoted from issue 19 (portable C on ARM920T). */
export const cmsisNnCyclesInt8: Record<string, readonly number[]> = {
  arm920t: [6.82, 12.08, 6.93, 40.6, 7.18],
  'cortex-m4': [2.87, 8.11, 3.17, 10.31, 2.97],
};

/** CMSIS-NN (instructions + loads + stores)/MAC on Cortex-M4, shapes a–e. */
export const cmsisNnM4Accesses = [3.06, 8.21, 3.35, 11.64, 3.08] as const;
/** The `naive` variant for q15 on ARM920T as measured by the issue's author, shapes a–e. */
export const issueNaiveQ15Arm920t = [7.06, 16.93, 8.40, 40.36, 8.00] as const;

const shapeIds = SHAPES.map((s) => s.id);

function int8VsCmsis(target: string, core: string, maxRatio: number, beat: ShapeId[] = []): GoalDef {
  const beatText = beat.length ? ` and beat it on ${beat.join(' and ')}` : '';
  return {
    id: `${target}-int8-cmsis-nn`,
    title: `${core}, int8 per-channel: instructions/MAC ≤ ${maxRatio.toFixed(2)}× CMSIS-NN${beatText} (issue 6)`,
    metric: 'instructionsPerMac', optimize: 'best', against: { kind: 'quoted', source: CMSIS_SOURCE }, maxRatio,
    cases: SHAPES.map((s, i) => ({ spec: spec(s.id, 'int8'), target, quoted: cmsisNnInt8[target][i], strict: beat.includes(s.id) })),
  };
}

function int8CyclesVsCmsis(target: string, core: string, maxRatio: number, a?: number): GoalDef {
  return {
    id: `${target}-int8-cmsis-nn-cycles`,
    title: `${core}, int8 per-channel: cycles/MAC ≤ ${maxRatio.toFixed(2)}× CMSIS-NN${a ? `, shape (a) ≤ ${a.toFixed(2)}` : ''} (issue 19)`,
    metric: 'cyclesPerMac', optimize: 'best', against: { kind: 'quoted', source: AUDIT_SOURCE }, maxRatio,
    cases: SHAPES.map((s, i) => ({ spec: spec(s.id, 'int8'), target, quoted: cmsisNnCyclesInt8[target][i], ...(s.id === 'a' && a ? { maxValue: a } : {}) })),
  };
}

function qFormats(target: string, formats: ('q15' | 'q7')[] = ['q15', 'q7']): GoalCase[] {
  return formats.flatMap((f) => shapeIds.map((s) => ({ spec: spec(s, f), target })));
}

export const goalTable: readonly GoalDef[] = [
  int8CyclesVsCmsis('arm920t', 'ARM920T (CMSIS-NN\'s portable C, A32)', 0.5),
  {
    id: 'arm920t-q-a-cycles',
    title: 'ARM920T, q15 and q7 shape (a): cycles/MAC ≤ 3.5 (issue 19)',
    metric: 'cyclesPerMac', optimize: 'best', against: { kind: 'none' }, maxValue: 3.5,
    cases: [{ spec: spec('a', 'q15'), target: 'arm920t' }, { spec: spec('a', 'q7'), target: 'arm920t' }],
  },
  int8CyclesVsCmsis('cortex-m4', 'Cortex-M4', 0.5, 1.3),
  {
    id: 'arm926ej-s-q-vs-arm920t',
    title: 'ARM926EJ-S (SMLAxy), q15 and q7: cycles/MAC ≤ 0.8× convgen\'s optimized on ARM920T (issue 19)',
    metric: 'cyclesPerMac', optimize: 'best', against: { kind: 'target', target: 'arm920t' }, maxRatio: 0.8,
    cases: qFormats('arm926ej-s'),
  },
  {
    id: 'speed-not-slower',
    title: '`--optimize speed` never slower than default, in cycles (issue 19)',
    metric: 'cyclesPerMac', optimize: 'speed', against: { kind: 'optimize', goal: 'default' }, maxRatio: 1, cases: 'speed',
  },
  {
    id: 'arm920t-q-naive',
    title: 'ARM920T, q15 and q7: cycles/MAC ≤ 0.3× convgen\'s naive (issue 6, judged in cycles)',
    metric: 'cyclesPerMac', optimize: 'best', against: { kind: 'variant', variant: 'naive' }, maxRatio: 0.3,
    cases: qFormats('arm920t'),
  },
  int8VsCmsis('cortex-m7', 'Cortex-M7', 0.75),
  int8VsCmsis('cortex-m3', 'Cortex-M3', 0.75),
  int8VsCmsis('cortex-m55', 'Cortex-M55', 1.0, ['b', 'd']),
  {
    id: 'cortex-m4-int8-accesses',
    title: 'Cortex-M4, int8 per-channel: (instructions + loads + stores)/MAC ≤ 0.75× CMSIS-NN (issue 6)',
    metric: 'instructionsPlusAccessesPerMac', optimize: 'best', against: { kind: 'quoted', source: CMSIS_SOURCE }, maxRatio: 0.75,
    cases: SHAPES.map((s, i) => ({ spec: spec(s.id, 'int8'), target: 'cortex-m4', quoted: cmsisNnM4Accesses[i] })),
  },
  {
    id: 'cortex-m4-q-cmsis-nn',
    title: 'Cortex-M4, q15 and q7 shape (a): instructions/MAC ≤ 1.2 (q15) and ≤ 1.5 (q7) (issue 6)',
    metric: 'instructionsPerMac', optimize: 'best',
    against: { kind: 'quoted', source: `${CMSIS_SOURCE}; CMSIS-NN's former q15 and q7 "fast" kernels` },
    cases: [
      { spec: spec('a', 'q15'), target: 'cortex-m4', quoted: 1.59, maxValue: 1.2 },
      { spec: spec('a', 'q7'), target: 'cortex-m4', quoted: 1.99, maxValue: 1.5 },
    ],
  },
  {
    id: 'arm920t-q15-issue-naive',
    title: 'ARM920T, q15: instructions/MAC ≤ 0.3× the naive figures quoted in issue 6 (issue 6)',
    metric: 'instructionsPerMac', optimize: 'best',
    against: { kind: 'quoted', source: 'issue #6: the `naive` variant for q15 on ARM920T, as measured by the issue\'s author' },
    maxRatio: 0.3,
    cases: shapeIds.map((s, i) => ({ spec: spec(s, 'q15'), target: 'arm920t', quoted: issueNaiveQ15Arm920t[i] })),
  },
  {
    id: 'cortex-a9-q-naive',
    title: 'Cortex-A9 (NEON), q15 and q7: instructions/MAC ≤ 0.3× convgen\'s naive (issue 6; the A9 cycle figure is rough)',
    metric: 'instructionsPerMac', optimize: 'best', against: { kind: 'variant', variant: 'naive' }, maxRatio: 0.3,
    cases: qFormats('cortex-a9'),
  },
  {
    id: 'text-4k',
    title: 'Code size: kernel .text ≤ 4 KiB (4,096 B) for every optimized kernel, default goal (issue 6)',
    metric: 'text', optimize: 'default', against: { kind: 'none' }, maxValue: 4096, cases: 'all',
  },
  {
    id: 'weight-flash',
    title: 'Weight flash: the default optimized kernel stores no more than the raw weight bytes (issue 6)',
    metric: 'weightFlash', optimize: 'default', against: { kind: 'raw-weights' }, maxRatio: 1, cases: 'all',
  },
];

// ---------------------------------------------------------------------------------------------------------------
// Evaluation

const perMacMetrics: GoalMetric[] = ['instructionsPerMac', 'instructionsPlusAccessesPerMac', 'cyclesPerMac'];

function metricValue(r: GoalInput, metric: GoalMetric): number | null {
  if (r.status !== 'ok' && perMacMetrics.includes(metric)) return null;
  switch (metric) {
    case 'instructionsPerMac': return r.instructionsPerMac;
    case 'instructionsPlusAccessesPerMac': return r.instructionsPlusAccessesPerMac;
    case 'cyclesPerMac': return r.cycleModel?.kind === 'model' ? r.cyclesPerMac ?? null : null;
    case 'text': return r.size?.text ?? null;
    case 'weightFlash': return r.weightBytes?.flash ?? null;
  }
}

const statusWords: Record<MeasureStatus, string> = {
  ok: 'measured', 'does-not-fit': 'does not fit the target\'s RAM', fail: 'FAIL (not bit-exact)', error: 'ERROR', skipped: 'skipped',
};

interface Pick {
  value: number | null;
  optimize: OptimizeGoal | null;
  why?: string;
}

/** The figure of `variant` for (spec, target) under the goal's optimize choice, or why there is none. */
function pick(results: GoalInput[], ctx: GoalContext | undefined, specName: string, target: string, variant: VariantName,
  metric: GoalMetric, optimize: GoalDef['optimize']): Pick {
  const rows = results.filter((r) => r.name === specName && r.target === target && r.variant === variant &&
    (optimize === 'best' || variant !== 'optimized' || (r.optimize ?? 'default') === optimize));
  const good = rows.map((r) => ({ r, v: metricValue(r, metric) })).filter((x) => x.v !== null);
  if (good.length) {
    // Ties go to the default goal: it is the one that also keeps flash at the raw weights.
    const best = good.sort((a, b) => a.v! - b.v! || Number((a.r.optimize ?? 'default') !== 'default') - Number((b.r.optimize ?? 'default') !== 'default'))[0];
    return { value: best.v, optimize: best.r.optimize ?? 'default' };
  }
  return { value: null, optimize: null, why: missingReason(rows, ctx, specName, target, variant, metric) };
}

function missingReason(rows: GoalInput[], ctx: GoalContext | undefined, specName: string, target: string, variant: VariantName,
  metric: GoalMetric): string {
  const bad = rows.find((r) => r.status !== 'ok');
  if (bad) return `${variant} on ${target}: ${statusWords[bad.status]}`;
  if (metric === 'cyclesPerMac' && rows.some((r) => r.cycleModel?.kind === 'rough')) return `${target}: only a rough cycle figure`;
  if (metric === 'cyclesPerMac' && rows.length) return `${variant} on ${target}: no cycle estimate`;
  if (rows.length) return `${variant} on ${target}: no figure`;
  const skipped = ctx?.skipped.find((s) => s.target === target);
  if (skipped) return `${target}: ${skipped.reason}`;
  if (ctx && !ctx.targets.includes(target)) return `${target} was not in this run`;
  if (ctx && !ctx.specs.some((s) => s === specName)) return `${specName} was not in this run`;
  if (ctx && !ctx.variants.includes(variant)) return `the ${variant} variant was not in this run`;
  return `${specName} (${variant}) on ${target} was not measured`;
}

function boundText(metric: GoalMetric, maxRatio: number | undefined, maxValue: number | undefined, strict: boolean): string {
  const op = strict ? '<' : '≤';
  const parts: string[] = [];
  if (maxRatio !== undefined) parts.push(`${op} ${maxRatio.toFixed(2)}×`);
  if (maxValue !== undefined) parts.push(metric === 'text' || metric === 'weightFlash' ? `${op} ${maxValue.toLocaleString('en-US')} B` : `${op} ${maxValue.toFixed(2)}`);
  return parts.join(' and ');
}

function againstText(a: GoalAgainst): string {
  switch (a.kind) {
    case 'quoted': return a.source;
    case 'variant': return `convgen's \`${a.variant}\` variant, same spec and target, measured in the same run`;
    case 'target': return `convgen's optimized kernel for the same spec on ${a.target}, measured in the same run`;
    case 'optimize': return `the same kernel generated for \`--optimize ${a.goal}\`, measured in the same run`;
    case 'raw-weights': return 'the spec\'s raw weight bytes (weights × storage width); the figure is the size of the kernel\'s `<name>_weights*` sections';
    case 'none': return 'an absolute bound';
  }
}

function ratioOf(value: number, reference: number): number {
  return Math.round((value / reference) * 1e4) / 1e4;
}

/** The (spec, target) pairs of a run, for goals over 'all' (or over those with their own `--optimize speed` code). */
function allCases(results: GoalInput[], which: 'all' | 'speed'): GoalCase[] {
  const seen = new Map<string, GoalCase>();
  for (const r of results)
    if (r.variant === 'optimized' && (which === 'all' || (r.optimize === 'speed' && !r.sameCodeAs)))
      seen.set(`${r.name}\0${r.target}`, { spec: r.name, target: r.target });
  return [...seen.values()];
}

export function evaluateGoal(def: GoalDef, results: GoalInput[], ctx?: GoalContext): GoalResult {
  const cases = def.cases === 'all' || def.cases === 'speed' ? allCases(results, def.cases) : def.cases;
  const rows: GoalRow[] = cases.map((c) => {
    const maxRatio = c.maxRatio ?? def.maxRatio;
    const maxValue = c.maxValue ?? def.maxValue;
    const strict = c.strict ?? false;
    const goal = boundText(def.metric, maxRatio, maxValue, strict);
    const ours = pick(results, ctx, c.spec, c.target, 'optimized', def.metric, def.optimize);
    let reference: number | null = null;
    let refWhy: string | undefined;
    const a = def.against;
    if (a.kind === 'quoted') reference = c.quoted ?? null;
    else if (a.kind === 'variant') {
      const p = pick(results, ctx, c.spec, c.target, a.variant, def.metric, def.optimize);
      reference = p.value;
      refWhy = p.why;
    } else if (a.kind === 'target') {
      const p = pick(results, ctx, c.spec, a.target, 'optimized', def.metric, def.optimize);
      reference = p.value;
      refWhy = p.why;
    } else if (a.kind === 'optimize') {
      const p = pick(results, ctx, c.spec, c.target, 'optimized', def.metric, a.goal);
      reference = p.value;
      refWhy = p.why;
    } else if (a.kind === 'raw-weights') {
      const r = results.find((x) => x.name === c.spec && x.target === c.target && x.variant === 'optimized' && x.weightBytes);
      reference = r?.weightBytes?.raw ?? null;
      if (reference === null) refWhy = 'raw weight bytes unknown';
    }
    const needsRef = a.kind !== 'none';
    const base = { spec: c.spec, target: c.target, value: ours.value, optimize: ours.optimize, reference, goal };
    if (ours.value === null || (needsRef && (reference === null || reference <= 0)))
      return { ...base, ratio: null, status: 'not measured' as const, note: ours.why ?? refWhy ?? 'no reference figure' };
    const ratio = needsRef ? ratioOf(ours.value, reference!) : null;
    const within = (v: number, max: number | undefined) => max === undefined || (strict ? v < max : v <= max);
    // The ratio is judged on the unrounded quotient so that rounding never turns a miss into a pass.
    const okRatio = maxRatio === undefined || (needsRef && within(ours.value / reference!, maxRatio));
    const okValue = within(ours.value, maxValue);
    return { ...base, ratio, status: okRatio && okValue ? 'met' as const : 'not met' as const };
  });
  if (!rows.length)
    rows.push({ spec: '-', target: '-', value: null, optimize: null, reference: null, ratio: null,
      goal: boundText(def.metric, def.maxRatio, def.maxValue, false), status: 'not measured', note: 'no optimized kernel in this run' });
  const count = (s: GoalStatus) => rows.filter((r) => r.status === s).length;
  return {
    id: def.id, title: def.title, metric: def.metric, against: againstText(def.against), rows,
    met: count('met'), notMet: count('not met'), notMeasured: count('not measured'),
  };
}

export function evaluateGoals(results: GoalInput[], ctx?: GoalContext, table: readonly GoalDef[] = goalTable): GoalResult[] {
  return table.map((d) => evaluateGoal(d, results, ctx));
}

/** The issue's label of a bench kernel name ("(a) 3×3 16→16 32×32 pad 1, q15"), or the name itself. */
export function shapeLabel(name: string): string {
  const s = SHAPES.find((x) => name.startsWith(`${x.stem}_`));
  return s ? `${s.label}, ${name.slice(s.stem.length + 1)}` : name;
}
