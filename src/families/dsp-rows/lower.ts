/**
 * The dsp-rows plan as IR: shape and plane macros, the raw weights in plane order, the seeds, the output stage, the
 * row conversion, the run-time weight packing, one block function per pixel count (full blocks and the row's
 * remainder), and the entry that walks groups, bands, channel blocks, output rows and pixel blocks.
 */
import type { KernelModel } from '../../ops/conv_2d/spec/index.ts';
import { cArrayRows, cInt } from '../../codegen/clit.ts';
import {
  add, assign, bin, call, cast, cond, constDecl, decl, ex, id, ifThen, index, intrinsic, loop, mul, paren, postinc, ptr, scalar, stmt, sub, unused, upTo,
} from '../../ir/expr.ts';
import type { Expr, Func, Item, KernelIR, Param, Stmt } from '../../ir/kernel-ir.ts';
import { channelQuantity, commonStage, stageTakesChannel } from '../../ir/output-stage.ts';
import type { PlanContext } from '../family.ts';
import { runFunc } from '../reference/lower.ts';
import { bannerHead, comment, define, numericDocs, shapeDefines } from '../shared.ts';
import { PLANE_BUDGET, UNROLL_ROW, type DspRowsPlan } from './plan.ts';

/** How a block function finishes an accumulator: the family's own stage (mult, right per channel) or the common one. */
interface Finish {
  /** The requantized int8 of accumulator `a` of output channel o + qi. */
  call(a: string, qi: number): Expr;
  /** Statements a block function runs first (the channel's multiplier and shift). */
  setup(q: number): Stmt[];
  /** Whether the block function reads o beyond the seeds. */
  withO: boolean;
  /** Per-channel values the entry computes once per channel block (after the packing) and passes to the blocks. */
  perBlock?: { decl: Stmt; fill: Stmt[]; param: Param; arg: string };
}

/**
 * The family's output stage, TFLite's MultiplyByQuantizedMultiplier with what this layer's constants allow: no left
 * shift, every multiplier positive (so SRDHM's one overflow, INT32_MIN x INT32_MIN, cannot occur: one multiply-add
 * and a shift), gemmlowp's rounding divide, then the offset and clamp through SSAT (saturating to 16 bits first
 * changes nothing the clamp would not, and keeps the offset's addition in range). Null where it does not apply.
 */
function ownStage(m: KernelModel, pl: DspRowsPlan, ctx: PlanContext): { items: Item[]; finish: Finish } | null {
  const st = ctx.acc.stage;
  if (st.kind !== 'requantize' || st.saturate || st.left.some((l) => l !== 0) || st.multiplier.some((v) => v < 0)) return null;
  const N = m.name.toUpperCase();
  const tables: Item[] = [];
  // The shared rule (a constant where every channel agrees, else the narrowest table type) read per output channel.
  const perChannel = (values: number[], name: string, perLine: number) => {
    const q = channelQuantity(values, `${m.name}_${name}`, perLine);
    if (q.k === 'const') return (_o: Expr): Expr => ex(q.value);
    tables.push({ k: 'blank' }, { k: 'table', table: { name: q.table, elem: q.cType, dims: [`${N}_OUT_C`], body: { k: 'flat', lines: q.lines } } });
    return (o: Expr): Expr => index(q.table, o);
  };
  const mult = perChannel(st.multiplier, 'multiplier', 8);
  const right = perChannel(st.right, 'right_shift', 16);
  const withO = tables.length > 0;
  // With every right shift e >= 1: v + 2^(e-1) - [v < 0] = floor((p + 2^30 + (2^(e-1) - [v < 0]) 2^31) / 2^31) for
  // v = SRDHM = floor((p + 2^30) / 2^31), and floors compose; [v < 0] may be read as [acc < 0] (they differ only where
  // v = 0, and both then give 0).
  const fused = st.right.every((e) => e >= 1);
  // k = 2^30 + 2^(30 + right): with two channels a block, computed once per block of channels by the entry and passed
  // in (kws's first layer 517k -> 483k instructions, ResNet-8's 838k -> 810k); with one, in the block function (kws's
  // depthwise layers 230k instead of 238k: the extra pointer costs registers there).
  const perBlock = fused && pl.q > 1;
  const roundK = (e: Expr): Expr => add({ k: 'lit', text: '(INT64_C(1) << 30)' }, paren(bin('<<', { k: 'lit', text: 'INT64_C(1)' }, paren(add(30, e)))));
  const i64 = (text: string): Expr => ({ k: 'lit', text });
  const round: Stmt[] = fused ? [
    // (the two spellings are what GCC 12 compiles best for each: the sign test inside k with k computed here, and
    // beside the product with k passed in)
    ...(perBlock ? [
      constDecl('int32_t', 'r', bin('>>', cast('int32_t', paren(bin('>>',
        paren(sub(add(mul(cast('int64_t', 'acc'), 'mult'), 'k'), cond(bin('<', 'acc', 0), i64('(INT64_C(1) << 31)'), 0))), 32))), 'sh'),
      'SRDHM, then the rounding divide by 2^(sh + 1)'),
    ] : [
      constDecl('int64_t', 'k', sub(roundK(id('right')), cond(bin('<', 'acc', 0), i64('(INT64_C(1) << 31)'), 0))),
      constDecl('int32_t', 'r', bin('>>', cast('int32_t', paren(bin('>>', paren(add(mul(cast('int64_t', 'acc'), 'mult'), 'k')), 32))), paren(sub('right', 1))),
        'SRDHM, then the rounding divide by 2^right'),
    ]),
  ] : [
    constDecl('int32_t', 'v', cast('int32_t', paren(bin('>>', paren(add(mul(cast('int64_t', 'acc'), 'mult'), { k: 'lit', text: '(INT64_C(1) << 30)' })), 31))),
      'SRDHM: floor((acc * mult + 2^30) / 2^31)'),
    constDecl('int32_t', 'mask', cast('int32_t', paren(sub(paren(bin('<<', { k: 'lit', text: 'UINT32_C(1)' }, 'right')), { k: 'lit', text: '1u' })))),
    constDecl('int32_t', 'r', add(bin('>>', 'v', 'right'), cond(bin('>', bin('&', 'v', 'mask'), add(paren(bin('>>', 'mask', 1)), cond(bin('<', 'v', 0), 1, 0))), 1, 0)),
      'rounding divide by 2^right, ties away from zero'),
  ];
  const body: Stmt[] = [
    ...round,
    decl('int32_t', 't', cast('int32_t', intrinsic('__builtin_arm_ssat', add(cast('int32_t', intrinsic('__builtin_arm_ssat', 'r', 16)), `${N}_OUTPUT_OFFSET`), 8))),
    ...(st.lo > -128 ? [ifThen(bin('<', 't', st.lo), [stmt(assign('t', st.lo))])] : []),
    ...(st.hi < 127 ? [ifThen(bin('>', 't', st.hi), [stmt(assign('t', st.hi))])] : []),
    { k: 'return', e: cast('int8_t', 't') },
  ];
  const fn: Func = {
    name: `${m.name}_requant`, linkage: 'static inline', ret: scalar('int8_t'),
    params: perBlock
      ? [{ type: scalar('int32_t'), name: 'acc' }, { type: scalar('int32_t'), name: 'mult' }, { type: scalar('int64_t'), name: 'k' }, { type: scalar('int'), name: 'sh' }]
      : [{ type: scalar('int32_t'), name: 'acc' }, { type: scalar('int32_t'), name: 'mult' }, { type: scalar('int'), name: 'right' }], body,
  };
  return {
    items: [...tables, { k: 'blank' }, { k: 'func', fn, doc: comment('block',
      `Output stage: TFLite's MultiplyByQuantizedMultiplier (${st.multiplier.every((x) => x === st.multiplier[0]) ? 'one multiplier' : 'multiplier per output channel'}, no left shift, every`,
      'multiplier positive: SRDHM\'s one overflow, INT32_MIN x INT32_MIN, cannot occur), + output offset, clamp to',
      `[${st.lo}, ${st.hi}]. Saturating to 16 bits before the offset changes nothing the clamp would not.`,
      ...(fused ? ['Every right shift is at least 1: SRDHM and the rounding divide are one rounding of the 64-bit product,',
        'floor((acc * mult + 2^30 + 2^(30+right) - [acc < 0] * 2^31) / 2^(31+right)) (where acc < 0 but SRDHM gives 0, so',
        'does this): the high word shifted right by right - 1.'] : [])) }],
    finish: {
      withO,
      setup: (q) => Array.from({ length: q }, (_, qi): Stmt[] => {
        const o = qi ? add('o', qi) : id('o');
        return perBlock
          ? [{ k: 'decls', type: scalar('int32_t', true), vars: [{ name: `m${qi}`, init: mult(o) }, { name: `e${qi}`, init: sub(right(o), 1) }] },
            constDecl('int64_t', `k${qi}`, index('kr', qi))]
          : [{ k: 'decls', type: scalar('int32_t', true), vars: [{ name: `m${qi}`, init: mult(o) }, { name: `e${qi}`, init: right(o) }] }];
      }).flat(),
      call: (a, qi) => (perBlock ? call(`${m.name}_requant`, a, `m${qi}`, `k${qi}`, `e${qi}`) : call(`${m.name}_requant`, a, `m${qi}`, `e${qi}`)),
      ...(perBlock ? { perBlock: {
        decl: { k: 'decl', type: scalar('int64_t'), name: 'kr', dims: ['CHANNELS'], comment: '2^30 + 2^(30 + right) of each channel of the block' } as Stmt,
        fill: [loop('qi', 0, upTo('qi', 'CHANNELS'), 'inc', [stmt(assign(index('kr', 'qi'), roundK(right(add('o', 'qi')))))], { braces: false })],
        param: { type: ptr('int64_t', { const: true, restrict: true }), name: 'kr' }, arg: 'kr',
      } } : {}),
    },
  };
}

/** One block function: `p` pixels of `q` output channels, every kernel row and tap pair unrolled. */
function blockFunc(m: KernelModel, pl: DspRowsPlan, p: number, fin: Finish): Func {
  const withO = fin.withO;
  const { q, pairs, c } = pl;
  const accs = (qi: number, px: number) => `a${qi}_${px}`;
  const body: Stmt[] = [];
  for (let qi = 0; qi < q; qi++) {
    body.push(decl('int32_t', accs(qi, 0), index(`${m.name}_seeds`, qi ? add('o', qi) : 'o')));
    for (let px = 1; px < p; px++) body.push(decl('int32_t', accs(qi, px), accs(qi, 0)));
  }
  for (let ky = 0; ky < m.kH; ky++) {
    const rowStmts: Stmt[] = [];
    const loaded = new Set<number>();
    for (let j = 0; j < pairs; j++) {
      for (let qi = 0; qi < q; qi++) rowStmts.push(constDecl('int32_t', `w${qi}_${j}`, index('wp', (qi * m.kH + ky) * pairs + j)));
      for (let px = 0; px < p; px++) {
        const off = px * m.strideW * c + 2 * j;
        if (!loaded.has(off)) {
          loaded.add(off);
          rowStmts.push({ k: 'load', load: { k: 'word', name: `x${off}`, base: id('x'), at: ex(off) } });
        }
        for (let qi = 0; qi < q; qi++)
          rowStmts.push({ k: 'mac', mac: { form: 'dual', acc: accs(qi, px), repr: 'int32', x: id(`x${off}`), w: id(`w${qi}_${j}`) } });
      }
    }
    body.push({ k: 'block', body: rowStmts, comment: `kernel row ${ky}` });
    if (ky < m.kH - 1) body.push(stmt(assign('x', mul('DILATION_H', 'PLANE_ROW'), '+=')));
  }
  body.push(...fin.setup(q));
  for (let px = 0; px < p; px++)
    for (let qi = 0; qi < q; qi++) {
      const at = px === 0 ? ex(qi) : add(mul(px, `${m.name.toUpperCase()}_OUT_C`), qi);
      body.push(stmt(assign(index('out', at), fin.call(accs(qi, px), qi))));
    }
  return {
    name: `${m.name}_block${p}`, linkage: 'static', ret: scalar('void'),
    params: [
      { type: ptr('int16_t', { const: true, restrict: true }), name: 'x' }, { type: ptr('int32_t', { const: true, restrict: true }), name: 'wp' },
      { type: scalar('int'), name: 'o' }, { type: ptr('int8_t', { restrict: true }), name: 'out' },
      ...(fin.perBlock ? [fin.perBlock.param] : []),
    ],
    body: withO ? body : [unused('o'), ...body],
  };
}

export function lowerDspRows(m: KernelModel, pl: DspRowsPlan, ctx: PlanContext): KernelIR {
  const N = m.name.toUpperCase();
  const acc = ctx.acc;
  const own = ownStage(m, pl, ctx);
  const stage = commonStage(m, acc, true);
  const commonWithO = stageTakesChannel(stage);
  const fin: Finish = own?.finish ?? {
    withO: commonWithO, setup: () => [], call: (a, qi) => call(`${m.name}_finish`, a, ...(commonWithO ? [qi ? add('o', qi) : id('o')] : [])),
  };
  const zp = -m.numeric.inputOffset;
  const planeBytes = pl.bufElems * 2;
  const bands = Math.ceil(m.outH / pl.bandRows);
  const fullBlocks = Math.floor(m.outW / pl.p);
  const i16 = ptr('int16_t');

  const banner = comment('block',
    bannerHead(m, 'optimized variant (dsp-rows family, int8 HWC) for ARMv7E-M / ARMv8-M Mainline with the DSP extension'),
    `A group of ${pl.c} input channel(s) cannot pair channels for SMLAD, so taps pair along the kernel row: each group's`,
    `input rows are widened once into an int16 plane on the stack (${planeBytes} B, budget ${PLANE_BUDGET}; ${bands === 1 ? 'the whole image'
      : `${bands} bands of ${pl.bandRows} output rows`}), HWC within the group, padding = the input zero point ${zp}.`,
    `One kernel row of one output is KERNEL_W x IN_PER_GROUP = ${pl.rowTaps} consecutive int16: ${pl.pairs} word(s) of two taps${pl.rowTaps % 2
      ? ' (the last word\'s high tap has weight 0)' : ''}, one __smlad each.`,
    `Blocks of ${pl.q} output channel(s) x ${pl.p} pixel(s)${pl.rem ? ` (the row's last ${pl.rem} pixel(s): a block of ${pl.rem})` : ''}; words two`,
    'pixels share are loaded once. Seeds: bias + input offset x the channel\'s weight sum, so the plane holds raw inputs.',
    'Weights: the raw bytes in flash, [o][ky][kx][ci]; the block\'s channels are packed into int16 pairs on the stack.',
    'Output stage: TFLite\'s MultiplyByQuantizedMultiplier per output channel.');

  const packFn: Func = {
    name: `${m.name}_pack`, linkage: 'static', ret: scalar('void'),
    params: [{ type: ptr('int8_t', { const: true, restrict: true }), name: 'w' }, { type: ptr('int32_t', { restrict: true }), name: 'wp' }],
    body: [
      loop('r', 0, upTo('r', mul('CHANNELS', 'KERNEL_H')), 'inc', [
        loop('j', 0, upTo('j', 'PAIRS'), 'inc', [
          constDecl('int32_t', 'lo', index('w', mul(2, 'j'))),
          constDecl('int32_t', 'hi', cond(bin('<', add(mul(2, 'j'), 1), 'ROW_TAPS'), index('w', add(mul(2, 'j'), 1)), 0)),
          stmt(assign({ k: 'deref', e: postinc('wp') }, add(mul('hi', 65536), paren(bin('&', 'lo', { k: 'lit', text: '0xffff' })))),
            'exact: hi * 2^16 + (lo mod 2^16) lies in int32'),
        ]),
      ], { also: [assign('w', 'ROW_TAPS', '+=')] }),
    ],
  };

  // a short row is copied with constant offsets (two instructions an element instead of a loop's five)
  const unrollRow = m.inW * pl.c <= UNROLL_ROW;
  const rowsFn: Func = {
    name: `${m.name}_rows`, linkage: 'static', ret: scalar('void'),
    params: [{ type: ptr('int8_t', { const: true, restrict: true }), name: 'input' }, { type: ptr('int16_t', { restrict: true }), name: 'plane' },
      { type: scalar('int'), name: 'c0' }, { type: scalar('int'), name: 'iy0' }],
    body: [
      loop('r', 0, upTo('r', 'BAND_IN_ROWS'), 'inc', [
        constDecl('int', 'iy', add('iy0', 'r')),
        decl(i16, 'dst', add(add('plane', mul('r', 'PLANE_ROW')), mul('PAD_LEFT', 'IN_PER_GROUP'))),
        ifThen(bin('||', bin('<', 'iy', 0), bin('>=', 'iy', `${N}_IN_H`)), [
          loop('i', 0, upTo('i', mul(`${N}_IN_W`, 'IN_PER_GROUP')), 'inc', [stmt(assign(index('dst', 'i'), 'ZERO_POINT'))], { braces: false }),
          { k: 'continue' },
        ]),
        decl(ptr('int8_t', { const: true }), 'src', add(add('input', mul(mul('iy', `${N}_IN_W`), `${N}_IN_C`)), 'c0')),
        ...(unrollRow
          ? Array.from({ length: m.inW * pl.c }, (_, i) => stmt(assign(index('dst', i), index('src', add(mul(Math.floor(i / pl.c), `${N}_IN_C`), i % pl.c)))))
          : [loop('ix', 0, upTo('ix', `${N}_IN_W`), 'inc', pl.c === 1
            ? [stmt(assign({ k: 'deref', e: id('dst') }, { k: 'deref', e: id('src') }))]
            : Array.from({ length: pl.c }, (_, ci) => stmt(assign(index('dst', ci), index('src', ci)))),
          { also: [assign('src', `${N}_IN_C`, '+='), assign('dst', 'IN_PER_GROUP', '+=')], braces: pl.c !== 1 })]),
      ]),
    ],
  };
  const blockArgs = fin.perBlock ? [fin.perBlock.arg] : [];
  const run: Func = runFunc(m, [
    { k: 'comment', text: comment('line', `${planeBytes} bytes of stack: the plane rows of one band of one group.`) },
    { k: 'decl', type: scalar('int16_t'), name: 'plane', dims: ['PLANE_ELEMS'] },
    { k: 'decl', type: scalar('int32_t'), name: 'wp', dims: [pl.q * m.kH * pl.pairs] },
    ...(fin.perBlock ? [fin.perBlock.decl] : []),
    { k: 'comment', text: comment('line', 'Padding columns (and the slack after the last row) keep the zero point: rows only write the input columns.') },
    loop('i', 0, upTo('i', 'PLANE_ELEMS'), 'inc', [stmt(assign(index('plane', 'i'), 'ZERO_POINT'))], { braces: false }),
    loop('g', 0, upTo('g', 'GROUPS'), 'inc', [
      loop('oy0', 0, upTo('oy0', `${N}_OUT_H`), 'BAND_ROWS', [
        stmt(call(`${m.name}_rows`, 'input', 'plane', mul('g', 'IN_PER_GROUP'), sub(mul('oy0', 'STRIDE_H'), 'PAD_TOP'))),
        constDecl('int', 'rows', cond(bin('<', sub(`${N}_OUT_H`, 'oy0'), 'BAND_ROWS'), sub(`${N}_OUT_H`, 'oy0'), 'BAND_ROWS')),
        loop('ob', 0, upTo('ob', 'OUT_PER_GROUP'), 'CHANNELS', [
          constDecl('int', 'o', add(mul('g', 'OUT_PER_GROUP'), 'ob')),
          stmt(call(`${m.name}_pack`, add(`${m.name}_weights`, mul('o', 'CHANNEL_TAPS')), 'wp')),
          ...(fin.perBlock ? fin.perBlock.fill : []),
          loop('r', 0, upTo('r', 'rows'), 'inc', [
            decl(ptr('int16_t', { const: true }), 'x', add('plane', mul(mul('r', 'STRIDE_H'), 'PLANE_ROW'))),
            decl(ptr('int8_t'), 'out', add(add('output', mul(mul(paren(add('oy0', 'r')), `${N}_OUT_W`), `${N}_OUT_C`)), 'o')),
            ...(fullBlocks > 0 ? [loop('b', 0, upTo('b', fullBlocks), 'inc', [stmt(call(`${m.name}_block${pl.p}`, 'x', 'wp', 'o', 'out', ...blockArgs))],
              { also: [assign('x', mul(mul(pl.p, 'STRIDE_W'), 'IN_PER_GROUP'), '+='), assign('out', mul(pl.p, `${N}_OUT_C`), '+=')], braces: false })] : []),
            ...(pl.rem ? [stmt(call(`${m.name}_block${pl.rem}`, 'x', 'wp', 'o', 'out', ...blockArgs))] : []),
          ]),
        ]),
      ]),
    ]),
  ]);

  const items: Item[] = [
    { k: 'blank' },
    ...shapeDefines(m),
    define('ZERO_POINT', zp < 0 ? `(${zp})` : zp),
    define('PLANE_W', pl.planeW), define('PLANE_ROW', `(PLANE_W * IN_PER_GROUP)`), define('BAND_ROWS', pl.bandRows),
    define('BAND_IN_ROWS', pl.bandInRows), define('PLANE_ELEMS', pl.bufElems),
    define('ROW_TAPS', pl.rowTaps), define('PAIRS', pl.pairs), define('PAIR_WORDS', '(KERNEL_H * PAIRS)'),
    define('CHANNELS', pl.q), define('CHANNEL_TAPS', '(KERNEL_H * ROW_TAPS)'),
    { k: 'blank' },
    { k: 'table', doc: comment('line', `Weights: ${numericDocs(m).weightDoc}; [o][ky][kx][ci] (a kernel row's taps in plane order).`),
      table: { name: `${m.name}_weights`, elem: 'int8_t', dims: [pl.weights.length], body: { k: 'flat', lines: cArrayRows(pl.weights, 16) } } },
    { k: 'blank' },
    { k: 'table', doc: comment('line', 'Seeds: bias + input offset x the channel\'s weight sum (the plane holds raw inputs, padding the zero point).'),
      table: { name: `${m.name}_seeds`, elem: 'int32_t', dims: [`${N}_OUT_C`], body: { k: 'flat', lines: cArrayRows(pl.seeds.map((s) => cInt(s, 'int32_t')), 8) } } },
    { k: 'blank' },
    ...(own ? own.items.slice(1) : [{ k: 'stage', stage } as Item]),
    { k: 'blank' },
    { k: 'helper', helper: { k: 'word-load', prefix: m.name, elem: 'int16_t', aligned: false },
      doc: comment('line', 'Two int16 taps of the plane as one word (an odd element offset is an unaligned LDR, allowed on these cores).') },
    { k: 'blank' },
    { k: 'func', doc: comment('line', 'Input rows iy0 .. iy0 + BAND_IN_ROWS - 1, channels c0 .. c0 + IN_PER_GROUP - 1, into the plane\'s input columns.'), fn: rowsFn },
    { k: 'blank' },
    { k: 'func', doc: comment('line', 'CHANNELS output channels\' weights (plane order) as int16 pairs, low = the first tap; an odd row\'s last high tap is 0.'), fn: packFn },
  ];
  for (const p of [pl.p, ...(pl.rem ? [pl.rem] : [])].filter((p, i) => i === 0 ? fullBlocks > 0 : true))
    items.push({ k: 'blank' }, {
      k: 'func', doc: comment('line', `${pl.q} output channel(s) from o at ${p} pixel(s): x is the first pixel's window at kernel row 0, out its first output.`),
      fn: blockFunc(m, pl, p, fin),
    });
  items.push({ k: 'blank' }, { k: 'func', fn: run });
  return {
    name: m.name, NAME: N, entry: `${m.name}_run`, banner, items,
    memory: { weightBytes: pl.weights.length, staticBytes: 0, staticDoc: '', scratchBytes: 0, biasBytes: m.outC * 4 },
    isaName: 'ARMv7E-M',
  };
}
