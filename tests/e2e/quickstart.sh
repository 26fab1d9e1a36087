#!/bin/bash
# quickstart.sh: the README's main command. On a fresh Debian 12 machine (as
# root) it installs what is needed, builds gmvm, fetches a stock Debian
# guest kernel, builds a small busybox initramfs and boots a microVM whose
# console greets you (and gives a shell when stdin is a terminal):
#   - directly on /dev/kvm when the CPU has VMX or SVM;
#   - otherwise inside the nested harness: an emulated KVM host (QEMU TCG)
#     runs gmvm, which boots the guest.
#
#   sudo tests/e2e/quickstart.sh
#
# Environment: GMVM_BUILD (build dir, default <repo>/build), GMVM_CACHE
# (kernel cache, default /var/cache/gmvm), GMVM_BIN (use this gmvm, skip
# the build), QS_VCPUS (2), QS_MEM (256M, in M),
# QS_NO_INSTALL=1 (skip apt-get), QS_NESTED=1 (use the nested harness even
# with VMX/SVM). Non-interactive when stdin is not a terminal: prints the
# greeting and powers the VM off.
set -euo pipefail

E2E=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$E2E/../.." && pwd)
BUILD=${GMVM_BUILD:-$REPO/build}
export GMVM_CACHE=${GMVM_CACHE:-/var/cache/gmvm}
QS_VCPUS=${QS_VCPUS:-2}
QS_MEM=${QS_MEM:-256M}
say() { printf 'quickstart: %s\n' "$*" >&2; }
die() {
    printf 'quickstart: error: %s\n' "$*" >&2
    exit 1
}

SUDO=()
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || die "run as root (apt-get, the kernel cache in $GMVM_CACHE)"
    SUDO=(sudo)
fi

# 1. Packages (Debian 12 names).
# (check: the default configure includes the unit tests.)
PKGS=(cmake gcc make libc6-dev pkg-config check qemu-system-x86 busybox-static
    cpio xz-utils debian-archive-keyring ca-certificates)
if [ "${QS_NO_INSTALL:-0}" != 1 ]; then
    missing=()
    for p in "${PKGS[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
            missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        say "installing ${missing[*]}"
        "${SUDO[@]}" apt-get update -q >/dev/null
        DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -q \
            --no-install-recommends "${missing[@]}" >/dev/null
    fi
fi

# 2. Build gmvm.
if [ -n "${GMVM_BIN:-}" ]; then
    GMVM=$GMVM_BIN # an already built gmvm
else
    say "building gmvm in $BUILD"
    mkdir -p "$BUILD"
    cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$BUILD/quickstart-build.log" 2>&1 ||
        die "cmake configure failed: see $BUILD/quickstart-build.log"
    cmake --build "$BUILD" --target gmvm -j"$(nproc)" >>"$BUILD/quickstart-build.log" 2>&1 ||
        die "gmvm build failed: see $BUILD/quickstart-build.log"
    GMVM=$BUILD/gmvm
fi

# 3. Guest kernel (stock Debian cloud kernel, cached) and initramfs.
kdir=$("${SUDO[@]}" env GMVM_CACHE="$GMVM_CACHE" "$E2E/lib/fetch-kernel.sh") ||
    die "cannot fetch the guest kernel (see the line above)"
work=$BUILD/quickstart
mkdir -p "$work"
"$E2E/lib/mkinitramfs.sh" guest --kernel-dir "$kdir" --out "$work/guest.cpio" 2>/dev/null

if [ -t 0 ] && [ -t 1 ]; then test=shell; else test=greet; fi
mem_bytes=$(($(echo "$QS_MEM" | tr -d M) * 1024 * 1024))
cmdline="console=ttyS0 reboot=k panic=-1 pci=off quiet loglevel=3 gmvm.test=$test gmvm.mem=$mem_bytes gmvm.vcpus=$QS_VCPUS"

# 4. Boot: directly when the host has hardware virtualization.
if [ "${QS_NESTED:-0}" != 1 ] && grep -qw -e vmx -e svm /proc/cpuinfo && [ -w /dev/kvm ]; then
    say "host has VMX/SVM: booting the microVM directly on /dev/kvm"
    exec "$GMVM" --kernel "$kdir/vmlinuz" --initrd "$work/guest.cpio" \
        --memory "$QS_MEM" --vcpus "$QS_VCPUS" --cmdline "$cmdline"
fi

say "host has no VMX/SVM: booting the microVM inside the nested harness (gmvm in a QEMU-emulated KVM host)"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (apt-get install qemu-system-x86)"
cc -O2 -o "$work/e2e-helper" "$E2E/helper/e2e-helper.c"
{
    echo "QS_TEST=$test"
    echo "QS_VCPUS=$QS_VCPUS"
    echo "QS_MEM=$QS_MEM"
    # The harness's guest cmdline (host/lib.sh), quieter.
    echo 'L2_CMDLINE="console=ttyS0 reboot=k panic=-1 pci=off quiet loglevel=3"'
    [ -z "${GMVM_E2E_L2_CMDLINE:-}" ] || printf 'L2_CMDLINE=%q\n' "$GMVM_E2E_L2_CMDLINE"
} >"$work/env"
"$E2E/lib/mkinitramfs.sh" host --kernel-dir "$kdir" --out "$work/host.cpio" \
    --gmvm "$GMVM" --helper "$work/e2e-helper" --scenario "$E2E/scenarios/quickstart.sh" \
    --guest-initrd "$work/guest.cpio" --env "$work/env" 2>/dev/null

if [ "$test" = shell ]; then
    say "the emulated host takes a few seconds; Ctrl-A x quits QEMU"
    exec qemu-system-x86_64 -M q35 -nodefaults -display none -serial mon:stdio \
        -no-reboot -accel tcg -cpu max -m 2048 -kernel "$kdir/vmlinuz" \
        -initrd "$work/host.cpio" -append "console=ttyS0 reboot=t panic=-1 quiet loglevel=3"
fi
rc=0
"$E2E/lib/run-l1.sh" --kernel "$kdir/vmlinuz" --initrd "$work/host.cpio" \
    --log "$work/console.log" --timeout 600 --expect "l1-kvm quickstart-exit" >"$work/result.txt" || rc=$?
# The guest's console, as gmvm printed it inside the emulated host.
tr -d '\r' <"$work/console.log" | sed -n 's/^L2\[quickstart\]| //p' | grep -v '^E2E-'
tail -n 1 "$work/result.txt" >&2
exit "$rc"
