/*
 * virtio-blk over a raw image file (virtio 1.x, 5.2).
 *
 * Call order: virtio_blk_parse_spec() for each --disk argument, then
 * virtio_blk_create() (opens the file), then virtio_mmio_attach(). At exit,
 * virtio_mmio_detach() flushes (fdatasync) and closes the image; a caller
 * that cannot detach (a fatal path) calls virtio_dev_flush() instead.
 */
#ifndef GMVM_VIRTIO_BLK_H
#define GMVM_VIRTIO_BLK_H

#include "devices/virtio/virtio.h"

#include <stdbool.h>
#include <stddef.h>

#define VIRTIO_BLK_ID_BYTES 20 /* GET_ID returns at most 20 bytes (5.2.6) */
#define VIRTIO_BLK_SECTOR   512ULL

/* Request types and status values (5.2.6). */
#define VIRTIO_BLK_T_IN           0
#define VIRTIO_BLK_T_OUT          1
#define VIRTIO_BLK_T_FLUSH        4
#define VIRTIO_BLK_T_GET_ID       8
#define VIRTIO_BLK_T_DISCARD      11
#define VIRTIO_BLK_T_WRITE_ZEROES 13
#define VIRTIO_BLK_S_OK           0
#define VIRTIO_BLK_S_IOERR        1
#define VIRTIO_BLK_S_UNSUPP       2

/* Feature bits (5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX     1
#define VIRTIO_BLK_F_SEG_MAX      2
#define VIRTIO_BLK_F_RO           5
#define VIRTIO_BLK_F_BLK_SIZE     6
#define VIRTIO_BLK_F_FLUSH        9
#define VIRTIO_BLK_F_DISCARD      13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

/* One parsed --disk PATH[,readonly][,id=NAME]. */
struct virtio_blk_spec {
    char path[4096];
    bool readonly;
    char id[VIRTIO_BLK_ID_BYTES + 1]; /* "" = none given */
};

/*
 * Parse the argument of one --disk flag into @out. On error returns
 * -EINVAL and writes into @err one line naming the flag, the bad part and
 * the accepted form.
 */
int virtio_blk_parse_spec(const char *arg, struct virtio_blk_spec *out, char *err,
                          size_t errlen);

/*
 * Open the image of @spec (O_RDONLY if readonly, else O_RDWR) and create the
 * device. On error returns negative errno with one line in @err naming the
 * file. The device is freed by virtio_dev_destroy (or virtio_mmio_detach).
 */
int virtio_blk_create(const struct virtio_blk_spec *spec, struct virtio_dev **out,
                      char *err, size_t errlen);

#endif
