/**
 * Each core's cycle model against instruction sequences timed by hand from its table (src/cycles/models, the row
 * cited on each line). A snippet runs under QEMU with the plugin like any kernel; the test adds up the model's cycles
 * of the snippet's own instructions (between the `snippet_begin` and `snippet_end` labels, so the call and the
 * register saves around it do not count) and compares with the hand total.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCounted } from '../../src/measure/index.ts';
import { findTarget } from '../../src/targets/index.ts';
import { buildImage, runTool, tools } from '../../src/toolchain/index.ts';
import { pool } from '../../src/pool.ts';

interface Snippet {
  target: string;
  /** Assembly lines; `@ n` at the end of each line is its hand-timed cost (documentation: the total is asserted). */
  body: string[];
  total: number;
}

/** Per-line costs written after `@` add up to the stated total: the table below is self-consistent. */
function handSum(s: Snippet): number {
  return s.body.reduce((a, l) => a + Number(/@\s*(\d+)/.exec(l)?.[1] ?? NaN), 0);
}

function source(target: string, body: string[]): string {
  const thumb = target.startsWith('cortex-m');
  const thumb1 = target === 'cortex-m0';
  const lines = [
    '.syntax unified', '.text', '.align 2', '.global snippet_run', '.type snippet_run, %function',
    ...(thumb ? ['.thumb', '.thumb_func'] : ['.arm']),
    'snippet_run:', thumb1 ? '  push {r4-r7, lr}' : '  push {r4-r11, lr}',
    '.global snippet_begin', 'snippet_begin:', ...body.map((l) => `  ${l}`),
    '.global snippet_end', 'snippet_end:', thumb1 ? '  pop {r4-r7, pc}' : '  pop {r4-r11, pc}', '.ltorg',
  ];
  return `/* A hand-timed instruction sequence (test/cycles/hand-timed.test.ts). */\n__asm__(\n${lines.map((l) => `    ${JSON.stringify(l + '\n')}`).join('\n')}\n);\n`;
}

const entry = `#ifndef CONVGEN_ENTRY_H
#define CONVGEN_ENTRY_H
#include <stdint.h>
void snippet_run(const int32_t *in, int32_t *out);
#define CONVGEN_NAME "snippet"
#define CONVGEN_IN_T int32_t
#define CONVGEN_OUT_T int32_t
#define CONVGEN_IN_ELEMS 4u
#define CONVGEN_OUT_ELEMS 4u
#define CONVGEN_RUN(in, out) snippet_run((in), (out))
#endif
`;

async function modelCycles(s: Snippet): Promise<number> {
  const target = findTarget(s.target)!;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `convgen-snippet-${s.target}-`));
  try {
    const kdir = path.join(work, 'kernel');
    fs.mkdirSync(kdir);
    fs.writeFileSync(path.join(kdir, 'convgen_entry.h'), entry);
    fs.writeFileSync(path.join(kdir, 'snippet.c'), source(s.target, s.body));
    const built = await buildImage(target, kdir, path.join(work, 'build'));
    const { calls, estimates } = await runCounted(built, new Uint8Array(16), path.join(work, 'run'), 60);
    expect(calls).toHaveLength(1);
    const nm = await runTool(tools.nm, [built.image], { what: 'nm' });
    const sym = (name: string) => parseInt(new RegExp(`^([0-9a-f]+) T ${name}$`, 'm').exec(nm)![1], 16) & ~1;
    const [lo, hi] = [sym('snippet_begin'), sym('snippet_end')];
    let sum = 0;
    for (const [pc, c] of estimates[0].perPc) if (pc >= lo && pc < hi) sum += c;
    if (process.env.CONVGEN_DEBUG_CYCLES) console.log(s.target, [...estimates[0].perPc].filter(([pc]) => pc >= lo && pc < hi).map(([pc, c]) => `${pc.toString(16)}:${c}`).join(' '));
    return sum;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

// Register values: r0 = the (zeroed) input tensor, r1 = the output tensor, both 8-byte aligned.
const snippets: Record<string, Snippet> = {
  'ARM920T multiplies by the size of Rs': {
    target: 'arm920t', total: 35, body: [
      'mov r2, #100          @ 1  alu',
      'mvn r3, #99           @ 1  alu (r3 = -100)',
      'mov r4, #0x10000      @ 1  alu',
      'mov r5, #0x1000000    @ 1  alu',
      'mov r6, #256          @ 1  alu',
      'mul r0, r1, r2        @ 2  mul: 1 + m, m = 1 (Rs = 100)',
      'mul r0, r1, r3        @ 2  mul: m = 1 (Rs = -100: bits [31:8] all one)',
      'mla r0, r1, r6, r0    @ 4  mla: 2 + m, m = 2 (256)',
      'smull r7, r8, r1, r4  @ 5  mull: 2 + m, m = 3 (0x10000)',
      'smlal r7, r8, r1, r5  @ 7  mlal: 3 + m, m = 4 (0x1000000)',
      'umull r7, r8, r1, r3  @ 6  mull: m = 4 (unsigned: 0xffffff9c)',
      'umlal r7, r8, r1, r2  @ 4  mlal: 3 + m, m = 1',
    ],
  },
  'ARM920T load-use interlocks': {
    target: 'arm920t', total: 18, body: [
      'ldr r2, [r0]          @ 1  load',
      'add r3, r2, #1        @ 2  alu + loadUseWord',
      'ldrb r4, [r0, #1]     @ 1  load',
      'add r5, r4, #1        @ 3  alu + loadUseByte',
      'ldrsh r6, [r0, #2]    @ 1  load',
      'mov r7, #0            @ 1  alu',
      'add r8, r6, #1        @ 2  alu + loadUseByte2',
      'ldrsb r9, [r0, #3]    @ 1  load',
      'mov r7, #1            @ 1  alu',
      'mov r7, #2            @ 1  alu',
      'add r10, r9, #1       @ 1  alu (two instructions after: no interlock)',
      'ldr r2, [r0, #4]      @ 1  load',
      'str r2, [r1]          @ 2  store + loadUseWord (store data)',
    ],
  },
  'ARM920T branches, failed conditions, LDM/STM, register shifts': {
    target: 'arm920t', total: 31, body: [
      'mov r2, #3            @ 1  alu',
      '1: subs r2, r2, #1    @ 3  alu, three times',
      'bne 1b                @ 7  branch: 3 taken twice, 1 not taken',
      'cmp r2, #0            @ 1  alu',
      'addne r3, r3, r3      @ 1  notTaken',
      'mulne r3, r3, r3      @ 1  notTaken',
      'ldrne r3, [r0]        @ 1  notTaken (and no interlock)',
      'add r3, r3, r3, lsl r2 @ 2  alu + regShift',
      'stmdb sp!, {r4-r7}    @ 4  ldm: n = 4',
      'ldmia sp!, {r4-r7}    @ 4  ldm',
      'mov r3, r7            @ 2  alu + ldmUse',
      'stmdb sp!, {r4}       @ 2  ldm: max(1, 2)',
      'ldmia sp!, {r4}       @ 2  ldm',
    ],
  },
  'ARM926EJ-S multiplies, result interlocks, LDRD, scaled offsets': {
    target: 'arm926ej-s', total: 25, body: [
      'mov r2, #100          @ 1  alu',
      'mov r3, #5            @ 1  alu',
      'mov r10, #0           @ 1  alu',
      'mul r4, r2, r3        @ 2  mul',
      'add r5, r4, #1        @ 2  alu + mulUse',
      'mla r4, r2, r3, r4    @ 2  mul',
      'mla r4, r2, r3, r4    @ 2  mul (previous result as accumulator: no interlock)',
      'smull r6, r7, r2, r3  @ 3  mull',
      'smlabb r4, r2, r3, r4 @ 1  mulxy',
      'smlalbb r6, r7, r2, r3 @ 2  mlalxy',
      'mov r8, r6            @ 2  alu + mulUse',
      'ldr r9, [r0, r10, lsl #2] @ 2  load + scaled',
      'ldrd r10, r11, [r0]   @ 2  ldrd',
      'add r12, r11, #1      @ 2  alu + ldmUse (LDRD\'s last word)',
    ],
  },
  'Cortex-M0 loads, branches, multiply': {
    target: 'cortex-m0', total: 23, body: [
      'movs r2, #3           @ 1  alu',
      '1: subs r2, #1        @ 3  alu, three times',
      'bne 1b                @ 7  branch: 3 taken twice, notTaken once',
      'ldr r3, [r0]          @ 2  load',
      'ldr r4, [r0, #4]      @ 2  load (no pipelining)',
      'muls r3, r4           @ 1  mul',
      'str r3, [r1]          @ 2  load (stores alike)',
      'adds r3, r4           @ 1  alu',
      'b 2f                  @ 3  branch',
      'nop                   @ 0  (jumped over)',
      '2: nop                @ 1',
    ],
  },
  'Cortex-M3 early-terminating long multiplies and pipelined loads': {
    target: 'cortex-m3', total: 43, body: [
      'movw r2, #100         @ 1  alu',
      'movw r3, #30000       @ 1  alu',
      'mov.w r4, #0x10000000 @ 1  alu',
      'smull r5, r6, r2, r3  @ 3  mull: both fit 16 bits, e = 0',
      'smull r5, r6, r2, r4  @ 4  mull: one does, e = 1',
      'smull r5, r6, r4, r4  @ 5  mull: neither, e = 2',
      'smlal r5, r6, r2, r3  @ 5  mlal: 4 + 1 (signed) + e = 0',
      'umlal r5, r6, r4, r4  @ 6  mlal: 4 + e = 2',
      'mul r7, r2, r3        @ 1  mul',
      'mla r7, r2, r3, r7    @ 2  mla',
      'ldr r8, [r0]          @ 2  load',
      'ldr r9, [r0, #4]      @ 1  pipelined',
      'ldr r10, [r0, #8]     @ 1  pipelined',
      'str r10, [r1]         @ 1  pipelined (a store after a load)',
      'str r9, [r1, #4]      @ 2  load (nothing pipelines after a store)',
      'ldr r11, [r1]         @ 2  load',
      'add r2, r2, #1        @ 1  alu',
      'b.w 1f                @ 3  refill: 1 + P',
      'nop                   @ 0  (jumped over)',
      '1: nop                @ 1  alu',
    ],
  },
  ...Object.fromEntries(['cortex-m4', 'cortex-m33'].map((t) => [`${t === 'cortex-m4' ? 'Cortex-M4' : 'Cortex-M33'} single-cycle MACs, load pipelining, LDRD, refill`, {
    target: t, total: 27, body: [
      'movw r2, #100         @ 1  alu',
      'movw r3, #30000       @ 1  alu',
      'mov.w r4, #0x10000000 @ 1  alu',
      'smull r5, r6, r2, r3  @ 1  mul',
      'smlal r5, r6, r4, r4  @ 1  mul',
      'smlad r7, r2, r3, r7  @ 1  mul',
      'mla r7, r2, r3, r7    @ 1  mul',
      'ldr r8, [r0]          @ 2  load',
      'ldr r9, [r0, #4]      @ 1  pipelined',
      'str r9, [r1]          @ 1  pipelined',
      'str r8, [r1, #4]      @ 2  load (after a store)',
      'ldr r2, [r0, #12]     @ 2  load (after a store)',
      'ldr r3, [r1, r2]      @ 2  load (its address needs the value just loaded)',
      'ldrd r2, r3, [r0]     @ 3  ldrd',
      'b.w 2f                @ 3  refill (a branch to the next instruction is still taken)',
      '2: b.w 1f             @ 3  refill',
      'nop                   @ 0  (jumped over)',
      '1: nop                @ 1  alu',
    ],
  } satisfies Snippet])),
  'Cortex-M7 dual issue (approximation)': {
    target: 'cortex-m7', total: 8, body: [
      'adds r2, r2, #1       @ 1  issue',
      'adds r3, r3, #1       @ 0  dual (independent)',
      'adds r2, r2, r3       @ 1  issue (reads r3 from the one before)',
      'ldr r4, [r0]          @ 0  dual',
      'ldr r5, [r0, #4]      @ 1  issue (both access memory)',
      'add r6, r5, #1        @ 2  issue + loadUse',
      'mul r7, r2, r3        @ 0  dual',
      'mul r8, r2, r3        @ 1  issue (both multiply)',
      'b.w 1f                @ 1  dual + branch',
      'nop                   @ 0  (jumped over)',
      '1: nop                @ 1  issue (reached by a jump)',
    ],
  },
  'Cortex-M55 MVE beats and low-overhead loops': {
    target: 'cortex-m55', total: 15, body: [
      'vldrw.u32 q0, [r0]    @ 2  vector',
      'vldrw.u32 q1, [r0]    @ 2  vector (same kind: no overlap)',
      'vmul.i32 q2, q0, q1   @ 1  overlap (arithmetic after memory)',
      'vadd.i32 q3, q2, q1   @ 2  vector',
      'vstrw.32 q3, [r1]     @ 1  overlap',
      'vmov r2, s0           @ 1  scalarVector',
      'movs r3, #2           @ 1  alu',
      'dls lr, r3            @ 1  lob',
      '1: adds r2, #1        @ 2  alu, twice',
      'le lr, 1b             @ 2  lob, twice (no refill)',
    ],
  },
  'Cortex-A9 rough figure': {
    target: 'cortex-a9', total: 12, body: [
      'mul r2, r3, r4        @ 2  mul',
      'smull r5, r6, r3, r4  @ 3  mull',
      'smlabb r2, r3, r4, r2 @ 1  mulxy',
      'ldr r7, [r0]          @ 1  issue',
      'add r8, r7, #1        @ 2  issue + loadUse',
      'vadd.i16 q0, q1, q2   @ 2  neonQ',
      'vadd.i16 d0, d1, d2   @ 1  neonD',
    ],
  },
};

describe('cycle models on hand-timed sequences', () => {
  it('the hand tables add up', () => {
    for (const [name, s] of Object.entries(snippets)) expect(handSum(s), name).toBe(s.total);
  });

  it('every model gives the hand total', async () => {
    const names = Object.keys(snippets);
    const got = await pool(names, 2, (n) => modelCycles(snippets[n]));
    const wrong = names.map((n, i) => ({ n, want: snippets[n].total, got: got[i] })).filter((x) => x.got !== x.want);
    expect(wrong).toEqual([]);
  }, 240_000);
});
