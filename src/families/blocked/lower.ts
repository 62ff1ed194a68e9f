/**
 * The blocked family's plan as IR: the helpers its forms use, its shape macros, the blocked weight table and seeds,
 * the output stage, the block functions (lower-fns.ts), the region table, and the functions that walk the regions
 * (lower-run.ts).
 */
import type { KernelModel } from '../../ops/conv_2d/spec/index.ts';
import { isaStateNames } from '../../targets/index.ts';
import { cArrayRows } from '../../codegen/clit.ts';
import { qFinishStages } from '../../codegen/qfinish.ts';
import type { Comment, CScalar, Helper, Item, KernelIR } from '../../ir/kernel-ir.ts';
import { biasSeed, commonStage, narrowestType, seedLines, stageTakesChannel } from '../../ir/output-stage.ts';
import type { PlanContext } from '../family.ts';
import { bannerHead, biasTable, comment, define, numericDocs, tensorMacros } from '../shared.ts';
import { LANE2_SHIFT, macFormDocs, rowContiguousWeights, unitOf, weightSlots } from './forms.ts';
import type { BlockedKernel } from './kernel-plan.ts';
import { blockFunction, type FnContext } from './lower-fns.ts';
import { runItems } from './lower-run.ts';

/** The weights' flash: int32 words where the form packs or widens them, else the storage type. */
const wideWeights = (k: BlockedKernel) => k.opt.dual || k.opt.widened || k.opt.lanes8 || k.opt.macForm === 'lane2w';

export function lowerBlocked(m: KernelModel, k: BlockedKernel, ctx: PlanContext): KernelIR {
  const { isa } = ctx;
  const plan = ctx.acc;
  const opt = k.opt;
  const st = m.numeric.storage;
  const N = m.name.toUpperCase();
  const cType = st.cType as CScalar;
  const weightType: CScalar = wideWeights(k) ? 'int32_t' : cType;
  const weightBytes = opt.weights.length * (wideWeights(k) ? 4 : st.bits / 8);
  const paired = opt.macForm === 'taps' || opt.macForm === 'halves';
  const quad = opt.macForm === 'quad';
  const acc64 = plan.accType === 'int64_t';
  const dualMac = acc64 ? '__smlald' : '__smlad';
  const anyLead = opt.regions.some((r) => r.lead);
  const anyVertical = opt.regions.some((r) => r.vertical);
  const anyBlockTail = opt.regions.some((r) => r.tailPb > 1);
  const anyLdrd = opt.fns.some((f) => f.pairHis.length > 0);
  const lane2 = opt.fns.some((f) => f.laneAccs.length > 0);
  const lane2w = opt.macForm === 'lane2w';
  const rowTaps = rowContiguousWeights(opt.macForm);
  const alignedWords = opt.macForm === 'halves' || opt.macForm === 'dwpair';
  const withO = !k.qf && stageTakesChannel(commonStage(m, plan, true));
  const fc: FnContext = { m, k, acc: plan, isa, cType, weightType, withO };
  const fns = opt.fns.map((f) => blockFunction(fc, f));

  /* Helpers: only those the forms use */
  const items: Item[] = [];
  if (k.noSchedule)
    items.push({ k: 'comment', text: comment('line', k.noSchedule) },
      { k: 'pp-if', cond: 'defined(__GNUC__) && !defined(__clang__)', then: [{ k: 'pragma', text: 'GCC optimize ("no-schedule-insns")' }] });
  items.push({ k: 'blank' }, { k: 'comment', text: comment('block',
    'Weights are re-read for every pixel block: hoisting them out of the pixel loop would exceed the registers and',
    'spill (GCC does it when it can prove them invariant). An empty asm hides the pointer\'s value from the optimizer.') });
  const helper = (h: Helper, doc?: Comment): Item => ({ k: 'helper', helper: h, ...(doc ? { doc } : {}) });
  const group = (doc: Comment, ...members: Item[]): Item => ({ k: 'group', doc, items: [...members, { k: 'blank' }] });
  if (opt.dual)
    items.push(group(comment('line', `Dual 16-bit multiply-accumulate (ACLE, ARMv7E-M DSP): ${dualMac} adds x.lo*w.lo + x.hi*w.hi exactly.`),
      helper({ k: 'pair16', prefix: m.name, adjacent: k.pm.layout === 'hwc' })));
  if (paired || opt.macForm === 'dwpair')
    items.push(group(comment('block',
      'q15 in 16-bit halves (ACLE, DSP extension): a 32-bit load gives two int16 values, SMLAxy/SMLALxy multiply',
      `the bottom (b) or top (t) half of each operand${rowTaps ? ` and ${dualMac} both pairs at once` : ''}, all exactly.`),
    helper({ k: 'word-load', prefix: m.name, elem: cType, aligned: alignedWords }),
    ...(anyLdrd ? [helper({ k: 'ldrd' }, comment('block',
      'Two weight words in one LDRD (ARMv5TE: the address is 8-byte aligned, proved when this code was generated). The',
      'pointer moves on by `step` bytes after the load (POST) or first (PRE), so no pair needs an address of its own.'))] : []),
    // SMLALxy on an int64_t: one helper per halves selection (prune.ts drops the ones no MAC uses)
    ...(acc64 && !k.split ? (['bb', 'bt', 'tb', 'tt'] as const).map((sel) => helper({ k: 'smlal-halves', prefix: m.name, sel })) : [])));
  if (opt.macForm === 'taps8')
    items.push(group(comment('block',
      '8-bit lanes (ACLE, ARMv7E-M DSP): one (possibly unaligned) word of four elements, SXTB16 sign-extends bytes 0 and 2',
      `into two int16 lanes, SXTB16 of the word rotated by 8 bytes 1 and 3; ${dualMac} adds lane0*lane0 + lane1*lane1`,
      'and SMLAxy one lane\'s product, exactly. GCC does not fold a rotation into SXTB16: one instruction of inline assembly.'),
    helper({ k: 'word-load', prefix: m.name, elem: cType, aligned: false }),
    helper({ k: 'sxtb16-ror8', prefix: m.name }),
    helper({ k: 'pack8' }, comment('line', 'Two elements into the lanes (lo, hi) where no word may be read (PKHBT).'))));
  if (quad) {
    // x + offset as two int16 lanes: SXTAB16 adds it to both unpacked bytes exactly (|x + offset| < 2^15).
    const offset = m.numeric.inputOffset;
    const pairText = `(int32_t)0x${(((offset & 0xffff) * 0x10001) >>> 0).toString(16).toUpperCase().padStart(8, '0')}u`;
    items.push(group(comment('block',
      'Four 8-bit input channels per word (HWC): SXTB16 sign-extends bytes 0 and 2 into two int16 lanes, SXTB16 of the',
      `word rotated by 8 bytes 1 and 3; ${dualMac} then adds lane0*lane0 + lane1*lane1 exactly (ACLE, ARMv7E-M DSP).`,
      'SXTAB16 adds the packed input offset to both lanes (x + offset fits int16). GCC does not fold a rotation into',
      'SXTB16, so the rotated forms are one instruction of inline assembly each.'),
    helper({ k: 'word-load', prefix: m.name, elem: cType, aligned: false }),
    helper({ k: 'sxtb16-ror8', prefix: m.name }),
    ...(m.numeric.kind === 'int8' ? [helper({ k: 'offset-pair', value: pairText }), helper({ k: 'sxtab16-ror8', prefix: m.name })] : [])));
  }
  if (lane2)
    items.push(group(comment('block', ...(lane2w
      ? [`lane2w: two output channels' weights packed at generation as w0 + w1*2^${LANE2_SHIFT} (one int32 word); SMLAL of an input x`,
        `into a (lo, hi) pair of uint32 adds x*w0 + (x*w1)*2^${LANE2_SHIFT}`]
      : [`lane2: two pixels' inputs packed as x0 + x1*2^${LANE2_SHIFT}; SMLAL into a (lo, hi) pair of uint32 adds x0*w + (x1*w)*2^${LANE2_SHIFT}`]),
    '(inline assembly: GCC keeps an A32 int64_t in an even register pair, which costs moves and spills; early-clobbered',
    'so that no operand shares lo\'s or hi\'s register, which ARMv4T/v5 SMLAL requires). Every channel\'s',
    `|sum of products| < 2^${LANE2_SHIFT - 1} was proved at generation, so the two sums stay apart.`),
    helper({ k: 'lane-mac' })));
  if (k.split)
    items.push(helper({ k: 'mac-long' },
      comment('line', '64-bit accumulators as two 32-bit halves (GCC keeps an A32 int64_t in an even register pair: moves, spills).')));
  items.push({ k: 'helper', helper: { k: 'opaque' } }, { k: 'blank' });

  /* Shape macros */
  const pm = k.pm;
  const pixelStride = pm.strideW * (pm.layout === 'hwc' ? pm.inC : 1);
  const slots = (n: number) => weightSlots(opt.macForm, n);
  const unit = unitOf[opt.macForm];
  items.push(
    define('IN_PER_GROUP', m.inPerGroup), define('OUT_PER_GROUP', m.outPerGroup), define('GROUPS', m.groups), define('KERNEL_W', m.kW),
    define('STRIDE_H', m.strideH), define('STRIDE_W', m.strideW), define('DILATION_H', m.dilH), define('DILATION_W', m.dilW),
    define('PAD_TOP', m.pad.top), define('PAD_LEFT', m.pad.left),
    define('CI_STRIDE', opt.ciStride), define('ROW_STRIDE', opt.rowStride), define('PIXEL_STRIDE', pixelStride),
    ...(anyVertical ? [define('COLUMN_STRIDE', pm.strideH * pm.inW * (pm.layout === 'hwc' ? pm.inC : 1))] : []),
    define('BLOCK_CHANNELS', opt.ob), ...(opt.tailSize > 0 ? [define('TAIL_CHANNELS', opt.tailSize)] : []), define('FULL_BLOCKS', opt.fullBlocks),
    define('BLOCK_WEIGHTS', (slots(opt.ob) * m.inPerGroup * m.kH * m.kW * opt.weightStride) / unit),
    define('GROUP_WEIGHTS', ((opt.fullBlocks * slots(opt.ob) + slots(opt.tailSize)) * m.inPerGroup * m.kH * m.kW * opt.weightStride) / unit),
    define('GROUP_INPUT', m.inPerGroup * opt.ciStride),
    define('REGIONS', opt.regions.length),
    { k: 'blank' },
  );
  if (k.staging)
    items.push(define('STAGE_ROWS', k.staging.rows), define('STAGE_W', k.staging.width),
      { k: 'comment', text: comment('line', 'Kernels read the staging buffer (passed as input): row y of the window, padded column x, channel c.') },
      ...tensorMacros(m, { output: false, stageW: true }), ...tensorMacros(m, { input: false }));
  else items.push(...tensorMacros(m));
  items.push({ k: 'blank' });

  /* Tables and the output stage */
  // Forms that store int32 words say how each word packs the values (the numbers in the table are the words).
  const packing = opt.dual ? 'two to an int32 word (low half: the even input channel of a pair, high half: the odd one)'
    : opt.widened ? 'as int16 lanes, two to an int32 word (input channels (0,2), then (1,3), of each quad)'
      : opt.lanes8 ? 'as int16 lanes, two to an int32 word (w[e] low, w[e+2] high)'
        : lane2w ? `two output channels to an int32 word (w[2k] + w[2k+1] x 2^${LANE2_SHIFT}; an odd last channel with 0)` : null;
  const docs = numericDocs(m);
  const weightsDoc = `Weights: ${packing ? `${docs.values} packed ${packing}: each number below is a word` : docs.weightDoc}; ` +
    `per group, per block of output channels, [in/groups${opt.dual ? ' / 2' : ''}${quad ? ' / 4' : ''}][ky][kx][channel in block]` +
    `${rowTaps ? ' -- taps: [ky][channel in block][kx] instead, each channel\'s kernel row contiguous' : ''}` +
    `${quad ? `, then the 4 input channels of that quad${opt.widened ? '' : ' (one word)'}` : ''}${lane2w ? ' -- lane2w: [channel pair in block] instead' : ''}.`;
  items.push({ k: 'table', doc: comment('line', weightsDoc), table: { name: `${m.name}_weights`, elem: weightType, dims: [opt.weights.length], ...(alignedWords ? { align: anyLdrd ? 8 : 4 } : {}),
      body: { k: 'flat', lines: cArrayRows(opt.weights, 16) } } });
  // The spec's bias type: narrowed to int16, kws's depthwise layers ran 2.4% more instructions on Cortex-M4 (GCC
  // schedules the border functions differently), for 128 B a layer.
  if (!k.qf) items.push(...biasTable(m, true));
  if (k.folded)
    items.push({ k: 'blank' }, { k: 'stage', stage: {
      k: 'seed-table', prefix: m.name, fn: `${m.name}_interior_seed_of`, table: `${m.name}_interior_seed`, NAME: N, accType: plan.accType,
      elem: narrowestType(k.folded), lines: seedLines(k.folded),
      doc: comment('line', 'Interior seeds: bias + input offset x the channel\'s weight sum, so that the interior multiplies raw inputs.'),
    } });
  items.push({ k: 'blank' });
  if (k.qf) {
    // The sign test on cores without SSAT, except with split 64-bit halves (ARMv5TE's SMLALxy pairs), where two
    // compares measured faster overall (bench q15 on ARM926EJ-S: e -8.5%, f -17% against the sign test's -0.6%, +4%).
    const q = qFinishStages(m, k.qf, plan, isa, !k.split, 'q');
    items.push({ k: 'stage', stage: q.seeds }, { k: 'blank' }, { k: 'stage', stage: q.stage });
  } else items.push({ k: 'stage', stage: commonStage(m, plan, true, true, k.tune.dspRequantize && isa.saturate && isa.simd32,
    k.optimize === 'speed' && !k.speedFallback) },
    { k: 'blank' }, { k: 'stage', stage: biasSeed(m, plan) });
  if (k.storeBits) items.push({ k: 'blank' }, { k: 'stage', stage: { k: 'store-bits', prefix: m.name, cType, accType: plan.accType, ...k.storeBits } });
  if (opt.outlineFinish)
    items.push({ k: 'blank' }, { k: 'stage', stage: { k: 'outline', prefix: m.name, cType, accType: plan.accType, withO } });
  items.push({ k: 'blank' }, { k: 'comment', text: comment('block',
    'A block function computes `count` consecutive pixel blocks of one output row (a column function: down one output',
    'column) for one block of output channels.',
    'px: input of the first tap (channel c0) for the first pixel block; w: the block\'s weights at that tap;',
    'rows: valid kernel rows (row-loop functions).') },
  { k: 'comment', text: comment('line', '(Functions are called through a switch, not pointers, so that the stack analysis sees every call.)') });
  opt.fns.forEach((f, i) => items.push({ k: 'blank' }, {
    k: 'func', fn: fns[i],
    doc: comment('line', f.dw ? `1 output channel x ${f.pb} pixel(s); ${f.doc}; inputs and weights as words of two (dwpair).`
      : `${f.ob} output channel(s) x ${f.pb} pixel(s); ${f.doc}.`),
  }));
  items.push({ k: 'blank' }, ...runItems(m, k, { cType, weightType, anyLead, anyVertical, anyBlockTail }));

  /* The header's lines */
  const optimizeLine = `${k.optimize}: ${k.speedFallback ? `${k.speedFallback}; ` : ''}${macFormDocs[opt.macForm]}; ` +
    (opt.lanes8 || opt.widened || lane2w
      ? `weights ${opt.lanes8 ? 'pre-unpacked to int16 lane pairs (w[e], w[e+2])' : opt.widened ? 'pre-widened to int16 pairs' : 'packed in channel pairs as int32 words'}, ${weightBytes} B of flash (the raw weights are ${m.weights.length * (st.bits / 8)} B)`
      : `weights ${weightBytes} B of flash, the raw weight bytes`);
  const isaName = isaStateNames[isa.state];
  const staged = k.staging !== null;
  const bands = opt.fns.some((f) => f.kind === 'band');
  const banner = [
    bannerHead(m, `optimized variant for ${isaName}`),
    `Register blocking: ${opt.ob} output channel(s) x ${opt.pb} output pixel(s) per inner loop (${opt.estimate.toFixed(2)} instructions`,
    'per MAC estimated in the interior); each input value is loaded once per kernel row and shared by the taps and',
    ...(staged
      ? ['pixels that use it. Before each output row, the input rows it reads are copied into a zero-padded',
        'HWC staging buffer (below), so every tap is inside it: one interior function, no bounds check anywhere.']
      : ['pixels that use it. The output plane is split at generation time into regions by which kernel rows and columns',
        'fall inside the input; each region runs a function with exactly its valid taps, so no bounds check runs anywhere.']),
    ...(`The interior is fully unrolled${staged ? '' : `; border regions unroll one kernel row and loop over their valid rows${anyVertical
      ? ',\nexcept the side bands with every kernel row inside the input: they run pixel blocks down each output column' : ''}${bands
      ? ';\ntop and bottom bands with every kernel column inside unroll their valid kernel rows' : ''}`}.`).split('\n'),
    `${opt.droppedTaps > 0 ? `${opt.droppedTaps} kernel position(s) whose weights are zero in every channel are left out of the interior.` : ''} ` +
      `Weights are stored in the blocked order the loops read ${lane2w ? '(two output channels per int32 word: twice the raw weight bytes)' : '(the same size as the plain order)'}.`,
    `Code: about ${opt.codeBytes} bytes estimated (budget ${opt.codeBudget}).`,
  ];
  return {
    name: m.name, NAME: N, entry: `${m.name}_run`, banner: comment('block', ...banner), items,
    memory: {
      weightBytes, scratchBytes: 0, staticBytes: k.staging ? k.staging.bytes : 0,
      staticDoc: k.staging ? `a ring of ${k.staging.rows} input rows, HWC and zero-padded, each stored twice; the kernel is not reentrant` : '',
    },
    optimizeLine, isaName,
  };
}
