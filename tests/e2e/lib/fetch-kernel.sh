#!/bin/bash
# fetch-kernel.sh: fetch and cache the Debian trixie-backports cloud amd64
# kernel that the nested harness uses both as the emulated KVM host (L1) and
# as the guest (L2).
#
# Usage: fetch-kernel.sh
# Prints, as its only stdout line, the kernel directory:
#   $GMVM_CACHE/kernel/<kver>/
#     vmlinuz         the bzImage
#     config          the kernel's .config
#     kver            the kernel release string (e.g. 7.3.4+deb13-cloud-amd64)
#     modules/        the modules the harness needs plus their dependencies,
#                     decompressed (.ko), in their kernel/... layout
#     modules.dep     "path.ko: dep.ko ..." for those modules (depmod format)
#
# Environment:
#   GMVM_CACHE            cache root (default /var/cache/gmvm); never the source tree
#   GMVM_KERNEL_VERSION   pin an ABI version such as 7.3.4+deb13 (default: newest)
#   GMVM_KERNEL_REFRESH=1 ask the mirror again even when a kernel is cached
#   GMVM_DEBIAN_MIRROR    mirror URI (default: the one the machine's apt names)
#
# Exit status: 0 ok; 77 (skip) with one reason line when the mirror or the
# packages cannot be had; 1 on other errors. The machine's apt sources are
# never modified: apt runs with a private root under $GMVM_CACHE/apt.
set -euo pipefail

CACHE=${GMVM_CACHE:-/var/cache/gmvm}
FLAVOUR=cloud-amd64
SUITE=trixie-backports

# Modules the harness loads, by module name; their dependencies come along.
# kvm stack (L1), virtio-mmio transport and device drivers, vsock, pvpanic (L2).
WANT_MODULES="irqbypass kvm kvm_amd kvm_intel virtio_mmio virtio_blk virtio_rng
virtio_net vsock vmw_vsock_virtio_transport pvpanic_mmio pvpanic_pci"

log() { printf 'fetch-kernel: %s\n' "$*" >&2; }
skip() {
    printf 'fetch-kernel: SKIP: %s\n' "$*" >&2
    exit 77
}
die() {
    printf 'fetch-kernel: error: %s\n' "$*" >&2
    exit 1
}

# The Debian mirror this machine's own apt sources name (not debian-security).
find_mirror() {
    local f uri
    if [ -n "${GMVM_DEBIAN_MIRROR:-}" ]; then
        echo "$GMVM_DEBIAN_MIRROR"
        return
    fi
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -r "$f" ] || continue
        uri=$(sed -n 's/^URIs:[[:space:]]*//p' "$f" | tr ' ' '\n' |
            grep -E '/debian/?$' | head -n1)
        if [ -n "$uri" ]; then
            echo "${uri%/}"
            return
        fi
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -r "$f" ] || continue
        uri=$(sed -n -E 's/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+\/debian\/?)[[:space:]].*/\2/p' "$f" | head -n1)
        if [ -n "$uri" ]; then
            echo "${uri%/}"
            return
        fi
    done
    echo "http://deb.debian.org/debian"
}

APTROOT=$CACHE/apt
apt_opts() {
    printf '%s\n' \
        -o "Dir::Etc::sourcelist=/dev/null" \
        -o "Dir::Etc::sourceparts=$APTROOT/sources.list.d" \
        -o "Dir::State::Lists=$APTROOT/lists" \
        -o "Dir::Cache=$APTROOT/cache" \
        -o "Dir::State::status=/dev/null" \
        -o "Dir::Etc::preferencesparts=$APTROOT/preferences.d" \
        -o "APT::Sandbox::User=root" \
        -o "Debug::NoLocking=1" \
        -o "Acquire::Retries=2" \
        -o "Acquire::http::Timeout=30"
}

apt_setup() {
    local mirror
    mirror=$(find_mirror)
    mkdir -p "$APTROOT/sources.list.d" "$APTROOT/lists/partial" \
        "$APTROOT/cache/archives/partial" "$APTROOT/preferences.d"
    cat >"$APTROOT/sources.list.d/gmvm-backports.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $SUITE
Components: main
Architectures: amd64
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    local -a opts
    mapfile -t opts < <(apt_opts)
    log "updating private package lists from $mirror ($SUITE)"
    if ! apt-get "${opts[@]}" -q update >"$APTROOT/update.log" 2>&1 ||
        grep -qE '^(E|W): (Failed|Some index)' "$APTROOT/update.log"; then
        skip "cannot read $SUITE from $mirror: $(grep -E '^(E|W):' "$APTROOT/update.log" | head -n1)"
    fi
}

# Newest ABI version, e.g. 7.3.4+deb13: from the meta-package's dependency,
# else the highest linux-binary-*-cloud-amd64 name.
resolve_version() {
    local -a opts
    local v
    mapfile -t opts < <(apt_opts)
    if [ -n "${GMVM_KERNEL_VERSION:-}" ]; then
        echo "$GMVM_KERNEL_VERSION"
        return
    fi
    v=$(apt-cache "${opts[@]}" show "linux-image-$FLAVOUR" 2>/dev/null |
        sed -n "s/^Depends:.*linux-image-\([0-9][^ ]*\)-$FLAVOUR (.*/\1/p" | head -n1)
    if [ -z "$v" ]; then
        v=$(apt-cache "${opts[@]}" search --names-only "^linux-binary-[0-9].*-$FLAVOUR\$" 2>/dev/null |
            sed -n "s/^linux-binary-\([0-9][^ ]*\)-$FLAVOUR .*/\1/p" | sort -V | tail -n1)
    fi
    [ -n "$v" ] || skip "no linux-binary-*-$FLAVOUR package in $SUITE"
    echo "$v"
}

download_debs() {
    local ver=$1 dest=$2
    local -a opts
    mapfile -t opts < <(apt_opts)
    mkdir -p "$dest"
    if ls "$dest"/linux-binary-*.deb "$dest"/linux-modules-*.deb \
        "$dest"/linux-base-*.deb >/dev/null 2>&1; then
        return
    fi
    log "downloading linux-{binary,modules,base}-$ver-$FLAVOUR"
    if ! (cd "$dest" && apt-get "${opts[@]}" -q download \
        "linux-binary-$ver-$FLAVOUR" "linux-modules-$ver-$FLAVOUR" \
        "linux-base-$ver-$FLAVOUR") >"$dest/download.log" 2>&1; then
        rm -f "$dest"/*.deb
        skip "cannot download the $ver-$FLAVOUR kernel packages: $(grep -E '^E:' "$dest/download.log" | head -n1)"
    fi
}

# Module name -> relative path of its .ko.xz inside the extracted tree.
# Names are compared with '-' folded to '_', as the kernel does.
mod_path() {
    awk -v want="$1" '{ n = $0; sub(/.*\//, "", n); sub(/\.ko(\.xz)?$/, "", n);
        gsub(/-/, "_", n); if (n == want) { print; exit } }' "$INDEX"
}

# Decompress one module and, recursively, everything it depends on.
add_module() {
    local name rel ko deps d
    name=$(printf '%s' "$1" | tr - _)
    grep -qx "$name" "$SEEN" && return 0
    echo "$name" >>"$SEEN"
    rel=$(mod_path "$name")
    if [ -z "$rel" ]; then
        if grep -q "/$name\.ko\$\|/$(printf '%s' "$name" | tr _ -)\.ko\$" "$MODROOT/modules.builtin"; then
            return 0 # built in: nothing to load
        fi
        die "module $name is neither in linux-modules nor built in"
    fi
    ko=${rel%.xz}
    mkdir -p "$STAGE/modules/$(dirname "$ko")"
    case "$rel" in
    *.xz) xz -dc "$MODROOT/$rel" >"$STAGE/modules/$ko" ;;
    *) cp "$MODROOT/$rel" "$STAGE/modules/$ko" ;;
    esac
    deps=$(tr '\0' '\n' <"$STAGE/modules/$ko" | sed -n 's/^depends=//p' | head -n1 | tr , ' ')
    local line="$ko:"
    for d in $deps; do
        add_module "$d"
        rel=$(mod_path "$(printf '%s' "$d" | tr - _)")
        [ -n "$rel" ] && line="$line ${rel%.xz}"
    done
    echo "$line" >>"$STAGE/modules.dep.unsorted"
}

main() {
    local kdir ver kver tmp want_stamp
    mkdir -p "$CACHE/kernel" || skip "cannot create the cache $CACHE (set GMVM_CACHE)"
    case "$(cd "$CACHE" && pwd -P)/" in
    "$(cd "$(dirname "$0")/../../.." && pwd -P)/"*) die "GMVM_CACHE must be outside the source tree" ;;
    esac
    exec 9>"$CACHE/.fetch-kernel.lock"
    flock 9
    want_stamp=$(echo "$WANT_MODULES" | tr -s ' \n' ' ')

    # Fast path: a complete cached kernel, no network.
    if [ "${GMVM_KERNEL_REFRESH:-0}" != 1 ] && [ -r "$CACHE/kernel/current" ]; then
        ver=${GMVM_KERNEL_VERSION:-$(cat "$CACHE/kernel/current")}
        kdir=$CACHE/kernel/$ver-$FLAVOUR
        if [ -f "$kdir/.complete" ] && [ "$(cat "$kdir/.complete")" = "$want_stamp" ]; then
            echo "$kdir"
            return 0
        fi
    fi

    command -v apt-get >/dev/null || skip "apt-get not found (needs a Debian-like host)"
    command -v xz >/dev/null || skip "xz not found (apt-get install xz-utils)"
    [ -r /usr/share/keyrings/debian-archive-keyring.gpg ] ||
        skip "no /usr/share/keyrings/debian-archive-keyring.gpg (apt-get install debian-archive-keyring)"

    if [ -n "${GMVM_KERNEL_VERSION:-}" ] && [ "${GMVM_KERNEL_REFRESH:-0}" != 1 ] &&
        ls "$CACHE/debs/$GMVM_KERNEL_VERSION"/linux-modules-*.deb >/dev/null 2>&1; then
        ver=$GMVM_KERNEL_VERSION
    else
        apt_setup
        ver=$(resolve_version)
    fi
    kver=$ver-$FLAVOUR
    kdir=$CACHE/kernel/$kver
    log "kernel $kver"

    if ! { [ -f "$kdir/.complete" ] && [ "$(cat "$kdir/.complete")" = "$want_stamp" ]; }; then
        download_debs "$ver" "$CACHE/debs/$ver"
        tmp=$(mktemp -d "$CACHE/.extract.XXXXXX")
        # shellcheck disable=SC2064 # expand now: tmp is local
        trap "rm -rf '$tmp'" EXIT
        for deb in "$CACHE/debs/$ver"/linux-{binary,base,modules}-*.deb; do
            dpkg-deb -x "$deb" "$tmp/root" || die "cannot extract $deb"
        done
        MODROOT=$tmp/root/usr/lib/modules/$kver
        [ -f "$MODROOT/vmlinuz" ] || die "no vmlinuz in linux-binary-$kver"
        [ -f "$MODROOT/config" ] || die "no config in linux-base-$kver"
        STAGE=$tmp/stage
        INDEX=$tmp/index
        SEEN=$tmp/seen
        mkdir -p "$STAGE"
        : >"$SEEN"
        : >"$STAGE/modules.dep.unsorted"
        (cd "$MODROOT" && find kernel -name '*.ko*' | sort) >"$INDEX"
        for m in $WANT_MODULES; do
            add_module "$m"
        done
        sort -u "$STAGE/modules.dep.unsorted" >"$STAGE/modules.dep"
        rm "$STAGE/modules.dep.unsorted"
        cp "$MODROOT/vmlinuz" "$MODROOT/config" "$MODROOT/modules.builtin" "$STAGE/"
        echo "$kver" >"$STAGE/kver"
        echo "$want_stamp" >"$STAGE/.complete"
        rm -rf "$kdir"
        mv "$STAGE" "$kdir"
        rm -rf "$tmp"
        trap - EXIT
        log "cached in $kdir ($(find "$kdir/modules" -name '*.ko' | wc -l) modules)"
    fi
    echo "$ver" >"$CACHE/kernel/current"
    echo "$kdir"
}

main "$@"
