/**
 * The disassembly reader behind the cycle models: classes, conditions and the operand details the timing tables
 * use, on lines as `arm-none-eabi-objdump -d -M reg-names-raw` prints them. And the estimator on a hand-made profile.
 */
import { describe, expect, it } from 'vitest';
import { ALWAYS, decode, parseObjdump, splitMnemonic } from '../../src/cycles/insn.ts';
import { estimate, watchFile, type ExecRecord } from '../../src/cycles/model.ts';
import { parseProfile } from '../../src/cycles/profile.ts';
import { cycleModel } from '../../src/cycles/index.ts';

const arm = (text: string, ops: string) => decode(0x100, 'e0000000', text, ops);
const thumb2 = (text: string, ops: string) => decode(0x100, 'f000 0000', text, ops);
const thumb = (text: string, ops: string) => decode(0x100, '3101', text, ops);

describe('instruction decoding', () => {
  it('splits condition and flag-setting suffixes without eating real mnemonics', () => {
    expect(splitMnemonic('bls')).toEqual({ op: 'b', cond: 9, setsFlags: false });
    expect(splitMnemonic('mls')).toEqual({ op: 'mls', cond: ALWAYS, setsFlags: false });
    expect(splitMnemonic('smlalbb')).toEqual({ op: 'smlalbb', cond: ALWAYS, setsFlags: false });
    expect(splitMnemonic('addseq')).toEqual({ op: 'add', cond: 0, setsFlags: true });
    expect(splitMnemonic('ldrsbne')).toEqual({ op: 'ldrsb', cond: 1, setsFlags: false });
    expect(splitMnemonic('bhs')).toEqual({ op: 'b', cond: 2, setsFlags: false });
    expect(splitMnemonic('teq')).toEqual({ op: 'teq', cond: ALWAYS, setsFlags: false });
    expect(splitMnemonic('umulls')).toEqual({ op: 'umull', cond: ALWAYS, setsFlags: true });
  });

  it('finds the multiplier operand (Rs) and the accumulators', () => {
    const smlal = arm('smlal', 'r3, r1, r7, r9');
    expect([smlal.cls, smlal.long, smlal.rs, smlal.rm, smlal.defs, smlal.acc]).toEqual(['mul', true, 9, 7, [3, 1], [3, 1]]);
    expect(smlal.uses.sort()).toEqual([1, 3, 7, 9]);
    const mla = arm('mla', 'r8, r0, r4, r8');
    expect([mla.rs, mla.rm, mla.acc, mla.defs]).toEqual([4, 0, [8], [8]]);
    const muls = thumb('muls', 'r3, r4');
    expect([muls.defs, muls.uses.sort()]).toEqual([[3], [3, 4]]);
  });

  it('reads loads: size, written-back base, loaded registers, scaled offsets, ARM LDRD', () => {
    const post = arm('ldrsb', 'r9, [r6], #1');
    expect([post.cls, post.bytes, post.loaded, post.defs.sort(), post.addr]).toEqual(['load', 1, [9], [6, 9], [6]]);
    const scaled = arm('ldr', 'r3, [r0, r1, lsl #2]');
    expect([scaled.scaledOffset, scaled.uses.sort()]).toEqual([true, [0, 1]]);
    expect(arm('ldr', 'r3, [r0, r1]').scaledOffset).toBe(false);
    expect(arm('ldrd', 'r10, [r0]').loaded).toEqual([10, 11]); // objdump shows Rt only in ARM state
    expect(thumb2('ldrd', 'r2, r3, [r0, #8]').loaded).toEqual([2, 3]);
    const pc = arm('ldr', 'r15, [r13], #4');
    expect(pc.writesPc).toBe(true);
    const st = arm('str', 'r2, [r1, #4]!');
    expect([st.cls, st.defs, st.uses.sort()]).toEqual(['store', [1], [1, 2]]);
  });

  it('reads load/store multiples, branches and register-specified shifts', () => {
    const pop = thumb2('pop', '{r4, r5, r6, r7, r15}');
    expect([pop.cls, pop.nregs, pop.writesPc, pop.loaded]).toEqual(['ldm', 5, true, [4, 5, 6, 7, 15]]);
    const ldm = arm('ldmia', 'r13!, {r4, r5, r6, r7}');
    expect([ldm.nregs, ldm.defs.includes(13)]).toEqual([4, true]);
    const stm = arm('stmib', 'r13, {r4, r11}');
    expect([stm.cls, stm.nregs, stm.defs]).toEqual(['stm', 2, []]);
    const bne = thumb('bne.n', 'a2 <loop_alu>');
    expect([bne.cls, bne.cond, bne.target, bne.uses]).toEqual(['branch', 1, 0xa2, []]);
    expect(arm('bx', 'r14').uses).toEqual([14]);
    expect(arm('add', 'r3, r3, r3, lsl r2').regShift).toBe(true);
    expect(arm('add', 'r3, r3, r3, lsl #2').regShift).toBe(false);
    expect(arm('lsl', 'r0, r1, r2').regShift).toBe(true); // ARM state: MOV with a register shift
    expect(thumb2('lsl', 'r0, r1, r2').regShift).toBe(false);
    expect(thumb('eors', 'r2, r1').uses.sort()).toEqual([1, 2]); // two-operand Thumb reads its destination
    expect(arm('cmp', 'r6, r3').defs).toEqual([]);
  });

  it('classifies vector instructions', () => {
    expect(thumb2('vldrb.u8', 'q4, [r11, #96]').cls).toBe('vload');
    const mlav = thumb2('vmlava.s8', 'r6, q0, q4');
    expect([mlav.cls, mlav.op, mlav.dt, mlav.defs, mlav.uses]).toEqual(['vector', 'vmlava', 's8', [6], [6]]);
    expect(arm('vst1.8', '{d0-d1}, [r1]!').cls).toBe('vstore');
  });

  it('parses objdump text: instructions by address, data skipped', () => {
    const text = [
      '000000d8 <f>:',
      '      d8:\te92d4ff0 \tpush\t{r4, r5, r6, r7, r8, r9, r10, r11, r14}',
      '      dc:\t3101      \tadds\tr1, #1',
      '      de:\tf8d1 2000 \tldr.w\tr2, [r1]',
      '      e2:\t00001580 \t.word\t0x00001580',
    ].join('\n');
    const m = parseObjdump(text);
    expect([...m.keys()]).toEqual([0xd8, 0xdc, 0xde]);
    expect([m.get(0xd8)!.thumb, m.get(0xdc)!.size, m.get(0xde)!.size, m.get(0xde)!.text]).toEqual([false, 2, 4, 'ldr']);
  });
});

describe('the estimator on a hand-made profile', () => {
  // ldrsb r9, [r6]; smlal r3, r1, r7, r9; subs r2, r2, #1; bne (back to the ldrsb)
  const code = parseObjdump([
    '     100:\te1d690d0 \tldrsb\tr9, [r6]',
    '     104:\te0e13997 \tsmlal\tr3, r1, r7, r9',
    '     108:\te2522001 \tsubs\tr2, r2, #1',
    '     10c:\t1afffffb \tbne\t100 <f>',
  ].join('\n'));
  const m = (s1: number, s2: number) => [s1, 0, 0, 0, s2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ...new Array(16).fill(0)];

  it('costs the ARM920T loop from its table', () => {
    const window: ExecRecord[] = [
      { pc: 0x100, n: 10, taken: 0, entered: 9 },
      { pc: 0x104, n: 10, taken: 0, entered: 0, pass: 10, mul: m(7, 3) }, // Rs in class 1 seven times, 2 three times
      { pc: 0x108, n: 10, taken: 0, entered: 0 },
      { pc: 0x10c, n: 10, taken: 9, entered: 0 },
    ];
    const e = estimate(cycleModel('arm9tdmi'), code, window);
    // ldrsb 1 + 2 (byte used next) each; smlal 3 + m; subs 1; bne 1, +2 when taken
    expect(e.breakdown).toMatchObject({ execute: 10 + 10 + 10 + 9 * 0, interlock: 20, multiply: 7 * 4 + 3 * 5, branch: 18 });
    expect(e.cycles).toBe(10 + 20 + 43 + 10 + 10 + 18);
    expect(e.perPc.get(0x104)).toBe(43);
  });

  it('writes a watch line for the multiply (Rs, condition) and parses the plugin profile', () => {
    expect(watchFile(cycleModel('arm9tdmi'), code)).toBe('104 14 9 -1\n');
    expect(watchFile(cycleModel('cortex-m4'), code)).toBe('');
    const p = parseProfile('{"windows":[\n[{"pc":256,"n":1,"taken":0,"entered":1,"pass":1,"mul":[' + new Array(32).fill(0).join(',') + ']}]]}\n', 'p.json');
    expect(p[0][0]).toMatchObject({ pc: 256, n: 1, pass: 1 });
    expect(() => parseProfile('{"windows":[[{"pc":1}]]}', 'p.json')).toThrow(/without n/);
    expect(() => parseProfile('nope', 'p.json')).toThrow(/not JSON/);
  });
});
