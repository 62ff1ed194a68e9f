/**
 * The goals of issue 17 ("a whole int8 model as one firmware") as one declarative table, and their evaluation
 * against a network bench run: TensorFlow Lite Micro's figures for the three MLPerf Tiny models, quoted from the
 * issue (measured on the same QEMU counting), and the bound each goal sets. A case whose figure was not measured is
 * "not measured", never dropped.
 */
import type { NetworkMeasurement } from '../network/measure.ts';

export const TFLM_SOURCE = 'issue #17: TensorFlow Lite Micro 90b983c (with CMSIS-NN 4ab83cc on Cortex-M4, its reference kernels on ' +
  'ARM920T), arm-none-eabi-gcc 12.2 -O2, the same QEMU counting around Invoke()';

export interface NetworkReference {
  /** The network's name (the model's, as convgen imports it). */
  name: string;
  label: string;
  macs: number;
  tflmCmsisNnM4: number;
  tflmArena: number;
  tflmActivations: number;
  /** The activations' lower bound: the largest input + output pair of one layer. */
  lowerBound: number;
  tflmReferenceArm920t: number;
}

export const NETWORK_REFERENCES: readonly NetworkReference[] = [
  { name: 'kws_ref_model', label: 'keyword spotting (DS-CNN)', macs: 2.66e6, tflmCmsisNnM4: 7.58e6, tflmArena: 22916, tflmActivations: 16000, lowerBound: 16000, tflmReferenceArm920t: 214.7e6 },
  { name: 'pretrainedresnet_quant', label: 'ResNet-8', macs: 12.5e6, tflmCmsisNnM4: 29.78e6, tflmArena: 55092, tflmActivations: 49728, lowerBound: 49152, tflmReferenceArm920t: 905.5e6 },
  { name: 'ad01_int8', label: 'anomaly detection (autoencoder)', macs: 0.264e6, tflmCmsisNnM4: 0.584e6, tflmArena: 2676, tflmActivations: 768, lowerBound: 768, tflmReferenceArm920t: 1.96e6 },
];

export type NetworkGoalMetric = 'instructions' | 'arenaBytes' | 'text' | 'parameters';

export interface NetworkGoalDef {
  id: string;
  title: string;
  metric: NetworkGoalMetric;
  /** The target the figure is taken on ('each': every measured target of the run). */
  target: string | 'each';
  networks: readonly string[];
  /** Which optimize goal is judged: the faster of those measured (speed goals), or the default (size goals). */
  optimize: 'best' | 'default';
  /** The reference figure and the bound (value <= bound is met). */
  reference: (r: NetworkReference, m: NetworkMeasurement) => number;
  factor: number;
  against: string;
}

const ALL = NETWORK_REFERENCES.map((r) => r.name);

export const NETWORK_GOALS: readonly NetworkGoalDef[] = [
  {
    id: 'net-m4-instructions', title: 'Cortex-M4: instructions per inference ≤ 0.6× TFLM + CMSIS-NN', metric: 'instructions',
    target: 'cortex-m4', networks: ALL, optimize: 'best', reference: (r) => r.tflmCmsisNnM4, factor: 0.6, against: TFLM_SOURCE,
  },
  {
    id: 'net-arm920t-instructions', title: 'ARM920T: instructions per inference ≤ 0.06× TFLM reference kernels', metric: 'instructions',
    target: 'arm920t', networks: ALL, optimize: 'best', reference: (r) => r.tflmReferenceArm920t, factor: 0.06, against: TFLM_SOURCE,
  },
  {
    id: 'net-arena', title: 'Arena ≤ the activations\' lower bound (largest input + output pair)', metric: 'arenaBytes',
    target: 'each', networks: ALL, optimize: 'default', reference: (r) => r.lowerBound, factor: 1,
    against: 'issue #17: the largest input + output pair of one layer (TFLM\'s activations: kws 16,000 B, ResNet-8 49,728 B, ad01 768 B)',
  },
  {
    id: 'net-text', title: 'Network code (.text, default optimize) ≤ 32 KiB on Cortex-M4 (kws, ResNet-8)', metric: 'text',
    target: 'cortex-m4', networks: ['kws_ref_model', 'pretrainedresnet_quant'], optimize: 'default', reference: () => 32768, factor: 1,
    against: 'issue #17: 32 KiB',
  },
  {
    id: 'net-parameters', title: 'Parameters (all static const data) ≤ the model\'s own weight and bias bytes', metric: 'parameters',
    target: 'each', networks: ALL, optimize: 'default', reference: (_r, m) => m.parameters.modelWeightsAndBiases, factor: 1,
    against: 'the model\'s weight (int8) and bias (int32) tensors as its .tflite stores them; convgen\'s figure adds the ' +
      'requantization multipliers and shifts and the kernels\' seed and region tables',
  },
];

export interface NetworkGoalRow {
  network: string;
  target: string;
  /** The optimize goal whose figure is judged. */
  optimize: string | null;
  value: number | null;
  reference: number | null;
  bound: number | null;
  status: 'met' | 'not met' | 'not measured';
  note?: string;
}

export interface NetworkGoalResult {
  id: string;
  title: string;
  metric: NetworkGoalMetric;
  against: string;
  rows: NetworkGoalRow[];
  met: number;
  notMet: number;
  notMeasured: number;
}

function value(m: NetworkMeasurement, metric: NetworkGoalMetric): number | null {
  switch (metric) {
    case 'instructions': return m.status === 'ok' ? m.instructions : null;
    case 'arenaBytes': return m.status === 'error' ? null : m.arenaBytes;
    case 'text': return m.size?.text ?? null;
    case 'parameters': return m.parameters.flash;
    default: {
      const never: never = metric;
      throw new Error(`network goals: unknown metric ${String(never)}`);
    }
  }
}

/** Each goal over the networks of the run it names (a network of the table that was not benched is left out). */
export function evaluateNetworkGoals(results: NetworkMeasurement[]): NetworkGoalResult[] {
  return NETWORK_GOALS.map((g) => {
    const rows: NetworkGoalRow[] = [];
    for (const ref of NETWORK_REFERENCES.filter((r) => g.networks.includes(r.name))) {
      const runs = results.filter((m) => m.name === ref.name);
      if (!runs.length) continue;
      // One row per target: the default goal's figure, or for speed goals the lowest over the goals measured.
      const pick = (target: string): NetworkMeasurement | undefined => {
        const rs = runs.filter((m) => m.target === target);
        const def = rs.find((m) => m.optimize === 'default') ?? rs[0];
        if (g.optimize === 'default') return def;
        const measured = rs.filter((m) => value(m, g.metric) !== null);
        return measured.length ? measured.reduce((a, b) => (value(b, g.metric)! < value(a, g.metric)! ? b : a)) : def;
      };
      const targets = g.target === 'each' ? [...new Set(runs.filter((m) => m.status !== 'skipped').map((m) => m.target))] : [g.target];
      for (const t of targets) {
        const m = pick(t);
        if (!m) {
          rows.push({ network: ref.name, target: t, optimize: null, value: null, reference: null, bound: null, status: 'not measured', note: `${t} was not in the run` });
          continue;
        }
        const v = value(m, g.metric);
        const reference = g.reference(ref, m);
        const bound = reference * g.factor;
        rows.push({
          network: ref.name, target: m.target, optimize: m.optimize, value: v, reference, bound,
          status: v === null ? 'not measured' : v <= bound ? 'met' : 'not met',
          ...(v === null ? { note: m.error ?? m.note ?? m.status } : {}),
        });
      }
    }
    return {
      id: g.id, title: g.title, metric: g.metric, against: g.against, rows,
      met: rows.filter((r) => r.status === 'met').length, notMet: rows.filter((r) => r.status === 'not met').length,
      notMeasured: rows.filter((r) => r.status === 'not measured').length,
    };
  });
}
