/*
 * Generic virtio device model: the constants of the virtio 1.x spec that
 * gmvm uses, the device struct every virtio device embeds, and the const ops
 * table a device supplies (design.md rule 3). The transport (mmio.c) owns
 * the registers, the status state machine, interrupts and notifications; a
 * device only supplies features, config space and a queue handler.
 *
 * Threading contract: every op is called with the transport's lock held,
 * either from a vCPU thread (register access) or from the I/O thread (queue
 * notification), never from two threads at once. Ops must not block on the
 * guest; they may do host file I/O.
 */
#ifndef GMVM_VIRTIO_H
#define GMVM_VIRTIO_H

#include "devices/virtio/queue.h"

#include <stdbool.h>
#include <stdint.h>

/* Device status bits (spec 2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 0x01
#define VIRTIO_STATUS_DRIVER      0x02
#define VIRTIO_STATUS_DRIVER_OK   0x04
#define VIRTIO_STATUS_FEATURES_OK 0x08
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED      0x80

/* Transport-independent feature bits (spec 6). */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX     29
#define VIRTIO_F_VERSION_1     32

/* Device IDs (spec 5). */
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_RNG   4

#define VIRTIO_MAX_QUEUES 4

struct virtio_dev;
struct virtio_mmio;

struct virtio_dev_ops {
    const char *name; /* "virtio-blk": for logs */
    uint32_t device_id;
    /*
     * Process the available buffers of queue @q. Called on the I/O thread
     * only while the device is DRIVER_OK and not NEEDS_RESET. A device that
     * meets a broken queue (vq_pop() < 0) just returns: the transport sees
     * vq->broken and puts the device into NEEDS_RESET.
     */
    void (*notify)(struct virtio_dev *dev, unsigned q);
    /* Driver wrote 0 to status: drop per-session state. May be NULL. */
    void (*reset)(struct virtio_dev *dev);
    /* Make everything the guest wrote durable (fdatasync). May be NULL. */
    int (*flush)(struct virtio_dev *dev);
    /* Free the device (after flush). Called once, by virtio_dev_destroy(). */
    void (*destroy)(struct virtio_dev *dev);
};

/*
 * The part of every virtio device the transport sees. A device embeds it
 * as its first member and fills ops, host_features, config, config_len,
 * nr_queues and queue_max before attaching.
 */
struct virtio_dev {
    const struct virtio_dev_ops *ops;
    uint64_t host_features;  /* offered; VIRTIO_F_VERSION_1 always included */
    uint64_t acked_features; /* what the driver wrote, valid after FEATURES_OK */
    const void *config;      /* device config space, little-endian, read-only */
    uint32_t config_len;
    unsigned nr_queues;
    uint16_t queue_max; /* QueueNumMax for every queue, power of two */
    struct virtq vqs[VIRTIO_MAX_QUEUES];
    struct virtio_mmio *transport; /* set by the transport at attach */
};

static inline bool virtio_has_feature(const struct virtio_dev *dev, unsigned bit)
{
    return (dev->acked_features >> bit) & 1;
}

/*
 * Tell the driver that used buffers were added to @vq, if its notification
 * suppression (flags or EVENT_IDX) asks for it. Devices call this once after
 * a batch of vq_push() calls.
 */
void virtio_dev_used(struct virtio_dev *dev, struct virtq *vq);

/*
 * Flush and free @dev (not attached, or already detached). Returns the
 * flush's result (0 or negative errno): the device is freed either way.
 * NULL is a no-op returning 0.
 */
int virtio_dev_destroy(struct virtio_dev *dev);

/* Flush @dev's backing store (fdatasync). Returns 0 or negative errno. */
int virtio_dev_flush(struct virtio_dev *dev);

#endif
