#!/bin/bash
# Firmware smoke test: builds test-kernel/ and test-fault/ for every target,
# runs them under QEMU and checks outputs, exit codes and fault lines; checks
# the s3c2410 image statically and its UART text on the host (if gcc exists).
# Usage: scripts/smoke-test.sh [target...]   (default: every target)
set -u
FW=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
TIMEOUT=${RUN_TIMEOUT:-10}
fails=0
ok()  { echo "  ok    $*"; }
bad() { echo "  FAIL  $*"; fails=$((fails + 1)); }

targets=("$@")
[ ${#targets[@]} -gt 0 ] || read -r -a targets <<<"$(make -s -C "$FW" --no-print-directory targets)"

# input.bin: 2 tensors of 48 int16; expected.bin: out[i] = (int16)(in[i % 48] * 3 + 1).
node -e '
const fs = require("fs");
let s = 12345; const rnd = () => (s = (s * 1103515245 + 12345) >>> 0) >>> 16;
const inp = new Int16Array(96), out = new Int16Array(128);
for (let i = 0; i < 96; i++) inp[i] = rnd() - 32768;
inp.set([32767, -32768, 0, -1]);
for (let t = 0; t < 2; t++) for (let i = 0; i < 64; i++) out[t * 64 + i] = inp[t * 48 + (i % 48)] * 3 + 1;
fs.writeFileSync(process.argv[1], Buffer.from(inp.buffer));
fs.writeFileSync(process.argv[2], Buffer.from(out.buffer));
' "$TMP/input.bin" "$TMP/expected.bin"

# run TARGET ELF DIR -> sets rc, out (stdout), ms (wall time)
run() {
    local q
    q=$(make -s -C "$FW" --no-print-directory print-qemu TARGET="$1")
    local t0 t1
    t0=$(date +%s%N)
    out=$(cd "$3" && timeout "$TIMEOUT" qemu-system-arm $q -nodefaults -display none \
        -semihosting-config enable=on,target=native -kernel "$2" 2>/dev/null)
    rc=$?
    t1=$(date +%s%N)
    ms=$(((t1 - t0) / 1000000))
}
build() { # TARGET KERNEL BUILD
    make -s -C "$FW" --no-print-directory TARGET="$1" KERNEL="$2" BUILD="$3" >"$3.log" 2>&1 ||
        { bad "$1: build of $(basename "$2") failed:"; cat "$3.log"; return 1; }
    [ ! -s "$3.log" ] || { bad "$1: build output not clean:"; cat "$3.log"; return 1; }
}
fault_case() { # TARGET MODE EXPECTED_RC KIND
    local d="$TMP/$1-f$2"
    mkdir -p "$d"
    node -e 'require("fs").writeFileSync(process.argv[1], Buffer.from(new Uint32Array([+process.argv[2]]).buffer))' "$d/input.bin" "$2"
    run "$1" "$TMP/$1-fault/convgen.elf" "$d"
    if [ "$rc" = "$3" ] && [[ "$out" =~ ^convgen-fault:\ $4\ at\ 0x[0-9a-f]{8}$ ]]; then
        ok "$1: fault mode $2 -> $rc '$out'"
    else
        bad "$1: fault mode $2: rc=$rc out='$out' (want $3, $4)"
    fi
}

for t in "${targets[@]}"; do
    echo "== $t"
    b="$TMP/$t"
    build "$t" "$FW/test-kernel" "$b" || continue
    q=$(make -s -C "$FW" --no-print-directory print-qemu TARGET="$t")
    if [ -z "$q" ]; then
        if make -s -C "$FW" --no-print-directory check-s3c2410 KERNEL="$FW/test-kernel" BUILD="$b"; then
            ok "$t: check-s3c2410"
        else
            bad "$t: check-s3c2410"
        fi
        if command -v gcc >/dev/null; then
            # Same UART text on the host: putc hook, then compare with node's rendering.
            h="$TMP/uart-host"
            mkdir -p "$h"
            printf '#include <stdio.h>\nvoid host_putc(char c) { putchar(c); }\nint convgen_harness_main(void);\nint main(void) { return convgen_harness_main(); }\n' >"$h/shim.c"
            if (cd "$h" && gcc -std=c99 -O2 -w -I"$FW/test-kernel" -I"$FW/include" \
                -DCONVGEN_UART_PUTC=host_putc -Dmain=convgen_harness_main \
                -Dmemcpy=fw_memcpy -Dmemmove=fw_memmove -Dmemset=fw_memset -Dmemcmp=fw_memcmp \
                -c "$FW/harness/uart_main.c" "$FW/common/common.c" "$FW/test-kernel/dummy.c" &&
                gcc -c shim.c && gcc ./*.o -o uart) && "$h/uart" >"$h/got.txt" &&
                node -e '
const fs = require("fs");
const src = fs.readFileSync(process.argv[1], "utf8");
const vals = src.split("dummy_builtin_input[48] = {")[1].split("}")[0].split(",").map(s => s.trim()).filter(Boolean).map(Number);
const out = new Int16Array(64);
for (let i = 0; i < 64; i++) out[i] = vals[i % 48] * 3 + 1;
let h = 0x811c9dc5;
for (const b of new Uint8Array(out.buffer)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
let txt = "";
for (let i = 0; i < 64; i += 8)
  txt += i.toString(16).padStart(8, "0") + ":" + Array.from(out.slice(i, i + 8), v => " " + (v & 0xffff).toString(16).padStart(4, "0")).join("") + "\r\n";
txt += `CONVGEN-RESULT name=dummy elems=64 checksum=0x${h.toString(16).padStart(8, "0")}\r\n`;
process.exit(fs.readFileSync(process.argv[2], "latin1") === txt ? 0 : 1);
' "$FW/test-kernel/dummy.c" "$h/got.txt"; then
                ok "$t: UART text and FNV-1a checksum (host build of uart_main.c): $(tail -1 "$h/got.txt" | tr -d '\r')"
            else
                bad "$t: UART text differs on host"
            fi
        fi
        continue
    fi

    d="$TMP/$t-run"
    mkdir -p "$d"
    cp "$TMP/input.bin" "$d/"
    run "$t" "$b/convgen.elf" "$d"
    if [ "$rc" = 0 ] && cmp -s "$d/output.bin" "$TMP/expected.bin"; then
        ok "$t: 2 tensors, output.bin exact, exit 0 (${ms} ms)"
    else
        bad "$t: rc=$rc out='$out', output.bin $(cmp "$d/output.bin" "$TMP/expected.bin" 2>&1)"
    fi
    rm -rf "$d" && mkdir -p "$d"
    run "$t" "$b/convgen.elf" "$d"
    [ "$rc" = 10 ] && [ "$out" = "convgen-harness: cannot open input.bin" ] && ok "$t: no input.bin -> 10" || bad "$t: no input -> rc=$rc '$out'"
    : >"$d/input.bin"
    run "$t" "$b/convgen.elf" "$d"
    [ "$rc" = 11 ] && ok "$t: empty input.bin -> 11" || bad "$t: empty input -> rc=$rc '$out'"
    head -c 95 "$TMP/input.bin" >"$d/input.bin"
    run "$t" "$b/convgen.elf" "$d"
    [ "$rc" = 11 ] && ok "$t: 95-byte input.bin -> 11" || bad "$t: partial input -> rc=$rc '$out'"
    cp "$TMP/input.bin" "$d/" && rm -f "$d/output.bin" && mkdir "$d/output.bin"
    run "$t" "$b/convgen.elf" "$d"
    [ "$rc" = 12 ] && ok "$t: unwritable output.bin -> 12" || bad "$t: output.bin dir -> rc=$rc '$out'"

    build "$t" "$FW/test-fault" "$TMP/$t-fault" || continue
    case "$t" in
    arm920t)
        make -s -C "$FW" --no-print-directory check-v4t TARGET="$t" KERNEL="$FW/test-kernel" BUILD="$b" >/dev/null &&
            ok "$t: check-v4t (Tag_CPU_arch v4T, no ARMv5+ mnemonics)" || bad "$t: check-v4t"
        fault_case "$t" 0 70 undefined-instruction
        clz=$(arm-none-eabi-objdump -d "$TMP/$t-fault/convgen.elf" | awk -F'\t' '$3 == "clz" { sub(/^ */, "", $1); sub(/:$/, "", $1); print $1 }')
        [ "$out" = "convgen-fault: undefined-instruction at 0x$(printf %08x $((0x$clz)))" ] &&
            ok "$t: reported PC is the clz at 0x$clz" || bad "$t: clz at 0x$clz but '$out'"
        fault_case "$t" 3 70 undefined-instruction # BKPT is ARMv5
        fault_case "$t" 4 72 data-abort
        ;;
    arm926ej-s)
        fault_case "$t" 1 70 undefined-instruction
        fault_case "$t" 3 71 prefetch-abort
        fault_case "$t" 4 72 data-abort
        ;;
    cortex-a9)
        fault_case "$t" 1 70 undefined-instruction
        fault_case "$t" 3 71 prefetch-abort
        fault_case "$t" 4 72 data-abort
        fault_case "$t" 6 70 undefined-instruction # NEON off -> undefined
        ;;
    cortex-m0)
        fault_case "$t" 0 73 hardfault
        fault_case "$t" 3 73 hardfault
        fault_case "$t" 4 73 hardfault
        ;;
    *)
        fault_case "$t" 0 73 usagefault
        fault_case "$t" 2 73 busfault
        fault_case "$t" 3 73 memmanage
        fault_case "$t" 4 73 usagefault
        [ "$t" != cortex-m55 ] || fault_case "$t" 6 73 usagefault # MVE off -> NOCP
        ;;
    esac
    case "$t" in cortex-a9 | cortex-m55)
        d="$TMP/$t-vec" && mkdir -p "$d"
        node -e 'require("fs").writeFileSync(process.argv[1], Buffer.from(new Uint32Array([5]).buffer))' "$d/input.bin"
        run "$t" "$TMP/$t-fault/convgen.elf" "$d"
        [ "$rc" = 0 ] && [ "$(od -An -tu4 "$d/output.bin" | tr -d ' ')" = 10 ] &&
            ok "$t: vector unit enabled by startup (NEON/MVE add ran)" || bad "$t: vector test rc=$rc '$out'"
        ;;
    esac
done
echo
if [ "$fails" = 0 ]; then echo "smoke-test: all passed"; else echo "smoke-test: $fails failure(s)"; exit 1; fi
