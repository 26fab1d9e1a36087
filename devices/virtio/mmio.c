/*
 * virtio-mmio transport, version 2. See mmio.h for the contract.
 *
 * Locking: m->lock serialises register writes (vCPU threads) against queue
 * processing (I/O thread), so a reset or QueueReady=0 never races a device
 * walking that queue. InterruptStatus/InterruptACK use atomics instead: the
 * guest's interrupt handler must not wait behind a long disk request.
 */
#include "devices/virtio/mmio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

static void mmio_raise(struct virtio_mmio *m, uint32_t bits)
{
    __atomic_fetch_or(&m->int_status, bits, __ATOMIC_SEQ_CST);
    /* Cannot fail short of a counter overflow; the pulse is idempotent. */
    if (eventfd_write(m->irq_fd, 1) < 0)
        return;
}

/* A queue rule was broken: NEEDS_RESET, config interrupt, one log line. */
static void mmio_needs_reset(struct virtio_mmio *m, unsigned q)
{
    if (m->status & VIRTIO_STATUS_NEEDS_RESET)
        return;
    m->status |= VIRTIO_STATUS_NEEDS_RESET;
    mmio_raise(m, VIRTIO_MMIO_INT_CONFIG);
    log_ratelimited(&m->log_rl, "%s: queue %u: %s; device needs reset", m->name, q,
                    m->dev->vqs[q].error);
}

void virtio_dev_used(struct virtio_dev *dev, struct virtq *vq)
{
    if (vq_should_signal(vq))
        mmio_raise(dev->transport, VIRTIO_MMIO_INT_VRING);
}

int virtio_dev_flush(struct virtio_dev *dev)
{
    return dev && dev->ops->flush ? dev->ops->flush(dev) : 0;
}

int virtio_dev_destroy(struct virtio_dev *dev)
{
    int ret;

    if (!dev)
        return 0;
    ret = virtio_dev_flush(dev);
    dev->ops->destroy(dev);
    return ret;
}

/* Run the device on queue @q if the status allows it. Lock held. */
static void mmio_serve_locked(struct virtio_mmio *m, unsigned q)
{
    struct virtio_dev *dev = m->dev;
    struct virtq *vq = &dev->vqs[q];

    if ((m->status & VIRTIO_STATUS_DRIVER_OK) &&
        !(m->status & VIRTIO_STATUS_NEEDS_RESET) && vq->ready && !vq->broken)
        dev->ops->notify(dev, q);
    if (vq->broken)
        mmio_needs_reset(m, q);
}

/* Event loop handler for a kick eventfd. */
void virtio_mmio_kick(void *opaque, int fd, uint32_t events)
{
    struct virtio_mmio_queue *mq = opaque;
    eventfd_t v;

    if (eventfd_read(fd, &v) < 0)
        return; /* EAGAIN: another reader got it */
    pthread_mutex_lock(&mq->m->lock);
    mmio_serve_locked(mq->m, mq->index);
    pthread_mutex_unlock(&mq->m->lock);
}

void virtio_mmio_poll(struct virtio_mmio *m)
{
    for (unsigned q = 0; q < m->dev->nr_queues; q++)
        virtio_mmio_kick(&m->queues[q], m->queues[q].kick_fd, EPOLLIN);
}

static void mmio_reset(struct virtio_mmio *m)
{
    struct virtio_dev *dev = m->dev;

    for (unsigned q = 0; q < dev->nr_queues; q++)
        vq_reset(&dev->vqs[q]);
    m->status = 0;
    m->dev_features_sel = m->drv_features_sel = m->queue_sel = 0;
    m->drv_features = 0;
    dev->acked_features = 0;
    __atomic_store_n(&m->int_status, 0, __ATOMIC_SEQ_CST);
    if (dev->ops->reset)
        dev->ops->reset(dev);
}

static bool mmio_features_ok(struct virtio_mmio *m)
{
    uint64_t f = m->drv_features;

    /* Only what we offered, and no legacy drivers. */
    return (f & ~m->dev->host_features) == 0 && (f >> VIRTIO_F_VERSION_1) & 1;
}

static void mmio_write_status(struct virtio_mmio *m, uint32_t v)
{
    uint32_t old = m->status;

    if (v == 0) {
        mmio_reset(m);
        return;
    }
    /* NEEDS_RESET belongs to the device; the driver cannot set or clear it. */
    v = (v & ~VIRTIO_STATUS_NEEDS_RESET) | (old & VIRTIO_STATUS_NEEDS_RESET);
    if (old & ~v)
        return; /* bits only go away through a reset (3.1.1) */
    if ((v & ~old & VIRTIO_STATUS_FEATURES_OK)) {
        if (mmio_features_ok(m))
            m->dev->acked_features = m->drv_features;
        else
            v &= ~VIRTIO_STATUS_FEATURES_OK; /* the driver reads it back */
    }
    if ((v & ~old & VIRTIO_STATUS_DRIVER_OK)) {
        if (!(v & VIRTIO_STATUS_FEATURES_OK)) {
            v &= ~VIRTIO_STATUS_DRIVER_OK;
        } else {
            /* Buffers may have been queued before DRIVER_OK: look at them. */
            for (unsigned q = 0; q < m->dev->nr_queues; q++)
                eventfd_write(m->queues[q].kick_fd, 1);
        }
    }
    m->status = v;
}

static void mmio_queue_ready(struct virtio_mmio *m, struct virtq *vq, unsigned q,
                             uint32_t v)
{
    struct virtio_dev *dev = m->dev;

    if (!v) {
        vq->ready = false;
        return;
    }
    if (vq->ready)
        return;
    if (!(m->status & VIRTIO_STATUS_FEATURES_OK)) {
        vq_fail(vq, "QueueReady before FEATURES_OK");
        mmio_needs_reset(m, q);
        return;
    }
    if (vq_activate(vq, m->gm, virtio_has_feature(dev, VIRTIO_F_EVENT_IDX),
                    virtio_has_feature(dev, VIRTIO_F_INDIRECT_DESC)) < 0)
        mmio_needs_reset(m, q);
}

/* Queue registers: only while the selected queue is not ready (4.2.2.2). */
static void mmio_write_queue(struct virtio_mmio *m, uint64_t off, uint32_t v)
{
    unsigned q = m->queue_sel;
    struct virtq *vq;

    if (q >= m->dev->nr_queues)
        return;
    vq = &m->dev->vqs[q];
    if (off == VIRTIO_MMIO_QUEUE_READY) {
        mmio_queue_ready(m, vq, q, v);
        return;
    }
    if (vq->ready)
        return;
    switch (off) {
    case VIRTIO_MMIO_QUEUE_NUM:
        vq->size = (uint16_t)(v > 0xffff ? 0 : v); /* validated at QueueReady */
        break;
    case VIRTIO_MMIO_QUEUE_DESC_LOW:
        vq->desc_gpa = (vq->desc_gpa & ~0xffffffffULL) | v;
        break;
    case VIRTIO_MMIO_QUEUE_DESC_HIGH:
        vq->desc_gpa = (vq->desc_gpa & 0xffffffffULL) | (uint64_t)v << 32;
        break;
    case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
        vq->avail_gpa = (vq->avail_gpa & ~0xffffffffULL) | v;
        break;
    case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
        vq->avail_gpa = (vq->avail_gpa & 0xffffffffULL) | (uint64_t)v << 32;
        break;
    case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
        vq->used_gpa = (vq->used_gpa & ~0xffffffffULL) | v;
        break;
    case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
        vq->used_gpa = (vq->used_gpa & 0xffffffffULL) | (uint64_t)v << 32;
        break;
    }
}

static uint32_t mmio_read_reg(struct virtio_mmio *m, uint64_t off)
{
    struct virtio_dev *dev = m->dev;
    struct virtq *vq = m->queue_sel < dev->nr_queues ? &dev->vqs[m->queue_sel] : NULL;

    switch (off) {
    case VIRTIO_MMIO_MAGIC_VALUE:
        return VIRTIO_MMIO_MAGIC;
    case VIRTIO_MMIO_VERSION:
        return 2;
    case VIRTIO_MMIO_DEVICE_ID:
        return dev->ops->device_id;
    case VIRTIO_MMIO_VENDOR_ID:
        return VIRTIO_MMIO_VENDOR;
    case VIRTIO_MMIO_DEVICE_FEATURES:
        return m->dev_features_sel > 1
                   ? 0
                   : (uint32_t)(dev->host_features >> (32 * m->dev_features_sel));
    case VIRTIO_MMIO_QUEUE_NUM_MAX:
        return vq ? vq->max_size : 0;
    case VIRTIO_MMIO_QUEUE_READY:
        return vq ? vq->ready : 0;
    case VIRTIO_MMIO_INTERRUPT_STATUS:
        return __atomic_load_n(&m->int_status, __ATOMIC_SEQ_CST);
    case VIRTIO_MMIO_STATUS:
        return m->status;
    case VIRTIO_MMIO_SHM_LEN_LOW:
    case VIRTIO_MMIO_SHM_LEN_HIGH:
        return 0xffffffff; /* no shared memory regions */
    case VIRTIO_MMIO_CONFIG_GENERATION:
        return m->config_generation;
    }
    return 0;
}

void virtio_mmio_read(void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
    struct virtio_mmio *m = opaque;
    uint32_t v;

    memset(data, 0, len);
    if (offset >= VIRTIO_MMIO_CONFIG) {
        uint64_t off = offset - VIRTIO_MMIO_CONFIG;

        /* Config fields are read-only and fixed after attach: no lock. */
        if (off < m->dev->config_len && len <= m->dev->config_len - off)
            memcpy(data, (const uint8_t *)m->dev->config + off, len);
        return;
    }
    if (len != 4 || (offset & 3))
        return; /* the register block is 32-bit only (4.2.2.2) */
    if (offset == VIRTIO_MMIO_INTERRUPT_STATUS) {
        v = mmio_read_reg(m, offset);
    } else {
        pthread_mutex_lock(&m->lock);
        v = mmio_read_reg(m, offset);
        pthread_mutex_unlock(&m->lock);
    }
    memcpy(data, &v, 4);
}

void virtio_mmio_write(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
    struct virtio_mmio *m = opaque;
    uint32_t v;

    if (offset >= VIRTIO_MMIO_CONFIG || len != 4 || (offset & 3))
        return; /* config space is read-only for gmvm's devices */
    memcpy(&v, data, 4);

    switch (offset) {
    case VIRTIO_MMIO_QUEUE_NOTIFY:
        /* Only reached without KVM_IOEVENTFD: hand off to the I/O thread. */
        if (v < m->dev->nr_queues)
            eventfd_write(m->queues[v].kick_fd, 1);
        return;
    case VIRTIO_MMIO_INTERRUPT_ACK:
        __atomic_fetch_and(&m->int_status, ~v, __ATOMIC_SEQ_CST);
        return;
    }

    pthread_mutex_lock(&m->lock);
    switch (offset) {
    case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
        m->dev_features_sel = v;
        break;
    case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
        m->drv_features_sel = v;
        break;
    case VIRTIO_MMIO_DRIVER_FEATURES:
        if (m->drv_features_sel <= 1 && !(m->status & VIRTIO_STATUS_FEATURES_OK)) {
            unsigned shift = 32 * m->drv_features_sel;

            m->drv_features &= ~(0xffffffffULL << shift);
            m->drv_features |= (uint64_t)v << shift;
        }
        break;
    case VIRTIO_MMIO_QUEUE_SEL:
        m->queue_sel = v;
        break;
    case VIRTIO_MMIO_STATUS:
        mmio_write_status(m, v);
        break;
    default:
        mmio_write_queue(m, offset, v);
        break;
    }
    pthread_mutex_unlock(&m->lock);
}

uint32_t virtio_mmio_status(struct virtio_mmio *m)
{
    uint32_t v;

    pthread_mutex_lock(&m->lock);
    v = m->status;
    pthread_mutex_unlock(&m->lock);
    return v;
}

int virtio_mmio_init(struct virtio_mmio *m, struct virtio_dev *dev,
                     const struct guest_mem *gm, uint64_t base, unsigned gsi)
{
    int ret;

    if (dev->nr_queues == 0 || dev->nr_queues > VIRTIO_MAX_QUEUES)
        return -EINVAL;
    memset(m, 0, sizeof(*m));
    m->dev = dev;
    m->gm = gm;
    m->base = base;
    m->gsi = gsi;
    m->irq_fd = -1;
    m->log_rl = (struct log_ratelimit){.burst = 1, .window_s = 1};
    for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
        m->queues[q].kick_fd = -1;
    snprintf(m->name, sizeof(m->name), "%s@0x%llx", dev->ops->name,
             (unsigned long long)base);
    dev->host_features |= 1ULL << VIRTIO_F_VERSION_1;
    dev->transport = m;
    for (unsigned q = 0; q < dev->nr_queues; q++)
        vq_init(&dev->vqs[q], dev->queue_max);

    m->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (m->irq_fd < 0)
        goto err_errno;
    for (unsigned q = 0; q < dev->nr_queues; q++) {
        m->queues[q] = (struct virtio_mmio_queue){.m = m, .index = q};
        m->queues[q].kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (m->queues[q].kick_fd < 0)
            goto err_errno;
    }
    ret = pthread_mutex_init(&m->lock, NULL);
    if (ret) {
        ret = -ret;
        goto err;
    }
    return 0;
err_errno:
    ret = -errno;
err:
    for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
        if (m->queues[q].kick_fd >= 0)
            close(m->queues[q].kick_fd);
    if (m->irq_fd >= 0)
        close(m->irq_fd);
    dev->transport = NULL;
    return ret;
}

void virtio_mmio_fini(struct virtio_mmio *m)
{
    for (unsigned q = 0; q < m->dev->nr_queues; q++)
        close(m->queues[q].kick_fd);
    close(m->irq_fd);
    pthread_mutex_destroy(&m->lock);
    m->dev->transport = NULL;
}
