# L1 scenario for quickstart.sh (not a ctest test): boot the guest with
# gmvm on L1's console. QS_TEST=greet prints the greeting and powers off;
# QS_TEST=shell gives an interactive busybox shell (console in raw mode).
# e2e-expect: l1-kvm quickstart-exit
# shellcheck shell=sh

QS_TEST=${QS_TEST:-greet}
QS_VCPUS=${QS_VCPUS:-2}
QS_MEM=${QS_MEM:-256M}
set -- --kernel "$L2_KERNEL" --initrd "$L2_INITRD" --memory "$QS_MEM" \
    --vcpus "$QS_VCPUS" --cmdline "$(l2_args "$QS_TEST" "$QS_MEM" "$QS_VCPUS")"
if [ "$QS_TEST" = shell ]; then
    echo "quickstart: gmvm $*"
    stty raw -echo 2>/dev/null
    gmvm "$@"
    # shellcheck disable=SC2034 # RC is read by expect_status
    RC=$?
    stty sane 2>/dev/null
    _name=quickstart
    : >/tmp/quickstart.err
else
    run_gmvm quickstart "$@"
fi
expect_status quickstart-exit 0
