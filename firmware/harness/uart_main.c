/*
 * UART harness for boards without a QEMU model (S3C2410): runs the kernel once
 * on a built-in input and prints the output and a checksum over UART0.
 * No semihosting: the image must not contain SVC or BKPT.
 */
#include <stdint.h>
#include "convgen_entry.h"
#include "convgen_fw.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the checksum is defined over little-endian output bytes"
#endif

#include "uart_io.h"

static CONVGEN_IN_T conv_in[CONVGEN_IN_ELEMS] __attribute__((aligned(8)));
static CONVGEN_OUT_T conv_out[CONVGEN_OUT_ELEMS] __attribute__((aligned(8)));

#ifdef CONVGEN_BUILTIN_INPUT
extern const CONVGEN_IN_T CONVGEN_BUILTIN_INPUT[CONVGEN_IN_ELEMS];
#endif

static void load_input(void)
{
    uint32_t i;
#ifdef CONVGEN_BUILTIN_INPUT
    /* Copied to RAM so alignment and memory timing match the semihosting harness. */
    for (i = 0; i < CONVGEN_IN_ELEMS; i++)
        conv_in[i] = CONVGEN_BUILTIN_INPUT[i];
#else
    /* Fallback: xorshift32 from 0x12345678, each element = low bits of the state. */
    uint32_t x = 0x12345678u;
    for (i = 0; i < CONVGEN_IN_ELEMS; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        conv_in[i] = (CONVGEN_IN_T)x;
    }
#endif
}

int main(void)
{
    const unsigned digits = 2u * (unsigned)sizeof(CONVGEN_OUT_T);
    const unsigned char *bytes = (const unsigned char *)conv_out;
    uint32_t hash = 0x811c9dc5u; /* FNV-1a 32 offset basis */
    uint32_t i;
    char line[96];
    char *p;

    load_input();
    convgen_mark_begin();
    CONVGEN_RUN(conv_in, conv_out);
    convgen_mark_end();

    /* "iiiiiiii: e e e e e e e e" lines, elements as two's-complement hex. */
    for (i = 0; i < CONVGEN_OUT_ELEMS; i++) {
        p = line;
        if (i % 8u == 0u) {
            p = convgen_put_hex(p, i, 8);
            *p++ = ':';
        }
        *p++ = ' ';
        p = convgen_put_hex(p, (uint32_t)conv_out[i], digits);
        if (i % 8u == 7u || i + 1u == CONVGEN_OUT_ELEMS)
            *p++ = '\n';
        uart_write(line, (uint32_t)(p - line));
    }

    for (i = 0; i < (uint32_t)sizeof conv_out; i++) {
        hash ^= bytes[i];
        hash *= 0x01000193u; /* FNV-1a 32 prime */
    }

    uart_write("CONVGEN-RESULT name=", 20u);
    uart_write(CONVGEN_NAME, convgen_strlen(CONVGEN_NAME)); /* any length */
    p = convgen_put_str(line, " elems=");
    p = convgen_put_dec(p, CONVGEN_OUT_ELEMS);
    p = convgen_put_str(p, " checksum=0x");
    p = convgen_put_hex(p, hash, 8);
    *p++ = '\n';
    uart_write(line, (uint32_t)(p - line));
    return 0;
}
