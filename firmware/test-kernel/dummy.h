#ifndef DUMMY_H
#define DUMMY_H
#include <stdint.h>
/* out[i] = (int16_t)(in[i % 48] * 3 + 1), wrapping. */
void dummy_run(const int16_t *in, int16_t *out);
extern const int16_t dummy_builtin_input[48];
#endif
