#!/bin/bash
# Startup benchmark (not a test): gmvm process start (main() entry) to the
# first KVM_RUN for a tiny guest, median of N runs, and gmvm's resident
# memory split into guest RAM actually touched and gmvm's own, for a 256 MiB
# guest. Both backends are measured: guest_memfd (default) and anon.
# Usage: tests/bench/startup.sh [BUILD_DIR] [RUNS]   (default: build, 20)
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$REPO/build}
RUNS=${2:-20}
GMVM=$BUILD/gmvm
GUEST=$BUILD/tests/guests/hello.elf
[ -x "$GMVM" ] && [ -f "$GUEST" ] || { echo "build first: cmake --build $BUILD" >&2; exit 1; }
[ -w /dev/kvm ] || { echo "startup bench: /dev/kvm is not available" >&2; exit 77; }

median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }

for backend in guest_memfd anon; do
    times=()
    for _ in $(seq "$RUNS"); do
        out=$("$GMVM" -v --kernel "$GUEST" --memory 256M --memory-backend "$backend" 2>&1 </dev/null || true)
        t=$(sed -n 's/.*start to first KVM_RUN \([0-9.]*\) ms.*/\1/p' <<<"$out")
        times+=("$t")
        rss=$(sed -n 's/.*stats: RSS \([0-9]*\) KiB = guest RAM touched \([0-9]*\) KiB + gmvm itself \([0-9]*\) KiB.*/\1 \2 \3/p' <<<"$out")
    done
    med=$(printf '%s\n' "${times[@]}" | median)
    min=$(printf '%s\n' "${times[@]}" | sort -n | head -1)
    max=$(printf '%s\n' "${times[@]}" | sort -n | tail -1)
    read -r total guest own <<<"$rss"
    printf 'backend=%-11s start_to_first_KVM_RUN_ms median=%s min=%s max=%s (n=%s)\n' \
        "$backend" "$med" "$min" "$max" "$RUNS"
    printf 'backend=%-11s rss_kib total=%s guest_ram_touched=%s gmvm_own=%s (guest RAM 262144 KiB)\n' \
        "$backend" "$total" "$guest" "$own"
done
