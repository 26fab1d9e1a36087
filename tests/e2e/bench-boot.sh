#!/bin/bash
# bench-boot.sh: boot-time benchmark (not a test). Inside one emulated KVM
# host (the nested harness's L1), boots the same Debian guest kernel and
# initramfs with gmvm and with QEMU -M microvm (-enable-kvm -cpu host),
# BENCH_RUNS times each (interleaved), and prints the median time from VMM start to the
# guest's /init (its first console line) for both, and the ratio; also
# gmvm's start-to-first-KVM_RUN time and its RSS excluding guest memory.
#
#   tests/e2e/bench-boot.sh GMVM [E2E_HELPER]
#
# Environment: BENCH_RUNS (default 5), BENCH_MEM (256M), BENCH_VCPUS (1),
# BENCH_L2_EXTRA (extra guest cmdline for both VMMs; default noxsave),
# GMVM_CACHE, GMVM_E2E_VERBOSE=1. Absolute times are those of a TCG-emulated
# host: compare the two VMMs with each other, not with bare metal.
set -euo pipefail

E2E=$(cd "$(dirname "$0")" && pwd)
gmvm=${1:?usage: bench-boot.sh GMVM [E2E_HELPER]}
helper=${2:-}
work=${TMPDIR:-/tmp}/gmvm-e2e/bench
mkdir -p "$work"

# The scenario reads these from /e2e/env inside L1.
env_extra=$work/bench.env
{
    echo "BENCH_RUNS=${BENCH_RUNS:-5}"
    echo "BENCH_MEM=${BENCH_MEM:-256M}"
    echo "BENCH_VCPUS=${BENCH_VCPUS:-1}"
    printf 'BENCH_L2_EXTRA=%q\n' "${BENCH_L2_EXTRA-noxsave}"
} >"$env_extra"

rc=0
GMVM_E2E_ENV_EXTRA=$env_extra "$E2E/run-scenario.sh" bench "$gmvm" ${helper:+"$helper"} \
    --workdir "$work" >"$work/run.out" 2>&1 || rc=$?
[ "$rc" != 77 ] || { cat "$work/run.out"; exit 77; }

log=$work/console.log
runs=$(tr -d '\r' <"$log" | grep '^E2E-BENCH-RUN' || true)
g=$(tr -d '\r' <"$log" | sed -n 's/^E2E-BENCH gmvm median_init_us=\([0-9]*\).*/\1/p')
q=$(tr -d '\r' <"$log" | sed -n 's/^E2E-BENCH qemu median_init_us=\([0-9]*\).*/\1/p')
echo "$runs"
echo "L1: $(tr -d '\r' <"$log" | sed -n 's/^E2E-INFO l1-kernel //p') under QEMU TCG; guest: same kernel, $(sed -n 's/^BENCH_MEM=//p' "$env_extra"), $(sed -n 's/^BENCH_VCPUS=//p' "$env_extra") vCPU(s)"
# gmvm_median FIELD: median of FIELD=value over the gmvm runs.
gmvm_median() {
    echo "$runs" | awk -v f="$1" '$2 == "gmvm" { for (i = 3; i <= NF; i++) if (index($i, f "=") == 1) {
        v = substr($i, length(f) + 2); if (v ~ /^[0-9.]+$/) print v } }' |
        sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}
rss=$(gmvm_median vmm_rss_kb)
self_rss=$(gmvm_median self_rss_kib)
kvm_run=$(gmvm_median first_kvm_run_ms)
ms() {
    if [ -n "$1" ]; then
        awk -v u="$1" 'BEGIN { printf "%.1f ms", u / 1000 }'
    else
        echo "no successful run"
    fi
}
gmin=$(tr -d '\r' <"$log" | sed -n 's/^E2E-BENCH gmvm .*min_init_us=\([0-9]*\).*/\1/p')
qmin=$(tr -d '\r' <"$log" | sed -n 's/^E2E-BENCH qemu .*min_init_us=\([0-9]*\).*/\1/p')
echo "gmvm  start to guest /init: median $(ms "$g"), best $(ms "$gmin")"
echo "qemu  start to guest /init: median $(ms "$q"), best $(ms "$qmin") (-M microvm -enable-kvm -cpu host)"
if [ -n "$g" ] && [ -n "$q" ]; then
    awk -v g="$g" -v q="$q" 'BEGIN { printf "ratio gmvm/qemu: %.2f (qemu/gmvm: %.2fx)\n", g / q, q / g }'
fi
[ -z "$kvm_run" ] || echo "gmvm start to first KVM_RUN (median, gmvm --verbose): $kvm_run ms"
[ -z "$rss" ] || echo "gmvm RSS outside guest_memfd mappings at guest /init (median, smaps): $rss kB"
[ -z "$self_rss" ] || echo "gmvm RSS less guest RAM at exit (median, gmvm --verbose): $self_rss KiB"
echo "full console log: $log"
[ -n "$g" ] && [ -n "$q" ]
