# L1 scenario for bench-boot.sh (not a ctest test): boot the same guest
# kernel and initramfs BENCH_RUNS times with gmvm and with QEMU -M microvm,
# time each from VMM start to the guest /init's first line (E2E-GUEST-INIT,
# seen on the VMM's stdout by e2e-helper timeline), print medians.
# e2e-expect: l1-kvm bench-gmvm bench-qemu
# e2e-with-qemu
# shellcheck shell=sh

BENCH_RUNS=${BENCH_RUNS:-5}
BENCH_MEM=${BENCH_MEM:-256M}
BENCH_VCPUS=${BENCH_VCPUS:-1}
# Both VMMs get the same guest cmdline; noxsave is what QEMU needs here.
BENCH_L2_EXTRA=${BENCH_L2_EXTRA-noxsave}
# shellcheck disable=SC2034 # read by run_qemu in lib.sh
QEMU_L2_EXTRA=$BENCH_L2_EXTRA

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "none" }'; }

bench_run() { # VMM RUN: one boot, its time appended to /tmp/bench-VMM.us
    if [ "$1" = gmvm ]; then
        run_gmvm "bench-gmvm-$2" --verbose --kernel "$L2_KERNEL" --initrd "$L2_INITRD" \
            --memory "$BENCH_MEM" --vcpus "$BENCH_VCPUS" \
            --cmdline "$(l2_args bench "$BENCH_MEM" "$BENCH_VCPUS") $BENCH_L2_EXTRA" >/dev/null
    else
        run_qemu "bench-qemu-$2" "$BENCH_MEM" "$BENCH_VCPUS" bench >/dev/null
    fi
    us=$(sed -n 's/.*E2E-TIME start_to_marker_us=\([0-9]*\).*/\1/p' "/tmp/bench-$1-$2.err")
    rss=$(sed -n 's/.*vmm_rss_kb=\([0-9]*\).*/\1/p' "/tmp/bench-$1-$2.err")
    # gmvm --verbose reports "stats: start to first KVM_RUN X ms" and
    # "stats: RSS ... + gmvm itself N KiB" (vmm/machine.c).
    kvm_run=$(sed -n 's/.*stats: start to first KVM_RUN \([0-9.]*\) ms.*/\1/p' "/tmp/bench-$1-$2.err" | head -n1)
    self_kib=$(sed -n 's/.*gmvm itself \([0-9]*\) KiB.*/\1/p' "/tmp/bench-$1-$2.err" | head -n1)
    echo "E2E-BENCH-RUN $1 run=$2 status=$RC init_us=${us:-none} vmm_rss_kb=${rss:-none} first_kvm_run_ms=${kvm_run:-none} self_rss_kib=${self_kib:-none}"
    if [ "$RC" = 0 ] && [ -n "$us" ]; then
        echo "$us" >>"/tmp/bench-$1.us"
    fi
}

bench_report() { # VMM
    ok=$(wc -l <"/tmp/bench-$1.us")
    med=$(median <"/tmp/bench-$1.us")
    min=$(sort -n "/tmp/bench-$1.us" | head -n1)
    echo "E2E-BENCH $1 median_init_us=$med min_init_us=${min:-none} ok_runs=$ok runs=$BENCH_RUNS"
    if [ "$ok" -gt 0 ]; then
        result "bench-$1" PASS "median start-to-/init ${med} us over $ok runs"
    else
        result "bench-$1" FAIL "no run reached /init; last: $(tail -n 3 "/tmp/bench-$1-$BENCH_RUNS.err" | tr '\n' ' ')"
        tr -d '\r' <"/tmp/bench-$1-$BENCH_RUNS.out" | tail -n 20 | sed "s/^/L2[bench-$1]| /"
    fi
}

info bench-config "runs=$BENCH_RUNS mem=$BENCH_MEM vcpus=$BENCH_VCPUS extra='$BENCH_L2_EXTRA'"
# Interleaved, so that a change in load on the machine hits both alike.
: >/tmp/bench-gmvm.us
: >/tmp/bench-qemu.us
i=1
while [ "$i" -le "$BENCH_RUNS" ]; do
    bench_run gmvm "$i"
    bench_run qemu "$i"
    i=$((i + 1))
done
bench_report gmvm
bench_report qemu
