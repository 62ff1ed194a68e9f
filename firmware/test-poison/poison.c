/*
 * Harness self-test kernel (test/qemu/poison.test.ts): the q15 1x1 identity of spec.json (out = in, 64 elements)
 * with at most one defect, chosen at compile time. Each defect makes a kernel that is right only on zeroed memory,
 * the class of bug the harnesses' poisoning exists to catch:
 *   POISON_DEFECT_STACK    adds an element of a stack buffer it never wrote (a padding line whose zeroing was lost)
 *   POISON_DEFECT_STATIC   adds an element of a static buffer it never wrote (a buffer trusted to be zero, as .bss is)
 *   POISON_DEFECT_OUTPUT   skips the outputs whose value is 0 (trusts the output to start zeroed)
 *   POISON_DEFECT_OVERRUN  also writes one element after the output
 *   POISON_DEFECT_UNDERRUN also writes one element before the output
 * The empty asm tells GCC the buffers may have been written, so it neither warns about nor folds the read.
 */
#include <stdint.h>

#define POISON_ELEMS 64

void poison_run(const int16_t *restrict in, int16_t *restrict out);

#if defined(POISON_DEFECT_STACK)
static int16_t poison_bias(void)
{
    int16_t line[256]; /* deep enough that the harness's own calls never reached its first element */
    for (int i = 1; i < 256; ++i)
        line[i] = 0;
    __asm__ volatile("" : : "r"(line) : "memory");
    return line[0];
}
#elif defined(POISON_DEFECT_STATIC)
static int16_t poison_ring[64];
static int16_t poison_bias(void)
{
    for (int i = 1; i < 64; ++i)
        poison_ring[i] = 0;
    __asm__ volatile("" : : "r"(poison_ring) : "memory");
    return poison_ring[0];
}
#else
static int16_t poison_bias(void) { return 0; }
#endif

void poison_run(const int16_t *restrict in, int16_t *restrict out)
{
    const int16_t bias = poison_bias();
    for (int i = 0; i < POISON_ELEMS; ++i) {
#if defined(POISON_DEFECT_OUTPUT)
        if (in[i] == 0)
            continue;
#endif
        out[i] = (int16_t)(in[i] + bias);
    }
#if defined(POISON_DEFECT_OVERRUN)
    out[POISON_ELEMS] = in[0];
#elif defined(POISON_DEFECT_UNDERRUN)
    out[-1] = in[0];
#endif
}
