/** View model of the `optimized` variant: the plan of optimized.ts, spelled for templates/optimized/kernel.c.hbs. */
import type { KernelModel } from '../spec/index.ts';
import { isaStateNames, type IsaFeatures } from '../targets/index.ts';
import { ACC_LIMIT as LIMIT, type AccumulatorPlan } from './accumulator.ts';
import { cArrayRows, cInt } from './clit.ts';
import { qFinish, qFinishGains, qFinishView, type QFinish } from './qfinish.ts';
import { anchorsInput, LANE2_SHIFT, planOptimized, rowContiguousWeights, unitOf, weightSlots, type Def8, type Halves, type MacForm, STAGE_BYTES, stagingFor } from './optimized.ts';

/**
 * Bytes an immediate offset reaches in the loads the single form uses for 8/16-bit data (LDRSB/LDRSH; 32-bit data
 * uses LDR): A32's are 8-bit (±255), Thumb-2's 12-bit. Rows of the unrolled interior further away than this load
 * through a row pointer of their own, so the compiler does not add an address per load.
 */
const loadReach: Record<IsaFeatures['state'], (bits: number) => number> = {
  a32: (bits) => (bits === 32 ? 4095 : 255),
  thumb2: () => 4095,
  thumb1: () => Infinity,
  host: () => Infinity,
};

/**
 * The MAC forms whose 64-bit accumulators are kept as two 32-bit variables (inline SMLAL/SMLALxy/SMLALD on lo, hi)
 * rather than an int64_t, per instruction-set state. Set from measurement (GCC 12): on A32 it keeps int64 values in
 * even register pairs and spills them (taps, halves); on Thumb-2 the dual form's SMLALD accumulators cost two
 * moves per kernel row and pixel (HWC q15 3x3 16->16 on cortex-m4 1.82 -> 1.52 (i+ld+st)/MAC, bench e q15 4.42 M ->
 * 4.14 M instructions, cortex-m7 5.22 M -> 4.14 M; the taps form measured slower as halves there). The single form
 * only in depthwise-like kernels (one input channel per group): see splitPlain.
 */
const splitLong: Record<IsaFeatures['state'], readonly MacForm[]> = { a32: ['taps', 'halves', 'single'], thumb2: ['dual'], thumb1: [], host: [] };
/**
 * Why GCC's early scheduling (-fschedule-insns) is turned off for the file, or null: where measured, it hoisted a
 * block's loads ahead of its multiply-accumulates and spilled. Depthwise-like kernels (one input channel per group,
 * so no channel loop) with 64-bit accumulators: bench d q15 4.98 -> 3.71 instructions/MAC on arm920t, 4.38 -> 4.31
 * on arm926ej-s, 2.91 -> 2.89 on cortex-m3; with 32-bit accumulators (q7, int8) slower on arm926ej-s, so not there.
 */
function noScheduleReason(form: MacForm, split: boolean, depthwiseLong: boolean): string | null {
  if (split) return "GCC's early scheduling would hoist every input load of a loop ahead of its MACs and spill the split accumulators.";
  if (form === 'lane2' || form === 'lane2w' || form === 'taps8') return "GCC's early scheduling would hoist every weight load of a loop ahead of its MACs and spill them.";
  if ((form === 'single' || form === 'dwpair') && depthwiseLong)
    return "One input channel per group and 64-bit accumulators: with no channel loop GCC's early scheduling would hoist every load of a block ahead of its multiplies and spill the accumulators.";
  return null;
}

/**
 * Registers split accumulators may be pinned to: callee-saved only. GCC does not protect a local register variable
 * from code between its uses that clobbers the register, so a call there (a helper not inlined at -O0, memcpy under
 * -fno-builtin) would overwrite an r0-r3 or r12 accumulator silently (measured: pinned to r0..r7, arm926ej-s kernels
 * failed bit-exactness at -O0 and with -fno-builtin; test/qemu/flags.test.ts). r11 is A32's frame pointer at -O0.
 */
const PIN_REGISTERS = ['r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10'];
/** At most this many accumulator registers in a function for pinning (more leave too few for the rest). */
const PIN_MAX_ACC_REGISTERS = 8;
/**
 * The states where pinning was measured to pay: on Thumb-2 the dual form measured slower pinned (cortex-m4 bench a
 * q15 2.76 M -> 2.81 M instructions, f 0.80 M -> 0.93 M).
 */
const pinSplit: Record<IsaFeatures['state'], boolean> = { a32: true, thumb2: false, thumb1: false, host: false };

/** The instruction of a split accumulator's MAC where the form multiplies whole operands (no halves chosen). */
const plainSplitOp: Partial<Record<MacForm, string>> = { single: 'smlal', dual: 'smlald' };


/** taps8's value kinds as template flags; a pack's second element sits two further. */
function def8View(d: Def8 | undefined, offset: number) {
  if (!d) return {};
  return { word8: d.kind === 'word', byte8: d.kind === 'byte', pack8: d.kind === 'pack', even: d.even, odd: d.odd, offset2: offset + 2 };
}

export interface OptimizedViewContext {
  /** The output stage takes the channel index (per-channel requantization tables). */
  finishNeedsO: boolean;
  /** 'speed' may grow weight flash beyond the raw weight bytes (widened quad weights); 'default' may not. */
  optimize?: 'default' | 'speed';
}

const macFormDocs = {
  single: 'one multiply-accumulate per input value',
  dual: 'q15 pairs of input channels through SMLAD/SMLALD (packed int16 weight pairs, the raw weight bytes)',
  quad: 'four 8-bit input channels per word: SXTB16 unpacks channel pairs (0,2) and (1,3), two SMLADs per four MACs',
  taps8: '8-bit adjacent inputs as one word, SXTB16 lanes (x[e], x[e+2]) x weight lanes (w[c], w[c+2]) through SMLAD, SMLAxy for the rest',
  taps: 'q15 pairs of adjacent kernel columns through SMLALD/SMLAD (words of two inputs x words of two weights), SMLALxy for the rest',
  halves: 'q15 weights of two output channels per aligned word, SMLALxy/SMLAxy pick the half (no load per weight)',
  lane2: 'two 8-bit pixels packed in bit lanes of one register (x0 + x1*2^23), one SMLAL per two MACs in the interior',
  lane2w: 'two output channels\' 8-bit weights packed in bit lanes of one word (w0 + w1*2^23), one SMLAL per two MACs everywhere',
  dwpair: 'q15 depthwise: the interior loads inputs and weights as aligned words of two, SMLALxy/SMLAxy pick the halves',
} as const;

/** Interior seeds with the input offset folded in (bias + offset x Σw), if the accumulator bound still holds. */
export function foldedSeeds(m: KernelModel, accType: AccumulatorPlan['accType']): bigint[] | null {
  const offset = m.numeric.inputOffset;
  if (offset === 0) return null;
  const per = m.inPerGroup * m.kH * m.kW;
  const seeds: bigint[] = [];
  for (let o = 0; o < m.outC; o++) {
    let sum = 0;
    let sumAbs = 0;
    for (let t = o * per; t < (o + 1) * per; t++) {
      sum += m.weights[t];
      sumAbs += Math.abs(m.weights[t]);
    }
    const bias = m.bias ? m.bias[o] : 0n;
    const bound = (bias < 0n ? -bias : bias) + BigInt(Math.abs(offset) + 2 ** (m.numeric.storage.bits - 1)) * BigInt(sumAbs);
    if (bound > LIMIT[accType]) return null;
    seeds.push(bias + BigInt(offset) * BigInt(sum));
  }
  return seeds;
}

/**
 * dwpair (ARMv5TE: no SSAT): the output stage stores the clamped value's bits, its bounds as immediates, where the
 * shifted accumulator fits int32 and the clamp is the storage type's whole range (no activation). Measured on bench
 * d q15 (arm926ej-s): the two bounds held in registers made GCC spill and reload them per pixel block.
 */
function storeBits(form: MacForm, qf: QFinish | null, st: { bits: number; cType: string }, isa: IsaFeatures) {
  const half = 1n << BigInt(st.bits - 1);
  if (form !== 'dwpair' || !qf || !qf.narrow || isa.saturate || st.bits !== 16 || qf.lo !== -half || qf.hi !== half - 1n) return null;
  return { bits: st.bits, shift: qf.shift, lo: cInt(qf.lo, 'int32_t'), hi: cInt(qf.hi, 'int32_t'), uType: 'uint16_t',
    loBits: half.toString(16).toUpperCase(), hiWord: ((~Number(half)) >>> 0).toString(16).toUpperCase() };
}

/** Plans per model object: the family table asks whether the plan fits before the view builds on the same plan. */
const planned = new WeakMap<KernelModel, Map<string, { staging: ReturnType<typeof stagingFor>; opt: ReturnType<typeof planOptimized> }>>();

/** The blocked plan of `m` for a goal (staged or not), computed once per model, ISA and goal. */
export function blockedPlan(m: KernelModel, isa: IsaFeatures, accType: string, optimize: 'default' | 'speed') {
  const key = `${JSON.stringify(isa)}|${accType}|${optimize}`;
  let byKey = planned.get(m);
  if (!byKey) planned.set(m, (byKey = new Map()));
  let p = byKey.get(key);
  if (!p) {
    // Staged: the planner and the input side see the staging buffer (HWC, padded, one output row); outputs stay m's.
    const staging = stagingFor(m, isa, optimize);
    p = { staging, opt: planOptimized(staging?.model ?? m, isa, accType, optimize, staging ? STAGE_BYTES : 0) };
    byKey.set(key, p);
  }
  return p;
}

/** Whether the blocked family's smallest plan keeps its code budget (kernels of 11x11 and so on do not). */
export function blockedFits(m: KernelModel, isa: IsaFeatures, accType: string): boolean {
  const { opt } = blockedPlan(m, isa, accType, 'default');
  return opt.codeBytes <= opt.codeBudget;
}

export function optimizedView(m: KernelModel, plan: AccumulatorPlan, isa: IsaFeatures, ctx: OptimizedViewContext) {
  let optimize = ctx.optimize ?? 'default';
  // A speed plan over the code budget gives way to the default plan (which fits: the family applies only then).
  if (optimize === 'speed') {
    const speed = blockedPlan(m, isa, plan.accType, 'speed').opt;
    if (speed.codeBytes > speed.codeBudget) optimize = 'default';
  }
  const { staging, opt } = blockedPlan(m, isa, plan.accType, optimize);
  const pm = staging?.model ?? m;
  const st = m.numeric.storage;
  // Only the unrolled interior reads folded seeds: without one (every output touches the padding) there is no table.
  const folded = opt.fns.some((f) => f.kind === 'unrolled') ? foldedSeeds(pm, plan.accType) : null;
  const offsetNeeded = m.numeric.inputOffset !== 0;
  const paired = opt.macForm === 'taps' || opt.macForm === 'halves';
  const acc64 = plan.accType === 'int64_t';
  const dualMac = acc64 ? '__smlald' : '__smlad';
  // SMLALxy has no ACLE intrinsic: one instruction of inline assembly per halves pair (int32 uses ACLE's SMLAxy).
  // int64 as two 32-bit halves where the state's register pairs cost moves and spills (splitLong).
  // The single form keeps int64 accumulators (GCC schedules SMLAL well) except in depthwise-like kernels (one input
  // channel per group), where GCC's even register pairs spilled (arm926ej-s bench d q15 4.31 -> 3.66, arm920t
  // 3.71 -> 3.66; as halves elsewhere measured slower: arm920t bench a q15 2.08 -> 2.86).
  // dwpair's border functions are single's, its interior MACs halves (SMLALxy on the same split halves).
  const splitForms = splitLong[isa.state];
  const depthwiseForm = opt.macForm === 'single' || opt.macForm === 'dwpair';
  const splitPlain = depthwiseForm && acc64 && m.inPerGroup === 1 && splitForms.includes('single');
  const split = splitPlain || (acc64 && !depthwiseForm && splitForms.includes(opt.macForm));
  const macOp = (h: Halves) => (split ? (h === 'd' ? 'smlald' : `smlal${h}`) : h === 'd' ? dualMac : acc64 ? `${m.name}_smlal${h}` : `__smla${h}`);
  // Split accumulators pinned to callee-saved registers (GCC local register variables, which asm operands honour),
  // as many whole accumulators as PIN_REGISTERS holds: left free, GCC 12 moved them between registers every few
  // MACs when the registers ran short (arm926ej-s bench a q15 1.79 -> 1.59 instructions/MAC, d q15 on both A32 cores
  // 3.66 -> 3.50).
  const pin = (accs: number) => split && 2 * accs <= PIN_MAX_ACC_REGISTERS && pinSplit[isa.state];
  const usedHalves = new Set<Halves>();
  // Q formats: the rounding constant in every seed and, where provable, a 32-bit clamp (qfinish.ts). Border and
  // interior share the seeds: the output is the same function of the accumulator everywhere.
  const q = qFinish(m, plan);
  const qf = q && qFinishGains(q) ? q : null;
  // Only the interior (every tap inside the input) may use folded seeds; border taps add the offset per input.
  const folds = (f: (typeof opt.fns)[number]) => folded !== null && f.kind === 'unrolled';
  const rowsView = (f: (typeof opt.fns)[number], rows: typeof f.rows) => rows.map((r, i) => {
    const last = r.loads.length ? r.loads[r.loads.length - 1].offset : 0;
    const rebase = (f.macForm === 'single' || f.macForm === 'lane2' || f.macForm === 'lane2w') && f.kind !== 'rowloop' && last * (st.bits / 8) > loadReach[isa.state](st.bits);
    const column = f.kind === 'column';
    // A kernel column's loads are rows apart: based on its middle one, twice as many reach their immediates.
    const base = !rebase ? 0 : column ? r.loads[Math.floor((r.loads.length - 1) / 2)].offset : r.loads[0].offset;
    return {
      ...r,
      label: r.column ? `kernel column ${r.ky}` : r.inputRow ? `input row +${r.ky}` : r.ky >= 1000 ? `input channel +${Math.floor(r.ky / 1000)}, kernel row ${r.ky % 1000}` : `kernel row ${r.ky}`,
      rowBase: rebase ? { id: `row${i}`, offset: base } : null,
      loads: r.loads.map((l) => ({ ...l, ...def8View(l.b8, l.offset - base), offset: l.offset - base, add: offsetNeeded && !folds(f) ? 1 : 0,
        ...(l.lane !== undefined ? { lane: true, offset2: l.lane - base } : {}) })),
      taps: r.taps.map((t) => ({
        ...t,
        // a function whose LDRDs move the pointer reads every other weight relative to where it then is
        weights: t.weights.map((w) => ({ ...w, ...def8View(w.b8, w.index), index: w.rel ?? w.index,
          pairBytes: w.pair ? w.pair.step * (st.bits / 8) : 0 })),
        macs: t.macs.map((mac) => {
          if (mac.halves) usedHalves.add(mac.halves);
          return { ...mac, op: mac.halves ? macOp(mac.halves) : split ? plainSplitOp[f.macForm] : undefined, lane: f.laneAccs.length > 0 };
        }),
      })),
    };
  });
  const fns = opt.fns.map((f) => {
    const column = f.kind === 'column';
    const seedFn = qf ? `${m.name}_q_seed_of` : folds(f) ? `${m.name}_interior_seed_of` : `${m.name}_seed`;
    return {
      ...f,
      rowloop: f.kind === 'rowloop',
      // the same decision the code-size model charges for (per function: a lane2 interior's borders are single's)
      anchorPx: anchorsInput(isa.state, f.macForm, st.bits),
      // Column functions step their pixel blocks down the band, the others along the row.
      pixelStep: column ? 'COLUMN_STRIDE' : 'PIXEL_STRIDE',
      along: column ? 'oy' : 'ox',
      accs: f.accs.map((a, i) => ({ ...a, at: column ? `oy + ${a.p}, ox` : `oy, ox + ${a.p}`, seedCall: `${seedFn}(o0 + ${a.j})`,
        regs: pin(f.accs.length) && 2 * i + 1 < PIN_REGISTERS.length ? { lo: PIN_REGISTERS[2 * i], hi: PIN_REGISTERS[2 * i + 1] } : null })),
      rowWeightsExpr: opt.weightStride === 1 ? `KERNEL_W * ${weightSlots(f.macForm, f.ob)}` : `KERNEL_W * ${f.ob} * ${opt.weightStride}`,
      // lane2w: a lane pair's two outputs (channels j and j1 at one pixel; j1 null: a zero-weight partner)
      laneAccs: f.laneAccs.map((a) => ({ ...a, chan: a.j1 !== undefined, at: column ? `oy + ${a.p0}, ox` : `oy, ox + ${a.p0}` })),
      finishFn: qf ? `${m.name}_q_finish` : f.outlineFinish ? `${m.name}_finish_call` : `${m.name}_finish`,
      // The interior's weight step per iteration, less what its LDRDs already moved the pointer ('' if nothing is left).
      wStep: f.wAdvance === 0 ? `${f.ciStep} * ${f.weightsPerCi}` : f.ciStep * f.weightsPerCi === f.wAdvance ? '' : String(f.ciStep * f.weightsPerCi - f.wAdvance),
      pairDecl: f.pairHis.join(', '),
      seedFn,
      rows: rowsView(f, f.rows),
      dw: f.dw ? { weights: f.dw.weights, odd: f.dw.odd ? { rows: rowsView(f, f.dw.odd.rows), weights: f.dw.odd.weights } : null } : null,
    };
  });
  // Regions name their functions by number (the switch in the run function); 255 = none.
  const fnName = (n: string | undefined) => (n ? String(opt.fns.findIndex((f) => f.fn === n)) : '255');
  const anyLead = opt.regions.some((r) => r.lead);
  const anyVertical = opt.regions.some((r) => r.vertical);
  const anyBlockTail = opt.regions.some((r) => r.tailPb > 1);
  // Input elements from one pixel to the next along W (in the staging buffer when staged).
  const pixelStride = pm.strideW * (pm.layout === 'hwc' ? pm.inC : 1);
  const anyLdrd = opt.fns.some((f) => f.pairHis.length > 0);
  const regions = opt.regions.map((r) => ({
    fields: [r.y.lo, r.y.hi, r.x.lo, r.x.hi, r.kyMin, r.kxMin, r.rows, r.x.valid.length > 0 ? 1 : 0, r.pb,
      ...(anyLead ? [r.lead ? 1 : 0] : []), ...(anyVertical ? [r.vertical ? 1 : 0] : []), ...(anyBlockTail ? [r.tailPb] : [])].join(', '),
    fns: [fnName(r.main[opt.ob]), fnName(r.tail[opt.ob] ?? r.main[opt.ob]),
      fnName(opt.tailSize ? r.main[opt.tailSize] : undefined),
      fnName(opt.tailSize ? (r.tail[opt.tailSize] ?? r.main[opt.tailSize]) : undefined)].join(', '),
    doc: `rows ${r.y.lo}..${r.y.hi}, columns ${r.x.lo}..${r.x.hi}: kernel rows ${r.y.valid.join(',') || 'none'}, columns ${r.x.valid.join(',') || 'none'}${r.vertical ? ', down the columns' : ''}`,
  }));
  const unit = unitOf[opt.macForm];
  const slots = (n: number) => weightSlots(opt.macForm, n);
  const blockWeights = (slots(opt.ob) * m.inPerGroup * m.kH * m.kW * opt.weightStride) / unit;
  const quad = opt.macForm === 'quad';
  // lane2w: a tap's words are the block's channel pairs
  const tapOffset = (channels: string, n: number) => (rowContiguousWeights(opt.macForm) ? `reg->ky_lo * KERNEL_W * ${channels} + reg->kx_lo`
    : opt.macForm === 'lane2w' ? `tap * ${slots(n)}` : `tap * ${opt.weightStride === 1 ? channels : `${channels} * ${opt.weightStride}`}`);
  const wideWeights = opt.dual || opt.widened || opt.lanes8 || opt.macForm === 'lane2w';
  const weightBytes = opt.weights.length * (wideWeights ? 4 : st.bits / 8);
  const offset = m.numeric.inputOffset;
  return {
    isaName: isaStateNames[isa.state],
    optimizeLine: `${optimize}: ${macFormDocs[opt.macForm]}; ` +
      (opt.lanes8 || opt.widened || opt.macForm === 'lane2w'
        ? `weights ${opt.lanes8 ? 'pre-unpacked to int16 lane pairs (w[e], w[e+2])' : opt.widened ? 'pre-widened to int16 pairs' : 'packed in channel pairs as int32 words'}, ${weightBytes} B of flash (the raw weights are ${m.weights.length * (st.bits / 8)} B)`
        : `weights ${weightBytes} B of flash, the raw weight bytes`),
    weightBytes,
    staticRamBytes: staging ? staging.bytes : 0,
    staticRamDoc: staging ? `a ring of ${staging.rows} input rows, HWC and zero-padded, each stored twice; the kernel is not reentrant` : '',
    zeroTapsDoc: opt.droppedTaps > 0 ? `${opt.droppedTaps} kernel position(s) whose weights are zero in every channel are left out of the interior.` : '',
    opt: {
      ob: opt.ob,
      pb: opt.pb,
      estimateText: opt.estimate.toFixed(2),
      ciStride: opt.ciStride,
      rowStride: opt.rowStride,
      pixelStride,
      columnStride: pm.strideH * pm.inW * (pm.layout === 'hwc' ? pm.inC : 1),
      staging: staging ? { rows: staging.rows, width: staging.width, oddWidth: m.inW % 2 === 1 } : null,
      // Where a region's first input is: staged, the buffer's rows are the window's and its columns include the padding.
      windowY: staging ? 'reg->ky_lo * DILATION_H' : 'oy * STRIDE_H - PAD_TOP + reg->ky_lo * DILATION_H',
      windowX: staging ? 'ox * STRIDE_W + reg->kx_lo * DILATION_W' : 'ox * STRIDE_W - PAD_LEFT + reg->kx_lo * DILATION_W',
      vertical: anyVertical,
      blockTails: anyBlockTail,
      // how a row's remainder steps: one block of the region's tail_pb pixels, or pixel by pixel
      tailStep: anyBlockTail ? 'ox += reg->tail_pb' : '++ox',
      bands: opt.fns.some((f) => f.kind === 'band'),
      weightCount: opt.weights.length,
      weightLines: cArrayRows(opt.weights, 16),
      foldOffset: folded !== null,
      // The sign test on cores without SSAT, except with split 64-bit halves (ARMv5TE's SMLALxy pairs), where two
      // compares measured faster overall (bench q15 on ARM926EJ-S: e -8.5%, f -17% against the sign test's -0.6%, +4%).
      qf: qf ? qFinishView(qf, plan, isa, !split) : null,
      storeBits: storeBits(opt.macForm, qf, st, isa),
      interiorSeedLines: folded ? cArrayRows(folded.map((v) => cInt(v, plan.accType)), 8) : [],
      dual: opt.dual,
      quad,
      widened: opt.widened,
      quadRaw: quad && !opt.widened,
      // x + offset as two int16 lanes: SXTAB16 adds it to both unpacked bytes exactly (|x + offset| < 2^15).
      offsetPair: `(int32_t)0x${(((offset & 0xffff) * 0x10001) >>> 0).toString(16).toUpperCase().padStart(8, '0')}u`,
      dualAdjacent: opt.dual && pm.layout === 'hwc',
      dualMac,
      paired,
      // taps8 stores its weights as taps does ([ky][channel][kx]).
      taps: rowContiguousWeights(opt.macForm),
      taps8: opt.macForm === 'taps8',
      lanes8: opt.lanes8,
      lead: anyLead,
      leadDown: opt.regions.some((r) => r.lead && r.vertical),
      // a row's lead pixel moves its input by the step along W: an even one cannot put the row on a word
      leadRow: anyLead && pixelStride % 2 === 0,
      // halves reads aligned weight words only (no unaligned loads on the core): a word-aligned array.
      alignedWords: opt.macForm === 'halves' || opt.macForm === 'dwpair',
      // the 16-bit halves helpers (word loads, SMLALxy): the paired forms and dwpair
      halfWords: paired || opt.macForm === 'dwpair',
      // LDRD pairs (ARMv5TE) need 8-byte aligned addresses: the array is, and every base and offset was checked.
      ldrd: anyLdrd,
      weightAlign: anyLdrd ? 8 : 4,
      split,
      noSchedule: noScheduleReason(opt.macForm, split, acc64 && m.inPerGroup === 1),
      lane2: opt.fns.some((f) => f.laneAccs.length > 0),
      lane2w: opt.macForm === 'lane2w',
      laneShift: LANE2_SHIFT,
      laneLimitBits: LANE2_SHIFT - 1,
      laneUp: 32 - LANE2_SHIFT,
      laneScale: 2 ** LANE2_SHIFT,
      smlalHelpers: acc64 && !split ? (['bb', 'bt', 'tb', 'tt'] as const).filter((h) => usedHalves.has(h)) : [],
      // Weights of the region's first tap: taps stores [ky][channel][kx], the other forms [ky][kx][channel].
      // (the other forms: tap x weight-array elements per kernel position of a block, channels x elements per channel)
      tapOffset: tapOffset('BLOCK_CHANNELS', opt.ob),
      tailTapOffset: tapOffset('TAIL_CHANNELS', opt.tailSize),
      weightType: wideWeights ? 'int32_t' : st.cType,
      macOperandType: opt.dual || quad ? 'int32_t' : plan.productType,
      fns,
      regions,
      regionCount: regions.length,
      fullBlocks: opt.fullBlocks,
      hasTailBlock: opt.tailSize > 0,
      tailSize: Math.max(1, opt.tailSize),
      groupWeights: ((opt.fullBlocks * slots(opt.ob) + slots(opt.tailSize)) * m.inPerGroup * m.kH * m.kW * opt.weightStride) / unit,
      blockWeights,
      groupInput: m.inPerGroup * opt.ciStride,
      codeBytes: opt.codeBytes,
      codeBudget: opt.codeBudget,
      finishNeedsO: ctx.finishNeedsO,
      outlineFinish: opt.outlineFinish,
      coordType: Math.max(m.outH, m.outW) > 255 ? 'unsigned short' : 'unsigned char',
    },
  };
}
