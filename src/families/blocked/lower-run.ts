/**
 * The blocked family's region walk as IR: the region table, the switch that calls block functions by number, the
 * per-region channel blocks, side bands down their columns, the staging copy, and the entry function.
 */
import type { KernelModel } from '../../ops/conv_2d/spec/index.ts';
import {
  add, addr, assign, bin, call, cond, constDecl, decl, id, ifThen, index, int, lit, loop, member, mul, neg, preinc, ptr, ret, scalar, sizeOf,
  stmt, sub, through, unused, upTo,
} from '../../ir/expr.ts';
import type { CScalar, Expr, Item, Stmt } from '../../ir/kernel-ir.ts';
import { runFunc } from '../reference/lower.ts';
import { comment, define } from '../shared.ts';
import { rowContiguousWeights, weightSlots } from './forms.ts';
import type { BlockedKernel } from './kernel-plan.ts';

interface RunContext {
  cType: CScalar;
  weightType: CScalar;
  anyLead: boolean;
  anyVertical: boolean;
  anyBlockTail: boolean;
}

const reg = (field: string): Expr => member('reg', field);

export function runItems(m: KernelModel, k: BlockedKernel, c: RunContext): Item[] {
  const opt = k.opt;
  const N = m.name.toUpperCase();
  const t = c.cType;
  const regionStruct = `${m.name}_region`;
  const regionPtr = ptr({ struct: regionStruct }, { const: true });
  const channels = `${m.name}_channels`;
  const items: Item[] = [];

  /* the region table */
  const fnIndex = (n: string | undefined) => (n ? opt.fns.findIndex((f) => f.fn === n) : null);
  const coordType: CScalar = Math.max(m.outH, m.outW) > 255 ? 'unsigned short' : 'unsigned char';
  items.push({ k: 'region-table', table: {
    struct: regionStruct, name: `${m.name}_regions`, count: 'REGIONS',
    doc: comment('line', 'A region: a rectangle of outputs whose valid kernel rows and columns are the same, and the functions that compute it.'),
    fields: [
      { type: coordType, names: ['y_lo', 'y_hi', 'x_lo', 'x_hi'], doc: 'its outputs: rows y_lo..y_hi, columns x_lo..x_hi' },
      { type: coordType, names: ['ky_lo', 'kx_lo'], doc: 'its first valid kernel row and column' },
      { type: coordType, names: ['rows', 'has_cols'], doc: 'how many kernel rows are valid; whether any kernel column is' },
      { type: coordType, names: ['pb'], doc: 'output pixels per block' },
      ...(c.anyLead ? [{ type: coordType, names: ['lead'], doc: 'a row starting off a 32-bit word runs its first pixel alone (input words)' }] : []),
      ...(c.anyVertical ? [{ type: coordType, names: ['vertical'], doc: 'its pixel blocks run down each output column (a side band)' }] : []),
      ...(c.anyBlockTail ? [{ type: coordType, names: ['tail_pb'], doc: 'pixels per call of the row\'s remainder' }] : []),
      { type: 'unsigned char', names: ['main', 'tail'], doc: 'its block functions (by number) for pixel blocks and for the remainder' },
      { type: 'unsigned char', names: ['main_tail_channels', 'tail_tail_channels'], doc: 'the same for the tail block of output channels' },
    ],
    none: { name: 'NO_FN', value: 255, doc: 'no such function in this region' },
    rows: opt.regions.map((r) => ({
      values: [r.y.lo, r.y.hi, r.x.lo, r.x.hi, r.kyMin, r.kxMin, r.rows, r.x.valid.length > 0 ? 1 : 0, r.pb,
        ...(c.anyLead ? [r.lead ? 1 : 0] : []), ...(c.anyVertical ? [r.vertical ? 1 : 0] : []), ...(c.anyBlockTail ? [r.tailPb] : []),
        fnIndex(r.main[opt.ob]), fnIndex(r.tail[opt.ob] ?? r.main[opt.ob]),
        fnIndex(opt.tailSize ? r.main[opt.tailSize] : undefined), fnIndex(opt.tailSize ? (r.tail[opt.tailSize] ?? r.main[opt.tailSize]) : undefined)],
      doc: `rows ${r.y.lo}..${r.y.hi}, columns ${r.x.lo}..${r.x.hi}: kernel rows ${r.y.valid.join(',') || 'none'}, columns ${r.x.valid.join(',') || 'none'}${r.vertical ? ', down the columns' : ''}`,
    })),
  } }, { k: 'blank' });

  /* the switch over block functions */
  const blockArgs = ['px', 'w', 'output', 'o0', 'oy', 'ox', 'rows', 'count'];
  items.push({ k: 'func', doc: comment('line', 'Calls block function number fn (the region table\'s numbering).'), fn: {
    name: `${m.name}_call`, linkage: 'static', ret: scalar('void'), wrapAfter: 4,
    params: [
      { type: scalar('int'), name: 'fn' }, { type: ptr(t, { const: true, restrict: true }), name: 'px' },
      { type: ptr(c.weightType, { const: true, restrict: true }), name: 'w' }, { type: ptr(t, { restrict: true }), name: 'output' },
      ...['o0', 'oy', 'ox', 'rows', 'count'].map((name) => ({ type: scalar('int'), name })),
    ],
    body: [{ k: 'switch', on: id('fn'), default: [{ k: 'break' }],
      cases: opt.fns.map((f, i) => ({ value: i, body: [stmt(call(`${m.name}_${f.fn}`, ...blockArgs)), { k: 'break' } as Stmt] })) }],
  } }, { k: 'blank' });

  /* every channel block at a run of pixel blocks */
  // The weights of the region's first tap, added to a block's base: taps stores [ky][channel][kx], the others
  // [ky][kx][channel] (tap x weight-array elements per kernel position of a block; lane2w: its channel-pair words).
  const atTap = (blockBase: Expr, channels: string, n: number): Expr => (rowContiguousWeights(opt.macForm)
    ? add(add(blockBase, mul(mul(reg('ky_lo'), 'KERNEL_W'), channels)), reg('kx_lo'))
    : add(blockBase, opt.macForm === 'lane2w' ? mul('tap', weightSlots(opt.macForm, n))
      : opt.weightStride === 1 ? mul('tap', channels) : mul(mul('tap', channels), opt.weightStride)));
  const window = (ky: Expr, kx: Expr) => k.staging
    ? [mul(ky, 'DILATION_H'), add(mul('ox', 'STRIDE_W'), mul(kx, 'DILATION_W'))]
    : [add(sub(mul('oy', 'STRIDE_H'), 'PAD_TOP'), mul(ky, 'DILATION_H')), add(sub(mul('ox', 'STRIDE_W'), 'PAD_LEFT'), mul(kx, 'DILATION_W'))];
  const callBlock = (fnVar: string, base: Expr, first: Expr): Stmt => ({
    k: 'expr', wrapAfter: 4,
    e: call(`${m.name}_call`, fnVar, add('window', mul('g', 'GROUP_INPUT')), base, 'output', first, 'oy', 'ox', reg('rows'), 'count'),
  });
  items.push({ k: 'func', doc: comment('line', 'Every block of output channels at a run of pixel blocks of a region.'), fn: {
    name: channels, linkage: 'static', ret: scalar('void'), wrapAfter: 3,
    params: [
      { type: ptr(t, { const: true, restrict: true }), name: 'input' }, { type: ptr(t, { restrict: true }), name: 'output' },
      { type: regionPtr, name: 'reg' }, ...['full', 'tail', 'oy', 'ox', 'count'].map((name) => ({ type: scalar('int'), name })),
    ],
    body: [
      decl(ptr(t, { const: true }), 'window', 'input'),
      ifThen(bin('&&', bin('>', reg('rows'), 0), reg('has_cols')), [stmt(assign('window', addr(call('IN_AT', 0, ...window(reg('ky_lo'), reg('kx_lo'))))))]),
      ...(rowContiguousWeights(opt.macForm) ? [] : [constDecl('int', 'tap', add(mul(reg('ky_lo'), 'KERNEL_W'), reg('kx_lo')))]),
      loop('g', 0, upTo('g', 'GROUPS'), 'inc', [
        decl(ptr(c.weightType, { const: true }), 'wg', add(`${m.name}_weights`, mul('g', 'GROUP_WEIGHTS'))),
        loop('b', 0, upTo('b', 'FULL_BLOCKS'), 'inc', [
          callBlock('full', atTap(add('wg', mul('b', 'BLOCK_WEIGHTS')), 'BLOCK_CHANNELS', opt.ob), add(mul('g', 'OUT_PER_GROUP'), mul('b', 'BLOCK_CHANNELS'))),
        ], { braces: false }),
        opt.tailSize > 0
          ? callBlock('tail', atTap(add('wg', mul('FULL_BLOCKS', 'BLOCK_WEIGHTS')), 'TAIL_CHANNELS', opt.tailSize),
            add(mul('g', 'OUT_PER_GROUP'), mul('FULL_BLOCKS', 'BLOCK_CHANNELS')))
          : unused('tail'),
      ]),
    ],
  } }, { k: 'blank' });

  /* a row's runs: its pixel blocks, then its remainder */
  const tailStep: Expr | 'inc' = c.anyBlockTail ? member('reg', 'tail_pb') : 'inc';
  const rowRuns = (inp: string, x0: Expr): Stmt[] => [
    ifThen(bin('>', 'blocks', 0), [stmt(call(channels, inp, 'output', 'reg', reg('main'), reg('main_tail_channels'), 'oy', x0, 'blocks'))]),
    loop('ox', add(x0, mul('blocks', reg('pb'))), through('ox', reg('x_hi')), tailStep, [
      stmt(call(channels, inp, 'output', 'reg', reg('tail'), reg('tail_tail_channels'), 'oy', 'ox', 1)),
    ], { braces: false }),
  ];
  const leadDown = opt.regions.some((r) => r.lead && r.vertical);
  const oddStart = `${m.name}_odd_start`;
  const oddStartItems: Item[] = [{ k: 'func', doc: comment('line', 'Whether the first pixel block of a row would read its input from an odd element (not on a 32-bit word).'),
    fn: {
      name: oddStart, linkage: 'static', ret: scalar('int'),
      params: [{ type: ptr(t, { const: true, restrict: true }), name: 'input' }, { type: regionPtr, name: 'reg' }, { type: scalar('int'), name: 'oy' }],
      body: [
        decl(ptr(t, { const: true }), 'p', addr(call('IN_AT', 0, add(sub(mul('oy', 'STRIDE_H'), 'PAD_TOP'), mul(reg('ky_lo'), 'DILATION_H')),
          add(sub(mul(reg('x_lo'), 'STRIDE_W'), 'PAD_LEFT'), mul(reg('kx_lo'), 'DILATION_W'))))),
        ret(bin('!=', bin('&', { k: 'cast', type: scalar('uintptr_t'), e: id('p') }, lit('2u')), 0)),
      ],
    } }, { k: 'blank' }];
  if (leadDown) items.push(...oddStartItems);
  const blocksOf = (lo: Expr, hi: Expr) => bin('/', add(sub(hi, lo), 1), reg('pb'));
  if (c.anyVertical) {
    const blocks: Stmt[] = leadDown
      ? [{ k: 'comment', text: comment('line', 'blocks that load input words: every pixel through the tail (halfwords) if the band\'s input is off a word') },
        constDecl('int', 'blocks', cond(bin('&&', reg('lead'), call(oddStart, 'input', 'reg', reg('y_lo'))), 0, blocksOf(reg('y_lo'), reg('y_hi'))))]
      : [constDecl('int', 'blocks', blocksOf(reg('y_lo'), reg('y_hi')))];
    items.push({ k: 'func', doc: comment('line', 'A side band down its columns: pixel blocks of each output column, then its remaining single pixels.'), fn: {
      name: `${m.name}_down`, linkage: 'static', ret: scalar('void'),
      params: [{ type: ptr(t, { const: true, restrict: true }), name: 'input' }, { type: ptr(t, { restrict: true }), name: 'output' }, { type: regionPtr, name: 'reg' }],
      body: [
        ...blocks,
        loop('ox', reg('x_lo'), through('ox', reg('x_hi')), 'inc', [
          ifThen(bin('>', 'blocks', 0), [stmt(call(channels, 'input', 'output', 'reg', reg('main'), reg('main_tail_channels'), reg('y_lo'), 'ox', 'blocks'))]),
          loop('oy', add(reg('y_lo'), mul('blocks', reg('pb'))), through('oy', reg('y_hi')), 'inc', [
            stmt(call(channels, 'input', 'output', 'reg', reg('tail'), reg('tail_tail_channels'), 'oy', 'ox', 1)),
          ], { braces: false }),
        ]),
      ],
    } }, { k: 'blank' });
  }
  const theRegion = decl(regionPtr, 'reg', addr(index(`${m.name}_regions`, 'r')));
  const vertical: Stmt[] = c.anyVertical
    ? [ifThen(reg('vertical'), [stmt(call(`${m.name}_down`, 'input', 'output', 'reg')), { k: 'continue' }], { braces: true })] : [];

  if (k.staging) {
    const inW = `${N}_IN_W`;
    const inC = `${N}_IN_C`;
    const copy = (d: Expr, v: string) => stmt(call('memcpy', d, addr(id(v)), sizeOf(v)));
    // Both slots of elements [from, to) of the row are zeroed: every call writes the whole row, padding included.
    const zeroSlots = (from: Expr | number, to: Expr | string) =>
      loop('i', from, upTo('i', to), 'inc', [stmt(assign(index('row', 'i'), assign(index('row', add('i', 'STAGE_COPY')), 'zero')))], { braces: false });
    items.push(
      { k: 'comment', text: comment('block',
        'Staging buffer: input rows channel-interleaved (HWC) behind PAD_LEFT zero columns, so a pair of input channels is',
        'one word and no tap is outside. A ring of STAGE_ROWS rows, each stored twice (slot and slot + STAGE_ROWS): the',
        'STAGE_ROWS rows an output row reads are then always contiguous, and each input row is copied once per call.',
        'Rows outside the input and the padding columns are written as zeros with every row: the kernel relies on nothing',
        'left in the buffer by a previous call or by the startup code.') },
      { k: 'buffer', name: `${m.name}_stage`, elem: t, size: `2 * STAGE_ROWS * STAGE_W * ${inC}`, align: 4 },
      define('STAGE_ROW_ELEMS', `(STAGE_W * ${inC})`),
      define('STAGE_COPY', '(STAGE_ROWS * STAGE_ROW_ELEMS)'),
      { k: 'comment', text: comment('line', 'Input row iy\'s first slot (rows above the input are negative).') },
      define('STAGE_SLOT', `(&${m.name}_stage[((((iy) % STAGE_ROWS) + STAGE_ROWS) % STAGE_ROWS) * STAGE_ROW_ELEMS])`, ['iy']),
      { k: 'comment', text: comment('line', 'The empty asm that keeps weight loads in their loop also hides a value\'s constness.') },
      define('HIDE_VALUE', 'KEEP_LOADS_IN_LOOP(v)', ['v']),
      { k: 'blank' },
      { k: 'helper', helper: { k: 'halves-pack', prefix: m.name } },
      { k: 'blank' },
      { k: 'func', doc: comment('line', 'Copies input row iy (zeros outside the input) into both of its slots.'), fn: {
        name: `${m.name}_stage_row`, linkage: 'static', ret: scalar('void'),
        params: [{ type: ptr(t, { const: true, restrict: true }), name: 'input' }, { type: scalar('int'), name: 'iy' }],
        body: [
          decl(ptr(t, { restrict: true }), 'row', call('STAGE_SLOT', 'iy')),
          decl(t, 'zero', 0),
          stmt(call('HIDE_VALUE', 'zero'), 'else GCC makes the loops memset calls, and the kernel links without libc'),
          ifThen(bin('||', bin('<', 'iy', 0), bin('>=', 'iy', `${N}_IN_H`)), [
            zeroSlots(0, 'STAGE_ROW_ELEMS'),
            ret(),
          ]),
          zeroSlots(0, mul('PAD_LEFT', inC)),
          zeroSlots(mul({ k: 'paren', e: add('PAD_LEFT', inW) }, inC), 'STAGE_ROW_ELEMS'),
          loop('c', 0, upTo('c', inC), int(2), [
            decl(ptr(t, { const: true, restrict: true }), 'a', addr(index('input', mul({ k: 'paren', e: add(mul('c', `${N}_IN_H`), 'iy') }, inW)))),
            decl(ptr(t, { const: true, restrict: true }), 'b', add('a', mul(`${N}_IN_H`, inW))),
            decl(ptr(t, { restrict: true }), 'd', add(add('row', mul('PAD_LEFT', inC)), 'c')),
            { k: 'comment', text: comment('line', 'two columns of channels c and c+1 per step: (a0, b0) and (a1, b1)') },
            loop('x', 0, bin('<', add('x', 1), inW), int(2), [
              { k: 'decls', type: scalar('uint32_t', true), vars: [
                { name: 'va', init: { k: 'cast', type: scalar('uint32_t'), e: call(`${m.name}_pair`, add('a', 'x')) } },
                { name: 'vb', init: { k: 'cast', type: scalar('uint32_t'), e: call(`${m.name}_pair`, add('b', 'x')) } }] },
              { k: 'decls', type: scalar('uint32_t', true), vars: [
                { name: 'lo', init: call(`${m.name}_low_halves`, 'va', 'vb') }, { name: 'hi', init: call(`${m.name}_high_halves`, 'va', 'vb') }] },
              copy(id('d'), 'lo'), copy(add('d', inC), 'hi'), copy(add('d', 'STAGE_COPY'), 'lo'), copy(add(add('d', 'STAGE_COPY'), inC), 'hi'),
            ], { also: [assign('d', mul(2, inC), '+=')] }),
            ...(m.inW % 2 === 1 ? [
              stmt(assign(index('d', 0), assign(index('d', 'STAGE_COPY'), index('a', sub(inW, 1))))),
              stmt(assign(index('d', 1), assign(index('d', add('STAGE_COPY', 1)), index('b', sub(inW, 1))))),
            ] : []),
          ]),
        ],
      } },
      { k: 'blank' },
      { k: 'func', fn: runFunc(m, [
        decl('int', 'next', neg(id('PAD_TOP')), 'the first input row not staged yet'),
        loop('oy', 0, upTo('oy', `${N}_OUT_H`), 'inc', [
          constDecl('int', 'top', sub(mul('oy', 'STRIDE_H'), 'PAD_TOP')),
          loop('iy', cond(bin('>', 'top', 'next'), 'top', 'next'), bin('<', 'iy', add('top', 'STAGE_ROWS')), 'inc',
            [stmt(call(`${m.name}_stage_row`, 'input', 'iy'))], { braces: false }),
          stmt(assign('next', add('top', 'STAGE_ROWS'))),
          decl(ptr(t, { const: true }), 'window', call('STAGE_SLOT', 'top')),
          loop('r', 0, upTo('r', 'REGIONS'), 'inc', [
            theRegion,
            constDecl('int', 'blocks', blocksOf(reg('x_lo'), reg('x_hi'))),
            ...rowRuns('window', reg('x_lo')),
          ]),
        ]),
      ]) },
    );
    return items;
  }
  if (c.anyLead) {
    if (!leadDown) items.push(...oddStartItems);
    // a row's lead pixel moves its input by the step along W: an even one cannot put the row on a word
    const pixelStride = k.pm.strideW * (k.pm.layout === 'hwc' ? k.pm.inC : 1);
    const odd = bin('&&', reg('lead'), call(oddStart, 'input', 'reg', 'oy'));
    const lead: Stmt[] = c.anyLead && pixelStride % 2 === 0
      ? [
          constDecl('int', 'x0', reg('x_lo')),
          { k: 'comment', text: comment('hang', 'the main function loads its inputs as aligned words; an even step along W keeps a row that starts odd',
            'off a word at every pixel: then every pixel through the tail (halfwords)') },
          constDecl('int', 'blocks', cond(odd, 0, blocksOf(id('x0'), reg('x_hi')))),
        ]
      : [
          decl('int', 'x0', reg('x_lo')),
          { k: 'comment', text: comment('line', 'the main function loads its inputs as aligned words: one pixel alone first if the row starts odd') },
          ifThen(odd, [stmt(call(channels, 'input', 'output', 'reg', reg('tail'), reg('tail_tail_channels'), 'oy', 'x0', 1)), stmt(preinc('x0'))]),
          constDecl('int', 'blocks', blocksOf(id('x0'), reg('x_hi'))),
        ];
    items.push({ k: 'func', fn: runFunc(m, [loop('r', 0, upTo('r', 'REGIONS'), 'inc', [
      theRegion, ...vertical,
      loop('oy', reg('y_lo'), through('oy', reg('y_hi')), 'inc', [...lead, ...rowRuns('input', id('x0'))]),
    ])]) });
    return items;
  }
  items.push({ k: 'func', fn: runFunc(m, [loop('r', 0, upTo('r', 'REGIONS'), 'inc', [
    theRegion, ...vertical,
    constDecl('int', 'blocks', blocksOf(reg('x_lo'), reg('x_hi'))),
    loop('oy', reg('y_lo'), through('oy', reg('y_hi')), 'inc', rowRuns('input', reg('x_lo'))),
  ])]) });
  return items;
}
