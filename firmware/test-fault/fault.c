/*
 * Fault-path test kernel. in[0]: 0 = CLZ (ARMv5; undefined on ARMv4T) or UDF on
 * M-profile, 1 = permanently undefined encoding, 2 = load from an unmapped
 * address (bus fault on mps2/mps3; QEMU's versatilepb, vexpress and microbit
 * read zero), 3 = BKPT #1 (prefetch abort on ARMv5+; undefined on ARMv4T) /
 * jump to an unmapped address (M), 4 = unaligned load with alignment
 * checking on (A32) / unaligned LDR/LDRD (M), 5 = NEON/MVE add (out = 2 * in;
 * proves the startup enabled the unit), 6 = disable the unit, then as 5
 * (must fault); anything else: out = in.
 */
#include "fault.h"

#define UNMAPPED 0xF0000000u

static uint32_t vector_double(uint32_t x)
{
#if defined(__ARM_NEON)
    __asm__ volatile("vdup.32 q0, %0\n"
                     "vadd.i32 q0, q0, q0\n"
                     "vmov.32 %0, d0[0]"
                     : "+r"(x) : : "q0");
#elif defined(__ARM_FEATURE_MVE)
    __asm__ volatile("vdup.32 q0, %0\n"
                     "vadd.i32 q0, q0, q0\n"
                     "vmov.32 %0, q0[0]"
                     : "+r"(x) : : "q0");
#else
    x *= 2u;
#endif
    return x;
}

static void vector_disable(void)
{
#if defined(__ARM_NEON)
    __asm__ volatile("vmsr fpexc, %0" : : "r"(0u)); /* FPEXC.EN = 0 */
#elif defined(__ARM_FEATURE_MVE)
    *(volatile uint32_t *)0xE000ED88u &= ~(0xFu << 20); /* CPACR cp10/cp11 */
    __asm__ volatile("dsb\n"
                     "isb" ::: "memory");
#endif
}

void fault_run(const uint32_t *in, uint32_t *out)
{
    switch (in[0]) {
    case 0:
#if defined(__ARM_ARCH_PROFILE) && __ARM_ARCH_PROFILE == 'M'
        __asm__ volatile("udf #0");
#else
        __asm__ volatile(".inst 0xe16f0f11" ::: "r0"); /* clz r0, r1 */
#endif
        break;
    case 1:
#if defined(__thumb__)
        __asm__ volatile(".inst.n 0xdeff"); /* udf #255 */
#else
        __asm__ volatile(".inst 0xe7f000f0"); /* udf #0 */
#endif
        break;
    case 2:
        out[0] = *(volatile uint32_t *)UNMAPPED;
        return;
    case 3:
#if defined(__ARM_ARCH_PROFILE) && __ARM_ARCH_PROFILE == 'M'
        ((void (*)(void))UNMAPPED)();
#else
        __asm__ volatile(".inst 0xe1200071"); /* bkpt #1, not the semihosting 0xab */
#endif
        break;
    case 4: {
        uint32_t v;
#if defined(__ARM_ARCH_PROFILE) && __ARM_ARCH_PROFILE == 'M'
#if __ARM_ARCH >= 7
        uint32_t w;
        __asm__ volatile("ldrd %0, %1, [%2]" : "=r"(v), "=r"(w) : "r"((uintptr_t)in + 1u));
        v ^= w;
#else
        __asm__ volatile("ldr %0, [%1]" : "=r"(v) : "r"((uintptr_t)in + 1u));
#endif
#else
        __asm__ volatile("mrc p15, 0, r0, c1, c0, 0\n"
                         "orr r0, r0, #2\n" /* SCTLR.A */
                         "mcr p15, 0, r0, c1, c0, 0\n"
                         "ldr %0, [%1]"
                         : "=r"(v) : "r"((uintptr_t)in + 1u) : "r0", "memory");
#endif
        out[0] = v;
        return;
    }
    case 6:
        vector_disable();
        /* fall through */
    case 5:
        out[0] = vector_double(in[0]);
        return;
    default:
        break;
    }
    out[0] = in[0];
}
