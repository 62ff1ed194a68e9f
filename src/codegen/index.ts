/**
 * Code generation: KernelModel + variant -> C files. TypeScript decides (loop bands, accumulator, constants);
 * Handlebars templates in templates/ hold the C text and only substitute what the view model says.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { KernelModel } from '../spec/index.ts';
import { macCount, qName } from '../spec/index.ts';
import { planAccumulator, type AccumulatorPlan } from './accumulator.ts';
import { cArrayRows, cInt } from './clit.ts';
import { chooseFamily } from '../families/index.ts';
import { interiorRange } from './geometry.ts';
import { findTarget, type IsaFeatures } from '../targets/index.ts';
import { template } from './templates.ts';
import { kernelFile } from '../emit-c/index.ts';
import { referenceVariant } from '../families/reference/lower.ts';
import { naiveVariant } from '../families/naive/lower.ts';
import { numericDefines, numericDocs } from '../families/shared.ts';
import { commonStage } from '../ir/output-stage.ts';
import { prune } from '../ir/prune.ts';
import { requirements, requirementsText } from '../ir/requirements.ts';
import type { PerChannel } from '../ir/kernel-ir.ts';
import { lowerWith } from '../families/family.ts';

const hostIsa: IsaFeatures = findTarget('host')!.features;

export { planAccumulator } from './accumulator.ts';
export { interiorRange } from './geometry.ts';
export type { AccumulatorPlan } from './accumulator.ts';

import { VERSION } from '../version.ts';
export { VERSION };
export { planBands } from '../families/reference/lower.ts';

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
}

export const variants = {
  reference: { summary: referenceVariant.summary },
  optimized: { summary: 'the fastest kernel family for the target ISA (blocked, pointwise, NEON, MVE), decided at generation time' },
  naive: { summary: naiveVariant.summary },
} as const satisfies Record<string, VariantDef>;

export type VariantName = keyof typeof variants;
/** What convgen generates unless told otherwise: the fastest variant, sized to the target's ISA. */
export const DEFAULT_VARIANT: VariantName = 'optimized';
export const variantNames = Object.keys(variants) as VariantName[];


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
}

export type OptimizeGoal = 'default' | 'speed';

export function generate(m: KernelModel, opts: GenerateOptions = {}): GeneratedKernel {
  const variant = opts.variant ?? DEFAULT_VARIANT;
  const plan = planAccumulator(m);
  const base = viewModel(m, plan, variant);
  const isa = opts.isa ?? hostIsa;
  const optimize = opts.optimize ?? 'default';
  const family = variant === 'optimized' ? chooseFamily(m, plan, isa) : null;
  const ctx = { acc: plan, isa, optimize };
  const ir = variant === 'reference' ? lowerWith(referenceVariant, m, ctx) : variant === 'naive' ? lowerWith(naiveVariant, m, ctx)
    : family?.kind === 'ir' ? lowerWith(family, m, ctx) : null;
  let view: ReturnType<typeof viewModel> & Record<string, unknown>;
  let cText: string;
  if (ir) {
    cText = kernelFile(ir);
    view = {
      ...base, weightBytes: ir.memory.weightBytes, staticRamBytes: ir.memory.staticBytes, staticRamDoc: ir.memory.staticDoc,
      cLines: headerField('C', requirementsText(requirements(prune(ir)))),
      ...(family ? { family: family.name, variantSummary: `${family.name} family: ${family.summary}` } : {}),
      ...(ir.optimizeLine ? { optimizeLine: ir.optimizeLine } : {}),
    };
  } else {
    if (family?.kind !== 'template') throw new Error(`generate: the ${variant} variant has no lowering`);
    view = { ...base, family: family.name, variantSummary: `${family.name} family: ${family.summary}`, cLines: templateCLines,
      ...family.view(m, plan, isa, { finishNeedsO: base.finishArgs === 'acc, o', optimize }) };
    cText = template(family.template)(view);
  }
  const files: GeneratedFile[] = [
    { name: `${m.name}.h`, content: template('common/header.h.hbs')(view) },
    { name: `${m.name}.c`, content: cText },
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
    family: family ? family.name : null,
    summary: family ? family.summary : variants[variant].summary,
    files,
    plan,
    ram: { input: view.inputBytes, output: view.outputBytes, scratch: view.scratchBytes, static: 'staticRamBytes' in view ? Number(view.staticRamBytes) : 0 },
  };
}

function viewModel(m: KernelModel, plan: AccumulatorPlan, variant: VariantName) {
  const st = m.numeric.storage;
  const bytes = st.bits / 8;
  const layoutDoc = (c: string, h: string, w: string) => (m.layout === 'hwc' ? `[${h}][${w}][${c}]` : `[${c}][${h}][${w}]`);
  return {
    version: VERSION,
    name: m.name,
    NAME: m.name.toUpperCase(),
    source: path.basename(m.source),
    variant,
    variantSummary: variants[variant].summary as string,
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
    hasBias: m.bias !== null,
    biasLines: m.bias ? cArrayRows(Array.from(m.bias, (b) => cInt(b, st.biasCType)), 8) : [],
  };
}

/**
 * What the templates say about the numeric type, one record per kind with the same keys: header lines and
 * #defines, table comments, the tap expression's input offset, and the output stage (with how it is called) for the
 * families still on templates (the IR's own stage node is the source: src/ir/output-stage.ts).
 */
function numericView(m: KernelModel, plan: AccumulatorPlan) {
  const nf = m.numeric;
  const st = nf.storage;
  const node = commonStage(m, plan, false);
  const docs = numericDocs(m);
  const common = {
    numericDefines: numericDefines(m).map((d) => ({ key: d.name, value: d.value })),
    weightDoc: docs.weightDoc, biasFormat: docs.biasFormat, biasDoc: docs.biasDoc,
  };
  if (node.k === 'q' && nf.kind === 'q') {
    const stage = node.stage;
    return {
      ...common,
      numericLine: `${nf.type}: input ${qName(st.bits, nf.inputFrac)}, weights ${qName(st.bits, nf.weightFrac)}, bias ${st.biasCType} with ${nf.biasFrac} fraction bits`,
      outputLine: `${qName(st.bits, nf.outputFrac)}, rounding ${nf.rounding}, saturating to ${st.cType}`,
      hasInputOffset: false,
      finishArgs: 'acc',
      stage: {
        ...stage,
        doc: node.doc,
        isRequantize: false,
        isRight: stage.kind === 'right',
        isLeft: stage.kind === 'left',
        hasRound: stage.round !== '0' && stage.round !== 'INT64_C(0)',
      },
    };
  }
  if (node.k !== 'requantize' || nf.kind !== 'int8') throw new Error('numericView: stage does not match the numeric kind');
  const spell = (p: PerChannel) => (p.k === 'const' ? String(p.value) : `${p.table}[o]`);
  const tables = [node.multiplier, node.left, node.right].flatMap((p) => (p.k === 'table' ? [{ cType: p.cType, name: p.table, lines: p.lines }] : []));
  const shifts = nf.shift.every((v) => v === nf.shift[0]) ? `shift ${nf.shift[0]}` : 'shift per output channel';
  const mults = nf.multiplier.every((v) => v === nf.multiplier[0]) ? `multiplier ${nf.multiplier[0]}` : 'multiplier per output channel';
  return {
    ...common,
    numericLine: `int8 (TFLite): input int8 + offset ${nf.inputOffset}, weights int8 (zero point 0), bias int32_t`,
    outputLine: `${mults}, ${shifts} (TFLite MultiplyByQuantizedMultiplier), + offset ${nf.outputOffset}, int8_t`,
    hasInputOffset: true,
    finishArgs: tables.length > 0 ? 'acc, o' : 'acc',
    stage: {
      doc: node.doc,
      isRequantize: true,
      tables,
      perChannel: tables.length > 0,
      multiplier: spell(node.multiplier),
      left: spell(node.left),
      right: spell(node.right),
      noLeft: spell(node.left) === '0',
      saturate: node.saturate,
      outputOffset: nf.outputOffset,
      preLo: node.preLo,
      preHi: node.preHi,
      lo: node.lo,
      hi: node.hi,
    },
  };
}

/** A header banner field: ` * Name       text`, wrapped at the banner's width with continuation lines aligned. */
function headerField(label: string, text: string, width = 118): string[] {
  const lines: string[] = [];
  let line = ` * ${label.padEnd(11)}`;
  let empty = true;
  for (const word of text.split(' ')) {
    if (!empty && line.length + 1 + word.length > width) {
      lines.push(line);
      line = ` * ${''.padEnd(11)}${word}`;
    } else line += (empty ? '' : ' ') + word;
    empty = false;
  }
  return [...lines, line];
}

/** The families still on templates: their C is not derived from the IR yet, so the header keeps its old line. */
const templateCLines = headerField('C', 'C99, <stdint.h> only; no heap, no floating point. Relies on >> of a negative value being an ' +
  'arithmetic shift (floor), as GCC and Clang define it.');

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
