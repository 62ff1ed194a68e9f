/* Minimal Cortex-M3 start-up for -M mps2-an385: vector table at 0x0,
 * zero .bss, call main, exit QEMU through semihosting SYS_EXIT_EXTENDED. */
    .syntax unified
    .cpu cortex-m3
    .thumb

    .section .vectors, "a"
    .word __stack_top
    .word reset_handler
    .word fault_handler     /* NMI */
    .word fault_handler     /* HardFault */
    .word fault_handler     /* MemManage */
    .word fault_handler     /* BusFault */
    .word fault_handler     /* UsageFault */

    .text
    .thumb_func
    .global reset_handler
reset_handler:
    ldr r0, =__bss_start
    ldr r1, =__bss_end
    movs r2, #0
1:  cmp r0, r1
    bhs 2f
    str r2, [r0], #4
    b 1b
2:  bl main
    b semihost_exit

    .thumb_func
fault_handler:
    movs r0, #99
    /* fall through */

    .thumb_func
    .global semihost_exit
semihost_exit:              /* r0 = exit status */
    sub sp, sp, #8
    ldr r1, =0x20026        /* ADP_Stopped_ApplicationExit */
    str r1, [sp]
    str r0, [sp, #4]
    mov r1, sp
    movs r0, #0x20          /* SYS_EXIT_EXTENDED */
    bkpt 0xab
3:  b 3b
    .ltorg
