/*
 * Network UART harness for boards without a QEMU model (S3C2410): runs the network once on its built-in input, on
 * a poisoned arena, output and stack (network_poison.h), and prints the output and a checksum line over UART0, as
 * uart_main.c does for one kernel. No semihosting: the image must not contain SVC or BKPT.
 */
#include <stdint.h>
#include "convgen_net_entry.h"
#include "convgen_fw.h"
#include "network_poison.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the checksum is defined over little-endian output bytes"
#endif
#ifndef CONVGEN_BUILTIN_INPUT
#error "a network UART image runs on a built-in input (convgen generates <net>_input.c)"
#endif

/* S3C2410 UART0 (clocks and baud rate are set by the bootloader). */
#define UART0_BASE 0x50000000u
#define UTRSTAT0 (*(volatile uint32_t *)(UART0_BASE + 0x10u))
#define UTXH0    (*(volatile uint8_t *)(UART0_BASE + 0x20u))
#define UTRSTAT_TX_EMPTY   (1u << 1)
#define UTRSTAT_TXER_EMPTY (1u << 2)

#define ARENA_WORDS ((CONVGEN_ARENA_BYTES + 7u) / 8u + (CONVGEN_ARENA_BYTES == 0u))

#ifdef CONVGEN_UART_PUTC /* test hook: the harness built for the host prints through it */
void CONVGEN_UART_PUTC(char c);
#define uart_tx CONVGEN_UART_PUTC
#else
static void uart_tx(char c)
{
    while ((UTRSTAT0 & UTRSTAT_TX_EMPTY) == 0u) {
    }
    UTXH0 = (uint8_t)c;
}
#endif

static void uart_write(const char *s, uint32_t len)
{
    while (len-- > 0u) {
        if (*s == '\n')
            uart_tx('\r');
        uart_tx(*s++);
    }
}

__attribute__((noreturn)) static void halt(void)
{
    while ((UTRSTAT0 & UTRSTAT_TXER_EMPTY) == 0u) {
    }
    for (;;) {
    }
}

void convgen_exit(int status)
{
    (void)status;
    halt();
}

void convgen_fault(uint32_t kind, uint32_t pc)
{
    char line[64];
    uart_write(line, convgen_fault_line(line, kind, pc));
    halt();
}

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
    convgen_net_poison(net_arena, sizeof net_arena, 0xA5u);
    convgen_net_poison(net_out, sizeof net_out, 0xA5u);
    convgen_net_poison_stack(0xA5u);
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
