#!/bin/bash
# build-modules.sh [--kver VERSION] OUTDIR
#
# Build kvm.ko, kvm-amd.ko and kvm-intel.ko for the Debian 6.12 kernel
# VERSION (default: the running kernel, `uname -r`) with this directory's
# patch series applied, out of tree against that kernel's linux-headers
# package (DKMS style), and leave them in OUTDIR.  See README.md.
#
# Needs: the compiler the kernel was built with (gcc-12 for +deb12 kernels,
# gcc-14 for +deb13), make, patch, xz, dpkg-deb, apt-get, and libelf/bc-free
# Debian kbuild tools (shipped in linux-kbuild-*).  Installed headers
# (/usr/src/linux-headers-VERSION) are used when present; otherwise the
# headers, kbuild and linux-source-6.12 packages are downloaded once into
# the cache (see lib.sh) with a private apt configuration.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() { echo "usage: ${0##*/} [--kver VERSION] OUTDIR" >&2; exit 2; }

KVER=$(uname -r)
OUT=
while [ $# -gt 0 ]; do
	case $1 in
	--kver) [ $# -ge 2 ] || usage; KVER=$2; shift 2 ;;
	--kver=*) KVER=${1#--kver=}; shift ;;
	-h|--help) usage ;;
	-*) usage ;;
	*) [ -z "$OUT" ] || usage; OUT=$1; shift ;;
	esac
done
[ -n "$OUT" ] || usage

# Debian kernel release: <abiname>-<flavour>, e.g. 6.12.95+deb12-cloud-amd64.
case $KVER in
6.12.*+deb*-*) ;;
*) die "kernel '$KVER' is not a Debian 6.12 kernel (want e.g. 6.12.95+deb12-amd64); this series is for 6.12 only" ;;
esac
ABI=${KVER%%-*}
FLAVOUR=${KVER#*-}
case $FLAVOUR in
*amd64) ;;
*) die "flavour '$FLAVOUR' is not x86-64; the series is x86 only" ;;
esac

k612_cache_init
T=$CACHE/build/$KVER
rm -rf "$T"
mkdir -p "$T/usr/src" "$T/usr/lib" "$T/src"

# ---- 1. headers + kbuild: installed, or fetched and unpacked into the cache.
HDR_PKG=linux-headers-$KVER
if [ -d "/usr/src/linux-headers-$KVER" ] && [ -d "/usr/src/linux-headers-$ABI-common" ] &&
   [ -d "/usr/lib/linux-kbuild-$ABI" ]; then
	HROOT=
	VER=$(dpkg-query -W -f='${Version}' "$HDR_PKG" 2>/dev/null || true)
	note "using installed headers /usr/src/linux-headers-$KVER ($VER)"
else
	apt_update_private || die "cannot reach the Debian mirror $MIRROR (apt update failed, see $CACHE/apt/update.log)"
	VER=$(apt_version "$HDR_PKG")
	[ -n "$VER" ] || die "no package $HDR_PKG in bookworm-backports/trixie: is '$KVER' a current Debian kernel?"
	HROOT=$CACHE/root/$KVER
	if [ ! -f "$HROOT/.complete" ]; then
		rm -rf "$HROOT"; mkdir -p "$HROOT"
		for p in "$HDR_PKG" "linux-headers-$ABI-common" "linux-kbuild-$ABI"; do
			deb=$(fetch_deb "$p=$VER") || die "cannot download $p=$VER"
			dpkg-deb -x "$deb" "$HROOT"
		done
		touch "$HROOT/.complete"
	fi
	note "using headers $HDR_PKG $VER unpacked in $HROOT"
fi
[ -n "$VER" ] || die "cannot tell the package version of $HDR_PKG"

# A private, writable copy of the headers tree: the series changes headers
# (kvm_host.h, uapi kvm.h) and the KVM sources must sit inside $(srctree).
cp -a "$HROOT/usr/src/linux-headers-$KVER" "$HROOT/usr/src/linux-headers-$ABI-common" "$T/usr/src/"
cp -a "$HROOT/usr/lib/linux-kbuild-$ABI" "$T/usr/lib/"
OBJTREE=$T/usr/src/linux-headers-$KVER
SRCTREE=$T/usr/src/linux-headers-$ABI-common
sed -i "s|^include .*/linux-headers-$ABI-common/Makefile\$|include $SRCTREE/Makefile|" "$OBJTREE/Makefile"
grep -q "^include $SRCTREE/Makefile\$" "$OBJTREE/Makefile" || die "unexpected $OBJTREE/Makefile layout"

# ---- 2. the matching source, patched.
if [ -f /usr/src/linux-source-6.12.tar.xz ] &&
   [ "$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || true)" = "$VER" ]; then
	note "using installed /usr/src/linux-source-6.12.tar.xz ($VER)"
	tar -xJf /usr/src/linux-source-6.12.tar.xz -C "$T/src" --strip-components=1 --wildcards $(source_patterns)
else
	apt_update_private || die "cannot reach the Debian mirror $MIRROR"
	deb=$(fetch_deb "linux-source-6.12=$VER") ||
		die "cannot download linux-source-6.12=$VER (the source of $KVER)"
	extract_source_subset "$deb" "$T/src" || die "cannot unpack $deb"
fi
apply_series "$T/src" || die "the series does not apply to linux-source-6.12 $VER; it needs a refresh (see README.md)"
note "applied $(series | wc -l) patches to linux-source-6.12 $VER"

for f in $(series_files); do
	mkdir -p "$SRCTREE/$(dirname "$f")"
	cp "$T/src/$f" "$SRCTREE/$f"
done
rm -rf "$SRCTREE/arch/x86/kvm" "$SRCTREE/virt/kvm"
cp -a "$T/src/arch/x86/kvm" "$SRCTREE/arch/x86/kvm"
cp -a "$T/src/virt/kvm" "$SRCTREE/virt/kvm"

# ---- 3. build.
# Debian's kbuild wrapper names the exact compiler (.kernelvariables).
CCNAME=$(sed -n 's/^CC = .*)\$(CROSS_COMPILE)\(gcc-[0-9]*\)$/\1/p' "$OBJTREE/.kernelvariables")
[ -n "$CCNAME" ] || CCNAME=gcc
command -v "x86_64-linux-gnu-$CCNAME" >/dev/null ||
	die "x86_64-linux-gnu-$CCNAME not found: $KVER was built with $CCNAME (apt-get install $CCNAME; +deb13 kernels need a Debian 13 build host)"
"$OBJTREE/scripts/basic/fixdep" </dev/null >/dev/null 2>&1 || [ $? -ne 127 ] ||
	die "the kbuild tools of $KVER do not run here (built for a newer glibc?): build on the Debian release the kernel comes from"

EXTRA=()
if ! grep -q '^CONFIG_KVM_PRIVATE_MEM=y' "$OBJTREE/.config"; then
	# Debian's cloud flavour has no KVM_AMD_SEV, so guest_memfd is not built.
	# It is KVM-internal: build it into these modules only.
	note "note: $KVER is built without CONFIG_KVM_PRIVATE_MEM; enabling guest_memfd in the KVM modules only"
	EXTRA=(CONFIG_KVM_PRIVATE_MEM=y "KCPPFLAGS=-DCONFIG_KVM_PRIVATE_MEM=1")
fi

if grep -q '^CONFIG_DEBUG_INFO_BTF_MODULES=y' "$OBJTREE/.config" && ! command -v pahole >/dev/null; then
	note "note: pahole not found (apt-get install dwarves): building without module BTF"
	EXTRA+=(CONFIG_DEBUG_INFO_BTF_MODULES=)
fi

JOBS=${JOBS:-$(nproc)}
LOG=$T/build.log
note "building in $SRCTREE/arch/x86/kvm (-j$JOBS, log $LOG)"
start=$(date +%s)
if ! make -C "$OBJTREE" M="$SRCTREE/arch/x86/kvm" -j"$JOBS" "${EXTRA[@]}" modules >"$LOG" 2>&1; then
	tail -n 40 "$LOG" >&2
	die "module build failed, full log: $LOG"
fi
end=$(date +%s)

mkdir -p "$OUT"
for m in kvm kvm-amd kvm-intel; do
	cp "$SRCTREE/arch/x86/kvm/$m.ko" "$OUT/$m.ko"
done
vermagic=$(modinfo -F vermagic "$OUT/kvm.ko" 2>/dev/null || strings "$OUT/kvm.ko" | sed -n 's/^vermagic=//p')
echo "built kvm.ko kvm-amd.ko kvm-intel.ko for $KVER (linux-source-6.12 $VER) in $((end - start)) s -> $OUT"
echo "vermagic: $vermagic"
