# L1 scenario for bench-blk.sh (not a test): the same guest runs blk-bench
# (O_DIRECT 1 MiB sequential write/read, 4 KiB random read) against one
# 512 MiB raw image, first under gmvm, then under QEMU -M microvm with a
# virtio-blk-device on the same image. Prints E2E-BENCH-RESULT lines.
# e2e-expect: l1-kvm bench-gmvm-exit bench-qemu-exit
# e2e-with-qemu
# shellcheck shell=sh

secs=${BENCH_SECONDS:-5}
dd if=/dev/zero of=/tmp/bench.img bs=1M count=512 2>/dev/null
args="$L2_CMDLINE gmvm.test=blk-bench gmvm.bench=$secs"

run_gmvm bgmvm --kernel "$L2_KERNEL" --initrd "$L2_INITRD" --memory 512M --vcpus 1 \
    --disk /tmp/bench.img,id=bench --cmdline "$args"
expect_status bench-gmvm-exit 0

echo "E2E-L1-RUN bqemu: qemu microvm virtio-blk-device"
timeout -s KILL "$GMVM_TIMEOUT" qemu-system-x86_64 -M microvm -enable-kvm -cpu host \
    -m 512M -smp 1 -nodefaults -no-user-config -display none -serial stdio -no-reboot \
    -L /usr/share/qemu -kernel "$L2_KERNEL" -initrd "$L2_INITRD" \
    -drive id=bench,file=/tmp/bench.img,format=raw,if=none,cache=writeback,aio=threads \
    -device virtio-blk-device,drive=bench,serial=bench \
    -append "$args $QEMU_L2_EXTRA" </dev/null >/tmp/bqemu.out 2>/tmp/bqemu.err
RC=$? # read by expect_status
export RC
_name=bqemu
sed "s/^/L2[bqemu]| /" /tmp/bqemu.out
sed "s/^/L1[bqemu]| /" /tmp/bqemu.err
expect_status bench-qemu-exit 0

for vmm in gmvm qemu; do
    tr -d '\r' <"/tmp/b$vmm.out" | sed -n "s/^E2E-BENCH /E2E-BENCH-RESULT $vmm /p"
done
