/** The view model of the Handlebars skeletons: the header and entry files (shapes, numeric format, memory). */
import path from 'node:path';
import type { KernelModel } from '../ops/conv_2d/spec/index.ts';
import { macCount } from '../ops/conv_2d/spec/index.ts';
import { qName } from '../numerics/index.ts';
import type { AccumulatorPlan } from './accumulator.ts';
import { VERSION } from '../version.ts';
import { numericDefines as numericDefinesOf } from '../families/shared.ts';

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
    accType: plan.accType,
    bound: plan.bound.toString(),
    boundBits: Math.max(1, Math.ceil(plan.boundLog2 + 1e-9)),
    inC: m.inC, inH: m.inH, inW: m.inW, outC: m.outC, outH: m.outH, outW: m.outW,
    kH: m.kH, kW: m.kW, strideH: m.strideH, strideW: m.strideW, dilH: m.dilH, dilW: m.dilW,
    pad: m.pad,
    groups: m.groups,
    depthwise: m.groups === m.inC && m.groups > 1,
    layoutName: m.layout.toUpperCase(),
    inShape: m.layout === 'hwc' ? `${m.inH}x${m.inW}x${m.inC}` : `${m.inC}x${m.inH}x${m.inW}`,
    outShape: m.layout === 'hwc' ? `${m.outH}x${m.outW}x${m.outC}` : `${m.outC}x${m.outH}x${m.outW}`,
    inLayoutDoc: layoutDoc('C', 'H', 'W'),
    outLayoutDoc: layoutDoc('C', 'H', 'W'),
    activationLine: `${m.activationName}: output clamped to [${Math.max(st.min, m.actMin)}, ${Math.min(st.max, m.actMax)}]`,
    ...numericView(m),
    inputElems: m.inC * m.inH * m.inW,
    outputElems: m.outC * m.outH * m.outW,
    inputBytes: m.inC * m.inH * m.inW * bytes,
    outputBytes: m.outC * m.outH * m.outW * bytes,
    scratchBytes: 0,
    weightBytes: m.weights.length * bytes,
    biasBytes: m.bias ? m.bias.length * (st.biasBits / 8) : 0,
    macs: macCount(m),
  };
}

/** The header's lines on the numeric type: the format, the output stage, and its #defines. */
function numericView(m: KernelModel) {
  const nf = m.numeric;
  const st = nf.storage;
  const numericDefines = numericDefinesOf(m).map((d) => ({ key: d.name, value: d.value }));
  if (nf.kind === 'q')
    return {
      numericDefines,
      numericLine: `${nf.type}: input ${qName(st.bits, nf.inputFrac)}, weights ${qName(st.bits, nf.weightFrac)}, bias ${st.biasCType} with ${nf.biasFrac} fraction bits`,
      outputLine: `${qName(st.bits, nf.outputFrac)}, rounding ${nf.rounding}, saturating to ${st.cType}`,
    };
  const shifts = nf.shift.every((v) => v === nf.shift[0]) ? `shift ${nf.shift[0]}` : 'shift per output channel';
  const mults = nf.multiplier.every((v) => v === nf.multiplier[0]) ? `multiplier ${nf.multiplier[0]}` : 'multiplier per output channel';
  return {
    numericDefines,
    numericLine: `int8 (TFLite): input int8 + offset ${nf.inputOffset}, weights int8 (zero point 0), bias int32_t`,
    outputLine: `${mults}, ${shifts} (TFLite MultiplyByQuantizedMultiplier), + offset ${nf.outputOffset}, int8_t`,
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
