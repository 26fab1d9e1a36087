# L1 scenario: gmvm boots the stock Debian kernel with 1 vCPU(s) and 256 MiB;
# the guest reaches /init and sees 1 CPU(s) and the RAM it was given.
# e2e-expect: l1-kvm boot1-entry boot1-reached-init guest-nproc guest-memtotal guest-e820-ram boot1-exit truncated-bzimage
# shellcheck shell=sh

run_gmvm boot1 --verbose --kernel "$L2_KERNEL" --initrd "$L2_INITRD" --memory 256M \
    --vcpus 1 --cmdline "$(l2_args boot 256M 1)"
expect_guest_reached_init boot1
expect_status boot1-exit 0

# A truncated bzImage is refused before any VM exists: status 1, one line.
head -c 100000 "$L2_KERNEL" >/tmp/truncated.bzImage
msg=$(gmvm --kernel /tmp/truncated.bzImage --initrd "$L2_INITRD" 2>&1 </dev/null)
RC=$?
if [ "$RC" = 1 ] && [ "$(echo "$msg" | grep -c .)" = 1 ]; then
    result truncated-bzimage PASS "status 1: $msg"
else
    result truncated-bzimage FAIL "status $RC (want 1 and one line): $(echo "$msg" | head -n 3 | tr '\n' ' ')"
fi
# gmvm --verbose names the entry path it took.
if grep -q "Linux 64-bit boot protocol entry" "/tmp/boot1.err"; then
    result boot1-entry PASS "Linux 64-bit boot protocol entry"
else
    result boot1-entry FAIL "gmvm did not report the Linux 64-bit boot protocol entry"
fi
