#!/bin/bash
# run.sh test|bench GMVM [E2E_HELPER] [--workdir DIR]: the virtio-blk/rng e2e
# test and the block benchmark in the nested harness (README.md there).
#
# Like run-scenario.sh, but the L2 guest gets tests/e2e/blk/guest-init and an
# extra archive with e2fsprogs' mkfs.ext4 and the static blk-bench, and L1 an
# extra archive with e2fsck and debugfs (Linux unpacks concatenated newc
# archives in order). Exit: 0 pass, 1 fail, 77 skip.
set -euo pipefail

BLK=$(cd "$(dirname "$0")" && pwd)
E2E=$(cd "$BLK/.." && pwd)
mode=${1:?usage: run.sh test|bench GMVM [E2E_HELPER] [--workdir DIR]}
gmvm=${2:?usage: run.sh test|bench GMVM [E2E_HELPER] [--workdir DIR]}
shift 2
helper="" workdir=""
while [ $# -gt 0 ]; do
    case "$1" in
    --workdir) workdir=$2; shift 2 ;;
    *) helper=$1; shift ;;
    esac
done
case "$mode" in
test) scenario=$BLK/l1-blk.sh ;;
bench) scenario=$BLK/l1-bench.sh ;;
*) echo "run.sh: mode must be test or bench" >&2; exit 1 ;;
esac
gmvm=$(cd "$(dirname "$gmvm")" && pwd)/$(basename "$gmvm")
workdir=${workdir:-${TMPDIR:-/tmp}/gmvm-e2e/blk-$mode}
mkdir -p "$workdir"

command -v "${GMVM_E2E_QEMU:-qemu-system-x86_64}" >/dev/null || {
    echo "run.sh: SKIP: qemu-system-x86_64 not found" >&2; exit 77; }
for t in mke2fs e2fsck debugfs; do
    command -v "$t" >/dev/null || { echo "run.sh: SKIP: $t not found (apt-get install e2fsprogs)" >&2; exit 77; }
done
kdir=$("$E2E/lib/fetch-kernel.sh") || exit $?
if [ -z "$helper" ]; then
    helper=$workdir/e2e-helper
    cc -O2 -Wall -o "$helper" "$E2E/helper/e2e-helper.c"
fi
cc -O2 -static -Wall -Wextra -o "$workdir/blk-bench" "$BLK/blk-bench.c" ||
    { echo "run.sh: SKIP: cannot build a static blk-bench" >&2; exit 77; }

# copy_elf STAGE SRC DEST: an executable plus the libraries ldd names.
copy_elf() {
    local stage=$1 src=$2 dest=$3 lib
    mkdir -p "$stage/$(dirname "$dest")"
    cp -L "$src" "$stage/$dest"
    for lib in $(ldd "$src" 2>/dev/null | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }'); do
        mkdir -p "$stage/$(dirname "$lib")"
        cp -L "$lib" "$stage/$lib"
    done
}
# extra_cpio OUT: pack $stage (an archive appended to a mkinitramfs image).
extra_cpio() {
    (cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$1"
    rm -rf "$stage"
}

stage=$(mktemp -d)
copy_elf "$stage" "$(command -v mke2fs)" /usr/sbin/mkfs.ext4
cp /etc/mke2fs.conf "$stage/etc/" 2>/dev/null || true
copy_elf "$stage" "$workdir/blk-bench" /usr/bin/blk-bench
extra_cpio "$workdir/l2-extra.cpio"
"$E2E/lib/mkinitramfs.sh" guest --kernel-dir "$kdir" --out "$workdir/l2-base.cpio" \
    --init "$BLK/guest-init"
cat "$workdir/l2-base.cpio" "$workdir/l2-extra.cpio" >"$workdir/l2.cpio"

{
    echo "# written by tests/e2e/blk/run.sh"
    [ -z "${GMVM_E2E_L2_CMDLINE:-}" ] || printf 'L2_CMDLINE=%q\n' "$GMVM_E2E_L2_CMDLINE"
    [ -z "${BENCH_SECONDS:-}" ] || printf 'BENCH_SECONDS=%q\n' "$BENCH_SECONDS"
} >"$workdir/env"
with_qemu=()
[ "$mode" = bench ] && with_qemu=(--with-qemu)
"$E2E/lib/mkinitramfs.sh" host --kernel-dir "$kdir" --out "$workdir/l1-base.cpio" \
    --gmvm "$gmvm" --helper "$helper" --scenario "$scenario" \
    --guest-initrd "$workdir/l2.cpio" --env "$workdir/env" "${with_qemu[@]}"
stage=$(mktemp -d)
copy_elf "$stage" "$(command -v e2fsck)" /usr/sbin/e2fsck
copy_elf "$stage" "$(command -v debugfs)" /usr/sbin/debugfs
extra_cpio "$workdir/l1-extra.cpio"
cat "$workdir/l1-base.cpio" "$workdir/l1-extra.cpio" >"$workdir/l1.cpio"
rm -f "$workdir"/l1-base.cpio "$workdir"/l2-base.cpio "$workdir"/*-extra.cpio

expect=$(sed -n 's/^# e2e-expect:[[:space:]]*//p' "$scenario")
rc=0
"$E2E/lib/run-l1.sh" --kernel "$kdir/vmlinuz" --initrd "$workdir/l1.cpio" \
    --log "$workdir/console.log" --smp 1 --timeout "${GMVM_E2E_TIMEOUT:-900}" \
    --expect "$expect" || rc=$?
[ "$rc" != 0 ] || rm -f "$workdir/l1.cpio" "$workdir/l2.cpio"
exit "$rc"
