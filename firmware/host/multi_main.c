/*
 * Multi-kernel host harness (convgen fuzz): the protocol of harness/multi_main.c with stdio. Every tensor gets a
 * buffer of exactly its size from malloc, so AddressSanitizer catches a kernel that reads or writes one element too
 * far. Before every call the output and 64 KiB of stack below this frame are poisoned (convgen_poison.h). Output is
 * flushed after every tensor: when a kernel crashes, output.bin shows how far the batch got.
 * Usage: multi_main INPUT.bin OUTPUT.bin
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../include/convgen_multi.h"
#include "../include/convgen_poison.h"
#include "host_poison.h"
#include "host_files.h"

int main(int argc, char **argv)
{
    FILE *in, *out;
    const int opened = convgen_host_open(argc, argv, &in, &out);
    if (opened != 0)
        return opened;
    for (uint32_t k = 0; k < convgen_multi_count; k++) {
        const convgen_multi_kernel_t *kern = &convgen_multi_kernels[k];
        for (uint32_t t = 0; t < kern->tensors; t++) {
            void *ib = malloc(kern->in_bytes);
            void *ob = malloc(kern->out_bytes);
            if (!ib || !ob) {
                fprintf(stdout, "convgen-harness: out of memory\n");
                return 13;
            }
            if (fread(ib, 1, kern->in_bytes, in) != kern->in_bytes) {
                fprintf(stdout, "convgen-harness: input is shorter than the kernel table says\n");
                return 11;
            }
            const uint8_t byte = convgen_poison_byte(t, ib, kern->in_bytes);
            memset(ob, byte, kern->out_bytes);
            convgen_poison_host_stack(byte);
            kern->run(ib, ob);
            if (fwrite(ob, 1, kern->out_bytes, out) != kern->out_bytes || fflush(out) != 0) {
                fprintf(stdout, "convgen-harness: cannot write %s\n", argv[2]);
                return 12;
            }
            free(ib);
            free(ob);
        }
    }
    if (fgetc(in) != EOF) {
        fprintf(stdout, "convgen-harness: input is longer than the kernel table says\n");
        return 11;
    }
    if (fclose(out) != 0) return 12;
    fclose(in);
    return 0;
}
