/*
 * Hardened split virtqueue. See queue.h for the contract.
 *
 * Memory ordering. The driver runs on other CPUs and talks to us only
 * through guest RAM, so every ordering the spec relies on is made explicit:
 *   - avail->idx is loaded with acquire: the ring slots and descriptors the
 *     driver wrote before bumping idx (it issues a write barrier) are then
 *     visible to the loads that follow;
 *   - used->idx is stored with release: the used element (and the data the
 *     device wrote into the buffers) is visible before the driver sees idx;
 *   - deciding whether to interrupt, or whether a kick could have been lost,
 *     reads a field the driver wrote after a store of ours: that needs a full
 *     fence (store->load order), mirrored by the driver's virtio_mb().
 * Guest-owned values are read once, with single-copy atomic loads for the
 * 16-bit ring fields and a memcpy + compiler barrier for descriptors, so the
 * compiler cannot re-read guest memory after the copy was validated.
 */
#include "devices/virtio/queue.h"

#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define compiler_barrier() __asm__ __volatile__("" ::: "memory")

void vq_init(struct virtq *vq, uint16_t max_size)
{
    memset(vq, 0, sizeof(*vq));
    vq->max_size = max_size;
    vq->size = max_size;
}

void vq_reset(struct virtq *vq)
{
    vq_init(vq, vq->max_size);
}

void vq_fail(struct virtq *vq, const char *fmt, ...)
{
    va_list ap;

    if (vq->broken)
        return;
    vq->broken = true;
    va_start(ap, fmt);
    vsnprintf(vq->error, sizeof(vq->error), fmt, ap);
    va_end(ap);
}

static void *vq_map(struct virtq *vq, const struct guest_mem *gm, const char *what,
                    uint64_t gpa, uint64_t len, uint64_t align)
{
    void *p;

    if (gpa & (align - 1)) {
        vq_fail(vq, "%s ring at 0x%llx not %llu-byte aligned", what,
                (unsigned long long)gpa, (unsigned long long)align);
        return NULL;
    }
    p = gm_ptr(gm, gpa, len);
    if (!p)
        vq_fail(vq, "%s ring [0x%llx, +0x%llx) not inside guest RAM", what,
                (unsigned long long)gpa, (unsigned long long)len);
    return p;
}

int vq_activate(struct virtq *vq, const struct guest_mem *gm, bool event_idx,
                bool indirect)
{
    uint64_t n = vq->size;

    if (n == 0 || n > vq->max_size || (n & (n - 1))) {
        vq_fail(vq, "queue size %llu not a power of two <= %u", (unsigned long long)n,
                vq->max_size);
        return -EINVAL;
    }
    /* Sizes per 2.7: the trailing event fields are included unconditionally. */
    vq->desc = vq_map(vq, gm, "descriptor", vq->desc_gpa, 16 * n, 16);
    vq->avail = vq_map(vq, gm, "available", vq->avail_gpa, 6 + 2 * n, 2);
    vq->used = vq_map(vq, gm, "used", vq->used_gpa, 6 + 8 * n, 4);
    if (vq->broken)
        return -EINVAL;

    vq->gm = gm;
    vq->event_idx = event_idx;
    vq->indirect = indirect;
    vq->last_avail = 0;
    vq->used_idx = 0;
    vq->signalled_valid = false;
    vq->ready = true;
    return 0;
}

static uint16_t load16_acquire(const uint16_t *p)
{
    return le16toh(__atomic_load_n(p, __ATOMIC_ACQUIRE));
}

static uint16_t load16(const uint16_t *p)
{
    return le16toh(__atomic_load_n(p, __ATOMIC_RELAXED));
}

static void store16(uint16_t *p, uint16_t v)
{
    __atomic_store_n(p, htole16(v), __ATOMIC_RELAXED);
}

/* Read one descriptor into a local copy; only the copy is used afterwards. */
static struct virtq_desc desc_read(const struct virtq_desc *table, unsigned i)
{
    struct virtq_desc d;

    memcpy(&d, &table[i], sizeof(d));
    compiler_barrier();
    d.addr = le64toh(d.addr);
    d.len = le32toh(d.len);
    d.flags = le16toh(d.flags);
    d.next = le16toh(d.next);
    return d;
}

/* Add the buffer of direct descriptor @d to @c. Returns 0 or -EIO. */
static int chain_add(struct virtq *vq, struct vq_chain *c, const struct virtq_desc *d,
                     uint64_t *total)
{
    void *p;

    if ((d->flags & VIRTQ_DESC_F_WRITE) == 0 && c->nr_wr) {
        vq_fail(vq, "chain %u: readable descriptor after a writable one", c->head);
        return -EIO;
    }
    *total += d->len;
    if (*total > UINT32_MAX) {
        vq_fail(vq, "chain %u: more than 4 GiB of buffers", c->head);
        return -EIO;
    }
    if (d->len == 0)
        return 0; /* nothing to map; the chain total is checked at the end */
    p = gm_ptr(vq->gm, d->addr, d->len);
    if (!p) {
        vq_fail(vq, "chain %u: buffer [0x%llx, +0x%x) not inside guest RAM", c->head,
                (unsigned long long)d->addr, d->len);
        return -EIO;
    }
    /* Cannot overflow: the walk visits at most vq->size <= VQ_MAX_SIZE descs. */
    c->iov[c->nr_rd + c->nr_wr] = (struct iovec){p, d->len};
    if (d->flags & VIRTQ_DESC_F_WRITE) {
        c->nr_wr++;
        c->wr_len += d->len;
    } else {
        c->nr_rd++;
        c->rd_len += d->len;
    }
    return 0;
}

/*
 * Walk the chain at @head. The budget is the queue size: no valid chain is
 * longer (2.7.5.2), so a loop in the descriptor table or in an indirect
 * table runs the budget out instead of running forever. The indirect
 * descriptor itself does not count (Linux puts size entries behind it).
 */
static int chain_walk(struct virtq *vq, struct vq_chain *c, uint16_t head)
{
    const struct virtq_desc *table = vq->desc;
    unsigned table_len = vq->size, budget = vq->size, i = head;
    bool in_indirect = false;
    uint64_t total = 0;

    c->head = head;
    c->nr_rd = c->nr_wr = 0;
    c->rd_len = c->wr_len = 0;
    for (;;) {
        struct virtq_desc d;

        if (i >= table_len) {
            vq_fail(vq, "chain %u: descriptor index %u >= %s size %u", head, i,
                    in_indirect ? "indirect table" : "queue", table_len);
            return -EIO;
        }
        d = desc_read(table, i);

        if (d.flags & VIRTQ_DESC_F_INDIRECT) {
            if (!vq->indirect || in_indirect || (d.flags & VIRTQ_DESC_F_NEXT) ||
                d.len == 0 || d.len % sizeof(d)) {
                vq_fail(vq, "chain %u: bad indirect descriptor (%s, flags 0x%x, len %u)",
                        head,
                        !vq->indirect ? "not negotiated"
                        : in_indirect ? "nested"
                                      : "shape",
                        d.flags, d.len);
                return -EIO;
            }
            table = gm_ptr(vq->gm, d.addr, d.len);
            if (!table) {
                vq_fail(vq, "chain %u: indirect table [0x%llx, +0x%x) not inside RAM",
                        head, (unsigned long long)d.addr, d.len);
                return -EIO;
            }
            table_len = d.len / sizeof(d);
            if (table_len > budget) {
                vq_fail(vq, "chain %u: indirect table of %u entries > queue size %u",
                        head, table_len, vq->size);
                return -EIO;
            }
            budget = table_len; /* TTL for the indirect chain */
            in_indirect = true;
            i = 0;
            continue;
        }

        if (budget-- == 0) {
            vq_fail(vq, "chain %u: longer than %u descriptors (loop?)", head,
                    in_indirect ? table_len : vq->size);
            return -EIO;
        }
        if (chain_add(vq, c, &d, &total) < 0)
            return -EIO;
        if (!(d.flags & VIRTQ_DESC_F_NEXT))
            break;
        i = d.next;
    }
    if (total == 0) {
        vq_fail(vq, "chain %u: zero-length chain", head);
        return -EIO;
    }
    return 0;
}

int vq_pop(struct virtq *vq, struct vq_chain *c)
{
    uint16_t avail_idx, pending, head;

    if (vq->broken)
        return -EIO;
    if (!vq->ready)
        return 0;
    avail_idx = load16_acquire(&vq->avail->idx);
    pending = (uint16_t)(avail_idx - vq->last_avail);
    if (pending == 0)
        return 0;
    if (pending > vq->size) {
        vq_fail(vq, "avail index jumped from %u to %u (queue size %u)", vq->last_avail,
                avail_idx, vq->size);
        return -EIO;
    }
    head = load16(&vq->avail->ring[vq->last_avail & (vq->size - 1)]);
    if (head >= vq->size) {
        vq_fail(vq, "avail ring slot %u holds head %u >= queue size %u",
                vq->last_avail & (vq->size - 1), head, vq->size);
        return -EIO;
    }
    vq->last_avail++;
    return chain_walk(vq, c, head) < 0 ? -EIO : 1;
}

void vq_push(struct virtq *vq, uint16_t head, uint32_t len)
{
    struct virtq_used_elem *e = &vq->used->ring[vq->used_idx & (vq->size - 1)];

    if (!vq->ready || vq->broken)
        return;
    e->id = htole32(head);
    e->len = htole32(len);
    vq->used_idx++;
    /* The element and the buffer contents must be visible before idx. */
    __atomic_store_n(&vq->used->idx, htole16(vq->used_idx), __ATOMIC_RELEASE);
}

bool vq_rearm(struct virtq *vq)
{
    if (!vq->ready || vq->broken)
        return false;
    if (vq->event_idx) {
        /* avail_event sits right after the used ring. */
        store16((uint16_t *)&vq->used->ring[vq->size], vq->last_avail);
    }
    /*
     * Order the avail_event store before re-reading avail->idx: otherwise
     * the driver could add a buffer, read the old avail_event, skip the
     * kick, and we would miss the buffer.
     */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return load16_acquire(&vq->avail->idx) != vq->last_avail;
}

bool vq_should_signal(struct virtq *vq)
{
    uint16_t old, new, event;
    bool valid;

    if (!vq->ready || vq->broken)
        return false;
    /* Our used->idx store must be ordered before reading the driver's hints. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (!vq->event_idx)
        return !(load16(&vq->avail->flags) & VIRTQ_AVAIL_F_NO_INTERRUPT);

    old = vq->signalled_used;
    new = vq->used_idx;
    valid = vq->signalled_valid;
    vq->signalled_used = new;
    vq->signalled_valid = true;
    if (!valid)
        return true;
    /* used_event sits right after the avail ring. vring_need_event(): */
    event = load16(&vq->avail->ring[vq->size]);
    return (uint16_t)(new - event - 1) < (uint16_t)(new - old);
}

/* Copy between a linear buffer and the bytes [off, off+len) of an iovec
 * array; @to_iov picks the direction. Returns the bytes copied. */
static size_t iov_copy(const struct iovec *iov, unsigned n, size_t off, uint8_t *buf,
                       size_t len, bool to_iov)
{
    size_t done = 0;

    for (unsigned i = 0; i < n && done < len; i++) {
        size_t chunk;

        if (off >= iov[i].iov_len) {
            off -= iov[i].iov_len;
            continue;
        }
        chunk = iov[i].iov_len - off;
        if (chunk > len - done)
            chunk = len - done;
        if (to_iov)
            memcpy((uint8_t *)iov[i].iov_base + off, buf + done, chunk);
        else
            memcpy(buf + done, (uint8_t *)iov[i].iov_base + off, chunk);
        done += chunk;
        off = 0;
    }
    return done;
}

size_t vq_iov_copy_from(const struct iovec *iov, unsigned n, size_t off, void *dst,
                        size_t len)
{
    return iov_copy(iov, n, off, dst, len, false);
}

size_t vq_iov_copy_to(const struct iovec *iov, unsigned n, size_t off, const void *src,
                      size_t len)
{
    /* iov_copy only reads @buf when copying to the iovecs. */
    return iov_copy(iov, n, off, (uint8_t *)(uintptr_t)src, len, true);
}

int vq_iov_slice(const struct iovec *iov, unsigned n, size_t off, size_t len,
                 struct iovec *out, unsigned max)
{
    unsigned nr = 0;

    for (unsigned i = 0; i < n && len > 0; i++) {
        size_t chunk;

        if (off >= iov[i].iov_len) {
            off -= iov[i].iov_len;
            continue;
        }
        if (nr == max)
            return -1;
        chunk = iov[i].iov_len - off;
        if (chunk > len)
            chunk = len;
        out[nr++] = (struct iovec){(uint8_t *)iov[i].iov_base + off, chunk};
        len -= chunk;
        off = 0;
    }
    return len == 0 ? (int)nr : -1;
}
