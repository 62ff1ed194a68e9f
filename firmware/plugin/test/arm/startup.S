/* Minimal ARM-state start-up for -M versatilepb -cpu arm926: QEMU jumps to the
 * ELF entry in SVC mode; set SP, zero .bss, call main, exit through
 * semihosting SYS_EXIT_EXTENDED. */
    .syntax unified
    .arm

    .section .text.start, "ax"
    .global _start
_start:
    ldr sp, =__stack_top
    ldr r0, =__bss_start
    ldr r1, =__bss_end
    mov r2, #0
1:  cmp r0, r1
    strlo r2, [r0], #4
    blo 1b
    bl main
    /* fall through with r0 = exit status */
    .global semihost_exit
semihost_exit:
    sub sp, sp, #8
    ldr r1, =0x20026        /* ADP_Stopped_ApplicationExit */
    str r1, [sp]
    str r0, [sp, #4]
    mov r1, sp
    mov r0, #0x20           /* SYS_EXIT_EXTENDED */
    svc 0x123456
2:  b 2b
    .ltorg
