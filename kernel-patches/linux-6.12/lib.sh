# Shared helpers for build-modules.sh and check-apply.sh (sourced, not run).
#
# Everything downloaded goes under $GMVM_K612_CACHE (default
# /var/cache/gmvm/linux-6.12, or ~/.cache/gmvm/linux-6.12 when that is not
# writable), never into the source tree.  apt runs against a private sources
# dir and lists dir there: the machine's own apt configuration is not touched.

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MIRROR=${GMVM_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${GMVM_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

die() { echo "${0##*/}: $*" >&2; exit 1; }
note() { echo "${0##*/}: $*" >&2; }

k612_cache_init() {
	local c=${GMVM_K612_CACHE:-}
	if [ -z "$c" ]; then
		c=/var/cache/gmvm/linux-6.12
		mkdir -p "$c" 2>/dev/null && [ -w "$c" ] || c=$HOME/.cache/gmvm/linux-6.12
	fi
	CACHE=$c
	mkdir -p "$CACHE/apt/sources" "$CACHE/apt/lists/partial" \
		"$CACHE/apt/cache/archives/partial" "$CACHE/debs" "$CACHE/src" || die "cannot create cache $CACHE"
	# Debian 12 hosts find 6.12 in bookworm-backports, Debian 13 hosts in trixie.
	cat >"$CACHE/apt/sources/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: bookworm-backports trixie trixie-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY_MIRROR
Suites: trixie-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
}

apt_private() {
	apt-get -q -o Dir::Etc::sourcelist=/dev/null -o Dir::Etc::sourceparts="$CACHE/apt/sources" \
		-o Dir::State::Lists="$CACHE/apt/lists" -o Dir::Cache="$CACHE/apt/cache" \
		-o APT::Sandbox::User=root "$@"
}

apt_cache_private() {
	apt-cache -o Dir::Etc::sourcelist=/dev/null -o Dir::Etc::sourceparts="$CACHE/apt/sources" \
		-o Dir::State::Lists="$CACHE/apt/lists" -o Dir::Cache="$CACHE/apt/cache" "$@"
}

# Refresh the private package lists if they are missing or older than 6 hours.
apt_update_private() {
	local stamp=$CACHE/apt/updated
	if [ -z "$(find "$stamp" -mmin -360 2>/dev/null)" ]; then
		apt_private update >"$CACHE/apt/update.log" 2>&1 || return 1
		touch "$stamp"
	fi
}

# Newest version of a package in the private lists, or nothing.
apt_version() {
	apt_cache_private show "$1" 2>/dev/null | sed -n 's/^Version: //p' |
		sort -V -r | head -n1
}

# Download $1 (name=version) into $CACHE/debs unless already there; prints the path.
fetch_deb() {
	local name=${1%%=*} ver=${1#*=} f
	f=$(ls "$CACHE/debs/${name}_${ver/#*:/}_"*.deb 2>/dev/null | head -n1)
	if [ -z "$f" ]; then
		(cd "$CACHE/debs" && apt_private download "$1" >&2) || return 1
		f=$(ls "$CACHE/debs/${name}_${ver/#*:/}_"*.deb 2>/dev/null | head -n1)
	fi
	[ -n "$f" ] && echo "$f"
}

# The series, in order.
series() {
	ls "$HERE"/[0-9][0-9][0-9][0-9]-*.patch
}

# The files the series touches, one per line.
series_files() {
	sed -n 's|^+++ b/||p' $(series) | sort -u
}

# Apply the series inside source tree $1, strictly: no fuzz (line offsets are
# fine, they follow Debian's stable updates).  Prints the first patch that fails.
apply_series() {
	local dir=$1 p
	for p in $(series); do
		if ! patch -d "$dir" -p1 --batch --forward --fuzz=0 --no-backup-if-mismatch -s <"$p" >"$dir/.patch.log" 2>&1; then
			echo "does not apply: ${p##*/}" >&2
			cat "$dir/.patch.log" >&2
			return 1
		fi
	done
	rm -f "$dir/.patch.log"
}

# Extract the series' files plus arch/x86/kvm and virt/kvm from a Debian
# linux-source-6.12 .deb ($1) into directory $2 (top-level dir stripped).
extract_source_subset() {
	local deb=$1 out=$2 tarball=$CACHE/src/$(basename "$1" .deb).tar.xz
	if [ ! -s "$tarball" ]; then
		dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/src/linux-source-6.12.tar.xz >"$tarball.tmp" &&
			mv "$tarball.tmp" "$tarball" || return 1
	fi
	mkdir -p "$out"
	tar -xJf "$tarball" -C "$out" --strip-components=1 --wildcards $(source_patterns)
}

# tar patterns for what the build needs from linux-source: the KVM module
# sources and every other file the series touches (each member once).
source_patterns() {
	local f
	echo '*/arch/x86/kvm/*' '*/virt/kvm/*'
	for f in $(series_files); do
		case $f in arch/x86/kvm/*|virt/kvm/*) ;; *) echo "*/$f" ;; esac
	done
}
