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

/**
 * Registers one row statement may hold at once: accumulators, the input and weight pointers, two per live input
 * word (its even and odd lanes) and the tap's two weight words. 12 of the 14 Thumb-2 can allocate leave r7 to a frame
 * pointer (-O0, -fno-omit-frame-pointer) and one to spare: GCC refuses an asm it cannot give registers to.
 */
export const ASM_M_REGISTERS = 12;

/** Whether a blocking's rows fit ASM_M_REGISTERS (at most pb input words live: one tap's). */
export const quadAsmFits = (ob: number, pb: number): boolean => ob * pb + 2 + 2 * pb + 2 <= ASM_M_REGISTERS;

/** LDR's immediate offset reach in Thumb-2 (LDR.W: 12 bits, positive). */
const LDR_REACH = 4095;

/**
 * The interior iteration's rows as asm statements, and the weight words the pointer moved over them; null where a
 * row does not fit (registers, offsets, weights read backwards), and then the caller prints the rows in C.
 * Offsets: input elements are bytes (8-bit), weight indices int32 words from the iteration's first.
 */
export function quadAsmRows(rows: Row[], label: (r: Row) => string, pixels: number): { stmts: Stmt[]; consumed: number } | null {
  const stmts: Stmt[] = [];
  let pos = 0;
  for (const r of rows) {
    const offsets = new Map(r.loads.map((l) => [l.id, l.offset]));
    if (r.loads.some((l) => l.offset < 0 || l.offset > LDR_REACH)) return null;
    // the last tap that reads each input word: its registers are free after it
    const lastUse = new Map<string, number>();
    r.taps.forEach((t, i) => t.macs.forEach((m) => lastUse.set(m.x, i)));
    const free: [string, string][] = [];
    let temps = 0;
    const live = new Map<string, [string, string]>();
    const lines: string[] = [];
    const accs = new Set<string>();
    for (const [i, t] of r.taps.entries()) {
      // this tap's new input words: loads back to back (pipelined), then their unpacks
      const fresh = [...new Set(t.macs.map((m) => m.x))].filter((x) => !live.has(x));
      for (const x of fresh) {
        const regs = free.pop() ?? ([`t${temps++}`, `t${temps++}`] as [string, string]);
        live.set(x, regs);
        lines.push(`ldr %[${regs[0]}], [%[px], #${offsets.get(x)}]`);
      }
      const unpack = () => fresh.splice(0).forEach((x) => {
        const [e, o] = live.get(x)!;
        lines.push(`sxtb16 %[${o}], %[${e}], ror #8`, `sxtb16 %[${e}], %[${e}]`);
      });
      for (const [j, w] of t.weights.entries()) {
        if (w.index < pos) return null;
        if (w.index > pos) lines.push(`add %[w], %[w], #${(w.index - pos) * 4}`);
        // Behind the tap's input loads the first channel's two words pipeline as single LDRs (one cycle each on
        // the M4, where an LDRD takes three); elsewhere one LDRD is as fast and one instruction.
        if (j === 0 && fresh.length > 0 && w.index === pos) lines.push('ldr %[we], [%[w]], #4', 'ldr %[wo], [%[w]], #4');
        else lines.push('ldrd %[we], %[wo], [%[w]], #8');
        unpack();
        pos = w.index + 2;
        for (const m of t.macs.filter((mm) => mm.w === w.id)) {
          const [e, o] = live.get(m.x)!;
          accs.add(m.acc);
          lines.push(`smlad %[${m.acc}], %[${e}], %[we], %[${m.acc}]`, `smlad %[${m.acc}], %[${o}], %[wo], %[${m.acc}]`);
        }
      }
      for (const x of [...live.keys()])
        if (lastUse.get(x) === i && live.has(x)) {
          free.push(live.get(x)!);
          live.delete(x);
        }
    }
    if (accs.size + 2 + temps + 2 > ASM_M_REGISTERS || temps > 2 * pixels) return null;
    const tempNames = Array.from({ length: temps }, (_, k) => `t${k}`);
    const out = (name: string, constraint: string): AsmOperand => ({ name, constraint, e: id(name) });
    stmts.push({
      k: 'block', comment: label(r), body: [
        { k: 'decls', type: scalar('int32_t'), vars: [...tempNames, 'we', 'wo'].map((name) => ({ name })) },
        {
          k: 'asm', lines, needs: ['simd32'], clobbers: ['memory'],
          outputs: [...[...accs].sort().map((a) => out(a, '+r')), out('w', '+r'), ...[...tempNames, 'we', 'wo'].map((t) => out(t, '=&r'))],
          inputs: [out('px', 'r')],
        },
      ],
    });
  }
  return { stmts, consumed: pos };
}
