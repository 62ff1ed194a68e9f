/*
 * Smoke-test kernel: out[i] = (int16_t)(in[i % 48] * 3 + 1).
 * The factor lives in .data and the product is 64-bit, so a missing .data copy
 * or a missing libgcc (__aeabi_lmul on Thumb-1) shows up as wrong output or a
 * link error. The bias lives in .bss, which the QEMU harnesses poison before
 * every call (convgen_poison.h), so the kernel writes it before reading it.
 */
#include "dummy.h"

int32_t dummy_scale = 3; /* .data */
int32_t dummy_bias;      /* .bss */

void dummy_run(const int16_t *in, int16_t *out)
{
    uint32_t i;
    dummy_bias = 0;
    for (i = 0; i < 64u; i++) {
        int64_t v = (int64_t)in[i % 48u] * dummy_scale + 1 + dummy_bias;
        out[i] = (int16_t)(uint16_t)(uint64_t)v;
    }
}

/* Used by the UART harness (s3c2410). */
const int16_t dummy_builtin_input[48] = {
    0, 1, -1, 2, -2, 100, -100, 1000,
    -1000, 10922, 10923, -10923, -10924, 32767, -32768, 12345,
    -12345, 7, 8, 9, 255, 256, -255, -256,
    4096, -4096, 20000, -20000, 3, 30, 300, 3000,
    30000, -3, -30, -300, -3000, -30000, 11, 22,
    33, 44, 55, 66, 77, 88, 99, 21845,
};
