# L1 scenario: gmvm boots the ELF vmlinux through its plain 64-bit entry:
# the same ELF as boot-pvh with the .notes section (the Xen PVH entry note)
# removed, so gmvm builds boot_params and enters in long mode. 1 vCPU.
# e2e-expect: l1-kvm elf64-entry elf64-reached-init guest-nproc guest-memtotal guest-e820-ram elf64-exit
# e2e-guest-kernel: vmlinux-nopvh
# shellcheck shell=sh

run_gmvm elf64 --verbose --kernel "$L2_KERNEL" --initrd "$L2_INITRD" --memory 256M \
    --vcpus 1 --cmdline "$(l2_args boot 256M 1)"
expect_guest_reached_init elf64
expect_status elf64-exit 0
# gmvm --verbose names the entry path it took.
if grep -q "Linux 64-bit boot protocol entry" "/tmp/elf64.err"; then
    result elf64-entry PASS "Linux 64-bit boot protocol entry"
else
    result elf64-entry FAIL "gmvm did not report the Linux 64-bit boot protocol entry"
fi
