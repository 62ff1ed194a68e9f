/*
 * Multi-kernel semihosting harness (convgen fuzz): input.bin holds, for each kernel of the table in order, its
 * `tensors` input tensors back to back; output.bin receives each kernel's outputs in the same order. Each output
 * is followed by CONVGEN_MULTI_GUARD_BYTES of a guard pattern that the kernel must leave alone. Exit statuses are
 * those of semihost_main.c, plus 14 when a kernel wrote past its output (see README.md).
 */
#include <stdint.h>
#include "convgen_multi.h"
#include "convgen_fw.h"

#include "semihost_io.h"

static void fail_kernel(const char *name, const char *what)
{
    char line[96];
    char *p = convgen_put_str(line, "convgen-harness: kernel ");
    p = convgen_put_str(p, name);
    p = convgen_put_str(p, what);
    *p++ = '\n';
    console(line, (uint32_t)(p - line));
    convgen_exit(14);
}

int main(void)
{
    uint32_t total = 0u, k, t, i;
    int32_t fin, fout, len;
    uint8_t *out = (uint8_t *)convgen_multi_out;

    for (k = 0u; k < convgen_multi_count; k++)
        total += convgen_multi_kernels[k].in_bytes * convgen_multi_kernels[k].tensors;
    fin = sh_open("input.bin", OPEN_RB);
    if (fin < 0)
        fail(10, "cannot open input.bin");
    len = sh_flen(fin);
    if (len <= 0 || (uint32_t)len != total)
        fail(11, "input.bin size does not match the kernel table");
    fout = sh_open("output.bin", OPEN_WB);
    if (fout < 0)
        fail(12, "cannot open output.bin");

    for (k = 0u; k < convgen_multi_count; k++) {
        const convgen_multi_kernel_t *kern = &convgen_multi_kernels[k];
        for (t = 0u; t < kern->tensors; t++) {
            if (sh_read(fin, convgen_multi_in, kern->in_bytes) != 0)
                fail(13, "cannot read input.bin");
            for (i = 0u; i < CONVGEN_MULTI_GUARD_BYTES; i++)
                out[kern->out_bytes + i] = (uint8_t)CONVGEN_MULTI_GUARD;
            convgen_mark_begin();
            kern->run(convgen_multi_in, convgen_multi_out);
            convgen_mark_end();
            for (i = 0u; i < CONVGEN_MULTI_GUARD_BYTES; i++)
                if (out[kern->out_bytes + i] != (uint8_t)CONVGEN_MULTI_GUARD)
                    fail_kernel(kern->name, " wrote past the end of its output");
            if (sh_write(fout, convgen_multi_out, kern->out_bytes) != 0)
                fail(12, "cannot write output.bin");
        }
    }
    sh_close(fout);
    sh_close(fin);
    convgen_exit(0);
}
