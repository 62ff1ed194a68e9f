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

/* Bytes after each output that must still hold the guard pattern when the kernel returns. */
#define CONVGEN_MULTI_GUARD_BYTES 16u
#define CONVGEN_MULTI_GUARD 0xA5u

/* Sized by the batch for its largest kernel (the output one plus the guard), 8-byte aligned. */
extern uint64_t convgen_multi_in[];
extern uint64_t convgen_multi_out[];

#endif
