#!/bin/bash
# bench-blk.sh GMVM [E2E_HELPER] [--workdir DIR]: block benchmark (not a
# test). Inside the same emulated KVM host (L1), the same guest kernel runs
# blk-bench with O_DIRECT on /dev/vda backed by one raw image in L1's tmpfs:
# 1 MiB sequential write and read, 4 KiB random read, BENCH_SECONDS each
# (default 5), first under gmvm (--disk), then under QEMU -M microvm with
# -device virtio-blk-device (cache=writeback, aio=threads). Prints MB/s,
# IOPS and gmvm/QEMU ratios. Absolute numbers are those of nested TCG: only
# the ratios mean anything.
set -uo pipefail

: "${1:?usage: bench-blk.sh GMVM [E2E_HELPER] [--workdir DIR]}"
workdir=${TMPDIR:-/tmp}/gmvm-e2e/blk-bench
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
    [ "${args[$i]}" = --workdir ] && workdir=${args[$((i + 1))]}
done
[ -n "${BENCH_ONLY_PARSE:-}" ] || "$(dirname "$0")/blk/run.sh" bench "$@" --workdir "$workdir"
rc=$?
[ "$rc" = 77 ] && exit 77

tr -d '\r' <"$workdir/console.log" | awk '
    { sub(/^.*E2E-BENCH-RESULT /, "E2E-BENCH-RESULT ") }
    $1 == "E2E-BENCH-RESULT" {
        vmm = $2; mode = $3
        for (i = 4; i <= NF; i++) { split($i, kv, "="); v[vmm, mode, kv[1]] = kv[2] }
        seen[mode] = 1
    }
    END {
        printf "%-9s %12s %12s %8s   %10s %10s %8s\n", "mode", "gmvm MB/s", "qemu MB/s",
               "ratio", "gmvm IOPS", "qemu IOPS", "ratio"
        n = split("seqwrite seqread randread", modes, " ")
        for (i = 1; i <= n; i++) {
            m = modes[i]
            if (!(m in seen)) { printf "%-9s (no result)\n", m; continue }
            gm = v["gmvm", m, "MBps"]; qm = v["qemu", m, "MBps"]
            gi = v["gmvm", m, "IOPS"]; qi = v["qemu", m, "IOPS"]
            printf "%-9s %12s %12s %8s   %10s %10s %8s\n", m, gm, qm,
                   (qm > 0 ? sprintf("%.2f", gm / qm) : "-"), gi, qi,
                   (qi > 0 ? sprintf("%.2f", gi / qi) : "-")
        }
    }'
exit "$rc"
