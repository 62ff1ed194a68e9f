#!/usr/bin/env bash
# Rough plugin overhead per guest instruction. Builds the test images with
# N=1 and N=BIG (default 10,000,000), times QEMU with and without the plugin
# (best of R runs), and divides the extra time by the instructions counted.
# The workload mixes ALU loops (9 of 17 instructions per N on Thumb) with a
# memory loop doing 14 accesses per 8 instructions, so it is memory-heavier
# than typical kernel code.
set -eu
cd "$(dirname "$0")/.."
. test/lib.sh
BIG=${BIG:-10000000}
R=${R:-3}

now_ns() { date +%s%N; }
best() { # TARGET ELF PLUGINARGS -> best wall time in ns over R runs
    local b=0 t0 t1 d
    for _ in $(seq "$R"); do
        t0=$(now_ns); run_qemu "$1" "$2" "$3" >/dev/null 2>&1; t1=$(now_ns)
        d=$((t1 - t0)); if [ $b -eq 0 ] || [ $d -lt $b ]; then b=$d; fi
    done
    echo $b
}

for t in m3 arm; do
    build_elf "$t" 1; build_elf "$t" "$BIG"
    small="$TB/$t-N1.elf"; big="$TB/$t-N$BIG.elf"
    args="begin=$(sym_nm "$big" convgen_mark_begin),end=$(sym_nm "$big" convgen_mark_end)"
    sargs="begin=$(sym_nm "$small" convgen_mark_begin),end=$(sym_nm "$small" convgen_mark_end)"
    run_qemu "$t" "$big" "$args,out=$TB/$t-bench.json" >/dev/null 2>&1
    insns=$(grep -o '"insns":[0-9]*' "$TB/$t-bench.json" | cut -d: -f2 | paste -sd+ | bc)
    n_small=$(best "$t" "$small" "")
    n_big=$(best "$t" "$big" "")
    p_small=$(best "$t" "$small" "$sargs,out=/dev/null")
    p_big=$(best "$t" "$big" "$args,out=/dev/null")
    awk -v t="$t" -v i="$insns" -v ns="$n_small" -v nb="$n_big" -v ps="$p_small" -v pb="$p_big" 'BEGIN {
        base = (nb - ns) / i; plug = (pb - ps) / i;
        printf "%s: %d guest insns in windows; no plugin %.2f ns/insn, with plugin %.2f ns/insn, overhead %.2f ns/insn (start-up %d ms vs %d ms)\n",
               t, i, base, plug, plug - base, ns / 1e6, ps / 1e6 }'
done
