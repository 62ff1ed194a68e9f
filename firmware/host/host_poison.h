/*
 * Stack poisoning for the host harnesses (convgen_poison.h says why). There is no linker symbol for the stack's
 * end here, so a frame of CONVGEN_HOST_STACK_POISON bytes is filled just below the caller's: the kernel, called
 * next from the same frame, finds its own frame (and deeper) in that byte. Not instrumented by ASan, so the
 * area is one plain array with no redzones in it.
 */
#ifndef CONVGEN_HOST_POISON_H
#define CONVGEN_HOST_POISON_H
#include <stddef.h>
#include <stdint.h>

#define CONVGEN_HOST_STACK_POISON (64u * 1024u)

#if defined(__GNUC__)
__attribute__((noinline, no_sanitize_address))
#endif
static void convgen_poison_host_stack(uint8_t byte)
{
    volatile uint8_t area[CONVGEN_HOST_STACK_POISON];
    for (size_t i = 0; i < sizeof area; i++)
        area[i] = byte;
}

#endif
