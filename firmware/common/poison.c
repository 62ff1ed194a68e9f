/*
 * Poisoning the stack and the static buffers of a bare-metal image before each kernel call (see
 * include/convgen_poison.h for why and for the rule generated code follows). The bounds come from the linker
 * script (ld/common.ld): .bss is [__bss_start, __bss_end), the main stack grows down from __stack_top to
 * __stack_limit. No interrupt is ever enabled, so nothing else writes below the stack pointer.
 */
#include <stddef.h>
#include <stdint.h>
#include "convgen_fw.h"

extern uint8_t __bss_start[], __bss_end[];

/* A loop GCC would otherwise turn into a call to memset. */
#define NO_LDP __attribute__((optimize("no-tree-loop-distribute-patterns")))

NO_LDP void convgen_poison_range(void *from, void *to, uint8_t byte)
{
    uint8_t *p = from, *end = to;
    const uint32_t word = byte * 0x01010101u;
    while (p < end && ((uintptr_t)p & 3u) != 0u)
        *p++ = byte;
    for (; p + 4 <= end; p += 4)
        *(uint32_t *)(void *)p = word;
    while (p < end)
        *p++ = byte;
}

void convgen_poison_statics(uint8_t byte, const void *keep, uint32_t keep_bytes)
{
    uint8_t *k = (uint8_t *)(uintptr_t)keep;
    if (k < __bss_start || k + keep_bytes > __bss_end) {
        convgen_poison_range(__bss_start, __bss_end, byte);
        return;
    }
    convgen_poison_range(__bss_start, k, byte);
    convgen_poison_range(k + keep_bytes, __bss_end, byte);
}

/*
 * Fills [__stack_limit, sp) with the word in r0 (the byte replicated), i.e. the whole main stack below the caller's frame:
 * 8 KiB less the harness's frame (2 KiB on the micro:bit map). Naked and without a frame of its own, because
 * any push would land in the memory it fills.
 */
__attribute__((naked)) void convgen_poison_stack_word(uint32_t word)
{
    (void)word;
    /* GCC assembles inline asm in divided syntax; this block is written (and assembles on Thumb-1) in unified. */
    __asm__ volatile(
        ".syntax unified\n"
        "ldr r1, =__stack_limit\n"
        "mov r2, sp\n"
        "1: cmp r1, r2\n"
        "bhs 2f\n"
        "str r0, [r1]\n"
        "adds r1, r1, #4\n"
        "b 1b\n"
        "2: bx lr\n"
        ".ltorg\n"
        ".syntax divided\n");
}
