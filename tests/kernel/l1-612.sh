#!/bin/bash
# l1-612.sh: prove kernel-patches/linux-6.12 on a real Debian 6.12 kernel.
#
#   l1-612.sh [--kver VERSION] [--gmvm PATH [--guest ELF [--guest-rc N]]]
#             [--linux] [--keep DIR]
#
# Boots Debian's 6.12 kernel VERSION (default: the newest 6.12 "amd64"
# flavour in bookworm-backports) as an emulated KVM host ("L1") under QEMU
# TCG (-M q35 -cpu max: SVM with nested paging), twice:
#
#   patched:   irqbypass, ccp, then kvm.ko + kvm-amd.ko built by
#              kernel-patches/linux-6.12/build-modules.sh.  gmem_conformance
#              must pass; gmvm (if given) must get past its capability check
#              and, with --guest, run that tiny guest to its expected exit
#              status (--guest-rc, default 10: tests/guests/hello.elf halts).
#              With --linux (needs --gmvm and tests/e2e/lib of the nested
#              harness), a third L1 boot with the patched modules runs the
#              harness scenario boot-1vcpu: gmvm boots the harness's stock
#              Debian guest kernel from guest_memfd to its /init.
#   unpatched: Debian's own kvm.ko + kvm-amd.ko.  gmvm must refuse with its
#              capability message and exit status 2 (GMVM_EXIT_NO_CAPABILITY);
#              gmem_conformance must fail (proves the test can tell).
#
# Prints "PASS <check>" / "FAIL <check>: why" lines and "N passed, N failed";
# exit 0 only if all passed, 77 if QEMU, busybox-static, cpio or the Debian
# mirror are unavailable.  Downloads and the module build are cached (see
# kernel-patches/linux-6.12/lib.sh); a warm run takes about a minute or two.
set -euo pipefail
TESTS=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$TESTS/../.." && pwd)
. "$REPO/kernel-patches/linux-6.12/lib.sh"
SKIP=77
skip() { echo "SKIP: $*"; exit $SKIP; }

KVER="" GMVM="" GUEST="" GUEST_RC=10 LINUX=0 KEEP=""
while [ $# -gt 0 ]; do
	case $1 in
	--kver) KVER=$2; shift 2 ;;
	--gmvm) GMVM=$2; shift 2 ;;
	--guest) GUEST=$2; shift 2 ;;
	--guest-rc) GUEST_RC=$2; shift 2 ;;
	--linux) LINUX=1; shift ;;
	--keep) KEEP=$2; shift 2 ;;
	*) echo "usage: $0 [--kver VERSION] [--gmvm PATH [--guest ELF [--guest-rc N]]] [--linux] [--keep DIR]" >&2; exit 2 ;;
	esac
done
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 missing (apt-get install qemu-system-x86)"
BB=$(command -v busybox || true)
[ -n "$BB" ] && ! ldd "$BB" >/dev/null 2>&1 || skip "static busybox missing (apt-get install busybox-static)"
command -v cpio >/dev/null || skip "cpio missing (apt-get install cpio)"

k612_cache_init
apt_update_private || skip "Debian mirror $MIRROR unreachable"
if [ -z "$KVER" ]; then
	KVER=$(apt_cache_private pkgnames linux-headers-6.12. 2>/dev/null |
		sed -n 's/^linux-headers-\(6\.12\.[0-9]*+deb12-amd64\)$/\1/p' | sort -V | tail -n1)
	[ -n "$KVER" ] || skip "no 6.12 amd64 kernel found in bookworm-backports"
fi
VER=$(apt_version "linux-image-$KVER-unsigned")
[ -n "$VER" ] || skip "linux-image-$KVER-unsigned not in the archive"
W=$CACHE/l1/$KVER
mkdir -p "$W"
echo "L1 kernel: $KVER ($VER)"

# ---- kernel image and Debian's own modules.
if [ ! -f "$W/stock/.complete" ]; then
	deb=$(fetch_deb "linux-image-$KVER-unsigned=$VER") || skip "cannot download linux-image-$KVER-unsigned"
	rm -rf "$W/img" "$W/stock"; mkdir -p "$W/img" "$W/stock"
	dpkg-deb -x "$deb" "$W/img"
	cp "$W/img/boot/vmlinuz-$KVER" "$W/vmlinuz"
	for m in virt/lib/irqbypass drivers/crypto/ccp/ccp arch/x86/kvm/kvm arch/x86/kvm/kvm-amd; do
		xz -dc "$W/img/lib/modules/$KVER/kernel/$m.ko.xz" >"$W/stock/${m##*/}.ko"
	done
	rm -rf "$W/img"
	touch "$W/stock/.complete"
fi

# ---- patched modules, rebuilt when the series changes.
sum=$(cat $(series) | sha256sum | cut -c1-16)
if [ ! -f "$W/patched-$sum/kvm.ko" ]; then
	"$REPO/kernel-patches/linux-6.12/build-modules.sh" --kver "$KVER" "$W/patched-$sum" >&2
fi

# ---- the static conformance test.
gcc -std=gnu11 -O2 -Wall -Wextra -Werror -static -I"$TESTS/../.." -o "$W/gmem_conformance" "$TESTS/gmem_conformance.c"

# ---- one initramfs per mode.
mkinitrd() { # mode moduledir out
	local mode=$1 mdir=$2 out=$3 s lib
	s=$(mktemp -d)
	mkdir -p "$s"/{bin,dev,proc,sys,tmp,lib/modules}
	cp "$BB" "$s/bin/busybox"
	cp "$W/gmem_conformance" "$s/bin/gmem_conformance"
	cp "$W/stock/irqbypass.ko" "$W/stock/ccp.ko" "$s/lib/modules/"
	cp "$mdir/kvm.ko" "$mdir/kvm-amd.ko" "$s/lib/modules/"
	echo "$mode" >"$s/mode"
	if [ -n "$GMVM" ]; then
		cp -L "$GMVM" "$s/bin/gmvm"
		for lib in $(ldd "$GMVM" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }'); do
			mkdir -p "$s$(dirname "$lib")"; cp -L "$lib" "$s$lib"
		done
		[ -z "$GUEST" ] || cp "$GUEST" "$s/guest.elf"
	fi
	cat >"$s/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in irqbypass ccp kvm kvm-amd; do
	insmod /lib/modules/$m.ko || echo "K612 insmod $m failed"
done
echo "K612 mode=$(cat /mode) kvm_taint=$(cat /sys/module/kvm/taint 2>/dev/null) npt=$(cat /sys/module/kvm_amd/parameters/npt 2>/dev/null)"
gmem_conformance 2>&1 | sed 's/^/K612-CONF /'
echo "K612 conformance_rc=$(gmem_conformance >/dev/null 2>&1; echo $?)"
if [ -x /bin/gmvm ]; then
	if [ -f /guest.elf ]; then
		timeout 60 gmvm --kernel /guest.elf >/tmp/gmvm.out 2>&1; rc=$?
	else
		timeout 60 gmvm --kernel /init >/tmp/gmvm.out 2>&1; rc=$? # a real file, not a kernel: the capability check comes first
	fi
	sed 's/^/K612-GMVM /' /tmp/gmvm.out
	echo "K612 gmvm_rc=$rc"
fi
echo K612 done
poweroff -f
EOF
	chmod 755 "$s/init"
	(cd "$s" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$out"
	rm -rf "$s"
}

npass=0 nfail=0
ok() { echo "PASS $1"; npass=$((npass + 1)); }
ko() { echo "FAIL $1: $2"; nfail=$((nfail + 1)); }

boot() { # mode moduledir -> console log in $W/<mode>.log
	local mode=$1 log=$W/$1.log t0 t1
	mkinitrd "$mode" "$2" "$W/$mode.cpio"
	t0=$(date +%s)
	timeout -k 10 300 qemu-system-x86_64 -M q35 -nodefaults -display none -serial stdio \
		-no-reboot -accel tcg -cpu max -smp 1 -m 2048 -kernel "$W/vmlinuz" \
		-initrd "$W/$mode.cpio" -append "console=ttyS0 reboot=t panic=-1 quiet" \
		</dev/null 2>&1 | tr -d '\r' >"$log" || true
	t1=$(date +%s)
	echo "$mode L1 run: $((t1 - t0)) s, console in $log"
	grep -q '^K612 done' "$log"
}

# ---- patched
if boot patched "$W/patched-$sum"; then
	L=$W/patched.log
	grep '^K612-CONF ' "$L" | sed 's/^K612-CONF /  /'
	rc=$(sed -n 's/^K612 conformance_rc=//p' "$L")
	[ "$rc" = 0 ] && ok patched_conformance || ko patched_conformance "gmem_conformance exit $rc"
	if [ -n "$GMVM" ]; then
		grep '^K612-GMVM ' "$L" | sed 's/^K612-GMVM /  gmvm: /' | head -n 20
		rc=$(sed -n 's/^K612 gmvm_rc=//p' "$L")
		if grep -q 'lacks KVM_CAP\|KVM_CAP_GUEST_MEMFD_FLAGS is' "$L"; then
			ko patched_gmvm_caps "gmvm still finds a capability missing"
		else
			ok patched_gmvm_caps
		fi
		if [ -n "$GUEST" ]; then
			[ "$rc" = "$GUEST_RC" ] && ok patched_gmvm_runs_guest ||
				ko patched_gmvm_runs_guest "gmvm exit $rc, want $GUEST_RC"
		fi
	fi
else
	ko patched_boot "L1 did not finish; see $W/patched.log"
fi

# ---- unpatched
if boot unpatched "$W/stock"; then
	L=$W/unpatched.log
	rc=$(sed -n 's/^K612 conformance_rc=//p' "$L")
	[ "$rc" != 0 ] && ok unpatched_conformance_fails || ko unpatched_conformance_fails "conformance passed on stock 6.12?"
	if [ -n "$GMVM" ]; then
		grep '^K612-GMVM ' "$L" | sed 's/^K612-GMVM /  gmvm: /' | head -n 5
		rc=$(sed -n 's/^K612 gmvm_rc=//p' "$L")
		if [ "$rc" = 2 ] && grep -q 'kernel-patches/linux-6.12' "$L"; then
			ok unpatched_gmvm_refuses
		else
			ko unpatched_gmvm_refuses "gmvm exit $rc, want 2 with a capability message naming kernel-patches/linux-6.12"
		fi
	fi
else
	ko unpatched_boot "L1 did not finish; see $W/unpatched.log"
fi

# ---- patched, Linux guest: reuse the nested harness (tests/e2e/lib).
if [ "$LINUX" = 1 ]; then
	E2E=$REPO/tests/e2e
	if [ -z "$GMVM" ] || [ ! -x "$E2E/lib/mkinitramfs.sh" ] || [ ! -x "$E2E/lib/run-l1.sh" ]; then
		ko patched_linux_guest "--linux needs --gmvm and tests/e2e/lib/{mkinitramfs,run-l1}.sh"
	else
		# The harness's guest kernel (Debian trixie-backports cloud) ...
		gkdir=$("$E2E/lib/fetch-kernel.sh") || skip "the nested harness cannot fetch its guest kernel"
		# ... and a kernel dir in fetch-kernel.sh's layout: 6.12 + patched KVM.
		K=$W/kdir-$sum
		rm -rf "$K"
		mkdir -p "$K/modules/kernel/virt/lib" "$K/modules/kernel/drivers/crypto/ccp" \
			"$K/modules/kernel/arch/x86/kvm"
		cp "$W/vmlinuz" "$K/vmlinuz"
		echo "$KVER" >"$K/kver"
		cp "$W/stock/irqbypass.ko" "$K/modules/kernel/virt/lib/"
		cp "$W/stock/ccp.ko" "$K/modules/kernel/drivers/crypto/ccp/"
		cp "$W/patched-$sum/kvm.ko" "$W/patched-$sum/kvm-amd.ko" "$K/modules/kernel/arch/x86/kvm/"
		{
			echo "kernel/virt/lib/irqbypass.ko:"
			echo "kernel/drivers/crypto/ccp/ccp.ko:"
			echo "kernel/arch/x86/kvm/kvm.ko: kernel/virt/lib/irqbypass.ko"
			echo "kernel/arch/x86/kvm/kvm-amd.ko: kernel/arch/x86/kvm/kvm.ko kernel/drivers/crypto/ccp/ccp.ko"
		} >"$K/modules.dep"
		helper=$W/e2e-helper
		cc -O2 -Wall -D_GNU_SOURCE -o "$helper" "$E2E/helper/e2e-helper.c"
		scen=$E2E/scenarios/boot-1vcpu.sh
		expect=$(sed -n 's/^# e2e-expect:[[:space:]]*//p' "$scen" | head -n1)
		: >"$W/linux.env"
		"$E2E/lib/mkinitramfs.sh" guest --kernel-dir "$gkdir" --out "$W/l2.cpio"
		"$E2E/lib/mkinitramfs.sh" host --kernel-dir "$K" --out "$W/l1-linux.cpio" \
			--gmvm "$GMVM" --helper "$helper" --scenario "$scen" \
			--guest-initrd "$W/l2.cpio" --guest-kernel "$gkdir/vmlinuz" --env "$W/linux.env"
		t0=$(date +%s)
		if "$E2E/lib/run-l1.sh" --kernel "$W/vmlinuz" --initrd "$W/l1-linux.cpio" \
			--log "$W/linux.log" --timeout 600 --expect "$expect" | sed 's/^/  /'; then
			ok patched_linux_guest
		else
			ko patched_linux_guest "boot-1vcpu on patched $KVER failed; see $W/linux.log"
		fi
		echo "patched L1 + Linux guest run: $(($(date +%s) - t0)) s (guest kernel $(cat "$gkdir/kver"))"
	fi
fi

[ -z "$KEEP" ] || { mkdir -p "$KEEP"; cp "$W"/*.log "$KEEP/"; }
echo "$npass passed, $nfail failed"
[ "$nfail" = 0 ]
