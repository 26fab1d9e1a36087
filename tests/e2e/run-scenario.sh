#!/bin/bash
# run-scenario.sh: one e2e test. Fetches (or reuses) the cached Debian kernel,
# builds the L2 guest and L1 host initramfs images, boots L1 under QEMU TCG,
# runs tests/e2e/scenarios/NAME.sh inside it and reports its checks.
#
#   run-scenario.sh NAME GMVM [E2E_HELPER] [--workdir DIR]
#
# GMVM is the gmvm binary to test (ctest passes $<TARGET_FILE:gmvm>);
# E2E_HELPER is the e2e-helper binary (default: next to GMVM's build tree, or
# built here with cc). A scenario file declares, in comment lines:
#   # e2e-expect: CHECK...   checks that must be reported (and pass)
#   # e2e-smp: N             L1 vCPUs (default 1)
#   # e2e-timeout: SECONDS   L1 time limit (default 600)
#   # e2e-with-qemu          pack Debian's QEMU into L1 as a peer VMM
#   # e2e-guest-kernel: K    bzimage (default), vmlinux (the ELF inside it) or
#                            vmlinux-nopvh (that ELF without its PVH note)
# Environment: GMVM_CACHE (kernel cache), GMVM_E2E_L2_CMDLINE (guest cmdline
# base), GMVM_E2E_VERBOSE=1 (stream the L1 console), GMVM_E2E_SMP (override
# L1 vCPUs), GMVM_E2E_ENV_EXTRA (a file of sh assignments for the scenario).
# Exit: 0 pass, 1 fail, 77 skip (no QEMU, no mirror, no busybox ...).
set -euo pipefail

E2E=$(cd "$(dirname "$0")" && pwd)
name=${1:?usage: run-scenario.sh NAME GMVM [E2E_HELPER] [--workdir DIR]}
gmvm=${2:?usage: run-scenario.sh NAME GMVM [E2E_HELPER] [--workdir DIR]}
shift 2
helper=""
workdir=""
while [ $# -gt 0 ]; do
    case "$1" in
    --workdir) workdir=$2; shift 2 ;;
    *) helper=$1; shift ;;
    esac
done

scenario=$E2E/scenarios/$name.sh
[ -r "$scenario" ] || { echo "run-scenario: no scenario $scenario" >&2; exit 1; }
[ -x "$gmvm" ] || { echo "run-scenario: gmvm binary '$gmvm' is not executable" >&2; exit 1; }
gmvm=$(cd "$(dirname "$gmvm")" && pwd)/$(basename "$gmvm")
workdir=${workdir:-${TMPDIR:-/tmp}/gmvm-e2e/$name}
mkdir -p "$workdir"

meta() { sed -n "s/^# e2e-$1:[[:space:]]*//p" "$scenario" | head -n1; }
expect=$(meta expect)
smp=${GMVM_E2E_SMP:-$(meta smp)}
tmo=$(meta timeout)
with_qemu=()
grep -q '^# e2e-with-qemu' "$scenario" && with_qemu=(--with-qemu)
guest_kernel=$(meta guest-kernel)

# Without qemu there is nothing to run: say so before fetching anything.
command -v "${GMVM_E2E_QEMU:-qemu-system-x86_64}" >/dev/null || {
    echo "run-scenario: SKIP: qemu-system-x86_64 not found (apt-get install qemu-system-x86)" >&2
    exit 77
}

kdir=$("$E2E/lib/fetch-kernel.sh") || exit $?

gk=()
case "$guest_kernel" in
"" | bzimage) ;;
vmlinux) gk=(--guest-kernel "$("$E2E/lib/extract-vmlinux.sh" "$kdir")") || exit $? ;;
vmlinux-nopvh) gk=(--guest-kernel "$("$E2E/lib/extract-vmlinux.sh" "$kdir" --no-pvh)") || exit $? ;;
*) echo "run-scenario: e2e-guest-kernel must be bzimage, vmlinux or vmlinux-nopvh" >&2; exit 1 ;;
esac

if [ -z "$helper" ]; then
    helper=$workdir/e2e-helper
    cc -O2 -Wall -o "$helper" "$E2E/helper/e2e-helper.c" ||
        { echo "run-scenario: cannot build e2e-helper" >&2; exit 1; }
fi

{
    echo "# written by run-scenario.sh"
    if [ -n "${GMVM_E2E_L2_CMDLINE:-}" ]; then
        printf 'L2_CMDLINE=%q\n' "$GMVM_E2E_L2_CMDLINE"
    fi
    # Extra settings for the scenario (bench-boot.sh uses this).
    if [ -n "${GMVM_E2E_ENV_EXTRA:-}" ]; then
        cat "$GMVM_E2E_ENV_EXTRA"
    fi
} >"$workdir/env"

"$E2E/lib/mkinitramfs.sh" guest --kernel-dir "$kdir" --out "$workdir/l2.cpio"
"$E2E/lib/mkinitramfs.sh" host --kernel-dir "$kdir" --out "$workdir/l1.cpio" \
    --gmvm "$gmvm" --helper "$helper" --scenario "$scenario" \
    --guest-initrd "$workdir/l2.cpio" --env "$workdir/env" "${with_qemu[@]}" "${gk[@]}"

echo "run-scenario: $name: kernel $(cat "$kdir/kver"), L1 smp ${smp:-1}"
rc=0
"$E2E/lib/run-l1.sh" --kernel "$kdir/vmlinuz" --initrd "$workdir/l1.cpio" \
    --log "$workdir/console.log" --smp "${smp:-1}" --timeout "${tmo:-600}" \
    --expect "$expect" || rc=$?
# Keep the images of a failed run for debugging; they are 25-75 MB.
[ "$rc" != 0 ] || rm -f "$workdir/l1.cpio" "$workdir/l2.cpio"
exit "$rc"
