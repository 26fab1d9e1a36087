/*
 * Hardened split virtqueue (virtio 1.x, 2.7) over struct guest_mem.
 *
 * The rings live in guest RAM, which a hostile guest may rewrite at any
 * moment from another vCPU. So:
 *   - rings are validated once, when the driver sets QueueReady
 *     (vq_activate): size a power of two <= max, desc 16-, avail 2-, used
 *     4-byte aligned, each ring wholly inside one RAM region (gm_ptr);
 *   - every index, descriptor and table read from the guest is read once
 *     into a local copy and only the copy is validated and used;
 *   - a violation marks the queue broken (vq->broken, vq->error says why);
 *     the transport then puts the device into NEEDS_RESET. Nothing is ever
 *     consumed from a broken queue until the driver resets the device.
 *
 * Chains come back as iovecs pointing straight into gmvm's mapping of the
 * guest_memfd, so devices do I/O on guest memory with no bounce copy.
 *
 * Not thread-safe: one thread at a time (the transport lock guarantees it).
 */
#ifndef GMVM_VIRTIO_QUEUE_H
#define GMVM_VIRTIO_QUEUE_H

#include "vmm/guest_mem.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define VQ_MAX_SIZE 256 /* largest QueueNumMax any gmvm device offers */

/* Descriptor flags (2.7.5). */
#define VIRTQ_DESC_F_NEXT     1
#define VIRTQ_DESC_F_WRITE    2
#define VIRTQ_DESC_F_INDIRECT 4
/* avail->flags: driver does not want interrupts (no EVENT_IDX). */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1

struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

/* Ring headers; the rings' variable parts are indexed through helpers. */
struct virtq_avail {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[]; /* [size], then uint16_t used_event */
};

struct virtq_used_elem {
    uint32_t id;
    uint32_t len;
};

struct virtq_used {
    uint16_t flags;
    uint16_t idx;
    struct virtq_used_elem ring[]; /* [size], then uint16_t avail_event */
};

struct virtq {
    /* Programmed by the driver through the transport while not ready. */
    uint16_t max_size;
    uint16_t size;
    uint64_t desc_gpa, avail_gpa, used_gpa;
    bool ready;

    /* Valid while ready: host pointers resolved and checked at activation. */
    const struct guest_mem *gm;
    struct virtq_desc *desc;
    struct virtq_avail *avail;
    struct virtq_used *used;
    bool event_idx, indirect;
    uint16_t last_avail;     /* next avail ring slot the device reads */
    uint16_t used_idx;       /* next used ring slot the device writes */
    uint16_t signalled_used; /* used_idx at the last interrupt */
    bool signalled_valid;

    bool broken;
    char error[160]; /* why it broke, for the one log line */
};

/* A popped descriptor chain: readable iovecs first, then writable ones. */
struct vq_chain {
    uint16_t head;
    unsigned nr_rd, nr_wr;
    uint32_t rd_len, wr_len; /* byte totals of each part */
    struct iovec iov[VQ_MAX_SIZE];
};

static inline struct iovec *vq_chain_wr(struct vq_chain *c)
{
    return &c->iov[c->nr_rd];
}

/* Zero @vq and set its QueueNumMax (a power of two <= VQ_MAX_SIZE). */
void vq_init(struct virtq *vq, uint16_t max_size);

/* Back to the reset state (not ready, addresses 0, size = max). */
void vq_reset(struct virtq *vq);

/*
 * The driver set QueueReady: check size/alignment/placement of the rings
 * programmed in @vq against @gm and resolve them. @event_idx and @indirect
 * are the negotiated features. Returns 0, or -EINVAL with vq->broken set and
 * vq->error filled.
 */
int vq_activate(struct virtq *vq, const struct guest_mem *gm, bool event_idx,
                bool indirect);

/*
 * Take the next available chain into @c. Returns 1 with @c filled, 0 if the
 * ring is empty, or -EIO if the guest broke a rule (vq->broken is set).
 */
int vq_pop(struct virtq *vq, struct vq_chain *c);

/* Return chain @head to the driver with @len bytes written. */
void vq_push(struct virtq *vq, uint16_t head, uint32_t len);

/*
 * After draining: publish avail_event (EVENT_IDX) so the driver kicks for
 * the next buffer, then re-check the ring. Returns true if buffers arrived
 * meanwhile and the caller must pop again (closes the lost-kick race).
 */
bool vq_rearm(struct virtq *vq);

/* True if the driver wants an interrupt for the buffers pushed so far. */
bool vq_should_signal(struct virtq *vq);

/* Mark @vq broken with a printf-style reason (first reason wins). */
void vq_fail(struct virtq *vq, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * iovec helpers for devices. Offsets are relative to the start of @iov.
 * vq_iov_copy_from/to return the number of bytes copied (short at the end).
 * vq_iov_slice builds in @out (at most @max entries) the iovecs covering
 * [off, off+len) of @iov and returns their count, or -1 if that range is not
 * wholly inside @iov or needs more than @max entries.
 */
size_t vq_iov_copy_from(const struct iovec *iov, unsigned n, size_t off, void *dst,
                        size_t len);
size_t vq_iov_copy_to(const struct iovec *iov, unsigned n, size_t off, const void *src,
                      size_t len);
int vq_iov_slice(const struct iovec *iov, unsigned n, size_t off, size_t len,
                 struct iovec *out, unsigned max);

#endif
