# L1 scenario: gmvm boots the stock Debian kernel with 4 vCPU(s) and 256 MiB;
# the guest reaches /init and sees 4 CPU(s) and the RAM it was given.
# e2e-expect: l1-kvm boot4-reached-init guest-nproc guest-memtotal guest-e820-ram boot4-exit
# shellcheck shell=sh

run_gmvm boot4 --kernel "$L2_KERNEL" --initrd "$L2_INITRD" --memory 256M \
    --vcpus 4 --cmdline "$(l2_args boot 256M 4)"
expect_guest_reached_init boot4
expect_status boot4-exit 0
