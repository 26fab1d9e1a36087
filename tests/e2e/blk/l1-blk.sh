# L1 scenario (sourced by host/init): gmvm runs a guest with three virtio-blk
# disks (data 64M, ro 8M readonly, scratch 16M) and virtio-rng. The guest
# makes ext4 on data, writes files, syncs, exercises the readonly disk, raw
# writes, discard and write-zeroes on scratch, reads /dev/hwrng, powers off.
# Then L1 checks the images: e2fsck clean, file contents equal to what the
# guest wrote, readonly image unchanged, scratch contents and zeroed ranges.
# e2e-expect: l1-kvm blk-reached-init blk-exit guest-disk-data guest-disk-ro guest-disk-scratch guest-ext4 guest-ro-refused guest-scratch-rw guest-discard guest-write-zeroes guest-hwrng host-e2fsck host-ext4-content host-ro-unchanged host-scratch-content host-zeroed-ranges
# shellcheck shell=sh

dd if=/dev/zero of=/tmp/data.img bs=1M count=0 seek=64 2>/dev/null
dd if=/dev/zero of=/tmp/scratch.img bs=1M count=0 seek=16 2>/dev/null
head -c 8388608 /dev/urandom >/tmp/ro.img
ro_before=$(sha256sum /tmp/ro.img | cut -d' ' -f1)

run_gmvm blk --kernel "$L2_KERNEL" --initrd "$L2_INITRD" --memory 256M --vcpus 1 \
    --disk /tmp/data.img,id=data --disk /tmp/ro.img,readonly,id=ro \
    --disk /tmp/scratch.img,id=scratch --rng --cmdline "$L2_CMDLINE gmvm.test=blk"
expect_guest_reached_init blk
expect_status blk-exit 0

guest_sum() { tr -d '\r' </tmp/blk.out | sed -n "s/^E2E-BLK-SUM $1 //p" | head -n1; }
# same CHECK WHAT GOT WANT
same() {
    if [ -n "$4" ] && [ "$3" = "$4" ]; then
        result "$1" PASS "$2"
    else
        result "$1" FAIL "$2: got '$3', want '$4'"
    fi
}

if out=$(/usr/sbin/e2fsck -fn /tmp/data.img 2>&1); then
    result host-e2fsck PASS "$(echo "$out" | tail -n1)"
else
    result host-e2fsck FAIL "$(echo "$out" | tail -n3 | tr '\n' ' ')"
fi
got="$(/usr/sbin/debugfs -R 'cat /hello.txt' /tmp/data.img 2>/dev/null | sha256sum | cut -d' ' -f1) $(/usr/sbin/debugfs -R 'cat /random.bin' /tmp/data.img 2>/dev/null | sha256sum | cut -d' ' -f1)"
want="$(guest_sum hello.txt) $(guest_sum random.bin)"
same host-ext4-content "hello.txt and random.bin (4 MiB) equal in the image" "$got" "$want"
ro_after=$(sha256sum /tmp/ro.img | cut -d' ' -f1)
same host-ro-unchanged "readonly image unchanged and read right by the guest" \
    "$ro_after $(guest_sum ro.img)" "$ro_before $ro_before"
same host-scratch-content "first 4 MiB of the raw writes in the image" \
    "$(head -c 4194304 /tmp/scratch.img | sha256sum | cut -d' ' -f1)" "$(guest_sum scratch-0-4M)"
nz=$(dd if=/tmp/scratch.img bs=1M skip=4 count=2 2>/dev/null | tr -d '\000' | wc -c)
same host-zeroed-ranges "discarded and write-zeroed MiBs 4-5 read as zero" "$nz" 0
info blk-image-usage "$(du -k /tmp/data.img /tmp/scratch.img | tr '\n\t' '  ')"
