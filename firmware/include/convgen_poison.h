/*
 * Poisoned memory, shared by every harness (QEMU, host, multi-kernel). QEMU starts with zeroed RAM and a fresh
 * .bss is zero; a real board's is not. So before every kernel call the harnesses fill what a kernel could read
 * without having written it -- the stack below the harness's frame, every static buffer (.bss) but the input
 * tensor, the output tensor and the guard bytes around it -- with a non-zero byte that changes from call to call.
 * A kernel that reads memory it did not write then computes from that byte, not from zeros, and no longer matches
 * the golden model.
 *
 * The rule for generated code: it may rely on its input tensor and its const tables only. No zeroed or preserved
 * stack, no zeroed or preserved static buffer (not even on the first call), no output left from a previous call:
 * it writes everything it reads, and every output element.
 */
#ifndef CONVGEN_POISON_H
#define CONVGEN_POISON_H
#include <stdint.h>

/* Bytes before and after the output tensor that must still hold the call's poison byte when the kernel returns. */
#define CONVGEN_GUARD_BYTES 16u

/*
 * The poison byte of call `call` (0-based, over every kernel call of the run): 0xA5, then 0x5A, then a byte of the
 * FNV-1a hash of the call's input tensor (inputs come from the run's seed, so the seed decides it), never 0.
 */
static inline uint8_t convgen_poison_byte(uint32_t call, const void *input, uint32_t bytes)
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

/* Whether the guard bytes before and after an output still hold the call's poison byte (the kernel wrote only its output). */
static inline int convgen_guards_intact(const uint8_t *before, const uint8_t *after, uint8_t byte)
{
    uint32_t i;
    for (i = 0u; i < CONVGEN_GUARD_BYTES; i++)
        if (before[i] != byte || after[i] != byte)
            return 0;
    return 1;
}

#endif
