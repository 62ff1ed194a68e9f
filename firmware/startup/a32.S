/*
 * Startup for ARM-state targets (ARMv4T and later): vector table at _start,
 * per-mode stacks, optional VFP/NEON enable, .data copy, .bss zero, on
 * ARMv7-A a flat MMU map, main().
 * Only ARMv4T instructions outside the #if blocks (must run on -cpu ti925t).
 * startup/s3c2410.S includes this file with CONVGEN_BOARD_S3C2410 defined.
 */
#include "convgen_fw.h"

#define MODE_FIQ 0x11
#define MODE_IRQ 0x12
#define MODE_SVC 0x13
#define MODE_ABT 0x17
#define MODE_UND 0x1B
#define NO_INT   0xC0   /* I and F set */
#define PSR_T    0x20

/* Enable the FPU whenever the compiler may emit VFP/NEON code. */
#if defined(CONVGEN_ENABLE_NEON) || defined(__ARM_FP) || defined(__ARM_NEON)
#define ENABLE_VFP 1
#endif

    .syntax unified
    .arm

    .section .vectors, "ax", %progbits
    .global _start
    .type _start, %function
_start:
    b   reset
    b   und_handler
    b   svc_handler
    b   pabt_handler
    b   dabt_handler
    b   .               /* reserved */
    b   irq_handler
    b   fiq_handler
    .size _start, . - _start

    .section .text.convgen_startup, "ax", %progbits
reset:
#ifdef CONVGEN_BOARD_S3C2410
    ldr r0, =0x53000000     /* WTCON = 0: stop the watchdog */
    mov r1, #0
    str r1, [r0]
    ldr r0, =0x4A000008     /* INTMSK: mask every source */
    mvn r1, #0
    str r1, [r0]
    ldr r0, =0x4A00001C     /* INTSUBMSK: mask every sub-source */
    ldr r1, =0x7FF
    str r1, [r0]
#endif
    /* Exception modes share one small stack: their handlers never return. */
    ldr r0, =__exc_stack_top
    msr cpsr_c, #(MODE_UND | NO_INT)
    mov sp, r0
    msr cpsr_c, #(MODE_ABT | NO_INT)
    mov sp, r0
    msr cpsr_c, #(MODE_IRQ | NO_INT)
    mov sp, r0
    msr cpsr_c, #(MODE_FIQ | NO_INT)
    mov sp, r0
    msr cpsr_c, #(MODE_SVC | NO_INT)
    ldr sp, =__stack_top

#if defined(__ARM_ARCH_PROFILE) && __ARM_ARCH_PROFILE == 'A'
    /* Our table is not at 0 on these boards: point VBAR at it. */
    ldr r0, =_start
    mcr p15, 0, r0, c12, c0, 0
#endif
#ifdef ENABLE_VFP
    mrc p15, 0, r0, c1, c0, 2   /* CPACR: full access to cp10/cp11 */
    orr r0, r0, #(0xF << 20)
    mcr p15, 0, r0, c1, c0, 2
    isb
    mov r0, #0x40000000         /* FPEXC.EN */
    vmsr fpexc, r0
#endif

    ldr r0, =__data_load
    ldr r1, =__data_start
    ldr r2, =__data_end
    cmp r0, r1
    beq 2f                      /* loaded in place (RAM-only maps) */
1:  cmp r1, r2
    ldrlo r3, [r0], #4
    strlo r3, [r1], #4
    blo 1b
2:  ldr r1, =__bss_start
    ldr r2, =__bss_end
    mov r3, #0
3:  cmp r1, r2
    strlo r3, [r1], #4
    blo 3b

#if defined(__ARM_ARCH_PROFILE) && __ARM_ARCH_PROFILE == 'A'
    /* MMU on with a flat map: the 1 MiB sections from _start to the top of the
     * stacks are Normal memory, the rest Strongly-ordered; caches stay off.
     * With the MMU off every access is Strongly-ordered, where an unaligned
     * word access faults: on silicon, and in QEMU since it models that (10.0
     * does, 7.2 did not). GCC emits such accesses for ARMv7-A (unaligned
     * access is on by default there), so a real A9 runs with the MMU on. */
    ldr r0, =convgen_ttb
    ldr r1, =_start
    lsr r1, r1, #20             /* first MiB of the image */
    ldr r2, =__stack_top
    sub r2, r2, #1
    lsr r2, r2, #20             /* last MiB */
    ldr r4, =0xC02              /* section, full access, Strongly-ordered */
    ldr r5, =0x1C0E             /* section, full access, Normal (TEX=001, C, B) */
    mov r3, #0
4:  mov r6, r4
    cmp r3, r1
    blo 5f
    cmp r3, r2
    movls r6, r5
5:  orr r6, r6, r3, lsl #20     /* identity: virtual MiB i -> physical MiB i */
    str r6, [r0, r3, lsl #2]
    add r3, r3, #1
    cmp r3, #4096
    blo 4b
    mcr p15, 0, r0, c2, c0, 0   /* TTBR0 */
    mov r0, #0
    mcr p15, 0, r0, c2, c0, 2   /* TTBCR: TTBR0 translates everything */
    ldr r0, =0x55555555
    mcr p15, 0, r0, c3, c0, 0   /* DACR: every domain client (permissions checked) */
    mov r0, #0
    mcr p15, 0, r0, c8, c7, 0   /* TLBIALL */
    dsb
    isb
    mrc p15, 0, r0, c1, c0, 0
    bic r0, r0, #2              /* SCTLR.A = 0: unaligned word accesses allowed */
    orr r0, r0, #1              /* SCTLR.M = 1 */
    mcr p15, 0, r0, c1, c0, 0
    isb
#endif

    bl  main
    bl  convgen_exit            /* does not return */
    b   .

/* Report the faulting instruction's address; r0 = kind, r1 = address. */
und_handler:
    mrs r0, spsr
    tst r0, #PSR_T
    subne r1, lr, #2
    subeq r1, lr, #4
    mov r0, #CONVGEN_FAULT_UNDEF
    b   fault
svc_handler:                    /* an SVC that was not a semihosting call */
    mrs r0, spsr
    tst r0, #PSR_T
    subne r1, lr, #2
    subeq r1, lr, #4
    mov r0, #CONVGEN_FAULT_SVC
    b   fault
pabt_handler:
    sub r1, lr, #4
    mov r0, #CONVGEN_FAULT_PABT
    b   fault
dabt_handler:
    sub r1, lr, #8
    mov r0, #CONVGEN_FAULT_DABT
    b   fault
irq_handler:
    sub r1, lr, #4
    mov r0, #CONVGEN_FAULT_IRQ
    b   fault
fiq_handler:
    sub r1, lr, #4
    mov r0, #CONVGEN_FAULT_FIQ
fault:
    ldr sp, =__exc_stack_top    /* SVC mode (svc_handler) has its own sp: reset it too */
    bl  convgen_fault           /* ARM-state C: plain bl is fine on v4T */
    b   .
    .ltorg

#if defined(__ARM_ARCH_PROFILE) && __ARM_ARCH_PROFILE == 'A'
    /* The first-level translation table: 4096 section entries, 16 KiB aligned. Not in .bss: the harnesses poison
     * .bss before every kernel call (ld/common.ld places .convgen_noinit after it; the loop above writes every entry). */
    .section .convgen_noinit.ttb, "aw", %nobits
    .balign 16384
convgen_ttb:
    .space 16384
#endif
