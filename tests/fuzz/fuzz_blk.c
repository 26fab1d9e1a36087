/*
 * libFuzzer harness for virtio-blk request parsing and the virtio-mmio
 * register state machine (devices/virtio/blk.c, mmio.c, queue.c).
 *
 * Two devices are made once over 64 KiB memfd images: read-write and
 * readonly. Each input resets one of them, brings it up like a driver
 * (queue 0: 16 entries, desc at RAM+0, avail at +0x1000, used at +0x2000),
 * runs the queue over the fuzzed guest RAM, applies a few fuzzed register
 * writes and runs it again.
 *
 * Input:
 *   [0]   bit 0 readonly device, bit 1 EVENT_IDX, bit 2 INDIRECT_DESC,
 *         bit 3 also negotiate DISCARD + WRITE_ZEROES
 *   [1]   number of register writes n (mod 9)
 *   [2..] n x {u8 register index (offset = 4 * index), u32 value}
 *   rest  guest RAM image (zero-padded to 64 KiB)
 */
#include "devices/virtio/blk.h"
#include "devices/virtio/mmio.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define RAM_GPA  0x10000ULL
#define RAM_SIZE 0x10000ULL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct virtio_dev *devs[2];

static struct virtio_dev *make_disk(bool readonly)
{
    struct virtio_blk_spec spec = {.readonly = readonly};
    struct virtio_dev *dev;
    char err[256];
    int fd = memfd_create("fuzz-disk", 0);

    if (fd < 0 || ftruncate(fd, 64 * 1024) < 0)
        abort();
    snprintf(spec.path, sizeof(spec.path), "/proc/self/fd/%d", fd);
    strcpy(spec.id, "fuzzdisk");
    if (virtio_blk_create(&spec, &dev, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        abort();
    }
    return dev; /* fd stays open: the device reopened it via /proc */
}

static void wr(struct virtio_mmio *m, uint64_t off, uint32_t v)
{
    virtio_mmio_write(m, off, (const uint8_t *)&v, 4);
}

static uint32_t rd(struct virtio_mmio *m, uint64_t off)
{
    uint32_t v;

    virtio_mmio_read(m, off, (uint8_t *)&v, 4);
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct virtio_mmio m;
    struct guest_mem gm;
    struct virtio_dev *dev;
    uint64_t features = 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_BLK_F_FLUSH;
    size_t pos = 2;
    struct log_ratelimit log_rl;
    unsigned nops;
    uint8_t *ram;

    if (size < 2)
        return 0;
    if (!devs[0]) {
        devs[0] = make_disk(false);
        devs[1] = make_disk(true);
    }
    dev = devs[data[0] & 1];
    features |=
        (data[0] & 2 ? 1ULL << VIRTIO_F_EVENT_IDX : 0) |
        (data[0] & 4 ? 1ULL << VIRTIO_F_INDIRECT_DESC : 0) |
        (data[0] & 8 ? 1ULL << VIRTIO_BLK_F_DISCARD | 1ULL << VIRTIO_BLK_F_WRITE_ZEROES
                     : 0);
    nops = data[1] % 9;
    if (size < pos + 5 * nops)
        return 0;

    ram = calloc(1, RAM_SIZE);
    if (size > pos + 5 * nops) {
        size_t n = size - pos - 5 * nops;

        memcpy(ram, data + pos + 5 * nops, n < RAM_SIZE ? n : RAM_SIZE);
    }
    gm_init_fake(&gm, ram, RAM_GPA, RAM_SIZE);
    /* Keep the log rate limit across inputs, as a long-lived device would. */
    log_rl = m.log_rl;
    if (virtio_mmio_init(&m, dev, &gm, 0xd0000000ULL, 5) < 0)
        abort();
    m.log_rl = log_rl;

    wr(&m, VIRTIO_MMIO_STATUS, 0);
    wr(&m, VIRTIO_MMIO_STATUS, 3);
    wr(&m, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    wr(&m, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
    wr(&m, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    wr(&m, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
    wr(&m, VIRTIO_MMIO_STATUS, 0xb);
    wr(&m, VIRTIO_MMIO_QUEUE_SEL, 0);
    wr(&m, VIRTIO_MMIO_QUEUE_NUM, 16);
    wr(&m, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)RAM_GPA);
    wr(&m, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)RAM_GPA + 0x1000);
    wr(&m, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)RAM_GPA + 0x2000);
    wr(&m, VIRTIO_MMIO_QUEUE_READY, 1);
    wr(&m, VIRTIO_MMIO_STATUS, 0xf);
    virtio_mmio_poll(&m);

    for (unsigned i = 0; i < nops; i++, pos += 5) {
        uint32_t v;

        memcpy(&v, data + pos + 1, 4);
        wr(&m, 4ULL * data[pos], v);
        (void)rd(&m, 4ULL * data[pos]);
    }
    virtio_mmio_poll(&m);
    assert(!(rd(&m, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET) ||
           (rd(&m, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG) || nops > 0);

    virtio_mmio_fini(&m);
    free(ram);
    return 0;
}
