/* An empty "kernel" with a typical convgen signature, in its own translation
 * unit so the call in main.c is real. Used to measure the fixed overhead a
 * C-compiled window adds around a kernel call. */
#include <stdint.h>

__attribute__((noinline)) void c_empty_kernel(const int8_t *in, int8_t *out,
                                              const int32_t *bias)
{
    (void)in;
    (void)out;
    (void)bias;
}
