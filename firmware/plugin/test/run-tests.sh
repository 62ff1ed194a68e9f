#!/usr/bin/env bash
# Checks libinsncount.so against hand-counted windows (see */windows.S) on
# Cortex-M3 (Thumb-2, -M mps2-an385) and ARM926 (ARM state, -M versatilepb).
# Exit status non-zero on any mismatch.
set -u
cd "$(dirname "$0")/.."
. test/lib.sh

fails=0
pass() { echo "  ok   $*"; }
fail() { echo "  FAIL $*"; fails=$((fails + 1)); }

# expected TARGET N -> exact JSON the plugin must write
#   window 1 alu   : 4N+4 insns, no memory
#   window 2 mem   : 8N+5 insns, 7N+5 loads, 7N+5 stores, 6N+2 memInsns
#   window 3 empty : 4 insns (begin's bx lr, bl, kernel's bx lr, bl end)
#   window 4 cond  : Thumb 5N+4 (cmp, it, ldreq, subs, bne), ARM 4N+4;
#                    the condition-failed load counts as an instruction, no access
#   window 5 C     : 7 insns, 1 load (literal pool), see README
expected() {
    local t=$1 n=$2 cond
    if [ "$t" = m3 ]; then cond=$((5 * n + 4)); else cond=$((4 * n + 4)); fi
    printf '{"calls":[%s,%s,%s,%s,%s]}\n' \
        "{\"insns\":$((4 * n + 4)),\"loads\":0,\"stores\":0,\"memInsns\":0}" \
        "{\"insns\":$((8 * n + 5)),\"loads\":$((7 * n + 5)),\"stores\":$((7 * n + 5)),\"memInsns\":$((6 * n + 2))}" \
        "{\"insns\":4,\"loads\":0,\"stores\":0,\"memInsns\":0}" \
        "{\"insns\":$cond,\"loads\":0,\"stores\":0,\"memInsns\":0}" \
        "{\"insns\":7,\"loads\":1,\"stores\":0,\"memInsns\":1}"
}

# measure TARGET N OUT [begin end]  (defaults: nm addresses)
measure() {
    local t=$1 n=$2 out=$3 elf="$TB/$1-N$2.elf"
    local b=${4:-$(sym_nm "$elf" convgen_mark_begin)}
    local e=${5:-$(sym_nm "$elf" convgen_mark_end)}
    rm -f "$out"
    run_qemu "$t" "$elf" "begin=$b,end=$e,out=$out" >/dev/null 2>"$out.stderr"
    local rc=$?
    if [ $rc -ne 0 ]; then
        fail "$t N=$n: qemu exit status $rc"; cat "$out.stderr"; return 1
    fi
}

field() { # JSON CALLIDX FIELD -> number (format is fixed, no whitespace)
    sed 's/},{/}\n{/g' "$1" | sed -n "$(($2 + 1))p" | grep -o "\"$3\":[0-9]*" | cut -d: -f2
}

NS="1 1000 2000 65536"
for t in m3 arm; do
    echo "== $t"
    for n in $NS; do
        build_elf "$t" "$n" || { fail "$t N=$n: build"; continue; }
    done

    # (2)(3)(4) exact values for several N, five windows per run
    for n in $NS; do
        out="$TB/$t-N$n.json"
        measure "$t" "$n" "$out" || continue
        if [ "$(cat "$out")" = "$(expected "$t" "$n")" ]; then
            pass "$t N=$n: $(cat "$out")"
        else
            fail "$t N=$n: got $(cat "$out")"
            echo "       want $(expected "$t" "$n")"
        fi
        if command -v node >/dev/null 2>&1; then
            node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));
                     if(!Array.isArray(j.calls)||j.calls.length!==5)process.exit(1)' "$out" \
                && pass "$t N=$n: valid JSON, 5 calls" || fail "$t N=$n: JSON.parse / call count"
        fi
    done

    # (2) linearity, stated explicitly: N=2000 minus N=1000, per window
    a="$TB/$t-N1000.json"; b="$TB/$t-N2000.json"
    if [ -s "$a" ] && [ -s "$b" ]; then
        if [ "$t" = m3 ]; then cbody=5; else cbody=4; fi
        want="4 0 0 0|8 7 7 6|0 0 0 0|$cbody 0 0 0|0 0 0 0"
        got=""
        for i in 0 1 2 3 4; do
            row=""
            for f in insns loads stores memInsns; do
                d=$(( $(field "$b" $i $f) - $(field "$a" $i $f) ))
                row="$row $((d / 1000))"
                [ $((d % 1000)) -eq 0 ] || row="$row(not-multiple:$d)"
            done
            got="$got|${row# }"
        done
        got=${got#|}
        [ "$got" = "$want" ] && pass "$t linear: (N2000-N1000)/1000 per window = $got" \
                             || fail "$t linear: got $got want $want"
    fi

    # (1) determinism: 5 runs of the same image, byte-identical output
    same=1
    for r in 1 2 3 4 5; do
        measure "$t" 1000 "$TB/$t-det$r.json" || { same=0; break; }
        cmp -s "$TB/$t-det$r.json" "$TB/$t-det1.json" || same=0
    done
    [ $same = 1 ] && pass "$t determinism: 5 runs identical ($(md5sum <"$TB/$t-det1.json" | cut -c1-8))" \
                  || fail "$t determinism: runs differ"

    # Thumb bit / 0x prefix: raw st_value (bit 0 set on Thumb) gives the same
    elf="$TB/$t-N1000.elf"
    measure "$t" 1000 "$TB/$t-st.json" "0x$(sym_st "$elf" convgen_mark_begin)" \
        "0x$(sym_st "$elf" convgen_mark_end)" &&
    if cmp -s "$TB/$t-st.json" "$TB/$t-N1000.json"; then
        pass "$t st_value addresses (begin=0x$(sym_st "$elf" convgen_mark_begin)) give the same result"
    else
        fail "$t st_value addresses differ"
    fi

    # no out= : JSON goes to stderr
    err=$(run_qemu "$t" "$elf" "begin=$(sym_nm "$elf" convgen_mark_begin),end=$(sym_nm "$elf" convgen_mark_end)" 2>&1 >/dev/null)
    if printf '%s\n' "$err" | grep -qxF "$(cat "$TB/$t-N1000.json")"; then
        pass "$t without out=: same JSON on stderr"
    else
        fail "$t without out=: JSON not on stderr"
    fi

    # profile=, watch=: per-address counts, branches and watched operand classes
    b=$(sym_nm "$elf" convgen_mark_begin); e=$(sym_nm "$elf" convgen_mark_end)
    alu=$(sym_nm "$elf" loop_alu); cond=$(sym_nm "$elf" loop_cond)
    # loop_alu is `adds; eors; subs; b(ne)` (+ bx lr); loop_cond's third instruction is the
    # conditional load (`ldreq`, after `it eq` on Thumb; second on ARM).
    if [ "$t" = m3 ]; then subs=$((0x$alu + 4)); bne=$((0x$alu + 6)); ldreq=$((0x$cond + 4));
    else subs=$((0x$alu + 8)); bne=$((0x$alu + 12)); ldreq=$((0x$cond + 4)); fi
    printf '# pc cond ra rb\n%x 14 0 -1\n%x 0 -1 -1\n' "$subs" "$ldreq" >"$TB/$t-watch.txt"
    prof="$TB/$t-profile.json"
    rm -f "$prof"
    run_qemu "$t" "$elf" "begin=$b,end=$e,out=$TB/$t-pw.json,profile=$prof,watch=$TB/$t-watch.txt" >/dev/null 2>&1
    cmp -s "$TB/$t-pw.json" "$TB/$t-N1000.json" && pass "$t profile=: counts unchanged" || fail "$t profile=: counts changed"
    if command -v node >/dev/null 2>&1; then
        # N = 1000: subs sees r0 = 1000..1 (255 values in class 1, 745 in class 2); bne is taken N-1
        # times and loop_alu entered N times; ldreq's condition never holds; every window's
        # per-address counts add up to its instruction count.
        if node -e '
            const fs = require("fs");
            const [pf, cf, alu, subs, bne, ld] = process.argv.slice(1);
            const p = JSON.parse(fs.readFileSync(pf, "utf8")).windows, c = JSON.parse(fs.readFileSync(cf, "utf8")).calls;
            const at = (w, pc) => p[w].find((r) => r.pc === Number(pc)) || {};
            const bad = [];
            if (p.length !== 5) bad.push("windows " + p.length);
            p.forEach((w, i) => { const s = w.reduce((a, r) => a + r.n, 0); if (s !== c[i].insns) bad.push(`window ${i}: ${s} != ${c[i].insns}`); });
            const mul = at(0, subs).mul || [];
            if (at(0, subs).pass !== 1000 || mul[0] !== 255 || mul[4] !== 745 || mul[16] !== 255 || mul[20] !== 745) bad.push("subs " + JSON.stringify(at(0, subs)));
            if (at(0, bne).taken !== 999 || at(0, parseInt(alu, 16)).entered !== 1000) bad.push("branches " + JSON.stringify([at(0, bne), at(0, parseInt(alu, 16))]));
            if (at(3, ld).pass !== 0 || at(3, ld).n !== 1000) bad.push("ldreq " + JSON.stringify(at(3, ld)));
            if (bad.length) { console.error(bad.join("; ")); process.exit(1); }
        ' "$prof" "$TB/$t-N1000.json" "$alu" "$subs" "$bne" "$ldreq"; then
            pass "$t profile=, watch=: counts, branches, condition and operand classes"
        else
            fail "$t profile=, watch=: see above"
        fi
    fi
done

# bad arguments must make QEMU refuse to start
elf="$TB/m3-N1000.elf"
printf '10 15 0 0\n' >"$TB/bad-watch.txt"
for bad in "begin=zz,end=4" "begin=4" "begin=4,end=5" "begin=4,end=8,bogus=1" "begin=4,end=8,watch=$TB/no-such-file" \
           "begin=4,end=8,watch=$TB/bad-watch.txt"; do
    if run_qemu m3 "$elf" "$bad" >/dev/null 2>&1; then
        fail "bad args '$bad' accepted"
    else
        pass "bad args '$bad' rejected"
    fi
done

echo
if [ $fails -eq 0 ]; then echo "plugin tests: all passed"; else echo "plugin tests: $fails FAILED"; fi
[ $fails -eq 0 ]
