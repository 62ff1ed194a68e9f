/* S3C2410 board: a32.S plus watchdog stop and interrupt masking before anything else. */
#define CONVGEN_BOARD_S3C2410 1
#include "a32.S"
