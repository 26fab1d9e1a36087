#!/bin/bash
# extract-vmlinux.sh BZIMAGE OUT_PVH OUT_NOPVH
# Extract the uncompressed ELF vmlinux from a bzImage (the payload that the
# setup header's payload_offset/payload_length point at), and make a second
# copy without the Xen PVH entry note, so the loader's two ELF paths (PVH and
# plain 64-bit entry) can both be booted with a stock kernel.
# Idempotent: does nothing when both outputs are newer than BZIMAGE.
set -euo pipefail
bz=${1:?usage: extract-vmlinux.sh BZIMAGE OUT_PVH OUT_NOPVH}
out=${2:?usage}
nopvh=${3:?usage}
if [ "$out" -nt "$bz" ] && [ "$nopvh" -nt "$bz" ]; then
    exit 0
fi
le32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }
setup_sects=$(od -An -tu1 -j $((0x1f1)) -N1 "$bz" | tr -d ' ')
[ "$setup_sects" -eq 0 ] && setup_sects=4
setup_size=$(((setup_sects + 1) * 512))
off=$(le32 "$bz" $((0x248)))
len=$(le32 "$bz" $((0x24c)))
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dd if="$bz" of="$tmp/payload" bs=1M iflag=skip_bytes,count_bytes skip=$((setup_size + off)) \
    count="$len" status=none
magic=$(od -An -tx1 -N6 "$tmp/payload" | tr -d ' ')
case "$magic" in
28b52ffd*) # zstd; the kernel appends the 4-byte decompressed size: drop it
    truncate -s $((len - 4)) "$tmp/payload"
    zstd -q -d --long=31 "$tmp/payload" -o "$tmp/vmlinux" ;;
fd377a585a00) xz -dc <"$tmp/payload" >"$tmp/vmlinux" 2>/dev/null || true ;;
1f8b*) gzip -dc <"$tmp/payload" >"$tmp/vmlinux" 2>/dev/null || true ;;
*) echo "extract-vmlinux: unknown payload compression (magic $magic)" >&2; exit 1 ;;
esac
[ "$(od -An -tx1 -N4 "$tmp/vmlinux" | tr -d ' ')" = 7f454c46 ] ||
    { echo "extract-vmlinux: payload of $bz is not an ELF file" >&2; exit 1; }
cp "$tmp/vmlinux" "$out"
# The PVH entry is an ELF note of type XEN_ELFNOTE_PHYS32_ENTRY (18) in the
# .notes section; without that section the loader takes the 64-bit entry.
objcopy --remove-section=.notes "$tmp/vmlinux" "$nopvh"
