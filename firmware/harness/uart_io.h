/*
 * UART0 output and the end of a run for the S3C2410 board harnesses (uart_main.c, network_uart_main.c): one
 * included per image (it defines convgen_exit and convgen_fault, which the startup code calls). No semihosting.
 */
#ifndef CONVGEN_UART_IO_H
#define CONVGEN_UART_IO_H
#include <stdint.h>
#include "convgen_fw.h"

/* S3C2410 UART0 (clocks and baud rate are set by the bootloader). */
#define UART0_BASE 0x50000000u
#define UTRSTAT0 (*(volatile uint32_t *)(UART0_BASE + 0x10u))
#define UTXH0    (*(volatile uint8_t *)(UART0_BASE + 0x20u))
#define UTRSTAT_TX_EMPTY   (1u << 1) /* holding buffer empty */
#define UTRSTAT_TXER_EMPTY (1u << 2) /* shifter empty too */

#ifdef CONVGEN_UART_PUTC /* test hook: lets scripts/smoke-test.sh check the text on the host */
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

static void uart_putc(char c)
{
    if (c == '\n')
        uart_tx('\r');
    uart_tx(c);
}

static void uart_write(const char *s, uint32_t len)
{
    while (len-- > 0u)
        uart_putc(*s++);
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

#endif
