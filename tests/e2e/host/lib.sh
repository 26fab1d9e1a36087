# Helpers for L1 scenarios (sourced by /init; busybox sh).
# shellcheck shell=sh
# shellcheck disable=SC2034 # the L2_* names are for the scenarios

result() { echo "E2E-RESULT $1 $2 $3"; }
info() { echo "E2E-INFO $1 $2"; }

# The L2 guest kernel and initramfs packed by mkinitramfs.sh.
L2_KERNEL=/l2/vmlinuz
L2_INITRD=/l2/initrd.img
# Cmdline for a stock Debian kernel under gmvm. GMVM_E2E_L2_CMDLINE (set at
# build time into /e2e/env) overrides it.
L2_CMDLINE="console=ttyS0 reboot=k panic=-1 pci=off quiet"
GMVM_TIMEOUT=180 # below run-l1.sh's stall limit (200 s without console output)
[ -r /e2e/env ] && . /e2e/env

# run_gmvm NAME ARGS...: runs gmvm ARGS under a timeout and e2e-helper's
# timeline (which notes when the guest's /init printed E2E-GUEST-INIT and
# samples gmvm's smaps then). Output goes to /tmp/NAME.out (guest console)
# and /tmp/NAME.err (gmvm's stderr and the E2E-TIME/E2E-INFO lines); both
# are echoed with a prefix. Sets RC to gmvm's exit status (137 = timed out).
run_gmvm() {
    _name=$1
    shift
    echo "E2E-L1-RUN $_name: gmvm $*"
    timeout -s KILL "$GMVM_TIMEOUT" e2e-helper timeline E2E-GUEST-INIT \
        gmvm "$@" </dev/null >"/tmp/$_name.out" 2>"/tmp/$_name.err"
    RC=$?
    sed "s/^/L2[$_name]| /" "/tmp/$_name.out"
    sed "s/^/L1[$_name]| /" "/tmp/$_name.err"
    echo "E2E-L1-EXIT $_name status=$RC"
    return 0
}

# expect_status CHECK WANT: one result line for gmvm's exit status.
expect_status() {
    if [ "$RC" = "$2" ]; then
        result "$1" PASS "gmvm exit status $RC"
    elif [ "$RC" = 137 ]; then
        result "$1" FAIL "gmvm killed after ${GMVM_TIMEOUT}s (want status $2)"
    else
        result "$1" FAIL "gmvm exit status $RC (want $2): $(grep -v '^E2E-' "/tmp/$_name.err" | tail -n1)"
    fi
}

# expect_guest_reached_init NAME: the guest printed the /init marker.
expect_guest_reached_init() {
    if grep -q E2E-GUEST-INIT "/tmp/$1.out"; then
        result "$1-reached-init" PASS "$(grep -o 'start_to_marker_us=[0-9]*' "/tmp/$1.err")"
    else
        result "$1-reached-init" FAIL "guest never printed E2E-GUEST-INIT"
    fi
}

# l2_args TEST MEM VCPUS: the --cmdline value for a guest scenario; the
# guest checks MemTotal/e820 against MEM (e.g. 256M) and nproc against VCPUS.
l2_args() {
    _mem=$2
    case "$_mem" in
    *G) _bytes=$((${_mem%G} * 1024 * 1024 * 1024)) ;;
    *M) _bytes=$((${_mem%M} * 1024 * 1024)) ;;
    *) _bytes=$_mem ;;
    esac
    echo "$L2_CMDLINE gmvm.test=$1 gmvm.mem=$_bytes gmvm.vcpus=$3"
}

# run_qemu NAME MEM VCPUS TEST: the same guest under Debian's QEMU
# (-M microvm -enable-kvm -cpu host), a peer VMM for comparison. QEMU
# exits on the guest's poweroff (-no-reboot also turns a reboot into exit).
run_qemu() {
    _name=$1
    echo "E2E-L1-RUN $_name: qemu microvm mem=$2 vcpus=$3 test=$4"
    timeout -s KILL "$GMVM_TIMEOUT" e2e-helper timeline E2E-GUEST-INIT \
        qemu-system-x86_64 -M microvm -enable-kvm -cpu host -m "$2" -smp "$3" \
        -nodefaults -no-user-config -display none -serial stdio -no-reboot \
        -L /usr/share/qemu -kernel "$L2_KERNEL" -initrd "$L2_INITRD" \
        -append "$(l2_args "$4" "$2" "$3") $QEMU_L2_EXTRA" \
        </dev/null >"/tmp/$_name.out" 2>"/tmp/$_name.err"
    RC=$?
    sed "s/^/L2[$_name]| /" "/tmp/$_name.out"
    sed "s/^/L1[$_name]| /" "/tmp/$_name.err"
    echo "E2E-L1-EXIT $_name status=$RC"
    return 0
}
# Debian 7.x guests under QEMU inside TCG-emulated SVM oops in
# fpu__init_system_xstate without this (testing.md).
QEMU_L2_EXTRA="noxsave"
