/* Test harness: four hand-counted assembly windows (windows.S), then one
 * window written in C exactly like convgen's harness writes it. */
#include <stdint.h>

void convgen_mark_begin(void);
void convgen_mark_end(void);
void run_asm_windows(void);
void c_empty_kernel(const int8_t *in, int8_t *out, const int32_t *bias);

static int8_t in_buf[16];
static int8_t out_buf[16];
static int32_t bias_buf[4];

int main(void)
{
    run_asm_windows();

    convgen_mark_begin();
    c_empty_kernel(in_buf, out_buf, bias_buf);
    convgen_mark_end();
    return 0;
}
