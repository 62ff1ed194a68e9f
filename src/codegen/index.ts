/**
 * Code generation: KernelModel + variant -> C files. TypeScript decides (loop bands, accumulator, constants);
 * Handlebars templates in templates/ hold the C text and only substitute what the view model says.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import type { KernelModel } from '../spec/index.ts';
import { macCount, qName } from '../spec/index.ts';
import { planAccumulator, type AccumulatorPlan } from './accumulator.ts';
import { cArrayRows, cInt } from './clit.ts';
import { chooseFamily } from './families.ts';
import { interiorRange } from './geometry.ts';
import { findTarget, type IsaFeatures } from '../targets/index.ts';
import { ENTRY_HEADER } from '../spec/names.ts';

const hostIsa: IsaFeatures = findTarget('host')!.features;

export { planAccumulator } from './accumulator.ts';
export { interiorRange } from './geometry.ts';
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
  /** The optimized variant's kernel family (blocked, mve, neon); null for the other variants. */
  family: string | null;
  /** One line on what the generated kernel is (the family's summary for the optimized variant). */
  summary: string;
  files: GeneratedFile[];
  plan: AccumulatorPlan;
  /** Bytes of caller-owned RAM (input, output, scratch) and of the kernel's own static buffers (.bss). */
  ram: { input: number; output: number; scratch: number; static: number };
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
  optimized: {
    summary: 'the fastest kernel family for the target ISA (blocked, pointwise, NEON, MVE), decided at generation time',
    template: 'optimized/kernel.c.hbs',
  },
  naive: {
    summary: 'baseline: the hand-written textbook loop, shape passed at run time, bounds check per tap',
    template: 'naive/kernel.c.hbs',
  },
} as const satisfies Record<string, VariantDef>;

export type VariantName = keyof typeof variants;
/** What convgen generates unless told otherwise: the fastest variant, sized to the target's ISA. */
export const DEFAULT_VARIANT: VariantName = 'optimized';
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

// The tables partial includes the bias partial: register every whole-block partial before any template compiles.
for (const partial of ['tables', 'finish', 'bias', 'seed', 'qfinish'])
  hbs.registerPartial(partial, fs.readFileSync(path.join(templateDir, 'common', `${partial}.c.hbs`), 'utf8'));
// Inline partials (used mid-line): without the file's final newline.
for (const partial of ['tap'])
  hbs.registerPartial(partial, fs.readFileSync(path.join(templateDir, 'common', `${partial}.c.hbs`), 'utf8').replace(/\n$/, ''));

export interface GenerateOptions {
  variant?: VariantName;
  /** The target's instruction set: the optimized variant sizes its blocking to it. Defaults to the host's. */
  isa?: IsaFeatures;
  /** Compile this input tensor into the image (boards with no host file system: the UART harness reads it). */
  builtinInput?: { data: Int32Array; seed: number };
  /**
   * 'default' keeps weight flash at the raw weight bytes; 'speed' lets a kernel family trade flash for speed
   * (pre-widened weights, say). The header states which was used.
   */
  optimize?: OptimizeGoal;
  /** Why this code was not proved bit-exact (`convgen build --no-verify`): the header then says NOT VERIFIED. */
  notVerified?: string;
}

export type OptimizeGoal = 'default' | 'speed';

export function generate(m: KernelModel, opts: GenerateOptions = {}): GeneratedKernel {
  const variant = opts.variant ?? DEFAULT_VARIANT;
  const plan = planAccumulator(m);
  const base = viewModel(m, plan, variant);
  const isa = opts.isa ?? hostIsa;
  const family = variant === 'optimized' ? chooseFamily(m, plan, isa) : null;
  const view = family
    ? { ...base, family: family.name, variantSummary: `${family.name} family: ${family.summary}`, ...family.view(m, plan, isa, { finishNeedsO: base.finishArgs === 'acc, o', optimize: opts.optimize ?? 'default' }) }
    : base;
  const files: GeneratedFile[] = [
    { name: `${m.name}.h`, content: template('common/header.h.hbs')({ ...view, notVerified: opts.notVerified ?? '' }) },
    { name: `${m.name}.c`, content: template(family ? family.template : variants[variant].template)(view) },
    { name: ENTRY_HEADER, content: template('common/entry.h.hbs')({ ...view, builtinInput: Boolean(opts.builtinInput) }) },
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
    family: family ? family.name : null,
    summary: family ? family.summary : variants[variant].summary,
    files,
    plan,
    ram: { input: view.inputBytes, output: view.outputBytes, scratch: view.scratchBytes, static: 'staticRamBytes' in view ? Number(view.staticRamBytes) : 0 },
  };
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

/** An integer as a macro body: negative values parenthesized. */
function cMacroInt(v: number): string {
  return v < 0 ? `(${v})` : String(v);
}

function viewModel(m: KernelModel, plan: AccumulatorPlan, variant: VariantName) {
  const st = m.numeric.storage;
  const bytes = st.bits / 8;
  const taps = m.inPerGroup * m.kH * m.kW;
  const bands = planBands(m);
  const layoutDoc = (c: string, h: string, w: string) => (m.layout === 'hwc' ? `[${h}][${w}][${c}]` : `[${c}][${h}][${w}]`);
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
    activationLine: `${m.activationName}: output clamped to [${Math.max(st.min, m.actMin)}, ${Math.min(st.max, m.actMax)}]`,
    ...numericView(m, plan),
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
  };
}

/**
 * What the templates say about the numeric type, one record per kind with the same keys: header lines and
 * #defines, table comments, the tap expression's input offset, and the output stage (with how it is called).
 */
function numericView(m: KernelModel, plan: AccumulatorPlan) {
  const nf = m.numeric;
  const st = nf.storage;
  const stage = plan.stage;
  if (nf.kind === 'q' && stage.kind !== 'requantize') {
    const stageDoc =
      stage.kind === 'right'
        ? `${nf.rounding === 'nearest' ? 'add 2^' + (stage.shift - 1) + ', ' : ''}shift right ${stage.shift} (${nf.rounding}), saturate, clamp`
        : stage.kind === 'left'
          ? `shift left ${stage.shift}, saturating, clamp`
          : 'saturate, clamp';
    return {
      numericLine: `${nf.type}: input ${qName(st.bits, nf.inputFrac)}, weights ${qName(st.bits, nf.weightFrac)}, bias ${st.biasCType} with ${nf.biasFrac} fraction bits`,
      outputLine: `${qName(st.bits, nf.outputFrac)}, rounding ${nf.rounding}, saturating to ${st.cType}`,
      numericDefines: [
        { key: 'INPUT_FRAC', value: String(nf.inputFrac) },
        { key: 'OUTPUT_FRAC', value: String(nf.outputFrac) },
      ],
      weightDoc: `raw Q values (${qName(st.bits, nf.weightFrac)})`,
      biasFormat: `${st.biasCType}, ${nf.biasFrac} fraction bits`,
      biasDoc: `seeds the accumulator times 2^${nf.biasShift}`,
      hasInputOffset: false,
      finishArgs: 'acc',
      stage: {
        ...stage,
        doc: stageDoc,
        isRequantize: false,
        isRight: stage.kind === 'right',
        isLeft: stage.kind === 'left',
        hasRound: stage.round !== '0' && stage.round !== 'INT64_C(0)',
      },
    };
  }
  if (nf.kind !== 'int8' || stage.kind !== 'requantize') throw new Error('numericView: stage does not match the numeric kind');
  // Each per-channel quantity is a baked constant when every channel shares it, a static const table otherwise.
  const tables: { cType: string; name: string; lines: string[] }[] = [];
  const perChannel = (values: number[], name: string, cType: string): string => {
    if (values.every((v) => v === values[0])) return String(values[0]);
    tables.push({ cType, name: `${m.name}_${name}`, lines: cArrayRows(values, 8) });
    return `${m.name}_${name}[o]`;
  };
  const multiplier = perChannel(stage.multiplier, 'multiplier', 'int32_t');
  const left = perChannel(stage.left, 'left_shift', 'uint8_t');
  const right = perChannel(stage.right, 'right_shift', 'uint8_t');
  const shifts = nf.shift.every((v) => v === nf.shift[0]) ? `shift ${nf.shift[0]}` : 'shift per output channel';
  const mults = nf.multiplier.every((v) => v === nf.multiplier[0]) ? `multiplier ${nf.multiplier[0]}` : 'multiplier per output channel';
  return {
    numericLine: `int8 (TFLite): input int8 + offset ${nf.inputOffset}, weights int8 (zero point 0), bias int32_t`,
    outputLine: `${mults}, ${shifts} (TFLite MultiplyByQuantizedMultiplier), + offset ${nf.outputOffset}, int8_t`,
    numericDefines: [
      { key: 'INPUT_OFFSET', value: cMacroInt(nf.inputOffset) },
      { key: 'OUTPUT_OFFSET', value: cMacroInt(nf.outputOffset) },
    ],
    weightDoc: 'raw int8 values (zero point 0)',
    biasFormat: 'int32_t, the accumulator\'s scale',
    biasDoc: 'seeds the accumulator as is',
    hasInputOffset: true,
    finishArgs: tables.length > 0 ? 'acc, o' : 'acc',
    stage: {
      doc: `SRDHM(${left === '0' ? 'acc' : `acc * 2^${/^\d+$/.test(left) ? left : 'left'}`}${stage.saturate ? ' saturated to int32' : ''}, ${mults}), rounding divide by ` +
        `2^${/^\d+$/.test(right) ? right : 'right'} (${shifts}), + output offset ${nf.outputOffset}, clamp to [${stage.lo}, ${stage.hi}]`,
      isRequantize: true,
      tables,
      perChannel: tables.length > 0,
      multiplier,
      left,
      right,
      noLeft: left === '0',
      saturate: stage.saturate,
      outputOffset: nf.outputOffset,
      // Clamp before adding the offset: v + offset stays exact in int32 for every v.
      preLo: stage.lo - nf.outputOffset,
      preHi: stage.hi - nf.outputOffset,
      lo: stage.lo,
      hi: stage.hi,
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
