/*
 * virtio-blk over a raw image file. See blk.h for the contract.
 *
 * Data moves with preadv/pwritev straight between the image and the guest
 * buffers: the iovecs point into gmvm's mapping of the guest_memfd, so there
 * is no bounce copy. The request header and discard segments are copied
 * once into locals before they are looked at (the guest may rewrite them
 * concurrently); every sector range is checked against the capacity with
 * overflow-safe arithmetic. A readonly disk is opened O_RDONLY, offers
 * VIRTIO_BLK_F_RO, and answers every modifying request with IOERR.
 */
#include "devices/virtio/blk.h"
#include "devices/virtio/mmio.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define BLK_QUEUE_SIZE  256
#define BLK_SEG_MAX     (BLK_QUEUE_SIZE - 2) /* header and status take two */
#define BLK_SIZE_MAX    (1U << 20)           /* largest single data segment */
#define BLK_DISCARD_SEG 32                   /* segments per discard request */
#define BLK_DISCARD_MAX (1U << 22)           /* sectors per segment: 2 GiB */

/* Config space layout (5.2.4), little-endian, up to write_zeroes_may_unmap. */
struct virtio_blk_config {
    uint64_t capacity;
    uint32_t size_max;
    uint32_t seg_max;
    uint16_t cylinders;
    uint8_t heads;
    uint8_t sectors;
    uint32_t blk_size;
    uint8_t physical_block_exp;
    uint8_t alignment_offset;
    uint16_t min_io_size;
    uint32_t opt_io_size;
    uint8_t writeback;
    uint8_t unused0;
    uint16_t num_queues;
    uint32_t max_discard_sectors;
    uint32_t max_discard_seg;
    uint32_t discard_sector_alignment;
    uint32_t max_write_zeroes_sectors;
    uint32_t max_write_zeroes_seg;
    uint8_t write_zeroes_may_unmap;
    uint8_t unused1[3];
} __attribute__((packed));

struct virtio_blk_req_hdr {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
};

struct virtio_blk_seg {
    uint64_t sector;
    uint32_t num_sectors;
    uint32_t flags; /* bit 0: unmap (write-zeroes only) */
};

struct virtio_blk {
    struct virtio_dev vdev; /* first: the transport casts back */
    struct virtio_blk_config cfg;
    int fd;
    bool readonly;
    uint64_t capacity; /* sectors */
    char id[VIRTIO_BLK_ID_BYTES];
    bool has_id;
    struct vq_chain chain;
    struct iovec io[VQ_MAX_SIZE]; /* data part of the current request */
};

/* [sector, sector + n) inside the disk? Overflow-safe. */
static bool blk_range_ok(const struct virtio_blk *b, uint64_t sector, uint64_t n)
{
    return sector <= b->capacity && n <= b->capacity - sector;
}

/* preadv/pwritev all of @len bytes, resuming after short transfers. */
static int blk_rw(int fd, bool write, struct iovec *iov, int n, uint64_t off, size_t len)
{
    while (len > 0) {
        ssize_t r =
            write ? pwritev(fd, iov, n, (off_t)off) : preadv(fd, iov, n, (off_t)off);

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r < 0 ? -errno : -EIO;
        len -= (size_t)r;
        off += (uint64_t)r;
        while (r > 0 && n > 0) {
            if ((size_t)r >= iov->iov_len) {
                r -= (ssize_t)iov->iov_len;
                iov++;
                n--;
            } else {
                iov->iov_base = (uint8_t *)iov->iov_base + r;
                iov->iov_len -= (size_t)r;
                r = 0;
            }
        }
    }
    return 0;
}

/* IN (@write false) or OUT: move the data part to or from the image. */
static uint8_t blk_data(struct virtio_blk *b, const struct virtio_blk_req_hdr *h,
                        bool write, uint32_t *written)
{
    struct vq_chain *c = &b->chain;
    /* IN data is the writable part minus the status byte; OUT data follows the header. */
    size_t len = write ? c->rd_len - sizeof(*h) : c->wr_len - 1;
    int n;

    if (write && b->readonly)
        return VIRTIO_BLK_S_IOERR;
    if (len % VIRTIO_BLK_SECTOR || !blk_range_ok(b, h->sector, len / VIRTIO_BLK_SECTOR))
        return VIRTIO_BLK_S_IOERR;
    if (write)
        n = vq_iov_slice(c->iov, c->nr_rd, sizeof(*h), len, b->io, VQ_MAX_SIZE);
    else
        n = vq_iov_slice(vq_chain_wr(c), c->nr_wr, 0, len, b->io, VQ_MAX_SIZE);
    if (n < 0)
        return VIRTIO_BLK_S_IOERR;
    if (blk_rw(b->fd, write, b->io, n, h->sector * VIRTIO_BLK_SECTOR, len) < 0)
        return VIRTIO_BLK_S_IOERR;
    if (!write)
        *written = (uint32_t)len;
    return VIRTIO_BLK_S_OK;
}

/* Write @len zero bytes at @off with plain writes (fallocate unsupported). */
static int blk_write_zeroes_slow(int fd, uint64_t off, uint64_t len)
{
    static const uint8_t zeroes[65536];

    while (len > 0) {
        size_t chunk = len < sizeof(zeroes) ? (size_t)len : sizeof(zeroes);
        struct iovec iov = {(void *)zeroes, chunk};
        int ret = blk_rw(fd, true, &iov, 1, off, chunk);

        if (ret < 0)
            return ret;
        off += chunk;
        len -= chunk;
    }
    return 0;
}

/* DISCARD or WRITE_ZEROES: a list of segments follows the header. */
static uint8_t blk_discard(struct virtio_blk *b, uint32_t type)
{
    struct vq_chain *c = &b->chain;
    size_t len = c->rd_len - sizeof(struct virtio_blk_req_hdr);
    unsigned bit =
        type == VIRTIO_BLK_T_DISCARD ? VIRTIO_BLK_F_DISCARD : VIRTIO_BLK_F_WRITE_ZEROES;

    if (b->readonly)
        return VIRTIO_BLK_S_IOERR;
    if (!virtio_has_feature(&b->vdev, bit))
        return VIRTIO_BLK_S_UNSUPP;
    if (len == 0 || len % sizeof(struct virtio_blk_seg) ||
        len / sizeof(struct virtio_blk_seg) > BLK_DISCARD_SEG)
        return VIRTIO_BLK_S_IOERR;

    for (size_t off = sizeof(struct virtio_blk_req_hdr); off < c->rd_len;
         off += sizeof(struct virtio_blk_seg)) {
        struct virtio_blk_seg s;
        uint64_t pos, bytes;
        bool unmap;
        int mode;

        vq_iov_copy_from(c->iov, c->nr_rd, off, &s, sizeof(s)); /* one read */
        s.sector = le64toh(s.sector);
        s.num_sectors = le32toh(s.num_sectors);
        s.flags = le32toh(s.flags);
        unmap = s.flags & 1;
        if ((s.flags & ~1U) || (unmap && type == VIRTIO_BLK_T_DISCARD))
            return VIRTIO_BLK_S_UNSUPP;
        if (s.num_sectors > BLK_DISCARD_MAX || !blk_range_ok(b, s.sector, s.num_sectors))
            return VIRTIO_BLK_S_IOERR;
        pos = s.sector * VIRTIO_BLK_SECTOR;
        bytes = (uint64_t)s.num_sectors * VIRTIO_BLK_SECTOR;
        if (bytes == 0)
            continue;
        /* A punched hole reads back as zeroes, so it serves both requests. */
        mode = type == VIRTIO_BLK_T_DISCARD || unmap
                   ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE
                   : FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
        if (fallocate(b->fd, mode, (off_t)pos, (off_t)bytes) == 0)
            continue;
        if (errno != EOPNOTSUPP && errno != ENOSYS)
            return VIRTIO_BLK_S_IOERR;
        if (type == VIRTIO_BLK_T_DISCARD)
            continue; /* discard is only a hint */
        if (blk_write_zeroes_slow(b->fd, pos, bytes) < 0)
            return VIRTIO_BLK_S_IOERR;
    }
    return VIRTIO_BLK_S_OK;
}

/* Serve the request in b->chain; returns the used length (status included). */
static uint32_t blk_request(struct virtio_blk *b)
{
    struct vq_chain *c = &b->chain;
    struct virtio_blk_req_hdr h;
    uint32_t written = 0;
    uint8_t status;

    if (c->wr_len == 0) {
        /* No room for a status byte: the driver broke the request format. */
        vq_fail(&b->vdev.vqs[0], "chain %u: request without a writable status byte",
                c->head);
        return 0;
    }
    if (c->rd_len < sizeof(h)) {
        status = VIRTIO_BLK_S_IOERR;
        goto out;
    }
    vq_iov_copy_from(c->iov, c->nr_rd, 0, &h, sizeof(h)); /* the one read */
    h.type = le32toh(h.type);
    h.sector = le64toh(h.sector);

    switch (h.type) {
    case VIRTIO_BLK_T_IN:
    case VIRTIO_BLK_T_OUT:
        status = blk_data(b, &h, h.type == VIRTIO_BLK_T_OUT, &written);
        break;
    case VIRTIO_BLK_T_FLUSH:
        status =
            b->readonly || fdatasync(b->fd) == 0 ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
        break;
    case VIRTIO_BLK_T_GET_ID:
        if (!b->has_id) {
            status = VIRTIO_BLK_S_UNSUPP;
            break;
        }
        written =
            c->wr_len - 1 < VIRTIO_BLK_ID_BYTES ? c->wr_len - 1 : VIRTIO_BLK_ID_BYTES;
        vq_iov_copy_to(vq_chain_wr(c), c->nr_wr, 0, b->id, written);
        status = VIRTIO_BLK_S_OK;
        break;
    case VIRTIO_BLK_T_DISCARD:
    case VIRTIO_BLK_T_WRITE_ZEROES:
        status = blk_discard(b, h.type);
        break;
    default:
        status = VIRTIO_BLK_S_UNSUPP;
        break;
    }
out:
    /* The status byte is the last writable byte of the chain. */
    vq_iov_copy_to(vq_chain_wr(c), c->nr_wr, c->wr_len - 1, &status, 1);
    return written + 1;
}

static void blk_notify(struct virtio_dev *dev, unsigned q)
{
    struct virtio_blk *b = (struct virtio_blk *)dev;
    struct virtq *vq = &dev->vqs[q];
    int ret;

    do {
        unsigned done = 0;

        while ((ret = vq_pop(vq, &b->chain)) > 0) {
            vq_push(vq, b->chain.head, blk_request(b));
            done++;
        }
        if (done)
            virtio_dev_used(dev, vq);
    } while (ret == 0 && vq_rearm(vq));
}

static int blk_flush(struct virtio_dev *dev)
{
    struct virtio_blk *b = (struct virtio_blk *)dev;

    if (b->readonly)
        return 0;
    return fdatasync(b->fd) < 0 ? -errno : 0;
}

static void blk_destroy(struct virtio_dev *dev)
{
    struct virtio_blk *b = (struct virtio_blk *)dev;

    close(b->fd);
    free(b);
}

static const struct virtio_dev_ops virtio_blk_ops = {
    .name = "virtio-blk",
    .device_id = VIRTIO_ID_BLOCK,
    .notify = blk_notify,
    .flush = blk_flush,
    .destroy = blk_destroy,
};

/* Size in bytes of a regular file or block device. */
static int blk_size(int fd, uint64_t *bytes)
{
    struct stat st;

    if (fstat(fd, &st) < 0)
        return -errno;
    if (S_ISBLK(st.st_mode))
        return ioctl(fd, BLKGETSIZE64, bytes) < 0 ? -errno : 0;
    if (!S_ISREG(st.st_mode))
        return -EINVAL;
    *bytes = (uint64_t)st.st_size;
    return 0;
}

static void blk_fill_config(struct virtio_blk *b)
{
    struct virtio_blk_config *cfg = &b->cfg;

    cfg->capacity = htole64(b->capacity);
    cfg->size_max = htole32(BLK_SIZE_MAX);
    cfg->seg_max = htole32(BLK_SEG_MAX);
    cfg->blk_size = htole32(VIRTIO_BLK_SECTOR);
    cfg->num_queues = htole16(1);
    cfg->max_discard_sectors = htole32(BLK_DISCARD_MAX);
    cfg->max_discard_seg = htole32(BLK_DISCARD_SEG);
    cfg->discard_sector_alignment = htole32(4096 / VIRTIO_BLK_SECTOR);
    cfg->max_write_zeroes_sectors = htole32(BLK_DISCARD_MAX);
    cfg->max_write_zeroes_seg = htole32(BLK_DISCARD_SEG);
    cfg->write_zeroes_may_unmap = 1;
}

int virtio_blk_create(const struct virtio_blk_spec *spec, struct virtio_dev **out,
                      char *err, size_t errlen)
{
    struct virtio_blk *b = calloc(1, sizeof(*b));
    uint64_t bytes = 0;
    int ret;

    if (!b)
        return -ENOMEM;
    b->readonly = spec->readonly;
    b->fd = open(spec->path, (b->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (b->fd < 0) {
        ret = -errno;
        snprintf(err, errlen, "--disk %s: cannot open %s: %s", spec->path,
                 b->readonly ? "for reading" : "for reading and writing", strerror(-ret));
        goto err_free;
    }
    /* Two writers on one image corrupt it: take the lock QEMU users expect. */
    if (flock(b->fd, (b->readonly ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
        ret = -errno;
        snprintf(err, errlen, "--disk %s: image is in use by another process (%s)",
                 spec->path, strerror(-ret));
        goto err_close;
    }
    ret = blk_size(b->fd, &bytes);
    if (ret < 0) {
        snprintf(err, errlen, "--disk %s: not a regular file or block device (%s)",
                 spec->path, strerror(-ret));
        goto err_close;
    }
    if (bytes % VIRTIO_BLK_SECTOR) {
        ret = -EINVAL;
        snprintf(err, errlen, "--disk %s: size %llu is not a multiple of 512 bytes",
                 spec->path, (unsigned long long)bytes);
        goto err_close;
    }
    b->capacity = bytes / VIRTIO_BLK_SECTOR;
    b->has_id = spec->id[0] != '\0';
    memcpy(b->id, spec->id, strnlen(spec->id, VIRTIO_BLK_ID_BYTES));
    blk_fill_config(b);

    b->vdev.ops = &virtio_blk_ops;
    b->vdev.host_features = 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_F_EVENT_IDX |
                            1ULL << VIRTIO_F_INDIRECT_DESC |
                            1ULL << VIRTIO_BLK_F_SIZE_MAX | 1ULL << VIRTIO_BLK_F_SEG_MAX |
                            1ULL << VIRTIO_BLK_F_BLK_SIZE | 1ULL << VIRTIO_BLK_F_FLUSH;
    if (b->readonly)
        b->vdev.host_features |= 1ULL << VIRTIO_BLK_F_RO;
    else
        b->vdev.host_features |=
            1ULL << VIRTIO_BLK_F_DISCARD | 1ULL << VIRTIO_BLK_F_WRITE_ZEROES;
    b->vdev.config = &b->cfg;
    b->vdev.config_len = sizeof(b->cfg);
    b->vdev.nr_queues = 1;
    b->vdev.queue_max = BLK_QUEUE_SIZE;
    *out = &b->vdev;
    return 0;
err_close:
    close(b->fd);
err_free:
    free(b);
    return ret;
}

int virtio_blk_parse_spec(const char *arg, struct virtio_blk_spec *out, char *err,
                          size_t errlen)
{
    static const char form[] = "expected --disk PATH[,readonly][,id=NAME]";
    const char *p = arg, *comma;
    size_t n;

    memset(out, 0, sizeof(*out));
    comma = strchr(p, ',');
    n = comma ? (size_t)(comma - p) : strlen(p);
    if (n == 0 || n >= sizeof(out->path)) {
        snprintf(err, errlen, "--disk '%s': %s path; %s", arg, n ? "too long a" : "empty",
                 form);
        return -EINVAL;
    }
    memcpy(out->path, p, n);
    while (comma) {
        p = comma + 1;
        comma = strchr(p, ',');
        n = comma ? (size_t)(comma - p) : strlen(p);
        if (n == 8 && !strncmp(p, "readonly", 8)) {
            out->readonly = true;
        } else if (n > 3 && !strncmp(p, "id=", 3)) {
            if (n - 3 > VIRTIO_BLK_ID_BYTES) {
                snprintf(err, errlen, "--disk '%s': id longer than %d bytes; %s", arg,
                         VIRTIO_BLK_ID_BYTES, form);
                return -EINVAL;
            }
            for (size_t i = 3; i < n; i++) {
                if (p[i] <= ' ' || p[i] > '~') {
                    snprintf(err, errlen,
                             "--disk '%s': id must be printable ASCII without "
                             "spaces; %s",
                             arg, form);
                    return -EINVAL;
                }
            }
            memcpy(out->id, p + 3, n - 3);
        } else {
            snprintf(err, errlen, "--disk '%s': unknown option '%.*s'; %s", arg, (int)n,
                     p, form);
            return -EINVAL;
        }
    }
    return 0;
}
