/*
 * Startup for M-profile targets: vector table, reset (FPU/MVE enable, .data
 * copy, .bss zero, main) and fault handlers that report the stacked PC.
 */
#include <stdint.h>
#include "convgen_fw.h"

extern uint32_t __stack_top[];
extern uint32_t __data_load[], __data_start[], __data_end[];
extern uint32_t __bss_start[], __bss_end[];

#define SCB_SHCSR (*(volatile uint32_t *)0xE000ED24u)

void Reset_Handler(void);
void NMI_Handler(void);
void HardFault_Handler(void);
void MemManage_Handler(void);
void BusFault_Handler(void);
void UsageFault_Handler(void);
void SecureFault_Handler(void);
void Default_Handler(void);

/* No interrupts are enabled, so the 16 system entries suffice. */
__attribute__((section(".vectors"), used))
const uintptr_t convgen_vectors[16] = {
    (uintptr_t)__stack_top,
    (uintptr_t)Reset_Handler,
    (uintptr_t)NMI_Handler,
    (uintptr_t)HardFault_Handler,
    (uintptr_t)MemManage_Handler,
    (uintptr_t)BusFault_Handler,
    (uintptr_t)UsageFault_Handler,
    (uintptr_t)SecureFault_Handler,
    0, 0, 0,
    (uintptr_t)Default_Handler, /* SVCall */
    (uintptr_t)Default_Handler, /* DebugMonitor */
    0,
    (uintptr_t)Default_Handler, /* PendSV */
    (uintptr_t)Default_Handler, /* SysTick */
};

__attribute__((noreturn)) void convgen_reset_c(void);
__attribute__((noreturn)) void convgen_reset_c(void)
{
    volatile uint32_t *src = __data_load, *dst = __data_start;

#if __ARM_ARCH >= 7
    /* Separate MemManage/BusFault/UsageFault (+SecureFault on v8-M) reports. */
    SCB_SHCSR |= (7u << 16)
#if defined(__ARM_ARCH_8M_MAIN__) || defined(__ARM_ARCH_8_1M_MAIN__)
                 | (1u << 19)
#endif
        ;
#endif
    /* volatile: keeps GCC from turning these loops into memcpy/memset calls. */
    if (src != dst) {
        while (dst < __data_end)
            *dst++ = *src++;
    }
    for (dst = __bss_start; dst < __bss_end;)
        *dst++ = 0;

    convgen_exit(main());
}

/*
 * Naked so that nothing (e.g. vectorised code under -mfloat-abi=hard) runs
 * before CPACR grants cp10/cp11; MVE/FP instructions would otherwise NOCP-fault.
 */
__attribute__((naked)) void Reset_Handler(void)
{
    __asm__ volatile(
#if defined(__ARM_FP) || defined(__ARM_FEATURE_MVE) || defined(CONVGEN_ENABLE_FPU)
        "ldr r0, =0xE000ED88\n"  /* CPACR */
        "ldr r1, [r0]\n"
        "orr r1, r1, #0x00F00000\n"
        "str r1, [r0]\n"
        "dsb\n"
        "isb\n"
#endif
        "bl convgen_reset_c\n"
        ".ltorg\n");
}

/* r1 = PC from the exception frame (on MSP or PSP per EXC_RETURN bit 2). */
#define STR_(x) #x
#define STR(x) STR_(x)
#define FAULT_STUB(name, kind)                                   \
    __attribute__((naked)) void name(void)                       \
    {                                                            \
        __asm__ volatile("movs r0, #4\n"                         \
                         "mov r1, lr\n"                          \
                         "tst r0, r1\n"                          \
                         "beq 1f\n"                              \
                         "mrs r1, psp\n"                         \
                         "b 2f\n"                                \
                         "1: mrs r1, msp\n"                      \
                         "2: ldr r1, [r1, #24]\n"                \
                         "movs r0, #" STR(kind) "\n"             \
                         "bl convgen_fault\n");                  \
    }

FAULT_STUB(NMI_Handler, CONVGEN_FAULT_NMI)
FAULT_STUB(HardFault_Handler, CONVGEN_FAULT_HARDFAULT)
FAULT_STUB(MemManage_Handler, CONVGEN_FAULT_MEMMANAGE)
FAULT_STUB(BusFault_Handler, CONVGEN_FAULT_BUSFAULT)
FAULT_STUB(UsageFault_Handler, CONVGEN_FAULT_USAGEFAULT)
FAULT_STUB(SecureFault_Handler, CONVGEN_FAULT_SECUREFAULT)
FAULT_STUB(Default_Handler, CONVGEN_FAULT_OTHER)
