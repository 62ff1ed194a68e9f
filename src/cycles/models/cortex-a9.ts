/**
 * Cortex-A9: only a rough figure. The A9 renames registers, issues up to two instructions a cycle out of order past
 * stalled loads and predicts branches; none of that fits a per-instruction table. convgen charges the issue cost
 * the TRM gives for each instruction on its own and nothing for its overlap or its stalls, and says so wherever the
 * figure appears. The goals never judge Cortex-A9 in cycles.
 */
import { loadedRegs, reads, type Breakdown, type CycleModel, type TimingRow } from '../model.ts';

const A9 = 'Cortex-A9 TRM (ARM DDI 0388) Appendix B';
const NEON = 'Cortex-A9 NEON Media Processing Engine TRM (ARM DDI 0409), instruction timing';

const rows: Record<string, TimingRow> = {
  issue: { what: 'Any integer instruction', cycles: '1', source: A9, value: 1 },
  mul: { what: 'MUL, MLA', cycles: '2', source: `${A9}, multiplies`, value: 2 },
  mull: { what: 'SMULL, UMULL, SMLAL, UMLAL', cycles: '3', source: `${A9}, multiplies`, value: 3 },
  mulxy: { what: 'SMULxy, SMLAxy, SMLAD and the other 16-bit multiplies', cycles: '1', source: `${A9}, multiplies`, value: 1 },
  loadUse: { what: 'Loaded register used by the next instruction', cycles: '+1', source: `${A9}, load-use (fast path)`, value: 1 },
  neonD: { what: 'NEON instruction on D registers', cycles: '1', source: NEON, value: 1 },
  neonQ: { what: 'NEON instruction on Q registers (64-bit datapath: two passes)', cycles: '2', source: NEON, value: 2 },
  ignored: { what: 'Dual issue, out-of-order completion, branch prediction, cache misses', cycles: 'not modelled', source: 'rough figure' },
};

export const cortexA9: CycleModel = {
  id: 'cortex-a9',
  core: 'Cortex-A9 (NEON)',
  kind: 'rough',
  notes: [
    'A rough figure only, neither an upper nor a lower bound: it charges each instruction its issue cost on its own ' +
      '(integer one cycle, multiplies two or three, NEON Q-register operations two) plus one cycle when a loaded ' +
      'value is used at once, and ignores dual issue, out-of-order completion, branch prediction and the memory ' +
      'system. Good for comparing two kernels on the A9, not for a cycle count.',
  ],
  rows,
  watch: () => undefined,
  cost(e, ctx) {
    const i = e.insn;
    const out: Partial<Breakdown> = {};
    const v = (r: TimingRow) => r.value!;
    if (i.cls === 'mul') out.multiply = e.n * (/^smla[lw]?[bt]|^smul[bwt]|^smla?d|^smlsd|^smusd|^smuad/.test(i.op) && !/^smlal$/.test(i.op) ? v(rows.mulxy) : i.long ? v(rows.mull) : v(rows.mul));
    else if (i.cls.startsWith('v')) out.execute = e.n * (/\bq\d/.test(i.operands) ? v(rows.neonQ) : v(rows.neonD));
    else out.execute = e.n * v(rows.issue);
    if ((i.cls === 'load' || i.cls === 'ldm') && reads(ctx.next(i), loadedRegs(i))) out.interlock = e.n * v(rows.loadUse);
    return out;
  },
};
