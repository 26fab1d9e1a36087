#!/bin/bash
# check-apply.sh [VERSION...]
#
# Check that the series applies cleanly (no fuzz; line offsets allowed) to
# Debian's current linux-source-6.12: by default the newest version in
# bookworm-backports (Debian 12 hosts) and the newest in trixie /
# trixie-security (Debian 13 hosts); or to the given package VERSIONs
# (e.g. 6.12.95-1~bpo12+1).  Prints one PASS/FAIL line per version.
#
# Exit 0 if it applies everywhere, 1 if not, 77 if no source could be
# fetched (no mirror).  Sources are cached (see lib.sh): ~150 MB each.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

k612_cache_init
if ! apt_update_private; then
	echo "SKIP: cannot reach the Debian mirror $MIRROR (see $CACHE/apt/update.log)"
	exit 77
fi

versions=("$@")
if [ ${#versions[@]} -eq 0 ]; then
	all=$(apt_cache_private show linux-source-6.12 2>/dev/null | sed -n 's/^Version: //p' | sort -uV)
	bpo=$(grep '~bpo12' <<<"$all" | tail -n1 || true)
	trixie=$(grep -v '~bpo' <<<"$all" | tail -n1 || true)
	for v in $bpo $trixie; do versions+=("$v"); done
fi
if [ ${#versions[@]} -eq 0 ]; then
	echo "SKIP: no linux-source-6.12 in the archive"
	exit 77
fi

fail=0 fetched=0
for v in "${versions[@]}"; do
	if ! deb=$(fetch_deb "linux-source-6.12=$v"); then
		echo "SKIP $v: cannot download linux-source-6.12=$v"
		continue
	fi
	fetched=$((fetched + 1))
	d=$(mktemp -d)
	if extract_source_subset "$deb" "$d" && apply_series "$d" 2>"$d.err"; then
		echo "PASS linux-source-6.12 $v: $(series | wc -l) patches apply"
	else
		echo "FAIL linux-source-6.12 $v: $(head -n 5 "$d.err" | tr '\n' ' ')"
		fail=1
	fi
	rm -rf "$d" "$d.err"
done
[ "$fetched" -gt 0 ] || exit 77
exit "$fail"
