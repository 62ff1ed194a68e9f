/*
 * The host harnesses' command line: `harness INPUT.bin OUTPUT.bin`, both opened here with the exit statuses of the
 * QEMU harnesses (README.md: 10 cannot open the input, 12 cannot open the output; 2 for a wrong command line).
 */
#ifndef CONVGEN_HOST_FILES_H
#define CONVGEN_HOST_FILES_H
#include <stdio.h>

/* 0 with *in and *out open, or the exit status after printing why. */
static int convgen_host_open(int argc, char **argv, FILE **in, FILE **out)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s INPUT.bin OUTPUT.bin\n", argv[0]);
        return 2;
    }
    *in = fopen(argv[1], "rb");
    if (!*in) {
        fprintf(stdout, "convgen-harness: cannot open %s\n", argv[1]);
        return 10;
    }
    *out = fopen(argv[2], "wb");
    if (!*out) {
        fprintf(stdout, "convgen-harness: cannot open %s\n", argv[2]);
        fclose(*in);
        return 12;
    }
    return 0;
}

#endif
