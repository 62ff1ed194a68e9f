#!/bin/sh
# Static checks on a firmware ELF.
#   --v4t          Tag_CPU_arch must be v4T and no ARMv5+ instruction may appear
#   --entry ADDR   ELF entry and the first section (.text) must be at ADDR
#   --no-trap      no SVC/SWI/BKPT instruction anywhere (images without semihosting)
set -eu
v4t=0; entry=; notrap=0
while [ $# -gt 1 ]; do
    case "$1" in
    --v4t) v4t=1 ;;
    --entry) shift; entry=$1 ;;
    --no-trap) notrap=1 ;;
    *) echo "usage: $0 [--v4t] [--entry ADDR] [--no-trap] X.elf" >&2; exit 2 ;;
    esac
    shift
done
elf=$1
CROSS=${CROSS:-arm-none-eabi-}
fail() { echo "check-image: FAIL: $*" >&2; exit 1; }

# "addr:<TAB>bytes<TAB>mnemonic<TAB>operands": keep "addr mnemonic".
dis=$(${CROSS}objdump -d "$elf" | awk -F'\t' '/^ +[0-9a-f]+:/ && NF >= 3 { print $1, $3 }')
COND='(eq|ne|cs|cc|hs|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le|al)?'

if [ "$v4t" = 1 ]; then
    arch=$(${CROSS}readelf -A "$elf" | sed -n 's/^ *Tag_CPU_arch: //p')
    [ "$arch" = v4T ] || fail "Tag_CPU_arch is '$arch', expected v4T"
    # ARMv5+ mnemonics (ARMv4T has none of these).
    bad=$(printf '%s\n' "$dis" |
        grep -E " (clz|blx|ldrd|strd|qd?add|qd?sub|smul(bb|bt|tb|tt|wb|wt)|smla(bb|bt|tb|tt|wb|wt)|smlal(bb|bt|tb|tt)|pld|bkpt|mcrr2?|mrrc2?|ldrex.?|strex.?|rev.*|[su]xt.*|movw|movt|dmb|dsb|isb|cps.*|setend|srs.*|rfe.*|v[a-z].*)$COND(\.[a-z0-9.]+)?$" || true)
    [ -z "$bad" ] || fail "ARMv5+ instructions present:
$bad"
    echo "check-image: Tag_CPU_arch v4T, no ARMv5+ instructions"
fi
if [ -n "$entry" ]; then
    got=$(${CROSS}readelf -h "$elf" | sed -n 's/^ *Entry point address: *//p')
    [ $((got)) -eq $((entry)) ] || fail "entry is $got, expected $entry"
    text=0x$(${CROSS}readelf -S -W "$elf" | sed -n 's/.* \.text  *PROGBITS  *\([0-9a-f]*\) .*/\1/p')
    [ $((text)) -eq $((entry)) ] || fail ".text at $text, expected $entry"
    echo "check-image: entry and .text at $entry"
fi
if [ "$notrap" = 1 ]; then
    bad=$(printf '%s\n' "$dis" | grep -E " (svc|swi|bkpt)$COND$" || true)
    [ -z "$bad" ] || fail "SVC/BKPT present:
$bad"
    echo "check-image: no svc/swi/bkpt"
fi
