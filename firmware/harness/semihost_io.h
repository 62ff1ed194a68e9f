/*
 * Semihosting I/O shared by the QEMU harnesses (semihost_main.c, multi_main.c): SYS_OPEN/READ/WRITE/FLEN/CLOSE,
 * the host console, convgen_exit and convgen_fault. Included by exactly one harness per image (it defines
 * convgen_exit and convgen_fault, which the startup code calls).
 */
#ifndef CONVGEN_SEMIHOST_IO_H
#define CONVGEN_SEMIHOST_IO_H
#include <stdint.h>
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

#endif
