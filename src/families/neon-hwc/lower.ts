/**
 * The neon-hwc family's plan as IR: shape macros, the weight, seed and requantization tables in lane order, the
 * vector requantization (int8) or the common finish (q7/q15), the weight loads, the input-line conversion, the block
 * function (lower-block.ts) and the entry that keeps a ring of converted input lines per channel slice.
 */
import type { KernelModel } from '../../ops/conv_2d/spec/index.ts';
import { cArrayRows, cInt } from '../../codegen/clit.ts';
import {
  add, addr, assign, bin, block, call, cond, decl, ifThen, index, loop, mul, paren, postinc, ptr, ret, scalar, sizeOf, stmt, sub,
  upTo, cast,
} from '../../ir/expr.ts';
import type { CScalar, Item, KernelIR, Stmt } from '../../ir/kernel-ir.ts';
import { channelQuantity, commonStage, narrowestType } from '../../ir/output-stage.ts';
import type { PlanContext } from '../family.ts';
import { bannerHead, comment, define, numericDocs, shapeDefines } from '../shared.ts';
import { runFunc } from '../reference/lower.ts';
import { array, blockFunction, v, vars, vec } from './lower-block.ts';
import {
  HALF_LANES, HWC_CODE_BUDGET, HWC_LANES, HWC_SLAB_BUDGET, hwcLinePixels, hwcSlabBytes, hwcSlots, slabElems, sliceChannels, type HwcPlan,
} from './plan.ts';

/**
 * A requantization quantity in lane order: one value for every lane (per-tensor quantization: no table), or a table
 * of int32 lanes, or of int16 lanes widened after the load where every value fits (shifts: half the flash).
 */
export type LaneQuantity = { k: 'const'; value: number } | { k: 'table'; name: string; elem: 'int32_t' | 'int16_t'; lines: string[] };

function laneQuantity(values: number[], name: string, perLine: number): LaneQuantity {
  const q = channelQuantity(values, name, perLine);
  if (q.k === 'const') return q;
  return { k: 'table', name, elem: ['uint8_t', 'int8_t', 'int16_t'].includes(narrowestType(values)) ? 'int16_t' : 'int32_t', lines: q.lines };
}

export interface LaneRequantization {
  mult: LaneQuantity;
  left: LaneQuantity;
  negright: LaneQuantity;
}

/** TFLite's requantization on 4 lanes and the offset/clamp/narrow of 8 (int8 only). */
function rqItems(m: KernelModel, q: LaneRequantization, rq: { lo: number; hi: number; outputOffset: number }): Item[] {
  const N = m.name.toUpperCase();
  const tables = [q.mult, q.left, q.negright].flatMap((t): Item[] => (t.k === 'table'
    ? [{ k: 'table', table: { name: t.name, elem: t.elem, dims: [`${N}_OUT_C`], body: { k: 'flat', lines: t.lines } } }] : []));
  const i32x4 = vec('int32x4_t');
  return [
    { k: 'blank' },
    { k: 'comment', text: comment('line', 'Per lane, in the seeds\' order: multiplier, left shift, minus the right shift (a table where channels differ).') },
    ...tables,
    { k: 'blank' },
    { k: 'func', doc: comment('block',
      'TFLite\'s MultiplyByQuantizedMultiplier on 4 lanes, exactly: acc * 2^left saturating (vqshl), SRDHM (vqrdmulh:',
      'the same rounding as gemmlowp\'s nudge, INT32_MIN * INT32_MIN saturating), then RoundingDivideByPOT: x - 1 where',
      'x < 0 and the shift is non-zero (saturating), then a rounding shift right (vrshl by -right).'),
    fn: { name: `${m.name}_rq`, linkage: 'static inline', ret: i32x4, params: ['acc', 'left', 'mult', 'negright'].map((name) => ({ type: i32x4, name })),
      body: [
        decl(i32x4, 'x', v('vqrdmulhq_s32', v('vqshlq_s32', 'acc', 'left'), 'mult')),
        stmt(assign('x', v('vqaddq_s32', 'x', v('vshrq_n_s32', v('vandq_s32', 'x', 'negright'), 31)))),
        ret(v('vrshlq_s32', 'x', 'negright')),
      ] } },
    { k: 'blank' },
    { k: 'func', doc: comment('line', '+ output offset (saturating: any value it clips lies beyond the clamp anyway), clamp, narrow to 8 lanes.'),
      fn: { name: `${m.name}_out8`, linkage: 'static inline', ret: vec('int8x8_t'), params: ['lo', 'hi'].map((name) => ({ type: i32x4, name })),
        body: [
          vars(vec('int32x4_t', true), [['off', v('vdupq_n_s32', rq.outputOffset)], ['mn', v('vdupq_n_s32', rq.lo)], ['mx', v('vdupq_n_s32', rq.hi)]]),
          ...['lo', 'hi'].map((h) => stmt(assign(h, v('vminq_s32', v('vmaxq_s32', v('vqaddq_s32', h, 'off'), 'mn'), 'mx')))),
          ret(v('vmovn_s16', v('vcombine_s16', v('vmovn_s32', 'lo'), v('vmovn_s32', 'hi')))),
        ] } },
  ];
}

export function lowerHwc(m: KernelModel, p: HwcPlan, ctx: PlanContext): KernelIR {
  const N = m.name.toUpperCase();
  const nf = m.numeric;
  const acc = ctx.acc;
  const cType = nf.storage.cType as CScalar;
  const dense = p.kind === 'dense';
  const { sc, scp } = sliceChannels(m);
  const P = p.pixels;
  const taps = m.kH * m.kW;
  const wide = acc.accType === 'int64_t';
  const int8 = nf.kind === 'int8';
  const rq = int8 && acc.stage.kind === 'requantize' ? acc.stage : null;
  const half = p.lanes === HALF_LANES;
  const laneStride = dense ? 1 : m.outPerGroup;
  const weightType: CScalar = p.speed ? 'int16_t' : cType;
  const widen8 = nf.storage.bits === 8 && !p.speed;
  const blocks = dense ? Math.ceil(m.outPerGroup / p.lanes) : Math.ceil(m.groups / p.lanes);
  const slabBytes = hwcSlabBytes(m);
  const seedValues = p.order.map((o) => (m.bias ? m.bias[o] : 0n) * (1n << BigInt(nf.biasShift)));
  const seeds = seedValues.map((x) => cInt(x, acc.accType));
  // 32-bit lanes: int16 seeds where every one fits (widened after the load); 64-bit lanes keep int64 (vld1q_s64).
  const seedElem = !wide && ['uint8_t', 'int8_t', 'int16_t'].includes(narrowestType(seedValues)) ? 'int16_t' : 'int32_t';
  const laneRq: LaneRequantization | null = rq && {
    mult: laneQuantity(p.order.map((o) => rq.multiplier[o]), `${m.name}_rq_mult`, 8),
    left: laneQuantity(p.order.map((o) => rq.left[o]), `${m.name}_rq_left`, 16),
    negright: laneQuantity(p.order.map((o) => -rq.right[o]), `${m.name}_rq_negright`, 16),
  };

  const banner = comment('block',
    bannerHead(m, 'optimized variant (NEON family, HWC) for ARMv7-A'),
    `Vectorized along channels: ${dense
      ? `${p.lanes} output channels of a group per vector, ${P} pixel(s) per block; inputs broadcast from a lane (vmlal_lane_s16)`
      : `${HWC_LANES} channels (groups) per vector, ${P} pixel(s) per block; element-wise vmlal_s16`}.`,
    `Accumulation: ${wide ? 'int64x2 lanes: each int16 x int16 product is exact in int32 (vmull) and is widened into them (vaddw_s32)'
      : 'int32x4 lanes (vmlal): the proved bound fits int32'}.`,
    `Inputs: per output row, the valid input rows are converted once into a ring of ${hwcSlots(m)} int16 line(s) on the`,
    `stack (${slabBytes} B, budget ${HWC_SLAB_BUDGET})${int8 ? ' holding x + input offset' : ''}; padded pixels and channels hold 0,`,
    'so padded taps contribute nothing. Padded kernel rows are skipped. Pixel and channel tails: the last block',
    'overlaps the previous one (outputs are recomputed, not accumulated twice).',
    `Weights: ${dense ? 'per group [ky][kx][in/groups][out in group]' : 'per multiplier index [ky][kx][group]'}, ${p.speed
      ? `pre-widened to int16 (optimize: speed, ${p.weights.length * 2} bytes instead of ${p.weights.length})` : `stored as ${cType} (the raw byte count)`}.`,
    `Output stage: ${int8 ? 'vectorized exactly: vqshl (saturating left shift), vqrdmulh (= SRDHM), rounding divide (x - 1 for x < 0, vrshl), + offset, clamp'
      : 'the common scalar finish, per lane'}.`,
    `Code: about ${p.codeBytes} bytes estimated (budget ${HWC_CODE_BUDGET}).`);

  const weightLoad: Item = half
    ? { k: 'func', doc: comment('line', `4 weights as int16${widen8 ? ': one 32-bit load (memcpy: no alignment assumed, nothing read past the 4)' : ''}.`),
      fn: { name: `${m.name}_w4`, linkage: 'static inline', ret: vec('int16x4_t'), params: [{ type: ptr(weightType, { const: true }), name: 'p' }],
        body: widen8
          ? [decl('int32_t', 'four'), stmt(call('memcpy', addr({ k: 'id', name: 'four' }), 'p', sizeOf('four'))),
            ret(v('vget_low_s16', v('vmovl_s8', v('vreinterpret_s8_s32', v('vdup_n_s32', 'four')))))]
          : [ret(v('vld1_s16', 'p'))] } }
    : { k: 'func', doc: comment('line', '8 weights as int16.'),
      fn: { name: `${m.name}_w8`, linkage: 'static inline', ret: vec('int16x8_t'), params: [{ type: ptr(weightType, { const: true }), name: 'p' }],
        body: [ret(widen8 ? v('vmovl_s8', v('vld1_s8', 'p')) : v('vld1q_s16', 'p'))] } };

  // One input pixel's slice as int16 (+ the input offset for int8): 8 channels a vector where the slice is whole vectors.
  const convert: Stmt = sc % 8 === 0
    ? loop('c', 0, upTo('c', 'SLICE_C'), 8, [stmt(v('vst1q_s16', add('dst', 'c'), nf.storage.bits === 8
      ? (int8 ? v('vaddq_s16', v('vmovl_s8', v('vld1_s8', add('src', 'c'))), v('vdupq_n_s16', `${N}_INPUT_OFFSET`)) : v('vmovl_s8', v('vld1_s8', add('src', 'c'))))
      : v('vld1q_s16', add('src', 'c'))))], { braces: false })
    : loop('c', 0, upTo('c', 'SLICE_C'), 'inc', [stmt(assign(index('dst', 'c'),
      cast('int16_t', paren(int8 ? add(index('src', 'c'), `${N}_INPUT_OFFSET`) : index('src', 'c')))))], { braces: false });
  const line: Item = {
    k: 'func', doc: comment('block', 'Input row iy, channels c0 .. c0 + SLICE_C - 1, into a line: after PAD_LEFT zero pixels, SLICE_CP int16 per pixel.',
      'The padding positions are never written: they keep the zeros the slice started with.'),
    fn: {
      name: `${m.name}_line`, linkage: 'static', ret: scalar('void'),
      params: [{ type: ptr(cType, { const: true, restrict: true }), name: 'in' }, { type: ptr('int16_t', { restrict: true }), name: 'dst' },
        { type: scalar('int'), name: 'iy' }, { type: scalar('int'), name: 'c0' }],
      body: [
        decl(ptr(cType, { const: true }), 'src', add(add('in', mul(mul('iy', `${N}_IN_W`), `${N}_IN_C`)), 'c0')),
        stmt(assign('dst', mul('PAD_LEFT', 'SLICE_CP'), '+=')),
        loop('ix', 0, upTo('ix', `${N}_IN_W`), 'inc', [convert], { also: [assign('src', `${N}_IN_C`, '+='), assign('dst', 'SLICE_CP', '+=')] }),
      ],
    },
  };

  const weights = `${m.name}_weights`;
  const blockCall = dense
    ? loop('b', 0, upTo('b', 'OUT_BLOCKS'), 'inc', [
      decl(scalar('int', true), 'o', cond(bin('<', 'b', sub('OUT_BLOCKS', 1)), mul(p.lanes, 'b'), sub('OUT_PER_GROUP', p.lanes))),
      stmt(call(`${m.name}_block`, 'rows', 'n', add(add(add(weights, mul('s', 'GROUP_WEIGHTS')), mul('ky_lo', 'ROW_WEIGHTS')), 'o'),
        add(mul('s', 'OUT_PER_GROUP'), 'o'), add(add('orow', mul('s', 'OUT_PER_GROUP')), 'o'))),
    ])
    : loop('k', 0, upTo('k', 'OUT_BLOCKS'), 'inc', [
      stmt(call(`${m.name}_block`, 'rows', 'n', add(add(add(weights, mul('k', 'MULT_WEIGHTS')), mul('ky_lo', 'ROW_WEIGHTS')), 'c0'),
        add(mul('k', 'GROUPS'), 'c0'), add(add('orow', mul('c0', 'OUT_PER_GROUP')), 'k'))),
    ], { braces: false });
  const run: Item = {
    k: 'func',
    fn: runFunc(m, [
      { k: 'comment', text: comment('line', `${slabBytes} bytes of stack (budget ${HWC_SLAB_BUDGET}): SLOTS lines of the current channel slice.`) },
      array('int16_t', 'slab', 'SLAB_ELEMS'),
      { k: 'decl', type: ptr('int16_t', { const: true }), name: 'rows', dims: ['KERNEL_H'] },
      loop('s', 0, upTo('s', 'SLICES'), 'inc', [
        dense ? decl(scalar('int', true), 'c0', mul('s', 'IN_PER_GROUP'), 'slice = group s')
          : decl(scalar('int', true), 'c0', cond(bin('<', 's', sub('SLICES', 1)), mul(p.lanes, 's'), sub('GROUPS', p.lanes)),
            `${p.lanes} groups, the last slice overlapping`),
        loop('i', 0, upTo('i', 'SLAB_ELEMS'), 8, [stmt(v('vst1q_s16', add('slab', 'i'), v('vdupq_n_s16', 0)))], { braces: false }),
        { k: 'comment', text: comment('line', 'The input row each slot holds: one output row\'s rows span at most SLOTS, so they never share a slot.') },
        array('int', 'held', 'SLOTS'),
        loop('i', 0, upTo('i', 'SLOTS'), 'inc', [stmt(assign(index('held', 'i'), -1))], { braces: false }),
        loop('oy', 0, upTo('oy', `${N}_OUT_H`), 'inc', [
          vars(scalar('int'), [['n', { k: 'int', v: 0 }], ['ky_lo', { k: 'int', v: 0 }]]),
          loop('r', 0, upTo('r', 'KERNEL_H'), 'inc', [
            decl(scalar('int', true), 'iy', add(sub(mul('oy', 'STRIDE_H'), 'PAD_TOP'), mul('r', 'DILATION_H'))),
            ifThen(bin('||', bin('<', 'iy', 0), bin('>=', 'iy', `${N}_IN_H`)), [{ k: 'continue' }], { braces: false }),
            decl(scalar('int', true), 'slot', bin('%', 'iy', 'SLOTS')),
            decl(ptr('int16_t'), 'line', add('slab', mul('slot', 'LINE_ELEMS'))),
            ifThen(bin('==', 'n', 0), [stmt(assign('ky_lo', 'r'))], { braces: false }),
            ifThen(bin('!=', index('held', 'slot'), 'iy'), [
              stmt(call(`${m.name}_line`, 'input', 'line', 'iy', 'c0')), stmt(assign(index('held', 'slot'), 'iy')),
            ]),
            stmt(assign(index('rows', postinc('n')), 'line')),
          ]),
          decl(ptr(cType), 'orow', add('output', mul(mul('oy', `${N}_OUT_W`), `${N}_OUT_C`))),
          blockCall,
        ]),
      ]),
    ]),
  };

  const items: Item[] = [
    { k: 'blank' },
    ...shapeDefines(m),
    define('SLICE_C', sc), define('SLICE_CP', scp), define('SLOTS', hwcSlots(m)), define('LINE_ELEMS', hwcLinePixels(m) * scp),
    define('SLAB_ELEMS', slabElems(m)), define('SLICES', dense ? m.groups : blocks), define('OUT_BLOCKS', dense ? blocks : m.outPerGroup),
    define('PIXELS', P), define('PIX_BLOCKS', Math.ceil(m.outW / P)), define('PIX_LAST', m.outW - P),
    define('CI_CHUNKS', Math.floor(m.inPerGroup / 4)), define('GROUP_WEIGHTS', dense ? taps * m.inPerGroup * m.outPerGroup : 0),
    define('ROW_WEIGHTS', dense ? m.kW * m.inPerGroup * m.outPerGroup : m.kW * m.groups), define('MULT_WEIGHTS', taps * m.groups),
    { k: 'blank' },
    { k: 'table', doc: comment('line', `Weights: ${numericDocs(m).weightDoc}; ${dense ? 'per group [ky][kx][in/groups][out in group]' : 'per multiplier index [ky][kx][group]'}.`),
      table: { name: weights, elem: weightType, dims: [p.weights.length], body: { k: 'flat', lines: cArrayRows(p.weights, 16) } } },
    { k: 'blank' },
    { k: 'table', doc: comment('line', `Accumulator seeds in lane order (${dense ? 'output channel' : '[multiplier index][group]'}): the bias aligned to the product's fraction bits.`),
      table: { name: `${m.name}_seeds`, elem: wide ? acc.accType : seedElem, dims: [`${N}_OUT_C`], body: { k: 'flat', lines: cArrayRows(seeds, 8) } } },
    ...(rq && laneRq ? rqItems(m, laneRq, rq) : [{ k: 'blank' } as Item, { k: 'stage', stage: commonStage(m, acc, false) } as Item]),
    { k: 'blank' }, weightLoad,
    { k: 'blank' }, line,
    { k: 'blank' },
    { k: 'func', doc: comment('block', 'One block of 8 lanes at every pixel block of an output row. rows: the valid input lines, nrows of them;',
      'w0: the block\'s weights at the first valid kernel row; lb: the lanes\' index in the lane-ordered tables;',
      `out: the block's first output of the row (${laneStride === 1 ? 'lanes adjacent' : `lanes ${laneStride} apart`}).`),
    fn: blockFunction(m, p, { wide, half, seedElem, rq: laneRq, weightType, cType, laneStride,
      pixOffsets: Array.from({ length: P }, (_, i) => i * m.strideW * scp) }) },
    { k: 'blank' }, run,
  ];
  return {
    name: m.name, NAME: N, entry: `${m.name}_run`, banner, items,
    memory: { weightBytes: p.weights.length * (p.speed ? 2 : nf.storage.bits / 8), staticBytes: 0, staticDoc: '', scratchBytes: 0 },
    isaName: 'ARMv7-A',
  };
}
