#!/bin/bash
# Whole-binary tests of gmvm: flags, error lines, exit statuses, and the
# tiny guests run through the real command line.
# Usage: cli_test.sh GMVM GUEST_ELF_DIR. Exits 77 if /dev/kvm is missing
# (the flag checks that need no KVM still run first).
set -u
GMVM=$1
ELFS=$2
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); echo "PASS $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1: $2"; }

# expect NAME STATUS STDERR_REGEX -- ARGS...: run gmvm, check status and
# that stderr is exactly one line matching the regex (or empty if "").
expect() {
    local name=$1 status=$2 regex=$3
    shift 4
    "$GMVM" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    local got=$?
    if [ "$got" -ne "$status" ]; then
        bad "$name" "exit status $got, expected $status; stderr: $(cat "$tmp/err")"
        return
    fi
    if [ -n "$regex" ]; then
        if [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -Eq "$regex" "$tmp/err"; then
            bad "$name" "stderr is not one line matching /$regex/: $(cat "$tmp/err")"
            return
        fi
    fi
    ok "$name"
}

expect version 0 "" -- --version
grep -Eq '^gmvm [0-9]+\.[0-9]+\.[0-9]+$' "$tmp/out" && ok version_text || bad version_text "$(cat "$tmp/out")"

expect help 0 "" -- --help
for flag in --kernel --initrd --cmdline --memory --vcpus --memory-backend --disk --rng \
    --dump-mem --verbose --help --version; do
    grep -q -- "$flag" "$tmp/out" || bad "help_lists_$flag" "--help lacks $flag"
done
ok help_lists_every_flag

expect missing_kernel_file 1 '^gmvm: --kernel /nonexistent: No such file or directory$' \
    -- --kernel /nonexistent
expect no_kernel 1 '^gmvm: --kernel PATH is required' --
expect bad_memory 1 "^gmvm: --memory '12Q': expected a size" -- --kernel "$ELFS/hello.elf" --memory 12Q
expect memory_too_small 1 "^gmvm: --memory '1M'" -- --kernel "$ELFS/hello.elf" --memory 1M
expect bad_vcpus 1 "^gmvm: --vcpus '0': expected a number from 1 to 32" -- --kernel "$ELFS/hello.elf" --vcpus 0
expect unknown_flag 1 "^gmvm: unknown option '--frobnicate'" -- --kernel "$ELFS/hello.elf" --frobnicate
expect bad_backend 1 "^gmvm: --memory-backend 'tmpfs'" -- --kernel "$ELFS/hello.elf" --memory-backend tmpfs

if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
    echo "SKIP: /dev/kvm is not available; the guest runs need KVM"
    echo "$pass passed, $fail failed"
    [ "$fail" -eq 0 ] && exit 77 || exit 1
fi

# Not an image gmvm knows: one clear line, status 1.
printf 'this is not a kernel\n' >"$tmp/junk"
expect junk_kernel 1 '^gmvm: .*junk' -- --kernel "$tmp/junk"
: >"$tmp/empty"
expect empty_kernel 1 '^gmvm: .*empty' -- --kernel "$tmp/empty"
head -c 200 "$ELFS/hello.elf" >"$tmp/truncated.elf"
expect truncated_elf 1 '^gmvm: .*truncated\.elf' -- --kernel "$tmp/truncated.elf"

expect bare_smp_refused 1 "^gmvm: --vcpus 2: a bare ELF32 program" -- --kernel "$ELFS/hello.elf" --vcpus 2

# The tiny guests through the real binary.
expect hello_halts 10 'guest halted' -- --kernel "$ELFS/hello.elf" --memory 16M
[ "$(cat "$tmp/out")" = "hello from a guest_memfd guest" ] && ok hello_output || bad hello_output "stdout: $(cat "$tmp/out")"
expect hello_anon_backend 10 'guest halted' -- --kernel "$ELFS/hello.elf" --memory 16M --memory-backend anon
expect triple_fault 11 'triple-fault' -- --kernel "$ELFS/triple_fault.elf" --memory 16M
grep -q "about to triple-fault" "$tmp/out" && ok triple_fault_output || bad triple_fault_output "$(cat "$tmp/out")"

# --dump-mem writes guest RAM as read through the guest_memfd mapping:
# the writer guest's pattern must be in it at its guest-physical offset.
"$GMVM" --kernel "$ELFS/writer.elf" --memory 16M --dump-mem "$tmp/ram" </dev/null >/dev/null 2>&1
st=$?
size=$(stat -c %s "$tmp/ram" 2>/dev/null || echo 0)
if [ "$st" -eq 10 ] && [ "$size" -eq $((16 << 20)) ]; then
    # byte i of the pattern is (i*7 + (i>>8) + 3) & 0xff; check i = 0..3 and 0x1234
    want=$(printf '%02x%02x%02x%02x' 3 10 17 24)
    got=$(od -An -tx1 -j $((0x300000)) -N4 "$tmp/ram" | tr -d ' \n')
    w2=$(printf '%02x' $(((0x1234 * 7 + (0x1234 >> 8) + 3) & 0xff)))
    g2=$(od -An -tx1 -j $((0x300000 + 0x1234)) -N1 "$tmp/ram" | tr -d ' \n')
    if [ "$got" = "$want" ] && [ "$g2" = "$w2" ]; then ok dump_mem; else bad dump_mem "got $got/$g2 want $want/$w2"; fi
else
    bad dump_mem "status $st, dump size $size"
fi

# SIGTERM and SIGINT stop a running VM cleanly with 128+N.
for sig in TERM INT; do
    "$GMVM" --kernel "$ELFS/spin.elf" --memory 16M </dev/null >"$tmp/spin.out" 2>"$tmp/spin.err" &
    pid=$!
    for _ in $(seq 100); do
        grep -q spinning "$tmp/spin.out" 2>/dev/null && break
        sleep 0.05
    done
    kill -s "$sig" "$pid"
    wait "$pid"
    st=$?
    want=$((128 + $(kill -l "$sig")))
    if [ "$st" -eq "$want" ] && grep -q "received signal" "$tmp/spin.err"; then
        ok "stop_by_SIG$sig"
    else
        bad "stop_by_SIG$sig" "status $st (want $want): $(cat "$tmp/spin.err")"
    fi
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
