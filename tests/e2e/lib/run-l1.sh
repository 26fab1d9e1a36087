#!/bin/bash
# run-l1.sh: boot the emulated KVM host (L1) under QEMU TCG and report the
# results its scenario printed.
#
#   run-l1.sh --kernel VMLINUZ --initrd CPIO --log FILE [--smp N] [--mem MB]
#             [--timeout SECONDS] [--expect "check ..."] [--append STR]
#             [--stall SECONDS] [--retries N]
#
# An L1 whose console stays silent for --stall seconds (default 200, or
# GMVM_E2E_STALL) is wedged: it is killed and, --retries times (default 1),
# booted again; the wedged run's log is kept as FILE.wedged.
# The whole serial console goes to FILE (and to stderr when
# GMVM_E2E_VERBOSE=1). Afterwards every "E2E-RESULT <check> PASS|FAIL <detail>"
# line is printed, then one summary line. Exit status: 0 when L1 finished,
# at least one check passed and none failed, and every --expect check was
# reported; 1 otherwise; 77 (skip) when qemu-system-x86_64 is missing.
set -euo pipefail

kernel="" initrd="" logf="" smp=1 mem=2048 tmo=600 expect="" append=""
stall=${GMVM_E2E_STALL:-200} retries=1 tailpid=""
while [ $# -gt 0 ]; do
    case "$1" in
    --kernel) kernel=$2; shift 2 ;;
    --initrd) initrd=$2; shift 2 ;;
    --log) logf=$2; shift 2 ;;
    --smp) smp=$2; shift 2 ;;
    --mem) mem=$2; shift 2 ;;
    --timeout) tmo=$2; shift 2 ;;
    --expect) expect=$2; shift 2 ;;
    --append) append=$2; shift 2 ;;
    --stall) stall=$2; shift 2 ;;
    --retries) retries=$2; shift 2 ;;
    *) echo "run-l1: unknown argument '$1'" >&2; exit 1 ;;
    esac
done
[ -r "$kernel" ] || { echo "run-l1: --kernel: cannot read '$kernel'" >&2; exit 1; }
[ -r "$initrd" ] || { echo "run-l1: --initrd: cannot read '$initrd'" >&2; exit 1; }
[ -n "$logf" ] || { echo "run-l1: --log FILE is required" >&2; exit 1; }

QEMU=${GMVM_E2E_QEMU:-qemu-system-x86_64}
if ! command -v "$QEMU" >/dev/null; then
    echo "run-l1: SKIP: $QEMU not found (apt-get install qemu-system-x86)" >&2
    exit 77
fi

# -M q35: microvm under TCG loses its timer in L1 early boot (testing.md).
# -cpu max exposes SVM with nested paging; L1's kvm_amd runs on that.
# reboot=t: a triple fault ends L1 at once (-no-reboot turns it into exit).
cmd=("$QEMU" -M q35 -nodefaults -display none -serial stdio -no-reboot
    -accel tcg -cpu max -smp "$smp" -m "$mem"
    -kernel "$kernel" -initrd "$initrd"
    -append "console=ttyS0 reboot=t panic=-1 quiet $append")

# run_once: one L1 boot; sets rc (qemu's status, 124 on timeout) and stalled=1
# when the console fell silent for $stall seconds. A wedged L1 (seen once in
# ~30 runs: TCG's SVM stops delivering L1's timer while L2 runs, and even
# L1's own busybox timeout never fires) is killed then, not at the deadline.
run_once() {
    local qpid size last_size last_change now
    echo "run-l1: ${cmd[*]}" >"$logf"
    if [ "${GMVM_E2E_VERBOSE:-0}" = 1 ]; then
        tail -n +1 -f "$logf" >&2 &
        tailpid=$!
    fi
    timeout -k 10 "$tmo" "${cmd[@]}" </dev/null >>"$logf" 2>&1 &
    qpid=$!
    stalled=0
    last_size=-1
    last_change=$(date +%s)
    while kill -0 "$qpid" 2>/dev/null; do
        sleep 2
        size=$(stat -c %s "$logf")
        now=$(date +%s)
        if [ "$size" != "$last_size" ]; then
            last_size=$size
            last_change=$now
        elif [ $((now - last_change)) -ge "$stall" ]; then
            stalled=1
            echo "run-l1: no console output for ${stall}s: L1 is wedged, killing it" >>"$logf"
            kill "$qpid" 2>/dev/null || true
            pkill -P "$qpid" 2>/dev/null || true
            break
        fi
    done
    rc=0
    wait "$qpid" || rc=$?
    [ "$stalled" = 0 ] || rc=124
    [ -z "${tailpid:-}" ] || { sleep 1; kill "$tailpid" 2>/dev/null || true; tailpid=""; }
}

mkdir -p "$(dirname "$logf")"
start=$(date +%s.%N)
attempt=1
run_once
if [ "$stalled" = 1 ] && [ "$retries" -gt 0 ]; then
    mv "$logf" "$logf.wedged"
    echo "run-l1: L1 wedged (no console output for ${stall}s); retrying once, first log in $logf.wedged" >&2
    attempt=2
    run_once
fi
end=$(date +%s.%N)
wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
echo "run-l1: qemu exit status $rc after ${wall}s (attempt $attempt)" >>"$logf"

# Serial output has CRLF line ends; results may carry an "L2[...]| " prefix.
results=$(tr -d '\r' <"$logf" | grep -o 'E2E-RESULT [^ ]* [A-Z]*.*' || true)
[ -z "$results" ] || printf '%s\n' "$results"
npass=$(printf '%s\n' "$results" | awk '$3 == "PASS"' | grep -c . || true)
nfail=$(printf '%s\n' "$results" | awk '$3 != "PASS"' | grep -c . || true)

missing=""
for c in $expect; do
    printf '%s\n' "$results" | awk -v c="$c" '$2 == c { found = 1 } END { exit !found }' ||
        missing="$missing $c"
done
done_seen=0
tr -d '\r' <"$logf" | grep -q '^E2E-L1-DONE' && done_seen=1
l1_up=$(tr -d '\r' <"$logf" | sed -n 's/^E2E-L1-INIT uptime=//p' | head -n1)

status=0
why=""
if [ "$stalled" = 1 ]; then
    why="L1 wedged: no console output for ${stall}s (attempt $attempt);"
    status=1
elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    why="L1 timed out after ${tmo}s;"
    status=1
elif [ "$done_seen" = 0 ]; then
    why="L1 never finished its scenario (qemu status $rc);"
    status=1
fi
[ "$nfail" = 0 ] || status=1
[ "$npass" -gt 0 ] || { why="$why no check passed;"; status=1; }
[ -z "$missing" ] || { why="$why missing checks:$missing;"; status=1; }
if [ "$status" != 0 ]; then
    echo "---- last 60 lines of the L1 console ($logf) ----"
    tr -d '\r' <"$logf" | grep -v '^$' | tail -n 60
    echo "----"
fi
echo "e2e: $npass PASS, $nfail FAIL, L1 /init at ${l1_up:-?}s, wall ${wall}s, log $logf${why:+ -- $why}"
exit "$status"
