#!/bin/bash
# mkinitramfs.sh: build the initramfs images of the nested harness.
#
#   mkinitramfs.sh guest --kernel-dir KDIR --out FILE [--init FILE]
#       The L2 guest: busybox, the guest modules (virtio-mmio, virtio
#       devices, vsock, pvpanic) with their dependencies, and tests/e2e/guest/init.
#
#   mkinitramfs.sh host --kernel-dir KDIR --out FILE --gmvm PATH
#           --helper PATH --scenario FILE [--guest-initrd FILE]
#           [--guest-kernel FILE] [--env FILE] [--with-qemu]
#       The L1 emulated KVM host: busybox, irqbypass/kvm/kvm-amd, gmvm and
#       e2e-helper with their shared libraries, the L2 kernel (default: the
#       cached one) and initramfs under /l2, tests/e2e/host/init, the L1
#       scenario as /e2e/scenario.sh and, with --with-qemu, Debian's
#       qemu-system-x86_64, its libraries and firmware as a peer VMM.
#
# KDIR is what fetch-kernel.sh printed. Images are uncompressed newc cpio
# (the kernel unpacks those fastest under TCG). Exit 77 when busybox-static
# or cpio is missing.
set -euo pipefail

E2E=$(cd "$(dirname "$0")/.." && pwd)
log() { printf 'mkinitramfs: %s\n' "$*" >&2; }
die() {
    printf 'mkinitramfs: error: %s\n' "$*" >&2
    exit 1
}
skip() {
    printf 'mkinitramfs: SKIP: %s\n' "$*" >&2
    exit 77
}

GUEST_MODULES="virtio_mmio virtio_blk virtio_rng virtio_net vmw_vsock_virtio_transport pvpanic_mmio pvpanic_pci"
HOST_MODULES="irqbypass kvm kvm_amd"

# mod_order KDIR NAME...: the modules' paths (relative to KDIR/modules),
# dependencies first, each once. Built-in modules print nothing.
mod_order() {
    local kdir=$1
    shift
    awk -v names="$*" '
        function norm(p,   n) { n = p; sub(/.*\//, "", n); sub(/\.ko$/, "", n);
                                gsub(/-/, "_", n); return n }
        function emit(p,   i, n, d) {
            if (p in done) return
            done[p] = 1
            n = split(deps[p], d, " ")
            for (i = 1; i <= n; i++) emit(d[i])
            print p
        }
        { p = $1; sub(/:$/, "", p); deps[p] = ""
          for (i = 2; i <= NF; i++) deps[p] = deps[p] " " $i
          path[norm(p)] = p }
        END { n = split(names, w, " ")
              for (i = 1; i <= n; i++) { k = w[i]; gsub(/-/, "_", k)
                  if (k in path) emit(path[k]) } }
    ' "$kdir/modules.dep"
}

# copy_elf STAGE SRC DEST: copy an executable and the libraries ldd names.
copy_elf() {
    local stage=$1 src=$2 dest=$3 lib
    mkdir -p "$stage/$(dirname "$dest")"
    cp -L "$src" "$stage/$dest"
    chmod 755 "$stage/$dest"
    if ldd "$src" >/dev/null 2>&1; then
        for lib in $(ldd "$src" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }'); do
            [ -e "$stage/$lib" ] && continue
            mkdir -p "$stage/$(dirname "$lib")"
            cp -L "$lib" "$stage/$lib"
        done
    fi
}

stage_common() {
    local stage=$1 kdir=$2 modules=$3 bb app m
    bb=$(command -v busybox || true)
    [ -n "$bb" ] || skip "busybox not found (apt-get install busybox-static)"
    command -v cpio >/dev/null || skip "cpio not found (apt-get install cpio)"
    mkdir -p "$stage"/{bin,sbin,dev,proc,sys,tmp,run,etc,lib/modules,usr/bin}
    copy_elf "$stage" "$bb" /bin/busybox # static or not: libraries come along
    for app in $("$bb" --list); do
        [ "$app" = busybox ] || ln -sf busybox "$stage/bin/$app"
    done
    # The kernel opens /dev/console for /init before devtmpfs is mounted.
    mknod -m 600 "$stage/dev/console" c 5 1 2>/dev/null || true
    mknod -m 666 "$stage/dev/null" c 1 3 2>/dev/null || true
    : >"$stage/etc/e2e-modules"
    # shellcheck disable=SC2086 # word splitting of the module list is wanted
    for m in $(mod_order "$kdir" $modules); do
        mkdir -p "$stage/lib/modules/$(dirname "$m")"
        cp "$kdir/modules/$m" "$stage/lib/modules/$m"
        echo "$m" >>"$stage/etc/e2e-modules"
    done
}

pack() {
    local stage=$1 out=$2
    mkdir -p "$(dirname "$out")"
    (cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
        cpio -o -H newc -R 0:0 --quiet) >"$out.tmp"
    mv "$out.tmp" "$out"
    log "$out: $(du -h "$out" | cut -f1)"
}

main() {
    local mode=${1:-} kdir="" out="" init="" gmvm="" helper="" scenario=""
    local ginitrd="" gkernel="" envfile="" with_qemu=0 stage
    shift || true
    while [ $# -gt 0 ]; do
        case "$1" in
        --kernel-dir) kdir=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --init) init=$2; shift 2 ;;
        --gmvm) gmvm=$2; shift 2 ;;
        --helper) helper=$2; shift 2 ;;
        --scenario) scenario=$2; shift 2 ;;
        --guest-initrd) ginitrd=$2; shift 2 ;;
        --guest-kernel) gkernel=$2; shift 2 ;;
        --env) envfile=$2; shift 2 ;;
        --with-qemu) with_qemu=1; shift ;;
        *) die "unknown argument '$1' (see the header of $0)" ;;
        esac
    done
    [ -f "$kdir/modules.dep" ] || die "--kernel-dir: not a fetch-kernel.sh directory: '$kdir'"
    [ -n "$out" ] || die "--out FILE is required"
    stage=$(mktemp -d "${TMPDIR:-/tmp}/gmvm-initramfs.XXXXXX")
    # shellcheck disable=SC2064 # expand now
    trap "rm -rf '$stage'" EXIT

    case "$mode" in
    guest)
        stage_common "$stage" "$kdir" "$GUEST_MODULES"
        install -m 755 "${init:-$E2E/guest/init}" "$stage/init"
        ;;
    host)
        [ -x "$gmvm" ] || die "--gmvm: not an executable: '$gmvm'"
        [ -x "$helper" ] || die "--helper: not an executable: '$helper'"
        [ -r "$scenario" ] || die "--scenario: cannot read '$scenario'"
        stage_common "$stage" "$kdir" "$HOST_MODULES"
        install -m 755 "${init:-$E2E/host/init}" "$stage/init"
        mkdir -p "$stage/e2e" "$stage/l2"
        cp "$E2E/host/lib.sh" "$stage/e2e/lib.sh"
        cp "$scenario" "$stage/e2e/scenario.sh"
        [ -z "$envfile" ] || cp "$envfile" "$stage/e2e/env"
        copy_elf "$stage" "$gmvm" /usr/bin/gmvm
        copy_elf "$stage" "$helper" /usr/bin/e2e-helper
        cp "${gkernel:-$kdir/vmlinuz}" "$stage/l2/vmlinuz"
        [ -z "$ginitrd" ] || cp "$ginitrd" "$stage/l2/initrd.img"
        if [ "$with_qemu" = 1 ]; then
            local q f
            q=$(command -v qemu-system-x86_64 || true)
            [ -n "$q" ] || skip "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"
            copy_elf "$stage" "$q" /usr/bin/qemu-system-x86_64
            mkdir -p "$stage/usr/share/qemu"
            for f in bios-microvm.bin qboot.rom pvh.bin linuxboot_dma.bin; do
                [ -e "/usr/share/qemu/$f" ] || skip "/usr/share/qemu/$f missing (apt-get install qemu-system-x86)"
                cp -L "/usr/share/qemu/$f" "$stage/usr/share/qemu/$f"
            done
        fi
        ;;
    *) die "usage: $0 guest|host --kernel-dir KDIR --out FILE ..." ;;
    esac
    pack "$stage" "$out"
}

main "$@"
