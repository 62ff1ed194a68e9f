/* Shared by the startup code (C and assembly) and the harnesses. */
#ifndef CONVGEN_FW_H
#define CONVGEN_FW_H

/* Fault kinds passed from the startup handlers to convgen_fault(). */
#define CONVGEN_FAULT_UNDEF       0  /* undefined-instruction, exit 70 */
#define CONVGEN_FAULT_PABT        1  /* prefetch-abort, exit 71 */
#define CONVGEN_FAULT_DABT        2  /* data-abort, exit 72 */
#define CONVGEN_FAULT_HARDFAULT   3  /* the rest exit 73 */
#define CONVGEN_FAULT_MEMMANAGE   4
#define CONVGEN_FAULT_BUSFAULT    5
#define CONVGEN_FAULT_USAGEFAULT  6
#define CONVGEN_FAULT_SECUREFAULT 7
#define CONVGEN_FAULT_NMI         8
#define CONVGEN_FAULT_SVC         9
#define CONVGEN_FAULT_IRQ         10
#define CONVGEN_FAULT_FIQ         11
#define CONVGEN_FAULT_OTHER       12

#ifndef __ASSEMBLER__
#include <stdint.h>

/* Instruction-count markers: a QEMU plugin counts between their entries. */
void convgen_mark_begin(void);
void convgen_mark_end(void);

/* Provided by each harness (semihosting or UART flavour). */
__attribute__((noreturn)) void convgen_fault(uint32_t kind, uint32_t pc);
__attribute__((noreturn)) void convgen_exit(int status);

/* Helpers in common.c. */
int convgen_fault_status(uint32_t kind);
/* Writes "convgen-fault: <kind> at 0x%08x\n" into buf (>= 64 bytes), returns length. */
uint32_t convgen_fault_line(char *buf, uint32_t kind, uint32_t pc);
char *convgen_put_str(char *dst, const char *s);
char *convgen_put_hex(char *dst, uint32_t v, unsigned digits);
char *convgen_put_dec(char *dst, uint32_t v);
uint32_t convgen_strlen(const char *s);

/* Poisoning before each kernel call (common/poison.c; why: convgen_poison.h). */
void convgen_poison_range(void *from, void *to, uint8_t byte);
/* Every byte of .bss except [keep, keep + keep_bytes) (the input tensor). */
void convgen_poison_statics(uint8_t byte, const void *keep, uint32_t keep_bytes);
/* The main stack below the caller's stack pointer, with the byte replicated into a word. */
void convgen_poison_stack_word(uint32_t word);
#define convgen_poison_stack(byte) convgen_poison_stack_word((uint32_t)(byte) * 0x01010101u)

int main(void);
#endif

#endif
