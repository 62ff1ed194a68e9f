#!/usr/bin/env bash
# API check (README "API check"): runs test/probe/probe.c over loop_mem of
# the N=1000 images. Expected there: 8002 instructions, 7005 word transfers
# each way, which QEMU 10 makes as 6005 accesses (an aligned LDRD/STRD is one
# 8-byte access). Shows qemu_info_t, the register names, the order of an exec
# callback and an inline op, and that the R and W memory filters (broken in
# QEMU 7.2) now select loads and stores.
set -eu
cd "$(dirname "$0")/.."
. test/lib.sh
mkdir -p build
${CC:-gcc} -O2 -fPIC -shared -Wall -Wextra -Werror -o build/libprobe.so test/probe/probe.c
for t in m3 arm; do
    build_elf "$t" 1000
    elf="$TB/$t-N1000.elf"
    lo=$(sym_nm "$elf" loop_mem); hi=$(sym_nm "$elf" empty_kernel)
    echo "== $t loop_mem [0x$lo, 0x$hi): expect insns 8002, loads 7005, stores 7005"
    PLUGIN=build/libprobe.so run_qemu "$t" "$elf" "lo=$lo,hi=$hi" 2>&1 >/dev/null | grep '^probe:'
done
