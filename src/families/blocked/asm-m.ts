/**
 * M-profile inline assembly for the blocked family: quad's interior kernel rows (8-bit HWC, weights pre-widened to
 * int16 pairs) as one asm statement each, for the Thumb-2 DSP cores (the row's `quadAsmRows`).
 *
 * Why assembly: in C, GCC hoists a row's input loads ahead of its MACs and interleaves each weight LDR with its
 * SMLADs (register pressure, docs/cycles.md item 5); no scheduling flag changed that. Here each input word is loaded
 * and unpacked just before the first tap that reads it and its registers are reused once no later tap does, and each
 * output channel's two weight words of a tap come in one post-indexed LDRD (one instruction where C spent two LDRs),
 * so the weight pointer walks the blocked array in the order it is stored and the loop adds nothing to it.
 */
import { id, scalar } from '../../ir/expr.ts';
import type { AsmOperand, Stmt } from '../../ir/kernel-ir.ts';
import type { Row } from './plan.ts';
import { loadReach } from '../../targets/load-reach.ts';

/**
 * Registers one row statement may hold at once: accumulators, the input and weight pointers, two per live input
 * word (its even and odd lanes) and the tap's two weight words. 12 of the 14 Thumb-2 can allocate leave r7 to a frame
 * pointer (-O0, -fno-omit-frame-pointer) and one to spare: GCC refuses an asm it cannot give registers to.
 */
export const ASM_M_REGISTERS = 12;

/**
 * Whether a blocking's rows fit ASM_M_REGISTERS, with the packed input offset in one more register where the rows add
 * it (border functions). Live input words: one tap's pb, or pb - 1 with one output channel (pixel order frees the
 * first pixel's word before the last pixel's is loaded; stride 1, which the search assumes).
 */
export const quadAsmFits = (ob: number, pb: number, offset = false): boolean =>
  ob * pb + 2 + 2 * (ob === 1 ? Math.max(1, pb - 1) : pb) + 2 + (offset ? 1 : 0) <= ASM_M_REGISTERS;

/** What the rows read through: the input and weight pointers' names, and the packed input offset's, if added. */
export interface AsmRowNames {
  input: string;
  weights: string;
  offsetPair: string | null;
}

/** LDR's immediate offset reach in Thumb-2 (LDR.W: 12 bits, positive). */
const LDR_REACH = loadReach.thumb2(32);

/**
 * The interior iteration's rows as asm statements, and the weight words the pointer moved over them; null where a
 * row does not fit (registers, offsets, weights read backwards), and then the caller prints the rows in C.
 * Offsets: input elements are bytes (8-bit), weight indices int32 words from the iteration's first.
 */
export function quadAsmRows(rows: Row[], label: (r: Row) => string | undefined, names: AsmRowNames): { stmts: Stmt[]; consumed: number } | null {
  const add = names.offsetPair !== null;
  const stmts: Stmt[] = [];
  let pos = 0;
  for (const r of rows) {
    const offsets = new Map(r.loads.map((l) => [l.id, l.offset]));
    if (r.loads.some((l) => l.offset < 0 || l.offset > LDR_REACH)) return null;
    // MACs in the order they are emitted (taps, then channels, then pixels): an input word's registers are free
    // after the last MAC that reads it
    const order = r.taps.flatMap((t) => t.weights.flatMap((w) => t.macs.filter((mm) => mm.w === w.id)));
    const lastUse = new Map<string, number>();
    order.forEach((m, k) => lastUse.set(m.x, k));
    const accs = new Set(order.map((m) => m.acc));
    const budget = ASM_M_REGISTERS - accs.size - 4 - (add ? 1 : 0);
    const free: [string, string][] = [];
    let temps = 0;
    const regsFor = (): [string, string] | undefined => free.pop() ?? (temps + 2 <= budget ? [`t${temps++}`, `t${temps++}`] : undefined);
    const live = new Map<string, [string, string]>();
    const lines: string[] = [];
    const load = (x: string, regs: [string, string]) => {
      live.set(x, regs);
      lines.push(`ldr %[${regs[0]}], [%[px], #${offsets.get(x)}]`);
    };
    // SXTAB16 adds the packed input offset to both lanes where the rows need it (x + offset fits int16)
    const unpack = (x: string) => {
      const [e, o] = live.get(x)!;
      if (add) lines.push(`sxtab16 %[${o}], %[off], %[${e}], ror #8`, `sxtab16 %[${e}], %[off], %[${e}]`);
      else lines.push(`sxtb16 %[${o}], %[${e}], ror #8`, `sxtb16 %[${e}], %[${e}]`);
    };
    let k = 0;
    for (const t of r.taps) {
      // this tap's new input words, as many as have registers now: loads back to back (pipelined), unpacked after
      // the first weight loads; the others just before their first MAC, in the registers of a word read for the
      // last time (one output channel: pixel p's word is dead before pixel p + 2's is needed)
      const fresh: string[] = [];
      for (const x of new Set(t.macs.map((m) => m.x))) {
        if (live.has(x)) continue;
        const regs = regsFor();
        if (!regs) break;
        load(x, regs);
        fresh.push(x);
      }
      for (const [j, w] of t.weights.entries()) {
        if (w.index < pos) return null;
        if (w.index > pos) lines.push(`add %[w], %[w], #${(w.index - pos) * 4}`);
        // Behind the tap's input loads the first channel's two words pipeline as single LDRs (one cycle each on
        // the M4, where an LDRD takes three); elsewhere one LDRD is as fast and one instruction.
        if (j === 0 && fresh.length > 0 && w.index === pos) lines.push('ldr %[we], [%[w]], #4', 'ldr %[wo], [%[w]], #4');
        else lines.push('ldrd %[we], %[wo], [%[w]], #8');
        fresh.splice(0).forEach(unpack);
        pos = w.index + 2;
        for (const m of t.macs.filter((mm) => mm.w === w.id)) {
          if (!live.has(m.x)) {
            const regs = regsFor();
            if (!regs) return null;
            load(m.x, regs);
            unpack(m.x);
          }
          const [e, o] = live.get(m.x)!;
          lines.push(`smlad %[${m.acc}], %[${e}], %[we], %[${m.acc}]`, `smlad %[${m.acc}], %[${o}], %[wo], %[${m.acc}]`);
          if (lastUse.get(m.x) === k++) {
            free.push(live.get(m.x)!);
            live.delete(m.x);
          }
        }
      }
    }
    const tempNames = Array.from({ length: temps }, (_, k) => `t${k}`);
    const out = (name: string, constraint: string, e = name): AsmOperand => ({ name, constraint, e: id(e) });
    const comment = label(r);
    stmts.push({
      k: 'block', ...(comment ? { comment } : {}), body: [
        { k: 'decls', type: scalar('int32_t'), vars: [...tempNames, 'we', 'wo'].map((name) => ({ name })) },
        {
          k: 'asm', lines, needs: ['simd32'], clobbers: ['memory'],
          outputs: [...[...accs].sort().map((a) => out(a, '+r')), out('w', '+r', names.weights), ...[...tempNames, 'we', 'wo'].map((t) => out(t, '=&r'))],
          inputs: [out('px', 'r', names.input), ...(add ? [out('off', 'r', names.offsetPair!)] : [])],
        },
      ],
    });
  }
  return { stmts, consumed: pos };
}
