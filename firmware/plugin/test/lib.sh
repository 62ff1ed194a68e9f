# Shared helpers for run-tests.sh and bench.sh (sourced; bash).
# Paths are relative to firmware/plugin (the scripts cd there first).

PLUGIN=${PLUGIN:-build/libinsncount.so}
TB=build/test
CROSS=${CROSS:-arm-none-eabi-}

# build_elf TARGET N  -> $TB/TARGET-N<N>.elf   (TARGET: m3 | arm)
build_elf() {
    local t=$1 n=$2 flags
    case $t in
        m3)  flags="-mcpu=cortex-m3 -mthumb" ;;
        arm) flags="-mcpu=arm926ej-s -marm" ;;
        *) echo "unknown target $t" >&2; return 1 ;;
    esac
    mkdir -p "$TB"
    # shellcheck disable=SC2086
    ${CROSS}gcc $flags -O2 -ffreestanding -nostdlib -nostartfiles \
        -Wall -Wextra -Werror -DN="$n" -T "test/$t/link.ld" \
        -o "$TB/$t-N$n.elf" \
        "test/$t/startup.S" "test/$t/windows.S" \
        test/common/markers.c test/common/kernel_c.c test/common/main.c -lgcc
}

# sym_nm ELF NAME -> address as printed by nm (hex, no 0x)
sym_nm() { ${CROSS}nm "$1" | awk -v s="$2" '$3 == s { print $1 }'; }
# sym_st ELF NAME -> raw st_value from readelf (Thumb: bit 0 set)
sym_st() { ${CROSS}readelf -sW "$1" | awk -v s="$2" '$8 == s { print $2 }'; }

# qemu_cmd TARGET -> machine flags
qemu_machine() {
    case $1 in
        m3)  echo "-M mps2-an385" ;;
        arm) echo "-M versatilepb -cpu arm926 -audiodev none,id=n0 -global pl041.audiodev=n0" ;;
    esac
}

# run_qemu TARGET ELF [PLUGINARGS]   (PLUGINARGS empty: no plugin)
run_qemu() {
    local t=$1 elf=$2 pargs=${3:-}
    local plug=()
    [ -n "$pargs" ] && plug=(-plugin "$PLUGIN,$pargs")
    # shellcheck disable=SC2046
    timeout 10 qemu-system-arm $(qemu_machine "$t") -nodefaults -display none \
        -semihosting-config enable=on,target=native -kernel "$elf" "${plug[@]}"
}
