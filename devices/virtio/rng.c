/*
 * virtio-rng: fill each writable buffer from getrandom(). See rng.h.
 *
 * The data goes straight into the guest buffer (an iovec into the
 * guest_memfd mapping). getrandom() without GRND_NONBLOCK only blocks
 * before the host's pool is initialised, which is long over by the time a
 * guest runs. A chain is filled up to RNG_CHAIN_MAX bytes so one huge
 * request cannot hold the I/O thread for long; the used length tells the
 * driver how much it got.
 */
#include "devices/virtio/rng.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#define RNG_QUEUE_SIZE 64
#define RNG_CHAIN_MAX  (64U * 1024)

struct virtio_rng {
    struct virtio_dev vdev; /* first: the transport casts back */
    struct vq_chain chain;
};

/* Fill up to @max bytes of the writable part of @c; returns bytes filled. */
static uint32_t rng_fill(struct vq_chain *c, uint32_t max)
{
    struct iovec *iov = vq_chain_wr(c);
    uint32_t done = 0;

    for (unsigned i = 0; i < c->nr_wr && done < max; i++) {
        size_t want = iov[i].iov_len < max - done ? iov[i].iov_len : max - done;
        size_t got = 0;

        while (got < want) {
            ssize_t r = getrandom((char *)iov[i].iov_base + got, want - got, 0);

            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                return done + (uint32_t)got;
            got += (size_t)r;
        }
        done += (uint32_t)got;
    }
    return done;
}

static void rng_notify(struct virtio_dev *dev, unsigned q)
{
    struct virtio_rng *r = (struct virtio_rng *)dev;
    struct virtq *vq = &dev->vqs[q];
    int ret;

    do {
        unsigned done = 0;

        /* Readable descriptors carry nothing for us; they are ignored. */
        while ((ret = vq_pop(vq, &r->chain)) > 0) {
            vq_push(vq, r->chain.head, rng_fill(&r->chain, RNG_CHAIN_MAX));
            done++;
        }
        if (done)
            virtio_dev_used(dev, vq);
    } while (ret == 0 && vq_rearm(vq));
}

static void rng_destroy(struct virtio_dev *dev)
{
    free(dev);
}

static const struct virtio_dev_ops virtio_rng_ops = {
    .name = "virtio-rng",
    .device_id = VIRTIO_ID_RNG,
    .notify = rng_notify,
    .destroy = rng_destroy,
};

int virtio_rng_create(struct virtio_dev **out)
{
    struct virtio_rng *r = calloc(1, sizeof(*r));

    if (!r)
        return -ENOMEM;
    r->vdev.ops = &virtio_rng_ops;
    r->vdev.host_features = 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_F_EVENT_IDX |
                            1ULL << VIRTIO_F_INDIRECT_DESC;
    r->vdev.nr_queues = 1;
    r->vdev.queue_max = RNG_QUEUE_SIZE;
    *out = &r->vdev;
    return 0;
}
