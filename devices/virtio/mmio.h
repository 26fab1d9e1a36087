/*
 * virtio-mmio transport, version 2 (virtio 1.x, 4.2): the register window,
 * the status state machine, feature negotiation, interrupts and queue
 * notifications for one struct virtio_dev.
 *
 * Notifications: each queue has a kick eventfd. With a VM it is bound to
 * QueueNotify by KVM_IOEVENTFD (datamatch = queue index), so a kick never
 * leaves the kernel; the eventfd is served on the event loop (I/O) thread.
 * A QueueNotify write that still reaches us (no VM) writes that eventfd.
 * Interrupts: one eventfd per device, bound to the GSI by KVM_IRQFD when the
 * VM has an in-kernel irqchip. Edge semantics (one pulse per signal): the
 * firmware tables should describe the line as edge-triggered, active high.
 * Without a VM the eventfds exist all the same, so unit tests can observe
 * kicks and interrupts and drive the device with virtio_mmio_poll().
 *
 * A guest that breaks a queue rule gets the device put into NEEDS_RESET
 * (status bit 0x40 plus a config-change interrupt) and one rate-limited log
 * line; gmvm and the other devices carry on.
 */
#ifndef GMVM_VIRTIO_MMIO_H
#define GMVM_VIRTIO_MMIO_H

#include "devices/virtio/virtio.h"
#include "vmm/log.h"
#include "vmm/guest_mem.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct vm;

/* Register offsets (4.2.2). */
#define VIRTIO_MMIO_MAGIC_VALUE         0x000
#define VIRTIO_MMIO_VERSION             0x004
#define VIRTIO_MMIO_DEVICE_ID           0x008
#define VIRTIO_MMIO_VENDOR_ID           0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES     0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES     0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL           0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX       0x034
#define VIRTIO_MMIO_QUEUE_NUM           0x038
#define VIRTIO_MMIO_QUEUE_READY         0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY        0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS    0x060
#define VIRTIO_MMIO_INTERRUPT_ACK       0x064
#define VIRTIO_MMIO_STATUS              0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW      0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH     0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW    0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH   0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW    0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH   0x0a4
#define VIRTIO_MMIO_SHM_SEL             0x0ac
#define VIRTIO_MMIO_SHM_LEN_LOW         0x0b0
#define VIRTIO_MMIO_SHM_LEN_HIGH        0x0b4
#define VIRTIO_MMIO_SHM_BASE_LOW        0x0b8
#define VIRTIO_MMIO_SHM_BASE_HIGH       0x0bc
#define VIRTIO_MMIO_QUEUE_RESET         0x0c0
#define VIRTIO_MMIO_CONFIG_GENERATION   0x0fc
#define VIRTIO_MMIO_CONFIG              0x100

#define VIRTIO_MMIO_MAGIC  0x74726976 /* "virt" */
#define VIRTIO_MMIO_VENDOR 0x4d564d47 /* "GMVM" */
#define VIRTIO_MMIO_SIZE   0x1000     /* bytes of MMIO window per device */

#define VIRTIO_MMIO_INT_VRING  0x1
#define VIRTIO_MMIO_INT_CONFIG 0x2

struct virtio_mmio;

struct virtio_mmio_queue {
    struct virtio_mmio *m;
    unsigned index;
    int kick_fd;    /* eventfd: QueueNotify for this queue */
    bool ioeventfd; /* bound with KVM_IOEVENTFD */
    bool el_added;
};

struct virtio_mmio {
    struct virtio_dev *dev;
    const struct guest_mem *gm;
    struct vm *vm; /* NULL for the KVM-less test variant */
    uint64_t base;
    unsigned gsi;
    char name[48]; /* "virtio-blk@0xd0000000" */

    pthread_mutex_t lock; /* registers + queues: vCPU threads vs I/O thread */
    uint32_t status;
    uint32_t dev_features_sel, drv_features_sel, queue_sel;
    uint64_t drv_features;
    uint32_t config_generation;
    uint32_t int_status; /* atomic: read and acked without the lock */
    int irq_fd;          /* eventfd: one write = one interrupt pulse */
    bool irqfd;          /* bound with KVM_IRQFD */
    struct virtio_mmio_queue queues[VIRTIO_MAX_QUEUES];

    /* The NEEDS_RESET log line: at most one per second per device. */
    struct log_ratelimit log_rl;
};

/*
 * Attach @dev to @vm at MMIO window [@base, @base + VIRTIO_MMIO_SIZE) with
 * interrupt line @gsi: register the window on vm->mmio, bind the kick
 * eventfds with KVM_IOEVENTFD and add them to vm->el, bind the interrupt
 * eventfd with KVM_IRQFD if vm->has_irqchip. Call during machine setup,
 * before vCPUs run. On success *@out owns nothing of @dev's memory but
 * points at it; on failure everything done is undone and @dev is untouched.
 * Returns 0 or negative errno.
 */
int virtio_mmio_attach(struct vm *vm, struct virtio_dev *dev, uint64_t base, unsigned gsi,
                       struct virtio_mmio **out);

/*
 * Undo virtio_mmio_attach (KVM bindings, event loop handlers, eventfds)
 * and destroy the device (which flushes it). Call after the vCPUs and the
 * I/O thread stopped. Returns the flush's result (0 or negative errno), so a
 * caller learns whether the guest's writes are durable. NULL is a no-op
 * returning 0.
 */
int virtio_mmio_detach(struct virtio_mmio *m);

/*
 * KVM-less variant for tests and fuzzers: set up @m for @dev over @gm with
 * eventfds but no KVM, bus or event loop. Returns 0 or negative errno.
 * virtio_mmio_fini() releases it (and does not destroy @dev).
 */
int virtio_mmio_init(struct virtio_mmio *m, struct virtio_dev *dev,
                     const struct guest_mem *gm, uint64_t base, unsigned gsi);
void virtio_mmio_fini(struct virtio_mmio *m);

/* The register window, as the bus calls it (vCPU threads). */
void virtio_mmio_read(void *opaque, uint64_t offset, uint8_t *data, uint32_t len);
void virtio_mmio_write(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len);

/*
 * Event loop handler for a queue's kick eventfd (@opaque is the
 * struct virtio_mmio_queue): drain the eventfd and serve the queue.
 */
void virtio_mmio_kick(void *opaque, int fd, uint32_t events);

/* Serve every queue whose kick eventfd is set (what the I/O thread does). */
void virtio_mmio_poll(struct virtio_mmio *m);

/* Status register value (for tests and logs). */
uint32_t virtio_mmio_status(struct virtio_mmio *m);

#endif
