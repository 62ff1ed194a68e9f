/**
 * The blocking search: every (form, channels x pixels, unroll, output-stage placement, column and band functions)
 * that fits the registers, cheapest first by the interior's estimated instructions per MAC, the first whose code
 * fits the budget wins.
 */
import type { KernelModel } from '../../ops/conv_2d/spec/index.ts';
import type { IsaFeatures } from '../../targets/index.ts';
import { axisBands } from '../../codegen/geometry.ts';
import { ldrdBaseAligned, pairedShapeOk, wordInputs } from './alignment.ts';
import { quadAsmFits } from './asm-m.ts';
import { blockFn } from './bodies.ts';
import { countedEstimate, estimate, registersNeeded } from './cost.ts';
import { chooseMacForm, rowContiguousWeights } from './forms.ts';
import { allColumns, liveTaps, strides } from './geometry.ts';
import {
  CALL_INSTRUCTIONS, calledPlacements, lane2ShapeOk, MIN_MACS_FOR_BORDER_CALLS, packedWeightPairs, QUAD_EXTRA_REGS, unrollTargets,
} from './measured.ts';
import { tuningOf, type CoreTuning } from '../../tuning/cores.ts';
import type { BlockedPlan, FinishPlacement, MacForm, Shape } from './plan.ts';
import { build } from './regions.ts';
import { packWeights } from './weights.ts';

/** tune: the core's tuning row; tests pass another to plan a form no row takes at the moment. */
export function planBlocked(m: KernelModel, isa: IsaFeatures, accType: string, optimize: 'default' | 'speed' = 'default',
  extraBytes = 0, tune: CoreTuning = tuningOf(isa)): BlockedPlan {
  const accWords = accType === 'int64_t' ? 2 : 1;
  const macForm = chooseMacForm(m, isa);
  const dual = macForm === 'dual';
  const quad = macForm === 'quad';
  const widened = quad && optimize === 'speed';
  const lanes8 = macForm === 'taps8' && optimize === 'speed';
  // widened quad's interior rows in inline assembly where the core's row says so (asm-m.ts), for blockings that fit
  // it; 32-bit accumulators only (the rows' SMLADs)
  const asmRows = widened && tune.quadAsmRows && isa.state === 'thumb2' && accWords === 1;
  const weightStride = quad ? (widened ? 2 : 4) : 1;
  const budget = tune.registers;
  const live = liveTaps(m);
  const xBands = axisBands(m.outW, m.inW, m.kW, m.strideW, m.dilW, m.pad.left);
  const widest = Math.max(...xBands.map((b) => b.hi - b.lo + 1));
  // Cheapest blocking whose registers fit the ISA and whose code fits the budget (1 x 1 always qualifies).
  // int8's output stage may also be called rather than inlined: a call per output, much less code per accumulator.
  // Calls only in the border costs the interior nothing (the estimate is the interior's): at equal cost the stable
  // sort keeps inline first, then border. With few MACs per output (depthwise) an interior with the stage inlined
  // measured no faster on arm920t and slower on arm926ej-s than one calling it, so there it is all or nothing.
  const macsPerOutput = m.inPerGroup * m.kH * m.kW;
  const outlines: FinishPlacement[] = m.numeric.kind !== 'int8' ? ['inline']
    : macsPerOutput >= MIN_MACS_FOR_BORDER_CALLS ? ['inline', 'border', 'all'] : ['inline', 'all'];
  // A form's own placements where it has some and the stage may be called at all (int8).
  const placementsOf = (form: MacForm) => (outlines.length > 1 && calledPlacements[form]) || outlines;
  const paired = macForm === 'taps' || macForm === 'taps8' || macForm === 'halves';
  const interiorOf = (ob: number, pb: number, unroll: number, form = macForm) => blockFn(m, strides(m), 'unrolled', allColumns(m), ob, pb, 'estimate', '', live, form, weightStride,
    form === 'halves' ? pb % 2 === 0 : wordInputs(m, form, pb), unroll, [], isa.ldrd && ldrdBaseAligned(m, form, ob));
  const options: (Shape & { cost: number; form: MacForm })[] = [];
  // lane2: every blocking also as single (what the interior multiplies with when lane2 does not win or fit there).
  // dwpair: likewise (its border functions are single's).
  const base: MacForm = macForm === 'lane2' || macForm === 'dwpair' ? 'single' : macForm;
  // Column functions for the side bands cost the interior nothing: at equal cost every shape with them comes first
  // (with the border's output stage called if that is what fits), largest vertical blocks first, then the shapes
  // without (a row loop per side band).
  const columnBlocks = rowContiguousWeights(macForm) ? [0] : [4, 3, 2, 1, 0];
  // Band functions for the top and bottom bands likewise, with each column choice first with them, then without.
  // Not with one input channel per group (depthwise): with no channel loop GCC hoists every load of the body and
  // spills (measured on arm920t bench d q15: 5.43 -> 5.64 instructions/MAC with bands).
  // dwpair's band functions hold their weights and load input words like its interior: with bands first.
  const bandChoices = macForm === 'taps8' || (m.inPerGroup === 1 && macForm !== 'dwpair') ? [false] : [true, false];
  for (const column of columnBlocks)
  for (const bands of bandChoices)
  for (const outline of outlines)
    for (const unroll of unrollTargets[macForm])
      // taps8: one output channel per block measured slower than two on every bench spec (its weight lanes are
      // unpacked for as few MACs as pixels; the single-pixel tails build their lanes with PKHBT), so from 2 when possible.
      for (let ob = macForm === 'taps8' ? Math.min(2, m.outPerGroup) : 1; ob <= Math.min(4, m.outPerGroup); ob++)
        // column functions at most as many pixels per block as the interior (the same registers)
        for (let pb = Math.max(1, column); pb <= Math.min(4, widest); pb++) {
          const call = outline === 'all' ? CALL_INSTRUCTIONS / macsPerOutput : 0;
          const border = { columnPb: column, bands };
          // A column function multiplies in the base form (single or halves: lane2 packs only the interior's pairs),
          // so its blocking must fit the registers in that form (more spills and code otherwise: lane2's 4 x 2 with
          // 4 x 2 single column blocks measured 389 B over the code model on arm920t).
          if (column > 1 && (macForm === 'dwpair' ? column > 2 && registersNeeded(ob, column, accWords, 'dwpair', live.size) > budget
            : registersNeeded(ob, column, accWords, base, m.kW) > budget)) continue;
          // quad in C (the assembly rows cannot take it): one output channel over 4 pixels keeps a row's six input
          // words unpacked (twelve halves) and spills; the estimate ranks it ahead of 2 x 2, which measured faster
          // (bench a int8 on Cortex-M4, default, the stage inlined in both: 1.85 against 1.68 cycles/MAC;
          // examples/int8_hwc on Cortex-M7, speed's pre-widened 1 x 4 1.20 against default's 2 x 2 1.15).
          if (quad && ob === 1 && pb >= 4) continue;
          if (paired ? pairedShapeOk(m, macForm, ob) && (ob * pb <= 2 || registersNeeded(ob, pb, accWords, macForm, m.kW) <= budget)
            : ob * pb === 1 || registersNeeded(ob, pb, accWords, base) <= budget + (quad ? QUAD_EXTRA_REGS : 0))
            options.push({ ob, pb, outline, unroll, ...border, form: base, cost: (paired ? countedEstimate(m, interiorOf(ob, pb, unroll), accWords, lanes8) : estimate(m, ob, pb, accWords, base, widened, asmRows && quadAsmFits(ob, pb)))
              + call });
          if (macForm === 'lane2' && lane2ShapeOk(ob, pb, tune) && registersNeeded(ob, pb, accWords, 'lane2') <= budget + tune.lane2.extraRegs)
            options.push({ ob, pb, outline, unroll, ...border, form: 'lane2', cost: estimate(m, ob, pb, accWords, 'lane2', false) + call });
          if (macForm === 'lane2' && packedWeightPairs[optimize] && ob >= tune.lane2w.minOb
            && Math.ceil(ob / 2) * pb <= tune.lane2w.maxPairs
            && placementsOf('lane2w').includes(outline)
            && registersNeeded(ob, pb, accWords, 'lane2w') <= budget + tune.lane2w.extraRegs)
            options.push({ ob, pb, outline, unroll, ...border, form: 'lane2w', cost: estimate(m, ob, pb, accWords, 'lane2w', false) + call });
          // dwpair: up to 2 pixels whatever the weights need (spilled weights reload from the stack as they would from
          // the array); more only where every weight stays in a register (bench d q15 on arm926ej-s: 4 x 1 with its
          // weights spilled measured 3.65 instructions/MAC against 2 x 1's 3.15).
          if (macForm === 'dwpair' && ob === 1 && (pb <= 2 || registersNeeded(ob, pb, accWords, 'dwpair', live.size) <= budget))
            options.push({ ob, pb, outline, unroll, ...border, form: 'dwpair', cost: countedEstimate(m, interiorOf(ob, pb, unroll, 'dwpair'), accWords) + call });
        }
  options.sort((a, b) => a.cost - b.cost);
  let chosen = options[options.length - 1];
  let built = build(m, chosen, accWords, live, chosen.form, weightStride, tune, isa.ldrd, false);
  // Each blocking first with its rows' remainders as blocks, then with single pixels there (less code), before the
  // next blocking: block tails never cost the interior its blocking (measured: bench d q7 on arm920t 3.44 -> 3.61
  // when they did).
  choose: for (const o of options)
    for (const blockTails of [true, false]) {
      const b = build(m, o, accWords, live, o.form, weightStride, tune, isa.ldrd, blockTails);
      if (b.bytes + extraBytes <= tune.codeBudget) {
        chosen = o;
        built = b;
        break choose;
      }
    }
  const { ob } = chosen;
  const stored = packWeights(m, { form: chosen.form, base: macForm, ob, widened, lanes8 });
  const s = strides(m);
  return {
    macForm: chosen.form,
    dual,
    widened,
    asmRows: asmRows && quadAsmFits(chosen.ob, chosen.pb),
    lanes8,
    weightStride,
    ob, pb: chosen.pb, estimate: chosen.cost,
    fullBlocks: Math.floor(m.outPerGroup / ob),
    tailSize: m.outPerGroup % ob,
    fns: built.fns,
    regions: built.regions,
    weights: Int32Array.from(stored),
    ciStride: s.ci,
    rowStride: m.dilH * s.row,
    codeBytes: built.bytes + extraBytes,
    codeBudget: tune.codeBudget,
    droppedTaps: m.kH * m.kW - live.size,
    outlineFinish: built.fns.some((f) => f.outlineFinish),
    int8Stage: m.numeric.kind === 'int8' ? { macsPerOutput, called: chosen.outline === 'all' } : null,
  };
}
