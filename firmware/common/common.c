/* Target-independent harness support: markers, text formatting, mem* for -nostdlib. */
#include <stddef.h>
#include <string.h>
#include "convgen_fw.h"

/* Stops GCC from turning our loops into calls to strlen/memcpy/memset (i.e. itself). */
#define NO_LDP __attribute__((optimize("no-tree-loop-distribute-patterns")))

/*
 * Separate translation unit + noinline/noipa keeps the calls (and entry addresses) real; the memory clobber keeps
 * the kernel's loads and stores on their side of the markers (firmware/plugin/README.md).
 */
__attribute__((noinline, noipa, used)) void convgen_mark_begin(void) { __asm__ volatile("" ::: "memory"); }
__attribute__((noinline, noipa, used)) void convgen_mark_end(void) { __asm__ volatile("" ::: "memory"); }

static const char *const fault_names[] = {
    "undefined-instruction", "prefetch-abort", "data-abort", "hardfault",
    "memmanage", "busfault", "usagefault", "securefault", "nmi",
    "svc", "irq", "fiq", "unexpected-exception",
};

int convgen_fault_status(uint32_t kind)
{
    switch (kind) {
    case CONVGEN_FAULT_UNDEF: return 70;
    case CONVGEN_FAULT_PABT: return 71;
    case CONVGEN_FAULT_DABT: return 72;
    default: return 73;
    }
}

NO_LDP uint32_t convgen_strlen(const char *s)
{
    uint32_t n = 0;
    while (s[n] != '\0')
        n++;
    return n;
}

char *convgen_put_str(char *dst, const char *s)
{
    while (*s != '\0')
        *dst++ = *s++;
    return dst;
}

char *convgen_put_hex(char *dst, uint32_t v, unsigned digits)
{
    static const char hex[] = "0123456789abcdef";
    unsigned i;
    for (i = digits; i > 0; i--)
        *dst++ = hex[(v >> (4u * (i - 1u))) & 0xfu];
    return dst;
}

char *convgen_put_dec(char *dst, uint32_t v)
{
    char tmp[10];
    unsigned n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0u);
    while (n > 0)
        *dst++ = tmp[--n];
    return dst;
}

uint32_t convgen_fault_line(char *buf, uint32_t kind, uint32_t pc)
{
    const unsigned nkinds = sizeof fault_names / sizeof fault_names[0];
    char *p = convgen_put_str(buf, "convgen-fault: ");
    p = convgen_put_str(p, fault_names[kind < nkinds ? kind : CONVGEN_FAULT_OTHER]);
    p = convgen_put_str(p, " at 0x");
    p = convgen_put_hex(p, pc, 8);
    *p++ = '\n';
    return (uint32_t)(p - buf);
}

/*
 * We link with -nostdlib, but GCC may emit calls to these (struct copies,
 * zero-initialised arrays).
 */
NO_LDP void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if ((((uintptr_t)d | (uintptr_t)s) & 3u) == 0u) {
        for (; n >= 4u; n -= 4u, d += 4, s += 4)
            *(uint32_t *)(void *)d = *(const uint32_t *)(const void *)s;
    }
    while (n-- > 0u)
        *d++ = *s++;
    return dst;
}

NO_LDP void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d == s || n == 0u)
        return dst;
    if ((uintptr_t)d < (uintptr_t)s) {
        while (n-- > 0u)
            *d++ = *s++;
    } else {
        while (n-- > 0u)
            d[n] = s[n];
    }
    return dst;
}

NO_LDP void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    if (((uintptr_t)d & 3u) == 0u) {
        uint32_t w = (uint32_t)(unsigned char)c * 0x01010101u;
        for (; n >= 4u; n -= 4u, d += 4)
            *(uint32_t *)(void *)d = w;
    }
    while (n-- > 0u)
        *d++ = (unsigned char)c;
    return dst;
}

NO_LDP int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (; n > 0u; n--, x++, y++) {
        if (*x != *y)
            return *x < *y ? -1 : 1;
    }
    return 0;
}
