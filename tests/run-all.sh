#!/bin/bash
# The project's whole test run (README's test command; CI runs exactly this):
#   1. a normal build, then every ctest suite: unit (Check), tiny guests on
#      /dev/kvm, the guest_memfd uapi conformance test, and the nested e2e
#      Linux boots, and the kernel-patches/linux-6.12 checks (apply, module
#      build, patched 6.12 host booting gmvm); those skip, with a reason, when
#      QEMU or the Debian mirror cannot be had;
#   2. an ASan+UBSan build, then the suites that need no nested QEMU under
#      the sanitizers;
#   3. a short libFuzzer smoke run of the virtqueue and virtio-blk harnesses
#      (the long runs are tests/fuzz/run.sh with a bigger number).
# Usage: tests/run-all.sh [BUILD_DIR_PREFIX]   (default: ./build)
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=${1:-$REPO/build}
JOBS=$(nproc)

echo "== normal build: $PREFIX"
cmake -S "$REPO" -B "$PREFIX" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGMVM_KERNEL_612_TESTS=ON >/dev/null
cmake --build "$PREFIX" -j"$JOBS"
ctest --test-dir "$PREFIX" --output-on-failure

echo "== sanitizer build (ASan+UBSan): $PREFIX-san"
cmake -S "$REPO" -B "$PREFIX-san" -DCMAKE_BUILD_TYPE=Debug -DGMVM_SANITIZE=ON >/dev/null
cmake --build "$PREFIX-san" -j"$JOBS"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$PREFIX-san" --output-on-failure -LE "e2e|kernel612"

echo "== fuzz smoke (clang, libFuzzer + ASan + UBSan)"
GMVM_FUZZ_BUILD="$PREFIX-fuzz" "$REPO/tests/fuzz/run.sh" "${GMVM_FUZZ_SECONDS:-30}"
