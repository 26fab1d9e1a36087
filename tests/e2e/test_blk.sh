#!/bin/bash
# test_blk.sh GMVM [E2E_HELPER] [--workdir DIR]: the virtio-blk + virtio-rng
# e2e test in the nested harness. The guest makes ext4 on a gmvm disk, writes
# files, syncs and powers off; L1 then runs e2fsck and compares contents.
# Also: a readonly disk refuses writes and stays unchanged, three disks at
# once, raw writes, discard and write-zeroes, /dev/hwrng. See blk/l1-blk.sh.
# Exit 0 pass, 1 fail, 77 skip.
exec "$(dirname "$0")/blk/run.sh" test "$@"
