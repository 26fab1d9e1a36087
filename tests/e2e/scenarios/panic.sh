# L1 scenario: a guest kernel panic (sysrq-c) ends gmvm with status 14
# (GMVM_EXIT_GUEST_PANIC, reported through pvpanic) rather than a reboot.
# Debian's 7.x cloud config: CONFIG_PVPANIC=y, PVPANIC_MMIO=m (ACPI QEMU0001,
# port or MMIO resource), PVPANIC_PCI=m; the guest initramfs loads both.
# e2e-expect: l1-kvm panic-reached-init panic-triggered panic-exit
# shellcheck shell=sh

run_gmvm panic --kernel "$L2_KERNEL" --initrd "$L2_INITRD" --memory 256M \
    --vcpus 1 --cmdline "$(l2_args panic 256M 1)"
expect_guest_reached_init panic
if grep -q E2E-GUEST-PANIC /tmp/panic.out; then
    result panic-triggered PASS "$(tr -d '\r' </tmp/panic.out | grep -m1 'pvpanic-devices')"
else
    result panic-triggered FAIL "the guest never reached the sysrq-c step"
fi
expect_status panic-exit 14
