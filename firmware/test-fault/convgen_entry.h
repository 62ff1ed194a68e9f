/* Fault-path test kernel: input element 0 selects the fault (see fault.c). */
#include "fault.h"
#define CONVGEN_NAME "fault"
#define CONVGEN_IN_T uint32_t
#define CONVGEN_OUT_T uint32_t
#define CONVGEN_IN_ELEMS 1u
#define CONVGEN_OUT_ELEMS 1u
#define CONVGEN_RUN(in, out) fault_run((in), (out))
