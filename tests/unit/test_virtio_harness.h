/*
 * Shared scaffolding for the virtio unit tests: a fake guest RAM with
 * PROT_NONE guard pages on both sides (a stray host access outside the
 * region kills the test), and a tiny "driver" that programs a device
 * through the virtio-mmio registers and lays out one split queue.
 *
 * Guest layout (GPA = TV_GPA + offset):
 *   0x0000 descriptor table   0x1000 available ring   0x2000 used ring
 *   0x3000 indirect tables    0x4000.. data buffers (TV_DATA)
 */
#ifndef TEST_VIRTIO_HARNESS_H
#define TEST_VIRTIO_HARNESS_H

#include "devices/virtio/mmio.h"

#include "tests/unit/check_main.h"

#include <check.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#define TV_GPA      0x100000ULL
#define TV_MEM      (1024 * 1024ULL)
#define TV_PAGE     4096ULL
#define TV_DESC     (TV_GPA + 0x0000)
#define TV_AVAIL    (TV_GPA + 0x1000)
#define TV_USED     (TV_GPA + 0x2000)
#define TV_INDIRECT (TV_GPA + 0x3000)
#define TV_DATA     (TV_GPA + 0x4000)
#define TV_END      (TV_GPA + TV_MEM)

struct tv {
    uint8_t *map; /* guard + RAM + guard */
    uint8_t *ram;
    struct guest_mem gm;
    struct virtio_mmio m;
    uint16_t size;
    uint16_t avail_idx;
};

static inline void *tv_host(struct tv *t, uint64_t gpa)
{
    ck_assert(gpa >= TV_GPA && gpa < TV_END);
    return t->ram + (gpa - TV_GPA);
}

static inline void tv_mem_init(struct tv *t)
{
    memset(t, 0, sizeof(*t));
    t->map =
        mmap(NULL, TV_MEM + 2 * TV_PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert(t->map != MAP_FAILED);
    t->ram = t->map + TV_PAGE;
    ck_assert_int_eq(mprotect(t->ram, TV_MEM, PROT_READ | PROT_WRITE), 0);
    gm_init_fake(&t->gm, t->ram, TV_GPA, TV_MEM);
}

static inline uint32_t tv_rd(struct tv *t, uint64_t off)
{
    uint32_t v;

    virtio_mmio_read(&t->m, off, (uint8_t *)&v, 4);
    return v;
}

static inline void tv_wr(struct tv *t, uint64_t off, uint32_t v)
{
    virtio_mmio_write(&t->m, off, (const uint8_t *)&v, 4);
}

static inline uint32_t tv_status(struct tv *t)
{
    return tv_rd(t, VIRTIO_MMIO_STATUS);
}

/* Negotiate @features (VERSION_1 is added) up to FEATURES_OK. */
static inline void tv_negotiate(struct tv *t, uint64_t features)
{
    features |= 1ULL << VIRTIO_F_VERSION_1;
    tv_wr(t, VIRTIO_MMIO_STATUS, 0);
    tv_wr(t, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
    tv_wr(t, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    tv_wr(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    tv_wr(t, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
    tv_wr(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    tv_wr(t, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
    tv_wr(t, VIRTIO_MMIO_STATUS,
          VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
}

/* Program queue 0 with @size entries at the given rings and set QueueReady. */
static inline void tv_queue_at(struct tv *t, uint16_t size, uint64_t desc, uint64_t avail,
                               uint64_t used)
{
    t->size = size;
    t->avail_idx = 0;
    tv_wr(t, VIRTIO_MMIO_QUEUE_SEL, 0);
    tv_wr(t, VIRTIO_MMIO_QUEUE_NUM, size);
    tv_wr(t, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
    tv_wr(t, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
    tv_wr(t, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)avail);
    tv_wr(t, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(avail >> 32));
    tv_wr(t, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)used);
    tv_wr(t, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(used >> 32));
    tv_wr(t, VIRTIO_MMIO_QUEUE_READY, 1);
}

/* Full bring-up of @dev: features, queue 0 at the standard layout, DRIVER_OK. */
static inline void tv_setup(struct tv *t, struct virtio_dev *dev, uint64_t features,
                            uint16_t size)
{
    ck_assert_int_eq(virtio_mmio_init(&t->m, dev, &t->gm, 0xd0000000ULL, 5), 0);
    tv_negotiate(t, features);
    ck_assert_uint_eq(tv_status(t) & VIRTIO_STATUS_FEATURES_OK,
                      VIRTIO_STATUS_FEATURES_OK);
    tv_queue_at(t, size, TV_DESC, TV_AVAIL, TV_USED);
    ck_assert_uint_eq(tv_rd(t, VIRTIO_MMIO_QUEUE_READY), 1);
    tv_wr(t, VIRTIO_MMIO_STATUS,
          VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
              VIRTIO_STATUS_DRIVER_OK);
    ck_assert_uint_eq(tv_status(t) & VIRTIO_STATUS_DRIVER_OK, VIRTIO_STATUS_DRIVER_OK);
    virtio_mmio_poll(&t->m); /* consume the DRIVER_OK self-kick */
}

/* Write descriptor @i of the table at @table (a GPA). */
static inline void tv_desc_at(struct tv *t, uint64_t table, unsigned i, uint64_t addr,
                              uint32_t len, uint16_t flags, uint16_t next)
{
    struct virtq_desc d = {addr, len, flags, next};

    memcpy(tv_host(t, table + 16ULL * i), &d, sizeof(d));
}

static inline void tv_desc(struct tv *t, unsigned i, uint64_t addr, uint32_t len,
                           uint16_t flags, uint16_t next)
{
    tv_desc_at(t, TV_DESC, i, addr, len, flags, next);
}

/* Publish @head in the available ring (no kick). */
static inline void tv_avail(struct tv *t, uint16_t head)
{
    uint16_t *ring = tv_host(t, TV_AVAIL + 4);

    ring[t->avail_idx % t->size] = head;
    t->avail_idx++;
    __atomic_store_n((uint16_t *)tv_host(t, TV_AVAIL + 2), t->avail_idx,
                     __ATOMIC_RELEASE);
}

/* Kick queue 0 through the QueueNotify register and let the device run. */
static inline void tv_kick(struct tv *t)
{
    tv_wr(t, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    virtio_mmio_poll(&t->m);
}

static inline uint16_t tv_used_idx(struct tv *t)
{
    return __atomic_load_n((uint16_t *)tv_host(t, TV_USED + 2), __ATOMIC_ACQUIRE);
}

static inline struct virtq_used_elem tv_used(struct tv *t, unsigned i)
{
    struct virtq_used_elem e;

    memcpy(&e, tv_host(t, TV_USED + 4 + 8ULL * (i % t->size)), sizeof(e));
    return e;
}

/* Number of interrupt pulses since the last call (reads the irq eventfd). */
static inline uint64_t tv_irqs(struct tv *t)
{
    eventfd_t v = 0;

    return eventfd_read(t->m.irq_fd, &v) == 0 ? v : 0;
}

/* The device is in NEEDS_RESET and told the driver with a config interrupt. */
static inline void tv_assert_needs_reset(struct tv *t)
{
    ck_assert_uint_eq(tv_status(t) & VIRTIO_STATUS_NEEDS_RESET,
                      VIRTIO_STATUS_NEEDS_RESET);
    ck_assert_uint_eq(tv_rd(t, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG,
                      VIRTIO_MMIO_INT_CONFIG);
    ck_assert_uint_ge(tv_irqs(t), 1);
}

static inline void tv_fini(struct tv *t)
{
    virtio_mmio_fini(&t->m);
    munmap(t->map, TV_MEM + 2 * TV_PAGE);
}

#endif
