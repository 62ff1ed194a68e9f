/* Smoke-test kernel in the shape convgen generates (see README.md). */
#include "dummy.h"
#define CONVGEN_NAME "dummy"
#define CONVGEN_IN_T int16_t
#define CONVGEN_OUT_T int16_t
#define CONVGEN_IN_ELEMS 48u
#define CONVGEN_OUT_ELEMS 64u
#define CONVGEN_RUN(in, out) dummy_run((in), (out))
#define CONVGEN_BUILTIN_INPUT dummy_builtin_input
