/*
 * Semihosting harness: input.bin -> CONVGEN_RUN per tensor -> output.bin,
 * exit status via SYS_EXIT_EXTENDED. See README.md for the protocol.
 */
#include <stdint.h>
#include "convgen_entry.h"
#include "convgen_fw.h"

#include "semihost_io.h"

/* Static so RAM use is exactly the two tensors; 8-byte alignment for LDRD/vector loads. */
static CONVGEN_IN_T conv_in[CONVGEN_IN_ELEMS] __attribute__((aligned(8)));
static CONVGEN_OUT_T conv_out[CONVGEN_OUT_ELEMS] __attribute__((aligned(8)));

int main(void)
{
    const uint32_t in_bytes = (uint32_t)sizeof conv_in;
    const uint32_t out_bytes = (uint32_t)sizeof conv_out;
    int32_t fin, fout, len;
    uint32_t n;

    fin = sh_open("input.bin", OPEN_RB);
    if (fin < 0)
        fail(10, "cannot open input.bin");
    len = sh_flen(fin);
    if (len <= 0 || (uint32_t)len % in_bytes != 0u)
        fail(11, "input.bin size is 0 or not a whole number of input tensors");
    fout = sh_open("output.bin", OPEN_WB);
    if (fout < 0)
        fail(12, "cannot open output.bin");

    for (n = (uint32_t)len / in_bytes; n > 0u; n--) {
        if (sh_read(fin, conv_in, in_bytes) != 0)
            fail(13, "cannot read input.bin");
        convgen_mark_begin();
        CONVGEN_RUN(conv_in, conv_out);
        convgen_mark_end();
        if (sh_write(fout, conv_out, out_bytes) != 0)
            fail(12, "cannot write output.bin");
    }
    sh_close(fout);
    sh_close(fin);
    convgen_exit(0);
}
