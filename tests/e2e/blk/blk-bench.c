/*
 * blk-bench: a tiny O_DIRECT block benchmark for the L2 guest (static, so
 * it needs nothing in the busybox initramfs). One mode per run:
 *
 *   blk-bench DEV seqread|seqwrite SECONDS    1 MiB sequential, wrapping
 *   blk-bench DEV randread SECONDS            4 KiB at random aligned offsets
 *   blk-bench DEV zeroout OFFSET LENGTH       BLKZEROOUT (virtio WRITE_ZEROES);
 *                                             busybox has no blkdiscard -z
 *
 * Prints one line: "E2E-BENCH <mode> bytes=N ops=N secs=S MBps=X IOPS=Y".
 * Exit 1 on any I/O error (with the errno text).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    uint64_t size, off = 0, bytes = 0, ops = 0, rng = 0x9e3779b97f4a7c15ULL;
    double start, limit, t = 0;
    size_t bs;
    int fd, write_mode, rand_mode;
    void *buf;

    if (argc == 5 && !strcmp(argv[2], "zeroout")) {
        uint64_t range[2] = {strtoull(argv[3], NULL, 0), strtoull(argv[4], NULL, 0)};

        fd = open(argv[1], O_RDWR);
        if (fd < 0 || ioctl(fd, BLKZEROOUT, range) < 0) {
            fprintf(stderr, "blk-bench: zeroout %s: %s\n", argv[1], strerror(errno));
            return 1;
        }
        return 0;
    }
    if (argc != 4) {
        fprintf(stderr, "usage: blk-bench DEV seqread|seqwrite|randread SECONDS\n"
                        "       blk-bench DEV zeroout OFFSET LENGTH\n");
        return 2;
    }
    write_mode = !strcmp(argv[2], "seqwrite");
    rand_mode = !strcmp(argv[2], "randread");
    if (!write_mode && !rand_mode && strcmp(argv[2], "seqread")) {
        fprintf(stderr, "blk-bench: unknown mode '%s'\n", argv[2]);
        return 2;
    }
    bs = rand_mode ? 4096 : 1 << 20;
    limit = atof(argv[3]);
    fd = open(argv[1], (write_mode ? O_RDWR : O_RDONLY) | O_DIRECT);
    if (fd < 0 || ioctl(fd, BLKGETSIZE64, &size) < 0 || size < (1 << 20)) {
        fprintf(stderr, "blk-bench: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    if (posix_memalign(&buf, 1 << 20, 1 << 20))
        return 1;
    memset(buf, 0x5a, 1 << 20);

    start = now();
    while ((t = now() - start) < limit) {
        ssize_t r;

        if (rand_mode) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            off = (rng % (size / bs)) * bs;
        } else if (off + bs > size) {
            off = 0;
        }
        r = write_mode ? pwrite(fd, buf, bs, (off_t)off) : pread(fd, buf, bs, (off_t)off);
        if (r != (ssize_t)bs) {
            fprintf(stderr, "blk-bench: %s at %llu: %s\n", argv[2],
                    (unsigned long long)off, r < 0 ? strerror(errno) : "short");
            return 1;
        }
        if (!rand_mode)
            off += bs;
        bytes += bs;
        ops++;
    }
    if (write_mode && fdatasync(fd) < 0)
        return 1;
    t = now() - start;
    printf("E2E-BENCH %s bytes=%llu ops=%llu secs=%.2f MBps=%.1f IOPS=%.0f\n", argv[2],
           (unsigned long long)bytes, (unsigned long long)ops, t, bytes / t / 1e6,
           ops / t);
    return 0;
}
