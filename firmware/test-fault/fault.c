/*
 * Fault-path test kernel. in[0]: 0 = CLZ (ARMv5; undefined on ARMv4T) or UDF on
 * M-profile, 1 = permanently undefined encoding, 2 = load from an unmapped
 * address (bus fault on mps2/mps3; QEMU's versatilepb, vexpress and microbit
 * read zero), 3 = BKPT #1 (prefetch abort on ARMv5+; undefined on ARMv4T) /
 * jump to an unmapped address (M), 4 = unaligned load with alignment
 * checking on (A32) / unaligned LDR/LDRD (M); anything else: out = in.
 */
#include "fault.h"

#define UNMAPPED 0xF0000000u

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
    default:
        break;
    }
    out[0] = in[0];
}
