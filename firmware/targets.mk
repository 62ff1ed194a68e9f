# Generated from src/targets by `convgen targets --makefile`. Do not edit.
TARGETS := arm920t arm926ej-s cortex-m0 cortex-m3 cortex-m4 cortex-m7 cortex-m33 cortex-m55 cortex-a9 s3c2410
arm920t.CFLAGS := -mcpu=arm920t -marm
arm920t.LDSCRIPT := ld/versatilepb.ld
arm920t.STARTUP := startup/a32.S
arm920t.HARNESS := harness/semihost_main.c
arm920t.QEMU := -M versatilepb -cpu ti925t -audiodev none,id=n0 -global pl041.audiodev=n0
arm926ej-s.CFLAGS := -mcpu=arm926ej-s -marm
arm926ej-s.LDSCRIPT := ld/versatilepb.ld
arm926ej-s.STARTUP := startup/a32.S
arm926ej-s.HARNESS := harness/semihost_main.c
arm926ej-s.QEMU := -M versatilepb -cpu arm926 -audiodev none,id=n0 -global pl041.audiodev=n0
cortex-m0.CFLAGS := -mcpu=cortex-m0 -mthumb
cortex-m0.LDSCRIPT := ld/microbit.ld
cortex-m0.STARTUP := startup/cortex_m.c
cortex-m0.HARNESS := harness/semihost_main.c
cortex-m0.QEMU := -M microbit
cortex-m3.CFLAGS := -mcpu=cortex-m3 -mthumb
cortex-m3.LDSCRIPT := ld/mps2.ld
cortex-m3.STARTUP := startup/cortex_m.c
cortex-m3.HARNESS := harness/semihost_main.c
cortex-m3.QEMU := -M mps2-an385
cortex-m4.CFLAGS := -mcpu=cortex-m4 -mthumb -mfloat-abi=soft
cortex-m4.LDSCRIPT := ld/mps2.ld
cortex-m4.STARTUP := startup/cortex_m.c
cortex-m4.HARNESS := harness/semihost_main.c
cortex-m4.QEMU := -M mps2-an386
cortex-m7.CFLAGS := -mcpu=cortex-m7 -mthumb -mfloat-abi=soft
cortex-m7.LDSCRIPT := ld/mps2.ld
cortex-m7.STARTUP := startup/cortex_m.c
cortex-m7.HARNESS := harness/semihost_main.c
cortex-m7.QEMU := -M mps2-an500
cortex-m33.CFLAGS := -mcpu=cortex-m33 -mthumb -mfloat-abi=soft
cortex-m33.LDSCRIPT := ld/an505.ld
cortex-m33.STARTUP := startup/cortex_m.c
cortex-m33.HARNESS := harness/semihost_main.c
cortex-m33.QEMU := -M mps2-an505
cortex-m55.CFLAGS := -mcpu=cortex-m55 -mthumb -mfloat-abi=hard
cortex-m55.LDSCRIPT := ld/an547.ld
cortex-m55.STARTUP := startup/cortex_m.c
cortex-m55.HARNESS := harness/semihost_main.c
cortex-m55.QEMU := -M mps3-an547
cortex-a9.CFLAGS := -mcpu=cortex-a9 -mfpu=neon -mfloat-abi=hard -marm -DCONVGEN_ENABLE_NEON
cortex-a9.LDSCRIPT := ld/vexpress-a9.ld
cortex-a9.STARTUP := startup/a32.S
cortex-a9.HARNESS := harness/semihost_main.c
cortex-a9.QEMU := -M vexpress-a9 -audiodev none,id=n0 -global pl041.audiodev=n0
s3c2410.CFLAGS := -mcpu=arm920t -marm
s3c2410.LDSCRIPT := ld/s3c2410.ld
s3c2410.STARTUP := startup/s3c2410.S
s3c2410.HARNESS := harness/uart_main.c
