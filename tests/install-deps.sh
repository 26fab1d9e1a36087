#!/bin/bash
# Install, from Debian 12's own package mirror, everything the build and the
# whole test run need. Run as root (CI is root; elsewhere use sudo).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
PKGS=(build-essential cmake pkg-config check clang libclang-rt-14-dev
    python3 qemu-system-x86 busybox-static cpio xz-utils zstd e2fsprogs acpica-tools patch
    debian-archive-keyring ca-certificates)
missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
echo "install-deps: all of ${#PKGS[@]} packages present"
