/*
 * Host harness: the same protocol as the firmware harness (input.bin of N tensors in, output.bin of N tensors out),
 * with stdio instead of semihosting, so the generated kernel can be checked with the host compiler and sanitizers.
 * Before every call the output and 64 KiB of stack below this frame are poisoned (convgen_poison.h).
 * Usage: host_main INPUT.bin OUTPUT.bin
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "convgen_entry.h"
#include "../include/convgen_poison.h"
#include "host_poison.h"
#include "host_files.h"

static CONVGEN_IN_T input[CONVGEN_IN_ELEMS];
static CONVGEN_OUT_T output[CONVGEN_OUT_ELEMS];

int main(int argc, char **argv)
{
    FILE *in, *out;
    const int opened = convgen_host_open(argc, argv, &in, &out);
    if (opened != 0)
        return opened;
    unsigned long tensors = 0;
    for (;;) {
        size_t got = fread(input, sizeof input[0], CONVGEN_IN_ELEMS, in);
        if (got == 0 && feof(in)) break;
        if (got != CONVGEN_IN_ELEMS) {
            fprintf(stdout, "convgen-harness: input is not a whole number of tensors\n");
            return 11;
        }
        const uint8_t byte = convgen_poison_byte((uint32_t)tensors, input, (uint32_t)sizeof input);
        memset(output, byte, sizeof output);
        convgen_poison_host_stack(byte);
        CONVGEN_RUN(input, output);
        if (fwrite(output, sizeof output[0], CONVGEN_OUT_ELEMS, out) != CONVGEN_OUT_ELEMS) {
            fprintf(stdout, "convgen-harness: cannot write %s\n", argv[2]);
            return 12;
        }
        tensors++;
    }
    if (tensors == 0) {
        fprintf(stdout, "convgen-harness: input is empty\n");
        return 11;
    }
    if (fclose(out) != 0) return 12;
    fclose(in);
    return 0;
}
