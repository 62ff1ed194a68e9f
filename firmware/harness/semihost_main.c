/*
 * Semihosting harness: input.bin -> CONVGEN_RUN per tensor -> output.bin,
 * exit status via SYS_EXIT_EXTENDED. See README.md for the protocol.
 */
#include <stdint.h>
#include "convgen_entry.h"
#include "convgen_fw.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the file format is little-endian and is read/written raw"
#endif

#define SYS_OPEN          0x01u
#define SYS_CLOSE         0x02u
#define SYS_WRITE         0x05u
#define SYS_READ          0x06u
#define SYS_FLEN          0x0Cu
#define SYS_EXIT_EXTENDED 0x20u
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u

#define OPEN_RB 1u /* fopen modes as semihosting numbers them */
#define OPEN_W  4u
#define OPEN_WB 5u

/* QEMU traps: M-profile bkpt 0xab; Thumb svc 0xab; ARM svc 0x123456. */
#if defined(__ARM_ARCH_PROFILE) && __ARM_ARCH_PROFILE == 'M'
#define SH_TRAP "bkpt 0xab"
#define SH_CLOBBER "memory"
#elif defined(__thumb__)
#define SH_TRAP "svc 0xab"
#define SH_CLOBBER "memory", "lr" /* a real SVC overwrites lr_svc */
#else
#define SH_TRAP "svc 0x123456"
#define SH_CLOBBER "memory", "lr"
#endif

static int32_t sh_call(uint32_t op, const uint32_t *block)
{
    register uint32_t r0 __asm__("r0") = op;
    register const uint32_t *r1 __asm__("r1") = block;
    __asm__ volatile(SH_TRAP : "+r"(r0) : "r"(r1) : SH_CLOBBER);
    return (int32_t)r0;
}

static uint32_t addr(const void *p) { return (uint32_t)(uintptr_t)p; }

static int32_t sh_open(const char *name, uint32_t mode)
{
    uint32_t b[3] = { addr(name), mode, convgen_strlen(name) };
    return sh_call(SYS_OPEN, b);
}

static void sh_close(int32_t fd)
{
    uint32_t b[1] = { (uint32_t)fd };
    (void)sh_call(SYS_CLOSE, b);
}

/* Both return the number of bytes NOT transferred (0 = success). */
static int32_t sh_write(int32_t fd, const void *buf, uint32_t len)
{
    uint32_t b[3] = { (uint32_t)fd, addr(buf), len };
    return sh_call(SYS_WRITE, b);
}

static int32_t sh_read(int32_t fd, void *buf, uint32_t len)
{
    uint32_t b[3] = { (uint32_t)fd, addr(buf), len };
    return sh_call(SYS_READ, b);
}

static int32_t sh_flen(int32_t fd)
{
    uint32_t b[1] = { (uint32_t)fd };
    return sh_call(SYS_FLEN, b);
}

void convgen_exit(int status)
{
    uint32_t b[2] = { ADP_STOPPED_APPLICATION_EXIT, (uint32_t)status };
    (void)sh_call(SYS_EXIT_EXTENDED, b);
    for (;;) {
    }
}

static void console(const char *buf, uint32_t len)
{
    int32_t tt = sh_open(":tt", OPEN_W); /* host stdout */
    if (tt >= 0)
        (void)sh_write(tt, buf, len);
}

__attribute__((noreturn)) static void fail(int status, const char *what)
{
    char line[96];
    char *p = convgen_put_str(line, "convgen-harness: ");
    p = convgen_put_str(p, what);
    *p++ = '\n';
    console(line, (uint32_t)(p - line));
    convgen_exit(status);
}

void convgen_fault(uint32_t kind, uint32_t pc)
{
    char line[64];
    console(line, convgen_fault_line(line, kind, pc));
    convgen_exit(convgen_fault_status(kind));
}

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
