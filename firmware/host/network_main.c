/*
 * Host network harness: the protocol of harness/network_main.c (input.bin of N input tensors in, output.bin of N
 * outputs out, layers.bin with every layer's output when built with -DCONVGEN_NET_TRACE) with stdio, so that the
 * generated module is checked with the host compiler and sanitizers. Arena, output and guards are poisoned before
 * every inference, and 64 KiB of stack below the caller's frame.
 * Usage: network_main INPUT.bin OUTPUT.bin (layers.bin is written in the working directory).
 */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include "convgen_net_entry.h"
#include <string.h>
#include "../include/convgen_poison.h"
#include "host_poison.h"
#include "host_files.h"

#define GUARD_BYTES CONVGEN_GUARD_BYTES
#define ARENA_WORDS ((CONVGEN_ARENA_BYTES + 7u) / 8u + (CONVGEN_ARENA_BYTES == 0u))

static int8_t net_in[CONVGEN_IN_BYTES] __attribute__((aligned(8)));
static struct {
    uint8_t before[GUARD_BYTES];
    int8_t out[CONVGEN_OUT_BYTES];
    uint8_t after[GUARD_BYTES];
} net_out __attribute__((aligned(8)));
static uint64_t net_arena[ARENA_WORDS];

#ifdef CONVGEN_NET_TRACE
static FILE *trace;

void convgen_net_trace(int index, const void *tensor, uint32_t bytes)
{
    (void)index;
    if (fwrite(tensor, 1, bytes, trace) != bytes) {
        fprintf(stdout, "convgen-harness: cannot write layers.bin\n");
        exit(12);
    }
}
#endif

int main(int argc, char **argv)
{
    unsigned long call = 0;
    FILE *in, *out;
    const int opened = convgen_host_open(argc, argv, &in, &out);
    if (opened != 0)
        return opened;
#ifdef CONVGEN_NET_TRACE
    trace = fopen("layers.bin", "wb");
    if (!trace) {
        fprintf(stdout, "convgen-harness: cannot open layers.bin\n");
        return 12;
    }
#endif
    for (;; call++) {
        size_t got = fread(net_in, 1, CONVGEN_IN_BYTES, in);
        if (got == 0 && feof(in)) break;
        if (got != CONVGEN_IN_BYTES) {
            fprintf(stdout, "convgen-harness: input is not a whole number of tensors\n");
            return 11;
        }
        const uint8_t byte = convgen_poison_byte((uint32_t)call, net_in, CONVGEN_IN_BYTES);
        memset(net_arena, byte, sizeof net_arena);
        memset(&net_out, byte, sizeof net_out);
        convgen_poison_host_stack(byte);
        if (CONVGEN_NET_RUN(net_in, net_out.out, net_arena) != 0) {
            fprintf(stdout, "convgen-harness: the network returned an error\n");
            return 15;
        }
        if (!convgen_guards_intact(net_out.before, net_out.after, byte)) {
            fprintf(stdout, "convgen-harness: network " CONVGEN_NAME " wrote outside its output\n");
            return 14;
        }
        if (fwrite(net_out.out, 1, CONVGEN_OUT_BYTES, out) != CONVGEN_OUT_BYTES) {
            fprintf(stdout, "convgen-harness: cannot write %s\n", argv[2]);
            return 12;
        }
    }
    if (call == 0) {
        fprintf(stdout, "convgen-harness: input is empty\n");
        return 11;
    }
#ifdef CONVGEN_NET_TRACE
    if (fclose(trace) != 0) return 12;
#endif
    if (fclose(out) != 0) return 12;
    fclose(in);
    return 0;
}
