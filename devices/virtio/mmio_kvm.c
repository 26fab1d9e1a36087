/*
 * Binding a virtio-mmio transport into a running machine: the MMIO bus
 * window, KVM_IOEVENTFD per queue (served on the I/O thread), KVM_IRQFD
 * for the interrupt. See virtio_mmio_attach() in mmio.h for the contract.
 */
#include "devices/virtio/mmio.h"
#include "vmm/kvm_compat.h"
#include "vmm/vm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>

static const struct bus_ops virtio_mmio_bus_ops = {
    .read = virtio_mmio_read,
    .write = virtio_mmio_write,
};

static int mmio_ioeventfd(struct virtio_mmio *m, unsigned q, bool assign)
{
    struct kvm_ioeventfd ioe = {
        .datamatch = q,
        .addr = m->base + VIRTIO_MMIO_QUEUE_NOTIFY,
        .len = 4,
        .fd = m->queues[q].kick_fd,
        .flags =
            KVM_IOEVENTFD_FLAG_DATAMATCH | (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
    };

    return ioctl(m->vm->vm_fd, KVM_IOEVENTFD, &ioe) < 0 ? -errno : 0;
}

static int mmio_irqfd(struct virtio_mmio *m, bool assign)
{
    struct kvm_irqfd irqfd = {
        .fd = (uint32_t)m->irq_fd,
        .gsi = m->gsi,
        .flags = assign ? 0 : KVM_IRQFD_FLAG_DEASSIGN,
    };

    return ioctl(m->vm->vm_fd, KVM_IRQFD, &irqfd) < 0 ? -errno : 0;
}

/* Undo whatever of the KVM and event loop wiring is in place. */
static void mmio_unwire(struct virtio_mmio *m)
{
    for (unsigned q = 0; q < m->dev->nr_queues; q++) {
        struct virtio_mmio_queue *mq = &m->queues[q];

        if (mq->el_added)
            el_del(&m->vm->el, mq->kick_fd);
        if (mq->ioeventfd)
            mmio_ioeventfd(m, q, false);
        mq->el_added = mq->ioeventfd = false;
    }
    if (m->irqfd)
        mmio_irqfd(m, false);
    m->irqfd = false;
}

int virtio_mmio_attach(struct vm *vm, struct virtio_dev *dev, uint64_t base, unsigned gsi,
                       struct virtio_mmio **out)
{
    struct virtio_mmio *m = calloc(1, sizeof(*m));
    int ret;

    if (!m)
        return -ENOMEM;
    ret = virtio_mmio_init(m, dev, &vm->gm, base, gsi);
    if (ret < 0) {
        free(m);
        return ret;
    }
    m->vm = vm;

    if (vm->has_irqchip) {
        ret = mmio_irqfd(m, true);
        if (ret < 0) {
            fprintf(stderr, "gmvm: %s: KVM_IRQFD on GSI %u: %s\n", m->name, gsi,
                    strerror(-ret));
            goto err;
        }
        m->irqfd = true;
    }
    for (unsigned q = 0; q < dev->nr_queues; q++) {
        struct virtio_mmio_queue *mq = &m->queues[q];

        ret = mmio_ioeventfd(m, q, true);
        if (ret < 0) {
            fprintf(stderr, "gmvm: %s: KVM_IOEVENTFD for queue %u: %s\n", m->name, q,
                    strerror(-ret));
            goto err;
        }
        mq->ioeventfd = true;
        ret = el_add(&vm->el, mq->kick_fd, EPOLLIN, virtio_mmio_kick, mq);
        if (ret < 0)
            goto err;
        mq->el_added = true;
    }
    ret =
        bus_register(&vm->mmio, base, VIRTIO_MMIO_SIZE, &virtio_mmio_bus_ops, m, m->name);
    if (ret < 0) {
        fprintf(stderr, "gmvm: %s: MMIO window [0x%llx, +0x%x): %s\n", m->name,
                (unsigned long long)base, VIRTIO_MMIO_SIZE, strerror(-ret));
        goto err;
    }
    *out = m;
    return 0;
err:
    mmio_unwire(m);
    virtio_mmio_fini(m);
    free(m);
    return ret;
}

int virtio_mmio_detach(struct virtio_mmio *m)
{
    struct virtio_dev *dev;

    if (!m)
        return 0;
    dev = m->dev;
    mmio_unwire(m);
    virtio_mmio_fini(m);
    free(m);
    return virtio_dev_destroy(dev);
}
