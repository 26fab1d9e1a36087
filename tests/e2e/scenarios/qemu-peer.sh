# L1 scenario: the L2 guest initramfs boots under QEMU -M microvm inside L1.
# Checks the harness itself (guest kernel, modules, /init), independent of gmvm.
# e2e-expect: l1-kvm qemu-reached-init guest-nproc guest-memtotal qemu-exit
# e2e-with-qemu
# shellcheck shell=sh

run_qemu qemu 256M 2 boot
expect_guest_reached_init qemu
expect_status qemu-exit 0
