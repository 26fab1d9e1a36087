# L1 scenario: gmvm boots the stock Debian kernel with 1 vCPU(s) and 256 MiB;
# the guest reaches /init and sees 1 CPU(s) and the RAM it was given.
# e2e-expect: l1-kvm boot1-reached-init guest-nproc guest-memtotal guest-e820-ram boot1-exit
# shellcheck shell=sh

run_gmvm boot1 --kernel "$L2_KERNEL" --initrd "$L2_INITRD" --memory 256M \
    --vcpus 1 --cmdline "$(l2_args boot 256M 1 | sed s/quiet//) earlyprintk=serial"
expect_guest_reached_init boot1
expect_status boot1-exit 0
