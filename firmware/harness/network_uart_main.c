/*
 * Network UART harness for boards without a QEMU model (S3C2410): runs the network once on its built-in input, on
 * a poisoned arena, output and stack (convgen_poison.h), and prints the output and a checksum line over UART0, as
 * uart_main.c does for one kernel. No semihosting: the image must not contain SVC or BKPT.
 */
#include <stdint.h>
#include "convgen_net_entry.h"
#include "convgen_fw.h"
#include "convgen_poison.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the checksum is defined over little-endian output bytes"
#endif
#ifndef CONVGEN_BUILTIN_INPUT
#error "a network UART image runs on a built-in input (convgen generates <net>_input.c)"
#endif

#include "uart_io.h"

#define ARENA_WORDS ((CONVGEN_ARENA_BYTES + 7u) / 8u + (CONVGEN_ARENA_BYTES == 0u))

extern const int8_t CONVGEN_BUILTIN_INPUT[CONVGEN_IN_BYTES];

static int8_t net_in[CONVGEN_IN_BYTES] __attribute__((aligned(8)));
static int8_t net_out[CONVGEN_OUT_BYTES] __attribute__((aligned(8)));
static uint64_t net_arena[ARENA_WORDS];

int main(void)
{
    const unsigned char *bytes = (const unsigned char *)net_out;
    uint32_t hash = 0x811c9dc5u; /* FNV-1a 32 offset basis */
    uint32_t i;
    char line[96];
    char *p;
    int status;

    /* Copied to RAM so alignment and memory timing match the semihosting harness. */
    for (i = 0; i < CONVGEN_IN_BYTES; i++)
        net_in[i] = CONVGEN_BUILTIN_INPUT[i];
    convgen_poison_statics(0xA5u, net_in, CONVGEN_IN_BYTES);
    convgen_poison_stack(0xA5u);
    convgen_mark_begin();
    status = CONVGEN_NET_RUN(net_in, net_out, net_arena);
    convgen_mark_end();
    if (status != 0) {
        uart_write("convgen-harness: the network returned an error\n", 48u);
        halt();
    }

    /* "iiiiiiii: e e e e e e e e" lines, elements as two's-complement hex. */
    for (i = 0; i < CONVGEN_OUT_BYTES; i++) {
        p = line;
        if (i % 8u == 0u) {
            p = convgen_put_hex(p, i, 8);
            *p++ = ':';
        }
        *p++ = ' ';
        p = convgen_put_hex(p, (uint32_t)(uint8_t)net_out[i], 2);
        if (i % 8u == 7u || i + 1u == CONVGEN_OUT_BYTES)
            *p++ = '\n';
        uart_write(line, (uint32_t)(p - line));
    }
    for (i = 0; i < (uint32_t)sizeof net_out; i++) {
        hash ^= bytes[i];
        hash *= 0x01000193u; /* FNV-1a 32 prime */
    }
    uart_write("CONVGEN-RESULT name=", 20u);
    uart_write(CONVGEN_NAME, convgen_strlen(CONVGEN_NAME));
    p = convgen_put_str(line, " elems=");
    p = convgen_put_dec(p, CONVGEN_OUT_BYTES);
    p = convgen_put_str(p, " checksum=0x");
    p = convgen_put_hex(p, hash, 8);
    *p++ = '\n';
    uart_write(line, (uint32_t)(p - line));
    return 0;
}
