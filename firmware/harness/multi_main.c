/*
 * Multi-kernel semihosting harness (convgen fuzz): input.bin holds, for each kernel of the table in order, its
 * `tensors` input tensors back to back; output.bin receives each kernel's outputs in the same order. Before every
 * call the stack, .bss (all but the input) and the output with CONVGEN_GUARD_BYTES before and after it are poisoned
 * (convgen_poison.h); the guards must be intact afterwards. Exit statuses are those of semihost_main.c, plus 14
 * when a kernel wrote outside its output (see README.md).
 */
#include <stdint.h>
#include "convgen_multi.h"
#include "convgen_fw.h"
#include "convgen_poison.h"

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
    uint32_t total = 0u, k, t;
    int32_t fin, fout, len;
    /* The output starts after the leading guard; the buffer is sized for both guards (batch.c). */
    uint8_t *out = (uint8_t *)convgen_multi_out + CONVGEN_GUARD_BYTES;

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
            uint8_t byte;
            if (sh_read(fin, convgen_multi_in, kern->in_bytes) != 0)
                fail(13, "cannot read input.bin");
            /* Per kernel: 0xA5 for its first tensor, 0x5A for its second, then bytes from its inputs. */
            byte = convgen_poison_byte(t, convgen_multi_in, kern->in_bytes);
            /* .bss first: the call's own frame lands below the stack pointer, which the stack fill then covers. */
            convgen_poison_statics(byte, convgen_multi_in, kern->in_bytes);
            convgen_poison_stack(byte);
            convgen_mark_begin();
            kern->run(convgen_multi_in, out);
            convgen_mark_end();
            if (!convgen_guards_intact(out - CONVGEN_GUARD_BYTES, out + kern->out_bytes, byte))
                fail_kernel(kern->name, " wrote outside its output");
            if (sh_write(fout, out, kern->out_bytes) != 0)
                fail(12, "cannot write output.bin");
        }
    }
    sh_close(fout);
    sh_close(fin);
    convgen_exit(0);
}
