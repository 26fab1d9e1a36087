# L1 scenario: gmvm runs inside the emulated KVM host and KVM there has
# e2e-expect: l1-kvm gmvm-version cap-guest-memfd cap-user-memory2 cap-guest-memfd-flags create-guest-memfd mmap-guest-memfd rw-guest-memfd memslot-region2
# what gmvm needs (guest_memfd with MMAP|INIT_SHARED, REGION2 memslots).
# shellcheck shell=sh

out=$(gmvm --version 2>&1)
rc=$?
if [ "$rc" = 0 ] && [ -n "$out" ]; then
    result gmvm-version PASS "$out"
else
    result gmvm-version FAIL "status $rc: $out"
fi
e2e-helper caps
grep -q . /sys/module/kvm_amd/parameters/npt 2>/dev/null &&
    info kvm-amd-npt "$(cat /sys/module/kvm_amd/parameters/npt)"
