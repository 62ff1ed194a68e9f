/* Hand-counted windows for ARM state (ARM926EJ-S). N = loop iterations.
 * Arguments are set up BEFORE the begin marker so that each window contains
 * only: begin's `bx lr`, `bl kernel`, the kernel, `bl convgen_mark_end`.
 *
 * Expected per window (see run-tests.sh):
 *   1 alu   : insns 4N+4          loads 0      stores 0      memInsns 0
 *   2 mem   : insns 8N+5          loads 7N+5   stores 7N+5   memInsns 6N+2
 *   3 empty : insns 4             loads 0      stores 0      memInsns 0
 *   4 cond  : insns 4N+4          loads 0      stores 0      memInsns 0
 */
    .syntax unified
    .arm

    .bss
    .balign 8
buf:    .space 32

    .text
    .global run_asm_windows
run_asm_windows:
    push {r4, lr}

    ldr r0, =N
    bl convgen_mark_begin
    bl loop_alu
    bl convgen_mark_end

    ldr r0, =N
    ldr r1, =buf
    bl convgen_mark_begin
    bl loop_mem
    bl convgen_mark_end

    bl convgen_mark_begin
    bl empty_kernel
    bl convgen_mark_end

    ldr r0, =N
    ldr r1, =buf
    bl convgen_mark_begin
    bl loop_cond
    bl convgen_mark_end

    pop {r4, pc}
    .ltorg

loop_alu:
1:  add r1, r1, #1
    eor r2, r2, r1
    subs r0, r0, #1
    bne 1b
    bx lr

loop_mem:
    push {r4-r7, lr}            /* stmdb sp!: 5 stores */
1:  ldr r2, [r1]                /* 1 load   */
    str r2, [r1, #4]            /* 1 store  */
    ldmia r1, {r2-r5}           /* 4 loads  */
    stmia r1, {r2-r5}           /* 4 stores */
    ldrd r6, r7, [r1, #16]      /* 2 loads  */
    strd r6, r7, [r1, #16]      /* 2 stores */
    subs r0, r0, #1
    bne 1b
    pop {r4-r7, pc}             /* ldmia sp!: 5 loads */

empty_kernel:
    bx lr

/* condition-failed load: cmp, ldreq, subs, bne per iteration + bx lr */
loop_cond:
1:  cmp r0, #0
    ldreq r2, [r1]
    subs r0, r0, #1
    bne 1b
    bx lr
