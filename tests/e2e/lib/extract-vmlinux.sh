#!/bin/bash
# extract-vmlinux.sh KDIR [--no-pvh]: the uncompressed ELF vmlinux inside
# KDIR/vmlinuz (a bzImage whose payload Debian compresses with zstd; gzip and
# xz are tried too), cached as KDIR/vmlinux. Prints its path. With --no-pvh:
# a copy without the .notes section (so without the Xen PVH entry note, which
# makes a VMM use the plain 64-bit ELF entry), KDIR/vmlinux-nopvh.
# Exit 77 when the decompressor or objcopy is missing, 1 when no ELF payload
# is found.
set -euo pipefail
kdir=${1:?usage: extract-vmlinux.sh KDIR [--no-pvh]}
out=$kdir/vmlinux
if [ "${2:-}" = --no-pvh ]; then
    command -v objcopy >/dev/null || { echo "extract-vmlinux: SKIP: objcopy not found (apt-get install binutils)" >&2; exit 77; }
    elf=$("$0" "$kdir") || exit $?
    if [ ! -s "$kdir/vmlinux-nopvh" ]; then
        objcopy --remove-section=.notes "$elf" "$kdir/vmlinux-nopvh.tmp"
        mv "$kdir/vmlinux-nopvh.tmp" "$kdir/vmlinux-nopvh"
    fi
    echo "$kdir/vmlinux-nopvh"
    exit 0
fi
if [ -s "$out" ]; then
    echo "$out"
    exit 0
fi
bz=$kdir/vmlinuz
try() { # MAGIC(grep -P) DECOMPRESSOR...
    local magic=$1 off
    shift
    command -v "$1" >/dev/null || return 1
    # shellcheck disable=SC2013 # one number per line
    for off in $(LC_ALL=C grep -obUaP "$magic" "$bz" | cut -d: -f1); do
        tail -c +$((off + 1)) "$bz" | "$@" 2>/dev/null >"$out.tmp" || true
        if [ "$(head -c 4 "$out.tmp" | od -An -c | tr -d ' ')" = '177ELF' ]; then
            mv "$out.tmp" "$out"
            return 0
        fi
    done
    rm -f "$out.tmp"
    return 1
}
case "$(grep -E '^CONFIG_KERNEL_(ZSTD|GZIP|XZ)=y' "$kdir/config" || true)" in
*ZSTD*) command -v zstd >/dev/null || { echo "extract-vmlinux: SKIP: zstd not found (apt-get install zstd)" >&2; exit 77; } ;;
esac
try '\x28\xb5\x2f\xfd' zstd -dcq || try '\x1f\x8b\x08' gzip -dc || try '\xfd7zXZ\x00' xz -dc || {
    echo "extract-vmlinux: no ELF payload found in $bz" >&2
    exit 1
}
echo "$out"
