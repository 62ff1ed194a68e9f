/*
 * Semihosting harness: input.bin -> CONVGEN_RUN per tensor -> output.bin, exit status via SYS_EXIT_EXTENDED.
 * Before every call the stack, .bss (all but the input), the output and its guard bytes are poisoned
 * (convgen_poison.h); afterwards the guards must be intact. See README.md for the protocol.
 */
#include <stdint.h>
#include "convgen_entry.h"
#include "convgen_fw.h"
#include "convgen_poison.h"

#include "semihost_io.h"

/* Static so RAM use is exactly the two tensors (and the guards); 8-byte alignment for LDRD/vector loads. */
static CONVGEN_IN_T conv_in[CONVGEN_IN_ELEMS] __attribute__((aligned(8)));
static struct {
    uint8_t before[CONVGEN_GUARD_BYTES];
    CONVGEN_OUT_T out[CONVGEN_OUT_ELEMS];
    uint8_t after[CONVGEN_GUARD_BYTES];
} conv_out __attribute__((aligned(8)));

#ifdef CONVGEN_NO_POISON
/* Only for the harness's own test (test/qemu/poison.test.ts): memory as QEMU leaves it, to show what poisoning catches. */
#define POISON_BYTE(call) 0u
#define POISON(byte) ((void)(byte))
#else
#define POISON_BYTE(call) convgen_poison_byte((call), conv_in, (uint32_t)sizeof conv_in)
/* .bss first: the call's own frame lands below the stack pointer, which the stack fill then covers. */
#define POISON(byte) (convgen_poison_statics((byte), conv_in, (uint32_t)sizeof conv_in), convgen_poison_stack(byte))
#endif

int main(void)
{
    const uint32_t in_bytes = (uint32_t)sizeof conv_in;
    const uint32_t out_bytes = (uint32_t)sizeof conv_out.out;
    int32_t fin, fout, len;
    uint32_t n, call;

    fin = sh_open("input.bin", OPEN_RB);
    if (fin < 0)
        fail(10, "cannot open input.bin");
    len = sh_flen(fin);
    if (len <= 0 || (uint32_t)len % in_bytes != 0u)
        fail(11, "input.bin size is 0 or not a whole number of input tensors");
    fout = sh_open("output.bin", OPEN_WB);
    if (fout < 0)
        fail(12, "cannot open output.bin");

    n = (uint32_t)len / in_bytes;
    for (call = 0u; call < n; call++) {
        uint8_t byte;
        if (sh_read(fin, conv_in, in_bytes) != 0)
            fail(13, "cannot read input.bin");
        byte = POISON_BYTE(call);
        POISON(byte);
        convgen_mark_begin();
        CONVGEN_RUN(conv_in, conv_out.out);
        convgen_mark_end();
        if (!convgen_guards_intact(conv_out.before, conv_out.after, byte))
            fail(14, "kernel " CONVGEN_NAME " wrote outside its output");
        if (sh_write(fout, conv_out.out, out_bytes) != 0)
            fail(12, "cannot write output.bin");
    }
    sh_close(fout);
    sh_close(fin);
    convgen_exit(0);
}
