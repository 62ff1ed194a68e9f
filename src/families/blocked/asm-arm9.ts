/**
 * The single form's taps on the ARM9 cores (A32) as inline assembly with each load issued ahead of its use.
 *
 * Written in C, every multiply-accumulate group follows the LDRSB of its weight at once: GCC gives the weights one
 * register, and the ARM9TDMI and ARM9E-S stall 2 cycles when a byte load's result is used by the next instruction
 * (docs/cycles.md). Reordering the C does not help (GCC schedules it back; measured). Here a kernel row's taps are a
 * chain of groups, one per weight (the weight and the MACs that read it); the statement of group i first loads the
 * inputs group i reads for the first time and the weight of group i + 1 (registers of their own), then multiplies
 * with group i's weight, the inputs loaded before first, so other instructions separate every load from its use. The
 * first weight of a row and inputs that add the input offset are C loads, placed just before the statement.
 * The assembly reads the weights and inputs through pointers: the weight array is const and nothing writes it; a
 * statement that loads inputs clobbers "memory", so GCC keeps it after any store to them.
 */
import { decl, id, int, scalar } from '../../ir/expr.ts';
import type { AccRepr, AsmOperand, Stmt } from '../../ir/kernel-ir.ts';
import type { KernelModel } from '../../ops/conv_2d/spec/index.ts';
import type { IsaFeatures } from '../../targets/index.ts';
import type { CoreTuning } from '../../tuning/cores.ts';
import { loadReach } from '../../targets/load-reach.ts';
import type { BlockedPlan, BlockFn, PlanMac, Tap, WeightLoad } from './plan.ts';

/** LDRSB's immediate offset reach; a weight further away loads in C (no load ahead for its group). */
const LDRSB_REACH = loadReach.a32(8);

/**
 * The MAC instruction: MLA (ARMv4T; Rd, Rm, Rs, Rn with Rd not Rm: the accumulator and the weight are different
 * variables, so never one register) or SMLABB (ARMv5TE, one cycle on the ARM9E-S where MLA takes two). Both
 * operands are bytes (or a byte plus the input offset, within ±255), so either order terminates an ARM9TDMI
 * multiply at m = 1.
 */
export type ScheduledMac = 'mla' | 'smlabb';

/**
 * Which instruction a function's taps are scheduled with, or null where they stay C: the core's row lists single
 * (tuning/cores.ts, scheduledLoads), A32, 8-bit data into 32-bit accumulators held as C variables.
 */
export function scheduledMacOf(t: CoreTuning, isa: IsaFeatures, m: KernelModel, f: BlockFn, repr: AccRepr): ScheduledMac | null {
  if (!t.scheduledLoads.includes(m.inPerGroup === 1 ? 'single/depthwise' : 'single') || isa.state !== 'a32' || f.macForm !== 'single' || f.laneAccs.length > 0
    || repr !== 'int32' || m.numeric.storage.bits !== 8) return null;
  return isa.dspv5te && t.smlabbSingle ? 'smlabb' : 'mla';
}

/**
 * Why GCC's early scheduling is off where taps are scheduled here, or null: with it, GCC hoisted every input load of
 * a loop body above the assembly statements and spilled them (measured: arm920t bench e q7 1.98 -> 2.50
 * instructions/MAC with it on).
 */
export function scheduledNoSchedule(t: CoreTuning, isa: IsaFeatures, m: KernelModel, p: BlockedPlan, accType: string): string | null {
  const single = p.fns.some((f) => scheduledMacOf(t, isa, m, f, accType === 'int32_t' ? 'int32' : 'int64') !== null);
  return single ? "GCC's early scheduling would hoist every input load of a loop above the scheduled assembly and spill them." : null;
}

interface PlainByte {
  base: string;
  at: number;
}

/** An input that is one signed byte at a constant offset from a named pointer, nothing added, within LDRSB's reach. */
function plainByte(stmts: Stmt[]): PlainByte | null {
  const s = stmts.length === 1 ? stmts[0] : null;
  if (!s || s.k !== 'load' || s.load.k !== 'elem' || s.load.add || s.load.base.k !== 'id' || s.load.at.k !== 'int') return null;
  const at = Number(s.load.at.v);
  return Math.abs(at) <= LDRSB_REACH ? { base: s.load.base.name, at } : null;
}

/** One weight of a row and the MACs that read it, in the row's order. */
interface Group {
  w: WeightLoad;
  macs: PlanMac[];
}

const macLine = (insn: ScheduledMac, m: PlanMac): string => (insn === 'mla'
  ? `mla %[${m.acc}], %[${m.w}], %[${m.x}], %[${m.acc}]`
  : `smlabb %[${m.acc}], %[${m.x}], %[${m.w}], %[${m.acc}]`);

/**
 * A row's taps (8-bit weights through the pointer `wp`, 32-bit accumulators) as the scheduled chain: the first weight
 * as a C load, then per weight one asm statement that loads the next weight (declared just before) and multiplies.
 */
export function scheduledTaps(taps: Tap[], inputs: { id: string; stmts: Stmt[] }[], wp: string, insn: ScheduledMac): Stmt[] {
  const groups: Group[] = taps.flatMap((t) => t.weights.map((w) => ({ w, macs: t.macs.filter((m) => m.w === w.id) })));
  const at = (w: WeightLoad) => w.rel ?? w.index;
  const cLoad = (w: WeightLoad): Stmt => ({ k: 'load', load: { k: 'elem', name: w.id, type: 'int32_t', base: id(wp), at: int(at(w)), cast: false } });
  // Each input loads (in C) just before the first group that reads it, whose MACs multiply the inputs loaded earlier
  // first: live no longer than it must be (with a row's inputs all loaded first GCC spilled, and with them loaded a
  // group ahead, 2 x 3 blockings spilled), and the group's other MACs between the load and its use. GCC's early
  // scheduling is off (scheduledNoSchedule), so this order stays.
  const firstUse = (x: string) => groups.findIndex((g) => g.macs.some((m) => m.x === x));
  for (const g of groups) g.macs = [...g.macs].sort((a, b) => firstUse(a.x) - firstUse(b.x));
  const out: Stmt[] = [...inputs.filter((l) => firstUse(l.id) < 0).flatMap((l) => l.stmts)];
  if (groups.length) out.push(cLoad(groups[0].w));
  groups.forEach((g, i) => {
    const fresh = inputs.filter((l) => Math.max(0, firstUse(l.id)) === i);
    // A plain byte load (no offset to add) goes into the statement itself, first, so that GCC's late scheduling
    // cannot put it right before its use (measured: it did, a 1-cycle interlock at each row's start); the others
    // stay C loads just before it.
    const inAsm = fresh.map((l) => ({ l, b: plainByte(l.stmts) })).filter((x) => x.b !== null) as { l: (typeof inputs)[number]; b: PlainByte }[];
    out.push(...fresh.filter((l) => !inAsm.some((x) => x.l === l)).flatMap((l) => l.stmts));
    const next = groups[i + 1];
    const ahead = next !== undefined && Math.abs(at(next.w)) <= LDRSB_REACH;
    const lines: string[] = [];
    const outputs: AsmOperand[] = [];
    const ins = new Map<string, AsmOperand>();
    const input = (name: string) => ins.set(name, { name, constraint: 'r', e: id(name) });
    // early-clobber outputs: written before the other operands are read, so they share a register with none of them
    for (const { l, b } of inAsm) {
      out.push(decl(scalar('int32_t'), l.id));
      lines.push(`ldrsb %[${l.id}], [%[${b.base}], #${b.at}]`);
      outputs.push({ name: l.id, constraint: '=&r', e: id(l.id) });
      input(b.base);
    }
    if (ahead) {
      out.push(decl(scalar('int32_t'), next.w.id));
      lines.push(`ldrsb %[${next.w.id}], [%[${wp}], #${at(next.w)}]`);
      outputs.push({ name: next.w.id, constraint: '=&r', e: id(next.w.id) });
      input(wp);
    }
    input(g.w.id);
    const accs = new Set<string>();
    for (const m of g.macs) {
      lines.push(macLine(insn, m));
      if (!accs.has(m.acc)) outputs.push({ name: m.acc, constraint: '+r', e: id(m.acc) });
      accs.add(m.acc);
      if (!inAsm.some((x) => x.l.id === m.x)) input(m.x);
    }
    // Reading the input through a pointer: the "memory" clobber keeps the statement after any store to it (one
    // memory operand per byte needed a register each at -O0, more than A32 has)
    if (lines.length) out.push({ k: 'asm', lines, outputs, inputs: [...ins.values()], clobbers: inAsm.length ? ['memory'] : [],
      needs: insn === 'smlabb' ? ['dspv5te'] : [] });
    if (next && !ahead) out.push(cLoad(next.w));
  });
  return out;
}
