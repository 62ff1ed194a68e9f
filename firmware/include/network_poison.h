/*
 * Poisoned memory for the network harnesses (harness/network_main.c, host/network_main.c). QEMU starts with zeroed
 * RAM and a fresh .bss is zero; a board's is not. Before every inference the harness fills what the network could
 * read without having written it -- the arena, the output and its guard bytes, the stack below the harness's frame --
 * with a non-zero byte that changes from call to call, so that code reading memory it did not write computes from
 * that byte and no longer matches the golden model.
 */
#ifndef CONVGEN_NETWORK_POISON_H
#define CONVGEN_NETWORK_POISON_H
#include <stdint.h>
#include <string.h>

/* The byte of inference `call`: 0xA5, then 0x5A, then a byte of the FNV-1a hash of the input (never 0). */
static inline uint8_t convgen_net_poison_byte(uint32_t call, const void *input, uint32_t bytes)
{
    const uint8_t *p = (const uint8_t *)input;
    uint32_t h = 0x811c9dc5u, i;
    uint8_t b;
    if (call == 0u)
        return 0xA5u;
    if (call == 1u)
        return 0x5Au;
    for (i = 0u; i < bytes; i++)
        h = (h ^ p[i]) * 0x01000193u;
    b = (uint8_t)(h ^ (h >> 8) ^ (h >> 16) ^ (h >> 24) ^ call);
    return b != 0u ? b : 0xC3u;
}

static inline void convgen_net_poison(void *p, uint32_t bytes, uint8_t byte)
{
    memset(p, byte, bytes);
}

#if defined(__arm__) && !defined(__linux__)
/*
 * The main stack below the caller's stack pointer, [__exc_stack_top, sp) (ld/common.ld: the main stack grows down
 * from __stack_top to __exc_stack_top), filled with the word in r0. Naked and frameless: a push would land in the
 * memory it fills. Written in unified syntax that Thumb-1 assembles too.
 */
__attribute__((naked, noinline)) static void convgen_net_poison_stack_word(uint32_t word)
{
    (void)word;
    __asm__ volatile(
        ".syntax unified\n"
        "ldr r1, =__exc_stack_top\n"
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
#define convgen_net_poison_stack(byte) convgen_net_poison_stack_word((uint32_t)(byte) * 0x01010101u)
#else
/* On the host: 64 KiB below the caller's frame, through a frame of that size (what a deep network call would reuse). */
__attribute__((noinline)) static void convgen_net_poison_stack(uint8_t byte)
{
    volatile uint8_t below[65536];
    uint32_t i;
    for (i = 0u; i < sizeof below; i++)
        below[i] = byte;
}
#endif

#endif
