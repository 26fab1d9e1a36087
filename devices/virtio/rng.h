/*
 * virtio-rng (virtio 1.x, 5.4), enabled by --rng: every writable buffer the
 * driver offers is filled from getrandom().
 *
 * Call order: virtio_rng_create(), then virtio_mmio_attach(); freed by
 * virtio_mmio_detach() (or virtio_dev_destroy() if never attached).
 */
#ifndef GMVM_VIRTIO_RNG_H
#define GMVM_VIRTIO_RNG_H

#include "devices/virtio/virtio.h"

/* Returns 0 with *@out set, or -ENOMEM. */
int virtio_rng_create(struct virtio_dev **out);

#endif
