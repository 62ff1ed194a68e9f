/**
 * Code generation: KernelModel + variant -> C files. TypeScript decides (loop bands, accumulator, constants);
 * Handlebars templates in templates/ hold the C text and only substitute what the view model says.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import type { KernelModel } from '../spec/index.ts';
import { macCount } from '../spec/index.ts';
import { planAccumulator, type AccumulatorPlan } from './accumulator.ts';
import { cArrayRows, cInt } from './clit.ts';

export { planAccumulator } from './accumulator.ts';
export type { AccumulatorPlan } from './accumulator.ts';

export const VERSION = '0.1.0';

export interface GeneratedFile {
  /** File name inside the kernel directory. */
  name: string;
  content: string;
}

export interface GeneratedKernel {
  name: string;
  variant: VariantName;
  files: GeneratedFile[];
  plan: AccumulatorPlan;
  /** Bytes of caller-owned RAM: input, output, scratch. */
  ram: { input: number; output: number; scratch: number };
}

export interface VariantDef {
  summary: string;
  template: string;
}

export const variants = {
  reference: {
    summary: 'portable C99, constant shapes, border/interior split',
    template: 'reference/kernel.c.hbs',
  },
  naive: {
    summary: 'baseline: the hand-written textbook loop, shape passed at run time, bounds check per tap',
    template: 'naive/kernel.c.hbs',
  },
} as const satisfies Record<string, VariantDef>;

export type VariantName = keyof typeof variants;
export const variantNames = Object.keys(variants) as VariantName[];

const templateDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../templates');
const hbs = Handlebars.create();
const compiled = new Map<string, HandlebarsTemplateDelegate>();

function template(rel: string): HandlebarsTemplateDelegate {
  let t = compiled.get(rel);
  if (!t) {
    t = hbs.compile(fs.readFileSync(path.join(templateDir, rel), 'utf8'), { noEscape: true, strict: true });
    compiled.set(rel, t);
  }
  return t;
}

for (const partial of ['tables', 'finish'])
  hbs.registerPartial(partial, fs.readFileSync(path.join(templateDir, 'common', `${partial}.c.hbs`), 'utf8'));

export interface GenerateOptions {
  variant?: VariantName;
  /** Compile this input tensor into the image (boards with no host file system: the UART harness reads it). */
  builtinInput?: { data: Int32Array; seed: number };
}

export function generate(m: KernelModel, opts: GenerateOptions = {}): GeneratedKernel {
  const variant = opts.variant ?? 'reference';
  const plan = planAccumulator(m);
  const view = viewModel(m, plan, variant);
  const files: GeneratedFile[] = [
    { name: `${m.name}.h`, content: template('common/header.h.hbs')(view) },
    { name: `${m.name}.c`, content: template(variants[variant].template)(view) },
    { name: 'convgen_entry.h', content: template('common/entry.h.hbs')({ ...view, builtinInput: Boolean(opts.builtinInput) }) },
  ];
  if (opts.builtinInput)
    files.push({
      name: `${m.name}_input.c`,
      content: template('common/builtin_input.c.hbs')({
        ...view, seed: opts.builtinInput.seed, lines: cArrayRows(opts.builtinInput.data, 16),
      }),
    });
  return {
    name: m.name,
    variant,
    files,
    plan,
    ram: { input: view.inputBytes, output: view.outputBytes, scratch: view.scratchBytes },
  };
}

/** Output rows (and within them columns) whose receptive field lies wholly inside the input. */
export function interiorRange(outN: number, inN: number, k: number, stride: number, dil: number, before: number): [number, number] {
  const lo = Math.ceil(before / stride);
  const hi = Math.floor((inN - 1 - (k - 1) * dil + before) / stride);
  return [Math.max(0, lo), Math.min(outN - 1, hi)];
}

interface Segment {
  xLo: number;
  xHi: number;
  fn: 'inside' | 'border';
  label: string;
}

interface Band {
  yLo: number;
  yHi: number;
  label: string;
  segments: Segment[];
}

/** Split the output plane into bands of rows and segments of columns, so that only the border checks taps. */
export function planBands(m: KernelModel): Band[] {
  const [yLo, yHi] = interiorRange(m.outH, m.inH, m.kH, m.strideH, m.dilH, m.pad.top);
  const [xLo, xHi] = interiorRange(m.outW, m.inW, m.kW, m.strideW, m.dilW, m.pad.left);
  const whole: Segment = { xLo: 0, xHi: m.outW - 1, fn: 'border', label: 'every column touches the padding' };
  if (yLo > yHi || xLo > xHi)
    return [{ yLo: 0, yHi: m.outH - 1, label: 'every output touches the padding', segments: [whole] }];
  const segments: Segment[] = [];
  if (xLo > 0) segments.push({ xLo: 0, xHi: xLo - 1, fn: 'border', label: 'left border' });
  segments.push({ xLo, xHi, fn: 'inside', label: 'interior: no bounds checks' });
  if (xHi < m.outW - 1) segments.push({ xLo: xHi + 1, xHi: m.outW - 1, fn: 'border', label: 'right border' });
  const bands: Band[] = [];
  if (yLo > 0) bands.push({ yLo: 0, yHi: yLo - 1, label: 'top border', segments: [whole] });
  bands.push({ yLo, yHi, label: 'interior rows', segments });
  if (yHi < m.outH - 1) bands.push({ yLo: yHi + 1, yHi: m.outH - 1, label: 'bottom border', segments: [whole] });
  return bands;
}

function qName(bits: number, frac: number): string {
  return `Q${bits - 1 - frac}.${frac}`;
}

function viewModel(m: KernelModel, plan: AccumulatorPlan, variant: VariantName) {
  const st = m.numeric.storage;
  const bytes = st.bits / 8;
  const taps = m.inPerGroup * m.kH * m.kW;
  const bands = planBands(m);
  const nf = m.numeric;
  const layoutDoc = (c: string, h: string, w: string) => (m.layout === 'hwc' ? `[${h}][${w}][${c}]` : `[${c}][${h}][${w}]`);
  const stage = plan.stage;
  const stageDoc =
    stage.kind === 'right'
      ? `${nf.rounding === 'nearest' ? 'add 2^' + (stage.shift - 1) + ', ' : ''}shift right ${stage.shift} (${nf.rounding}), saturate, clamp`
      : stage.kind === 'left'
        ? `shift left ${stage.shift}, saturating, clamp`
        : 'saturate, clamp';
  return {
    version: VERSION,
    name: m.name,
    NAME: m.name.toUpperCase(),
    source: path.basename(m.source),
    variant,
    variantSummary: variants[variant].summary,
    cType: st.cType,
    biasCType: st.biasCType,
    accType: plan.accType,
    productType: plan.productType,
    biasScale: plan.biasScale,
    biasScaled: m.numeric.biasShift > 0,
    bound: plan.bound.toString(),
    boundBits: Math.max(1, Math.ceil(plan.boundLog2 + 1e-9)),
    inC: m.inC, inH: m.inH, inW: m.inW, outC: m.outC, outH: m.outH, outW: m.outW,
    kH: m.kH, kW: m.kW, strideH: m.strideH, strideW: m.strideW, dilH: m.dilH, dilW: m.dilW,
    pad: m.pad,
    groups: m.groups,
    depthwise: m.groups === m.inC && m.groups > 1,
    inPerGroup: m.inPerGroup,
    outPerGroup: m.outPerGroup,
    taps,
    hwc: m.layout === 'hwc',
    layoutName: m.layout.toUpperCase(),
    inShape: m.layout === 'hwc' ? `${m.inH}x${m.inW}x${m.inC}` : `${m.inC}x${m.inH}x${m.inW}`,
    outShape: m.layout === 'hwc' ? `${m.outH}x${m.outW}x${m.outC}` : `${m.outC}x${m.outH}x${m.outW}`,
    inLayoutDoc: layoutDoc('C', 'H', 'W'),
    outLayoutDoc: layoutDoc('C', 'H', 'W'),
    numericLine: `${nf.type}: input ${qName(st.bits, nf.inputFrac)}, weights ${qName(st.bits, nf.weightFrac)}, bias ${st.biasCType} with ${nf.biasFrac} fraction bits`,
    outputLine: `${qName(st.bits, nf.outputFrac)}, rounding ${nf.rounding}, saturating to ${st.cType}`,
    activationLine: `${m.activationName}: output clamped to [${Math.max(st.min, m.actMin)}, ${Math.min(st.max, m.actMax)}]`,
    inputFrac: nf.inputFrac,
    outputFrac: nf.outputFrac,
    weightFormat: qName(st.bits, nf.weightFrac),
    biasFormat: `${st.biasCType}, ${nf.biasFrac} fraction bits`,
    biasShift: nf.biasShift,
    inputElems: m.inC * m.inH * m.inW,
    outputElems: m.outC * m.outH * m.outW,
    inputBytes: m.inC * m.inH * m.inW * bytes,
    outputBytes: m.outC * m.outH * m.outW * bytes,
    scratchBytes: 0,
    weightBytes: m.weights.length * bytes,
    biasBytes: m.bias ? m.bias.length * (st.biasBits / 8) : 0,
    macs: macCount(m),
    weightRows: Array.from({ length: m.outC }, (_, o) => ({
      o,
      lines: cArrayRows(m.weights.subarray(o * taps, (o + 1) * taps), 16, '        '),
    })),
    hasBias: m.bias !== null,
    biasLines: m.bias ? cArrayRows(Array.from(m.bias, (b) => cInt(b, st.biasCType)), 8) : [],
    bands,
    hasBorder: bands.some((b) => b.segments.some((s) => s.fn === 'border')),
    hasInside: bands.some((b) => b.segments.some((s) => s.fn === 'inside')),
    stage: {
      ...stage,
      doc: stageDoc,
      isRight: stage.kind === 'right',
      isLeft: stage.kind === 'left',
      hasRound: stage.round !== '0' && stage.round !== 'INT64_C(0)',
    },
  };
}

/** Write the generated files into `dir` atomically: each file goes to a temp name first, then is renamed. */
export function writeKernel(kernel: GeneratedKernel, dir: string): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const f of kernel.files) {
    const dest = path.join(dir, f.name);
    const tmp = `${dest}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, f.content);
    fs.renameSync(tmp, dest);
    written.push(dest);
  }
  return written;
}
