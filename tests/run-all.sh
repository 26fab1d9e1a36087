#!/bin/bash
# The project's whole test run (README's test command; CI runs exactly this):
#   1. a normal build, then every ctest suite: unit (Check), tiny guests on
#      /dev/kvm, the guest_memfd uapi conformance test, the nested e2e Linux
#      boots and virtio tests, and the kernel-patches/linux-6.12 checks (apply,
#      module build, patched 6.12 host booting gmvm); those skip, with a
#      reason, when QEMU or the Debian mirror cannot be had;
#   2. an ASan+UBSan build, then the suites that need no nested QEMU under
#      the sanitizers;
#   3. a short libFuzzer smoke run of the virtqueue and virtio-blk harnesses
#      (the long runs are tests/fuzz/run.sh with a bigger number).
# Ends with one line "run-all: N passed, N failed, N skipped" over all three
# stages; a test that skipped (exit 77: no /dev/kvm, no QEMU, no mirror) is
# counted as skipped, never as passed.
# Usage: tests/run-all.sh [BUILD_DIR_PREFIX]   (default: ./build)
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=${1:-$REPO/build}
JOBS=$(nproc)
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
passed=0
failed=0
skipped=0

# count_ctest: add ctest's "NN% tests passed, F tests failed out of T";
# ctest's T includes skipped tests, which it lists as "(Skipped)".
count_ctest() {
    local line f t s
    line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$LOG" | tail -n1)
    f=$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/' <<<"$line")
    t=$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\2/' <<<"$line")
    s=$(grep -cE '^[[:space:]]*[0-9]+ - .*\(Skipped\)' "$LOG" || true)
    passed=$((passed + t - f - s))
    failed=$((failed + f))
    skipped=$((skipped + s))
}

stage() { # NAME CMD...: run CMD with its output shown and kept in $LOG
    local rc=0
    echo "== $1"
    shift
    "$@" 2>&1 | tee "$LOG" || rc=${PIPESTATUS[0]}
    return "$rc"
}

status=0
cmake -S "$REPO" -B "$PREFIX" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGMVM_KERNEL_612_TESTS=ON >/dev/null
cmake --build "$PREFIX" -j"$JOBS"
stage "normal build: all suites" ctest --test-dir "$PREFIX" --output-on-failure || status=1
count_ctest

cmake -S "$REPO" -B "$PREFIX-san" -DCMAKE_BUILD_TYPE=Debug -DGMVM_SANITIZE=ON >/dev/null
cmake --build "$PREFIX-san" -j"$JOBS"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    stage "sanitizer build (ASan+UBSan): suites without nested QEMU" \
    ctest --test-dir "$PREFIX-san" --output-on-failure -LE "e2e|kernel612" || status=1
count_ctest

fuzz_rc=0
stage "fuzz smoke (clang, libFuzzer + ASan + UBSan)" \
    env GMVM_FUZZ_BUILD="$PREFIX-fuzz" "$REPO/tests/fuzz/run.sh" "${GMVM_FUZZ_SECONDS:-30}" ||
    fuzz_rc=$?
case $fuzz_rc in # three harnesses: fuzz_virtq, fuzz_blk, fuzz_boot
0) passed=$((passed + 3)) ;;
77) skipped=$((skipped + 3)) ;;
*) failed=$((failed + 3)) status=1 ;;
esac

echo "run-all: $passed passed, $failed failed, $skipped skipped"
exit "$status"
