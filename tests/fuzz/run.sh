#!/bin/bash
# run.sh SECONDS: build the virtio libFuzzer harnesses (clang, ASan+UBSan)
# and run each for SECONDS seconds, one after the other, at low priority.
# Prints each harness's final stats (executions, coverage) and exits non-zero
# if any harness found a crash, leak or UB report (the reproducer is left in
# the build directory's artifacts/).
#
# Environment: GMVM_FUZZ_BUILD (build dir, default /tmp/gmvm-fuzz-build),
# GMVM_FUZZ_JOBS (build parallelism, default 2).
set -euo pipefail

SECONDS_EACH=${1:?usage: run.sh SECONDS (per harness)}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
B=${GMVM_FUZZ_BUILD:-/tmp/gmvm-fuzz-build}
HARNESSES="fuzz_virtq:virtq fuzz_blk:blk fuzz_boot:boot"

command -v clang >/dev/null || { echo "run.sh: clang not found" >&2; exit 77; }
CC=clang cmake -S "$SRC" -B "$B" -DGMVM_FUZZ=ON -DGMVM_TESTS=ON >/dev/null
cmake --build "$B" -j"${GMVM_FUZZ_JOBS:-2}" --target fuzz_virtq fuzz_blk fuzz_boot >/dev/null

# Seeds are regenerated each run; libFuzzer's finds go to a separate corpus
# directory so the committed seeds are never rewritten.
python3 "$SRC/tests/fuzz/gen-seeds.py" "$B/seeds"
mkdir -p "$B/artifacts"
status=0
for h in $HARNESSES; do
    bin=${h%%:*} corpus=${h##*:}
    mkdir -p "$B/corpus/$corpus"
    echo "== $bin: ${SECONDS_EACH}s"
    if ! nice -n 19 "$B/tests/fuzz/$bin" -max_total_time="$SECONDS_EACH" -print_final_stats=1 \
        -timeout=10 -rss_limit_mb=1024 -artifact_prefix="$B/artifacts/$bin-" \
        "$B/corpus/$corpus" "$B/seeds/$corpus" 2>"$B/$bin.log"; then
        status=1
        echo "$bin: FAILED; see $B/$bin.log and $B/artifacts/" >&2
    fi
    grep -E '^(stat::|#[0-9]+ +DONE|Done )' "$B/$bin.log" || true
done
exit $status
