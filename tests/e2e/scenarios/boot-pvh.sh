# L1 scenario: gmvm boots the uncompressed ELF vmlinux (extracted from the
# same Debian bzImage; it carries the PVH entry note) to /init, 2 vCPUs.
# e2e-expect: l1-kvm pvh-entry pvh-reached-init guest-nproc guest-memtotal guest-e820-ram pvh-exit
# e2e-guest-kernel: vmlinux
# shellcheck shell=sh

info l2-kernel "$(head -c 4 "$L2_KERNEL" | od -An -c | tr -d ' ') $(wc -c <"$L2_KERNEL") bytes"
run_gmvm pvh --verbose --kernel "$L2_KERNEL" --initrd "$L2_INITRD" --memory 256M \
    --vcpus 2 --cmdline "$(l2_args boot 256M 2)"
expect_guest_reached_init pvh
expect_status pvh-exit 0
# gmvm --verbose names the entry path it took.
if grep -q "Linux PVH (32-bit) entry" "/tmp/pvh.err"; then
    result pvh-entry PASS "Linux PVH (32-bit) entry"
else
    result pvh-entry FAIL "gmvm did not report the Linux PVH (32-bit) entry"
fi
