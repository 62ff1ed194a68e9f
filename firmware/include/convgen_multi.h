/*
 * Multi-kernel images (convgen fuzz): one image holds a batch of generated kernels and a table to run them from,
 * so that one build and one emulator start check many kernels. The batch file (generated) defines the table and the
 * two buffers; harness/multi_main.c (QEMU, semihosting) and host/multi_main.c (native) run it.
 */
#ifndef CONVGEN_MULTI_H
#define CONVGEN_MULTI_H
#include <stdint.h>

typedef struct {
    const char *name;
    /* Calls <name>_run with the kernel's own element types. */
    void (*run)(const void *input, void *output);
    uint32_t in_bytes;   /* one input tensor */
    uint32_t out_bytes;  /* one output tensor */
    uint32_t tensors;    /* input tensors for this kernel in input.bin, back to back */
} convgen_multi_kernel_t;

extern const convgen_multi_kernel_t convgen_multi_kernels[];
extern const uint32_t convgen_multi_count;

/*
 * Sized by the batch for its largest kernel, 8-byte aligned; the output one holds CONVGEN_GUARD_BYTES
 * (convgen_poison.h) before and after the output.
 */
extern uint64_t convgen_multi_in[];
extern uint64_t convgen_multi_out[];

#endif
