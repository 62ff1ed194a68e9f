#ifndef FAULT_H
#define FAULT_H
#include <stdint.h>
void fault_run(const uint32_t *in, uint32_t *out);
#endif
