/**
 * The view model of the Handlebars files: the header and entry skeletons (every kernel) and the templates of the
 * families not yet lowered to the IR (shapes, the numeric format's lines, tables and output stage).
 */
import path from 'node:path';
import type { KernelModel } from '../ops/conv_2d/spec/index.ts';
import { macCount } from '../ops/conv_2d/spec/index.ts';
import { qName } from '../numerics/index.ts';
import type { AccumulatorPlan } from './accumulator.ts';
import { cArrayRows, cInt } from './clit.ts';
import { VERSION } from '../version.ts';
import { numericDefines, numericDocs } from '../families/shared.ts';
import { commonStage } from '../ir/output-stage.ts';
import type { PerChannel } from '../ir/kernel-ir.ts';

export function viewModel(m: KernelModel, plan: AccumulatorPlan, variant: string, variantSummary: string) {
  const st = m.numeric.storage;
  const bytes = st.bits / 8;
  const layoutDoc = (c: string, h: string, w: string) => (m.layout === 'hwc' ? `[${h}][${w}][${c}]` : `[${c}][${h}][${w}]`);
  return {
    version: VERSION,
    name: m.name,
    NAME: m.name.toUpperCase(),
    source: path.basename(m.source),
    variant,
    variantSummary,
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
export function headerField(label: string, text: string, width = 118): string[] {
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
