/* Harness self-test kernel (poison.c): q15 identity on 64 elements, see spec.json. */
#include <stdint.h>
#define CONVGEN_NAME "poison"
#define CONVGEN_IN_T int16_t
#define CONVGEN_OUT_T int16_t
#define CONVGEN_IN_ELEMS 64u
#define CONVGEN_OUT_ELEMS 64u
void poison_run(const int16_t *restrict in, int16_t *restrict out);
#define CONVGEN_RUN(in, out) poison_run((in), (out))
