/*
 * Network harness (semihosting): input.bin holds N input tensors back to back; for each, the network runs once and
 * its output is appended to output.bin. Exit statuses are semihost_main.c's, plus 14 when the network wrote outside
 * its output and 15 when <net>_run returned an error.
 *
 * Before every inference every static buffer but the input (the arena, the output and the guard bytes around it,
 * the layers' own buffers) and the stack below the harness's frame are filled with a poison byte that changes from
 * call to call (convgen_poison.h): the network may rely on its input and its const tables only, as on a board whose
 * RAM does not start zeroed.
 *
 * Built with -DCONVGEN_NET_TRACE, every layer's output (the module's CONVGEN_LAYER_END and CONVGEN_LAYER_VIEW hooks)
 * is appended to layers.bin in execution order: convgen compares each with the golden model and names the first
 * layer that differs. Built with -DCONVGEN_NET_LAYER_MARKS, the instruction-count markers go around each layer
 * instead of around the whole inference (convgen bench).
 */
#include <stdint.h>
#include "convgen_net_entry.h"
#include "convgen_fw.h"
#include "convgen_poison.h"

#include "semihost_io.h"

#define GUARD_BYTES CONVGEN_GUARD_BYTES
/* C99 has no arrays of size 0: a network with an empty arena still gets one word. */
#define ARENA_WORDS ((CONVGEN_ARENA_BYTES + 7u) / 8u + (CONVGEN_ARENA_BYTES == 0u))

static int8_t net_in[CONVGEN_IN_BYTES] __attribute__((aligned(8)));
static struct {
    uint8_t before[GUARD_BYTES];
    int8_t out[CONVGEN_OUT_BYTES];
    uint8_t after[GUARD_BYTES];
} net_out __attribute__((aligned(8)));
static uint64_t net_arena[ARENA_WORDS];

#ifdef CONVGEN_NET_TRACE
static int32_t trace_fd = -1;

/* The module's layer hooks (defined to this by the build): each layer's output tensor, in order. */
void convgen_net_trace(int index, const void *tensor, uint32_t bytes)
{
    (void)index;
    if (sh_write(trace_fd, tensor, bytes) != 0)
        fail(12, "cannot write layers.bin");
}
#endif

int main(void)
{
    int32_t fin, fout, len;
    uint32_t n, call;

    fin = sh_open("input.bin", OPEN_RB);
    if (fin < 0)
        fail(10, "cannot open input.bin");
    len = sh_flen(fin);
    if (len <= 0 || (uint32_t)len % CONVGEN_IN_BYTES != 0u)
        fail(11, "input.bin size is 0 or not a whole number of input tensors");
    fout = sh_open("output.bin", OPEN_WB);
    if (fout < 0)
        fail(12, "cannot open output.bin");
#ifdef CONVGEN_NET_TRACE
    trace_fd = sh_open("layers.bin", OPEN_WB);
    if (trace_fd < 0)
        fail(12, "cannot open layers.bin");
#endif

    n = (uint32_t)len / CONVGEN_IN_BYTES;
    for (call = 0u; call < n; call++) {
        uint8_t byte;
        int status;
        if (sh_read(fin, net_in, CONVGEN_IN_BYTES) != 0)
            fail(13, "cannot read input.bin");
        byte = convgen_poison_byte(call, net_in, CONVGEN_IN_BYTES);
        /* .bss first: the call's own frame lands below the stack pointer, which the stack fill then covers. */
        convgen_poison_statics(byte, net_in, CONVGEN_IN_BYTES);
        convgen_poison_stack(byte);
#ifndef CONVGEN_NET_LAYER_MARKS
        convgen_mark_begin();
#endif
        status = CONVGEN_NET_RUN(net_in, net_out.out, net_arena);
#ifndef CONVGEN_NET_LAYER_MARKS
        convgen_mark_end();
#endif
        if (status != 0)
            fail(15, "the network returned an error");
        if (!convgen_guards_intact(net_out.before, net_out.after, byte))
            fail(14, "network " CONVGEN_NAME " wrote outside its output");
        if (sh_write(fout, net_out.out, CONVGEN_OUT_BYTES) != 0)
            fail(12, "cannot write output.bin");
    }
#ifdef CONVGEN_NET_TRACE
    sh_close(trace_fd);
#endif
    sh_close(fout);
    sh_close(fin);
    convgen_exit(0);
}
