/** View model of the `optimized` variant: the plan of optimized.ts, spelled for templates/optimized/kernel.c.hbs. */
import type { KernelModel } from '../spec/index.ts';
import type { IsaFeatures } from '../targets/index.ts';
import type { AccumulatorPlan } from './accumulator.ts';
import { cArrayRows, cInt } from './clit.ts';
import { planOptimized } from './optimized.ts';

const isaNames: Record<IsaFeatures['state'], string> = {
  a32: 'A32 (ARM state)', thumb2: 'Thumb-2', thumb1: 'Thumb-1 (ARMv6-M)', host: 'the host',
};

const LIMIT = { int32_t: 2n ** 31n - 1n, int64_t: 2n ** 63n - 1n } as const;

export interface OptimizedViewContext {
  /** The output stage takes the channel index (per-channel requantization tables). */
  finishNeedsO: boolean;
}

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

export function optimizedView(m: KernelModel, plan: AccumulatorPlan, isa: IsaFeatures, ctx: OptimizedViewContext) {
  const opt = planOptimized(m, isa, plan.accType);
  const st = m.numeric.storage;
  const folded = foldedSeeds(m, plan.accType);
  const offsetNeeded = m.numeric.inputOffset !== 0;
  const fns = opt.fns.map((f) => {
    // Only the interior (every tap inside the input) may use folded seeds; border taps add the offset per input.
    const fold = folded !== null && f.kind === 'unrolled';
    return {
      ...f,
      rowloop: f.kind === 'rowloop',
      seedFn: fold ? `${m.name}_interior_seed_of` : `${m.name}_seed`,
      rows: f.rows.map((r) => ({
        ...r,
        label: r.ky >= 1000 ? `input channel +${Math.floor(r.ky / 1000)}, kernel row ${r.ky % 1000}` : `kernel row ${r.ky}`,
        loads: r.loads.map((l) => ({ ...l, add: offsetNeeded && !fold ? 1 : 0 })),
      })),
    };
  });
  // Regions name their functions by number (the switch in the run function); 255 = none.
  const fnName = (n: string | undefined) => (n ? String(opt.fns.findIndex((f) => f.fn === n)) : '255');
  const regions = opt.regions.map((r) => ({
    fields: [r.y.lo, r.y.hi, r.x.lo, r.x.hi, r.kyMin, r.kxMin, r.rows, r.x.valid.length > 0 ? 1 : 0, r.pb].join(', '),
    fns: [fnName(r.main[opt.ob]), fnName(r.tail[opt.ob] ?? r.main[opt.ob]),
      fnName(opt.tailSize ? r.main[opt.tailSize] : undefined),
      fnName(opt.tailSize ? (r.tail[opt.tailSize] ?? r.main[opt.tailSize]) : undefined)].join(', '),
    doc: `rows ${r.y.lo}..${r.y.hi}, columns ${r.x.lo}..${r.x.hi}: kernel rows ${r.y.valid.join(',') || 'none'}, columns ${r.x.valid.join(',') || 'none'}`,
  }));
  const unit = opt.dual ? 2 : 1;
  const blockWeights = (opt.ob * m.inPerGroup * m.kH * m.kW) / unit;
  return {
    isaName: isaNames[isa.state],
    zeroTapsDoc: opt.droppedTaps > 0 ? `${opt.droppedTaps} kernel position(s) whose weights are zero in every channel are left out of the interior.` : '',
    opt: {
      ob: opt.ob,
      pb: opt.pb,
      estimateText: opt.estimate.toFixed(2),
      ciStride: opt.ciStride,
      rowStride: opt.rowStride,
      pixelStride: m.strideW * (m.layout === 'hwc' ? m.inC : 1),
      weightCount: opt.weights.length,
      weightLines: cArrayRows(opt.weights, 16),
      foldOffset: folded !== null,
      interiorSeedLines: folded ? cArrayRows(folded.map((v) => cInt(v, plan.accType)), 8) : [],
      dual: opt.dual,
      dualAdjacent: opt.dual && m.layout === 'hwc',
      dualMac: plan.accType === 'int64_t' ? '__smlald' : '__smlad',
      weightType: opt.dual ? 'int32_t' : st.cType,
      macOperandType: opt.dual ? 'int32_t' : plan.productType,
      fns,
      regions,
      regionCount: regions.length,
      fullBlocks: opt.fullBlocks,
      hasTailBlock: opt.tailSize > 0,
      tailSize: Math.max(1, opt.tailSize),
      groupWeights: (m.outPerGroup * m.inPerGroup * m.kH * m.kW) / unit,
      blockWeights,
      groupInput: m.inPerGroup * opt.ciStride,
      codeBytes: opt.codeBytes,
      codeBudget: opt.codeBudget,
      finishNeedsO: ctx.finishNeedsO,
      coordType: Math.max(m.outH, m.outW) > 255 ? 'unsigned short' : 'unsigned char',
    },
  };
}
