/**
 * The MVE family's plan as IR: shape macros, the blocked weights and seeds, the output stage (vector int8 stage on 4
 * consecutive channels, or the common scalar finish through one store function), the block functions
 * (lower-fns.ts), the region table and the walk over regions.
 */
import type { KernelModel } from '../../ops/conv_2d/spec/index.ts';
import { cArrayRows, cInt } from '../../codegen/clit.ts';
import {
  add, addr, assign, bin, call, cast, constDecl, decl, id, ifThen, index, loop, member, mul, paren, ptr, scalar, stmt, sub, through, upTo,
} from '../../ir/expr.ts';
import type { CScalar, Expr, Item, KernelIR, Param, Stmt } from '../../ir/kernel-ir.ts';
import { biasSeed, commonStage, narrowestType, seedLines, stageTakesChannel } from '../../ir/output-stage.ts';
import type { PlanContext } from '../family.ts';
import { bannerHead, biasTable, comment, define, numericDocs } from '../shared.ts';
import { callFunction, dotFunction, dwFunction, dwSeedType, inPtr, intParam, outPtr, vecType, voidOf, widenLoad, type FnContext } from './lower-fns.ts';
import type { MvePlan, VectorParam, VectorStage } from './plan.ts';

const int32Lines = (values: bigint[]) => cArrayRows(values.map((v) => cInt(v, 'int32_t')), 8);
const cBytes = (t: CScalar): number => (t === 'int8_t' ? 1 : t === 'int16_t' ? 2 : 4);

/** The vector int8 output stage: its padded per-channel tables, finish4, and (dot) store4. */
function vectorStageItems(c: FnContext, vq: VectorStage, dot: boolean): Item[] {
  const { m, N, cType } = c;
  const items: Item[] = [];
  // A table is stored in the narrowest signed type of its values (shifts: int8) and widened to int32 lanes by the load
  // (VLDRB.S32 / VLDRH.S32 cost what VLDRW does).
  const param = (p: VectorParam): Expr => {
    if (p.k === 'const') return call('vdupq_n_s32', cInt(BigInt(p.value), 'int32_t'));
    const elem = narrowestType(p.values, false);
    items.push({ k: 'table', doc: comment('line', 'Per output channel, padded by 3 lanes (a block\'s load may pass the last channel; those lanes are never stored).'),
      table: { name: p.name, elem, dims: [m.outC + 3], body: { k: 'flat', lines: cArrayRows([...p.values, 0, 0, 0], 8) } } },
    { k: 'blank' });
    return call(widenLoad(elem), add(p.name, 'o'));
  };
  const left = param(vq.left);
  const mult = param(vq.mult);
  const negRight = param(vq.negRight);
  const v4 = vecType('int32x4_t');
  items.push({ k: 'func', doc: comment('block',
    'TFLite\'s MultiplyByQuantizedMultiplier for output channels o..o+3, exactly (a BigInt model of these instructions',
    'is checked against the golden model in test/codegen/mve-requant.test.ts):',
    '- VQSHL: acc * 2^left, saturating to int32 exactly where the scalar stage saturates (and exact where it need not).',
    '- VQRDMULH = gemmlowp\'s SRDHM: VQRDMULH is sat(floor((2ab + 2^31) / 2^32)) = floor((ab + 2^30) / 2^31). SRDHM',
    '  for ab >= 0 is the same; for ab < 0 it is -floor((|ab| + 2^30 - 1) / 2^31) = ceil((ab - 2^30 + 1) / 2^31)',
    '  = floor((ab - 2^30 + 1 + 2^31 - 1) / 2^31) = floor((ab + 2^30) / 2^31). The one overflow, INT32_MIN^2, gives',
    '  2^31 in both and saturates to INT32_MAX in both.',
    '- Rounding divide by 2^right, ties away from zero: VRSHL by -right rounds ties up, floor((x + 2^(right-1)) / 2^right),',
    '  with no intermediate overflow. For x < 0 and right > 0, taking 1 first turns ties down and changes nothing else',
    '  (floor((x - 1 + 2^(right-1)) / 2^right) rounds up only when the remainder exceeds half); the subtraction',
    '  saturates at INT32_MIN, whose remainder is 0 either way. (x & -right) has its sign bit set exactly when x < 0',
    '  and right > 0, so VSHR #31 of it is that -1.',
    '- Clamp before adding the output offset, as the scalar stage: every step stays exact in int32.'), fn: {
    name: `${m.name}_finish4`, linkage: 'static inline', ret: v4, params: [{ type: v4, name: 'acc' }, intParam('o')],
    body: [
      decl(v4, 'x', call('vqrdmulhq_s32', vq.noLeft ? id('acc') : call('vqshlq_s32', 'acc', left), mult)),
      decl(vecType('int32x4_t', true), 'neg_right', negRight),
      stmt(assign('x', call('vrshlq_s32', call('vqaddq_s32', 'x', call('vshrq_n_s32', call('vandq_s32', 'x', 'neg_right'), 31)), 'neg_right'))),
      stmt(assign('x', call('vminq_s32', call('vmaxq_s32', 'x', call('vdupq_n_s32', vq.preLo)), call('vdupq_n_s32', vq.preHi)))),
      voidOf('o'),
      { k: 'return', e: call('vaddq_n_s32', 'x', `${N}_OUTPUT_OFFSET`) },
    ],
  } });
  if (dot)
    items.push({ k: 'blank' }, { k: 'func', doc: comment('hang',
      'npix pixels x n (<= 4) consecutive output channels from o: acc[p * n + i] is channel o + i of pixel p. Each pixel\'s',
      'n outputs are the low bytes of n lanes, stored to n consecutive bytes (VSTRB.32, predicated).'), fn: {
      name: `${m.name}_store4`, linkage: 'static inline', ret: scalar('void'),
      params: [outPtr(cType, 'out'), { type: ptr('int32_t', { const: true }), name: 'acc' }, intParam('n'), intParam('npix'), intParam('o')],
      body: [
        decl(vecType('mve_pred16_t', true), 'lanes', call('vctp32q', cast('uint32_t', 'n'))),
        loop('p', 0, upTo('p', 'npix'), 'inc', [stmt(call('vstrbq_p_s32', 'out', call(`${m.name}_finish4`, call('vldrwq_z_s32', 'acc', 'lanes'), 'o'), 'lanes'))],
          { braces: false, also: [assign('out', `${N}_OUT_C`, '+='), assign('acc', 'n', '+=')] }),
      ],
    } });
  return items;
}

/** The common scalar finish and the one store function every block function calls. */
function scalarStageItems(c: FnContext, accType: CScalar, withO: boolean): Item[] {
  const { m, N, cType } = c;
  const o = add('o', mul('i', 'step'));
  return [
    { k: 'stage', stage: commonStage(m, c.acc, true) },
    { k: 'blank' },
    { k: 'func', doc: comment('block',
      'npix pixels x n outputs: acc[p * n + i] is channel o + i * step of pixel p, written to out[p * OUT_C + i * step].',
      'One copy of the output stage serves every block function.'), fn: {
      name: `${m.name}_store`, linkage: 'static', ret: scalar('void'),
      params: [outPtr(cType, 'out'), { type: ptr(accType, { const: true }), name: 'acc' }, intParam('n'), intParam('npix'), intParam('o'), intParam('step')],
      body: [
        loop('p', 0, upTo('p', 'npix'), 'inc', [loop('i', 0, upTo('i', 'n'), 'inc',
          [stmt(assign(index('out', mul('i', 'step')), call(`${m.name}_finish`, index('acc', 'i'), ...(withO ? [o] : []))))], { braces: false })],
        { braces: false, also: [assign('out', `${N}_OUT_C`, '+='), assign('acc', 'n', '+=')] }),
        ...(withO ? [] : [voidOf('o')]),
      ],
    } },
  ];
}

/** The region table: field names labelled, NO_FN for a missing function. */
function regionTable(m: KernelModel, p: MvePlan): Item {
  const dw = p.shape === 'dw';
  return { k: 'region-table', table: {
    struct: `${m.name}_region`, name: `${m.name}_regions`, count: 'REGIONS',
    doc: comment('line', 'A region: a rectangle of outputs whose valid kernel rows and columns are the same, and the functions that compute it.'),
    fields: [
      { type: 'unsigned short', names: ['y_lo', 'y_hi', 'x_lo', 'x_hi'], doc: 'its outputs: rows y_lo..y_hi, columns x_lo..x_hi' },
      { type: 'unsigned char', names: ['ky_lo', 'kx_lo'], doc: 'its first valid kernel row and column' },
      dw ? { type: 'unsigned char', names: ['rows', 'has_cols'], doc: 'how many kernel rows are valid; whether any kernel column is' }
        : { type: 'unsigned char', names: ['rows', 'cols', 'interior'], doc: 'how many kernel rows and columns are valid; whether every tap is' },
      { type: 'unsigned char', names: ['pb'], doc: 'output pixels per block' },
      { type: 'unsigned char', names: ['main', 'tail'], doc: 'its block functions (by number) for pixel blocks and for single pixels' },
      { type: 'unsigned char', names: ['main_tail_channels', 'tail_tail_channels'], doc: 'the same for the tail block of output channels' },
    ],
    none: { name: 'NO_FN', value: 255, doc: 'no such function in this region' },
    rows: p.regions.map((r) => ({
      values: [r.y.lo, r.y.hi, r.x.lo, r.x.hi, r.y.valid[0] ?? 0, r.x.valid[0] ?? 0, r.y.valid.length,
        ...(dw ? [r.x.valid.length > 0 ? 1 : 0] : [r.x.valid.length, r.interior ? 1 : 0]), r.pb, ...r.fns],
      doc: `rows ${r.y.lo}..${r.y.hi}, columns ${r.x.lo}..${r.x.hi}: kernel rows ${r.y.valid.join(',') || 'none'}, columns ${r.x.valid.join(',') || 'none'}`,
    })),
  } };
}

const reg = (f: string) => member('reg', f);

/** for (int r = 0; r < REGIONS; ++r) { const struct region *reg = &regions[r]; body } */
function overRegions(m: KernelModel, body: Stmt[]): Stmt {
  return loop('r', 0, upTo('r', 'REGIONS'), 'inc', [
    decl(ptr({ struct: `${m.name}_region` }, { const: true }), 'reg', addr(index(`${m.name}_regions`, 'r'))), ...body]);
}

function dwRun(c: FnContext): Item[] {
  const { m, N, cType } = c;
  const iy = paren(add(sub(mul('oy', 'STRIDE_H'), 'PAD_TOP'), mul(reg('ky_lo'), 'DILATION_H')));
  const window = add('input', mul(paren(add(sub(add(mul(iy, `${N}_IN_W`), mul('ox', 'STRIDE_W')), 'PAD_LEFT'), mul(reg('kx_lo'), 'DILATION_W'))), `${N}_IN_C`));
  const regionParam: Param = { type: ptr({ struct: `${m.name}_region` }, { const: true }), name: 'reg' };
  const channels = (fn: Expr, tail: Expr, ox: Expr, count: Expr) => stmt(call(`${m.name}_channels`, 'input', 'output', 'reg', fn, tail, 'oy', ox, count));
  return [
    { k: 'func', doc: comment('line', 'Every channel at a run of pixel blocks of a region.'), fn: {
      name: `${m.name}_channels`, linkage: 'static', ret: scalar('void'), wrapAfter: 3,
      params: [inPtr(cType, 'input'), outPtr(cType, 'output'), regionParam, intParam('full'), intParam('tail'), intParam('oy'), intParam('ox'), intParam('count')],
      body: [
        decl(ptr(cType, { const: true }), 'window', 'input'),
        ifThen(bin('&&', bin('>', reg('rows'), 0), reg('has_cols')), [stmt(assign('window', window))]),
        decl(ptr(cType), 'out', add('output', mul(paren(add(mul('oy', `${N}_OUT_W`), 'ox')), `${N}_OUT_C`))),
        voidOf('tail'),
        stmt(call(`${m.name}_call`, 'full', 'window', add(`${m.name}_weights`, mul(paren(add(mul(reg('ky_lo'), 'KERNEL_W'), reg('kx_lo'))), `${N}_IN_C`)),
          'out', reg('rows'), 'count')),
      ],
    } },
    { k: 'blank' },
    { k: 'func', fn: {
      name: `${m.name}_run`, linkage: 'extern', ret: scalar('void'), params: [inPtr(cType, 'input'), outPtr(cType, 'output')],
      body: [overRegions(m, [
        constDecl('int', 'blocks', bin('/', paren(add(sub(reg('x_hi'), reg('x_lo')), 1)), reg('pb'))),
        loop('oy', reg('y_lo'), through('oy', reg('y_hi')), 'inc', [
          ifThen(bin('>', 'blocks', 0), [channels(reg('main'), reg('main_tail_channels'), reg('x_lo'), id('blocks'))]),
          loop('ox', add(reg('x_lo'), mul('blocks', reg('pb'))), through('ox', reg('x_hi')), 'inc',
            [channels(reg('tail'), reg('tail_tail_channels'), id('ox'), { k: 'int', v: 1 })], { braces: false }),
        ]),
      ])],
    } },
  ];
}

function dotRun(c: FnContext, p: Extract<MvePlan, { shape: 'dot' }>): Item[] {
  const { m, N, cType } = c;
  const accType = c.acc.accType;
  const wRow = m.kW * m.inPerGroup;
  const perO = m.inPerGroup * m.kH * m.kW;
  const regionParam: Param = { type: ptr({ struct: `${m.name}_region` }, { const: true }), name: 'reg' };
  const items: Item[] = [];
  const bits = m.numeric.storage.bits;
  if (p.foldOffset)
    items.push({ k: 'func', doc: comment('line', 'Sum of n consecutive weights in each of `rows` rows `step` apart: a channel\'s valid weights in a border region.'), fn: {
      name: `${m.name}_valid_sum`, linkage: 'static', ret: scalar('int32_t'),
      params: [{ type: ptr(cType, { const: true }), name: 'w' }, intParam('rows'), intParam('step'), intParam('n')],
      body: [
        decl('int32_t', 's', 0),
        loop('r', 0, upTo('r', 'rows'), 'inc', [loop('i', 0, upTo('i', 'n'), p.lanes, [stmt(assign('s', call(bits === 8 ? 'vaddvaq_s8' : 'vaddvaq_s16', 's',
          call(bits === 8 ? 'vldrbq_z_s8' : 'vldrhq_z_s16', add('w', 'i'), call(bits === 8 ? 'vctp8q' : 'vctp16q', cast('uint32_t', paren(sub('n', 'i'))))))))],
        { braces: false })], { braces: false, also: [assign('w', 'step', '+=')] }),
        { k: 'return', e: id('s') },
      ],
    } }, { k: 'blank' });
  const seedOf = call(`${m.name}_seed`, add('o0', 'j'));
  const row = add(mul(paren(add(sub(mul('oy', 'STRIDE_H'), 'PAD_TOP'), mul(reg('ky_lo'), 'DILATION_H'))), paren(mul(`${N}_IN_W`, `${N}_IN_C`))),
    mul(paren(sub(mul(reg('kx_lo'), 'DILATION_W'), 'PAD_LEFT')), `${N}_IN_C`));
  const callAt = (fn: Expr, at: Expr, out: Expr, count: Expr) => stmt(call(`${m.name}_call`, fn, add('row', mul(mul(at, 'STRIDE_W'), `${N}_IN_C`)), 'w',
    add('out', mul(at, `${N}_OUT_C`)), 'seeds', 'o0', reg('rows'), count));
  items.push({ k: 'func', doc: comment('line', 'One block of `size` output channels over a region: seeds once, then every output row.'), fn: {
    name: `${m.name}_block`, linkage: 'static', ret: scalar('void'), wrapAfter: 3,
    params: [inPtr(cType, 'input'), outPtr(cType, 'output'), regionParam, intParam('main'), intParam('tail'), intParam('g'), intParam('o0'), intParam('size'),
      { type: ptr(cType, { const: true }), name: 'w' }],
    body: [
      decl(accType, `seeds[${p.ob}]`),
      loop('j', 0, upTo('j', 'size'), 'inc', p.foldOffset ? [
        { k: 'comment', text: comment('line', 'Interior: bias + offset x all weights (folded at generation time); border: + offset x the valid ones.') },
        ifThen(reg('interior'), [stmt(assign(index('seeds', 'j'), call(`${m.name}_interior_seed_of`, add('o0', 'j'))))], { braces: false, else: [
          stmt(assign(index('seeds', 'j'), add(seedOf, mul(cast(accType, `${N}_INPUT_OFFSET`), call(`${m.name}_valid_sum`, add('w', mul('j', wRow)), reg('rows'),
            mul('size', wRow), mul(reg('cols'), 'IN_PER_GROUP')))))),
        ] }),
      ] : [stmt(assign(index('seeds', 'j'), seedOf))]),
      constDecl('int', 'blocks', bin('/', paren(add(sub(reg('x_hi'), reg('x_lo')), 1)), reg('pb'))),
      loop('oy', reg('y_lo'), through('oy', reg('y_hi')), 'inc', [
        decl(ptr(cType, { const: true }), 'row', add('input', mul('g', 'IN_PER_GROUP'))),
        ifThen(bin('&&', bin('>', reg('rows'), 0), bin('>', reg('cols'), 0)), [stmt(assign('row', row, '+='))]),
        decl(ptr(cType), 'out', add(add('output', mul('oy', paren(mul(`${N}_OUT_W`, `${N}_OUT_C`)))), 'o0')),
        ifThen(bin('>', 'blocks', 0), [callAt(id('main'), reg('x_lo'), id('out'), id('blocks'))]),
        loop('ox', add(reg('x_lo'), mul('blocks', reg('pb'))), through('ox', reg('x_hi')), 'inc', [callAt(id('tail'), id('ox'), id('out'), { k: 'int', v: 1 })], { braces: false }),
      ]),
    ],
  } }, { k: 'blank' });
  const blockCall = (main: string, tail: string, first: Expr, size: number, blockAt: Expr): Stmt => ({ k: 'expr', wrapAfter: 8, e:
    call(`${m.name}_block`, 'input', 'output', 'reg', reg(main), reg(tail), 'g', first, size,
      add(add(add('wg', mul(blockAt, paren(mul(p.ob, perO)))), mul(reg('ky_lo'), paren(mul(size, wRow)))), 'tap')) });
  const fullBlocks = Math.floor(m.outPerGroup / p.ob);
  items.push({ k: 'func', fn: {
    name: `${m.name}_run`, linkage: 'extern', ret: scalar('void'), params: [inPtr(cType, 'input'), outPtr(cType, 'output')],
    body: [overRegions(m, [
      constDecl('int', 'tap', mul(reg('kx_lo'), 'IN_PER_GROUP')),
      loop('g', 0, upTo('g', 'GROUPS'), 'inc', [
        constDecl('int', 'o0', mul('g', 'OUT_PER_GROUP')),
        decl(ptr(cType, { const: true }), 'wg', add(`${m.name}_weights`, mul('o0', perO))),
        loop('b', 0, upTo('b', fullBlocks), 'inc', [blockCall('main', 'tail', add('o0', mul('b', p.ob)), p.ob, id('b'))], { braces: false }),
        ...(p.tailSize > 0 ? [blockCall('main_tail_channels', 'tail_tail_channels', add('o0', mul(fullBlocks, p.ob)), p.tailSize, { k: 'int', v: fullBlocks } as Expr)] : []),
      ]),
    ])],
  } });
  return items;
}

export function lowerMve(m: KernelModel, p: MvePlan, ctx: PlanContext): KernelIR {
  const N = m.name.toUpperCase();
  const cType = m.numeric.storage.cType as CScalar;
  const acc = ctx.acc;
  const c: FnContext = { m, acc, cType, N };
  const dw = p.shape === 'dw';
  const items: Item[] = [
    { k: 'blank' },
    define('IN_PER_GROUP', m.inPerGroup), define('OUT_PER_GROUP', m.outPerGroup), define('GROUPS', m.groups), define('KERNEL_W', m.kW),
    define('STRIDE_H', m.strideH), define('STRIDE_W', m.strideW), define('DILATION_H', m.dilH), define('DILATION_W', m.dilW),
    define('PAD_TOP', m.pad.top), define('PAD_LEFT', m.pad.left), define('ROW_STRIDE', m.dilH * m.inW * m.inC),
    define('PIXEL_STRIDE', m.strideW * m.inC), define('REGIONS', p.regions.length),
    { k: 'blank' },
    { k: 'table', doc: comment('line', `Weights: ${numericDocs(m).weightDoc}; ${dw ? '[multiplier][ky][kx][input channel]'
      : `per group, per block of ${p.ob} output channels, [ky][channel in block][kx][in/groups]`} (the same bytes as the plain order).`),
    table: { name: `${m.name}_weights`, elem: cType, dims: [p.weights.length], body: { k: 'flat', lines: cArrayRows(p.weights, 16) } } },
  ];
  if (p.shape === 'dw') {
    if (p.fns.some((f) => !f.border))
      items.push({ k: 'blank' }, { k: 'table', doc: comment('line', `Seeds per output channel, in [multiplier][input channel] order: the bias aligned to the product's fraction bits${
        p.foldOffset ? ', plus the input offset x the channel\'s weight sum (the interior multiplies raw inputs)' : ''}.`),
      table: { name: `${m.name}_seeds`, elem: dwSeedType(p, false), dims: [`${N}_OUT_C`], body: { k: 'flat', lines: int32Lines(p.seeds) } } });
    if (p.borderSeeds)
      items.push({ k: 'blank' }, { k: 'table', doc: comment('line', 'Border seeds: the bias alone; border taps add the input offset to each input.'),
        table: { name: `${m.name}_border_seeds`, elem: dwSeedType(p, true), dims: [`${N}_OUT_C`], body: { k: 'flat', lines: int32Lines(p.borderSeeds) } } });
  } else {
    items.push(...biasTable(m));
    if (p.foldOffset)
      items.push({ k: 'blank' }, { k: 'stage', stage: {
        k: 'seed-table', prefix: m.name, fn: `${m.name}_interior_seed_of`, table: `${m.name}_interior_seed`, NAME: N, accType: acc.accType,
        // int32 even where int16 would hold them: the seed copy loop runs slower from int16 (ad01: +2.4% instructions)
        elem: acc.accType, lines: seedLines(p.folded),
        doc: comment('line', 'Interior seeds: bias + input offset x the channel\'s weight sum, so that the interior multiplies raw inputs.'),
      } });
    items.push({ k: 'blank' }, { k: 'stage', stage: biasSeed(m, acc) });
  }
  items.push({ k: 'blank' });
  const withO = stageTakesChannel(commonStage(m, acc, true));
  items.push(...(p.vq ? vectorStageItems(c, p.vq, !dw) : scalarStageItems(c, dw ? 'int32_t' : acc.accType, withO)));
  const names: string[] = [];
  if (p.shape === 'dw')
    for (const f of p.fns) {
      names.push(f.name);
      items.push({ k: 'blank' }, { k: 'func', fn: dwFunction(c, p, f), doc: comment('line',
        `${f.doc}. px0: input of the first valid tap, channel 0; wbase: weights of that tap, channel 0, multiplier 0.`) });
    }
  else
    for (const f of p.fns) {
      names.push(f.name);
      items.push({ k: 'blank' }, { k: 'func', fn: dotFunction(c, p, f), doc: comment('hang',
        `${f.ob} output channel(s) x ${f.pb} pixel(s), ${f.n} kernel column(s). px0: input of the first valid tap (group's channel 0), first pixel; wbase: the block's weights at that`,
        'tap; seeds: the block\'s accumulators before any tap (the region\'s: bias, plus the input offset\'s share).') });
    }
  const callParams: Param[] = [intParam('fn'), inPtr(cType, 'px'), inPtr(cType, 'w'), outPtr(cType, 'out'),
    ...(dw ? [] : [{ type: ptr(acc.accType, { const: true, restrict: true }), name: 'seeds' }, intParam('o0')]), intParam('rows'), intParam('count')];
  items.push({ k: 'blank' }, { k: 'func', doc: comment('line', 'Calls block function number fn (the region table\'s numbering).'),
    fn: callFunction(c, names, callParams, dw ? undefined : 4) });
  items.push({ k: 'blank' }, regionTable(m, p), { k: 'blank' }, ...(p.shape === 'dw' ? dwRun(c) : dotRun(c, p)));

  const bits = m.numeric.storage.bits;
  const banner = [
    bannerHead(m, 'optimized variant, MVE family (ARMv8.1-M Helium)'),
    ...(p.shape === 'dw'
      ? [`Depthwise: 4 channels per int32x4 vector (widening loads), ${p.pb} output pixel(s) per block; acc += x * w`,
        '(VMUL + VADD). Channel tails are predicated (VCTP32, zeroing loads).']
      : ['A kernel row\'s valid columns x input channels are one contiguous span in HWC input and in the weights, so each',
        `row is a dot product: ${p.lanes} elements per ${acc.accType === 'int64_t' ? 'VMLALDAVA.S16 (64-bit accumulator, exact)'
          : `VMLADAVA.S${bits} (32-bit accumulator, exact within the proved bound)`}, the last chunk tail-predicated (VCTP, zeroing`,
        `loads: nothing outside a buffer is read). Blocking: ${p.ob} output channel(s) x ${p.pb} pixel(s) share each`,
        `loaded vector (${p.estimate.toFixed(2)} instructions per MAC estimated in the interior).`]),
    'The output plane is split at generation time into regions by which kernel rows and columns fall inside the',
    'input; each region runs a function with exactly its valid taps, so no bounds check runs anywhere.',
    ...(p.foldOffset ? ['The input offset is folded into the interior\'s seeds; border regions add it for their valid weights only.'] : []),
    p.vq ? 'int8: the output stage runs on 4 consecutive output channels per vector (finish4).' : 'Each output goes through the common scalar output stage.',
  ];
  const weightBytes = p.weights.length * (bits / 8);
  return {
    name: m.name, NAME: N, entry: `${m.name}_run`, banner: comment('block', ...banner), items,
    memory: { weightBytes, staticBytes: 0, staticDoc: '', scratchBytes: 0,
      // depthwise: int32 seed tables in the [multiplier][channel] order stand in for the bias table
      ...(p.shape === 'dw' ? { biasBytes: m.outC * ((p.borderSeeds ? cBytes(dwSeedType(p, true)) : 0) + (p.fns.some((f) => !f.border) ? cBytes(dwSeedType(p, false)) : 0)) } : {}) },
    isaName: 'ARMv8.1-M with MVE',
  };
}
