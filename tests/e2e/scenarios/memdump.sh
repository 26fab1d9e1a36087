# L1 scenario: guest RAM is served from the guest_memfd. The guest fills
# 4 MiB of tmpfs with a random 32-byte marker and powers off; gmvm's
# --dump-mem (guest RAM read through its guest_memfd mapping) must hold the
# marker, and gmvm's /proc/PID/smaps (sampled when the guest reached /init)
# must show guest_memfd ("kvm-gmem") mappings covering all guest RAM.
# e2e-expect: l1-kvm memdump-reached-init guest-memmark memdump-exit memdump-size memdump-marker memdump-gmem-maps
# shellcheck shell=sh

dump=/tmp/guest-ram.bin
mem_bytes=$((128 * 1024 * 1024))
run_gmvm memdump --kernel "$L2_KERNEL" --initrd "$L2_INITRD" --memory 128M \
    --vcpus 1 --dump-mem "$dump" --cmdline "$(l2_args memmark 128M 1)"
expect_guest_reached_init memdump
expect_status memdump-exit 0

size=$(stat -c %s "$dump" 2>/dev/null || echo 0)
if [ "$size" = "$mem_bytes" ]; then
    result memdump-size PASS "dump is $size bytes"
else
    result memdump-size FAIL "dump is $size bytes, guest RAM is $mem_bytes"
fi

line=$(tr -d '\r' </tmp/memdump.out | sed -n 's/^E2E-MARKER //p' | head -n1)
marker=${line%% *}
lines=${line#* }
[ -n "$line" ] || lines=0
if [ -z "$marker" ]; then
    result memdump-marker FAIL "the guest printed no E2E-MARKER line"
elif [ "$size" = 0 ]; then
    result memdump-marker FAIL "no dump at $dump"
else
    found=$(grep -c -a -F "$marker" "$dump")
    # Page-cache pages need not be contiguous: lines that straddle two
    # pages are lost, so ask for half of what the guest wrote.
    if [ "$found" -ge $((lines / 2)) ] && [ "$found" -gt 0 ]; then
        result memdump-marker PASS "$found of $lines marker lines in the dump"
    else
        result memdump-marker FAIL "$found of $lines marker lines in the dump"
    fi
fi
rm -f "$dump"

gmem_kb=$(sed -n 's/.*E2E-INFO smaps gmem_mapped_kb=\([0-9]*\).*/\1/p' /tmp/memdump.err | head -n1)
maps=$(grep -m1 'gmem-maps' /tmp/memdump.err | sed 's/.*gmem-maps //')
if [ "${gmem_kb:-0}" -ge $((mem_bytes / 1024)) ]; then
    result memdump-gmem-maps PASS "guest_memfd mappings cover ${gmem_kb} kB: $maps"
else
    result memdump-gmem-maps FAIL "guest_memfd mappings cover ${gmem_kb:-0} kB of $((mem_bytes / 1024)) kB (no kvm-gmem mapping in gmvm's smaps at /init?)"
fi
