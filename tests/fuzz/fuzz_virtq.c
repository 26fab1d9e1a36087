/*
 * libFuzzer harness for the split virtqueue walker (devices/virtio/queue.c).
 *
 * Input: a 15-byte header then the guest RAM image (zero-padded to 64 KiB):
 *   [0]      bit 0 EVENT_IDX, bit 1 INDIRECT_DESC negotiated
 *   [1..2]   QueueNum (little-endian u16; QueueNumMax is 256)
 *   [3..14]  desc, avail, used ring offsets (u32 each) from the RAM base;
 *            bit 31 set means UINT64_MAX - (offset & 0x7fffffff) instead,
 *            to reach the top of the address space.
 * The harness activates the queue, pops every chain it can, touches every
 * byte each iovec names (ASan flags anything outside the exactly-sized RAM
 * buffer) and returns chains as a device would.
 */
#include "devices/virtio/queue.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define RAM_GPA  0x10000ULL
#define RAM_SIZE 0x10000ULL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t ring_gpa(const uint8_t *p)
{
    uint32_t off;

    memcpy(&off, p, 4);
    return off & 0x80000000U ? UINT64_MAX - (off & 0x7fffffffU) : RAM_GPA + off;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct vq_chain chain;
    struct guest_mem gm;
    struct virtq vq;
    uint8_t *ram;
    uint16_t num;
    volatile uint8_t sink = 0;

    if (size < 15)
        return 0;
    ram = calloc(1, RAM_SIZE); /* exact size: ASan redzones on both sides */
    memcpy(ram, data + 15, size - 15 < RAM_SIZE ? size - 15 : RAM_SIZE);
    gm_init_fake(&gm, ram, RAM_GPA, RAM_SIZE);

    vq_init(&vq, 256);
    memcpy(&num, data + 1, 2);
    vq.size = num;
    vq.desc_gpa = ring_gpa(data + 3);
    vq.avail_gpa = ring_gpa(data + 7);
    vq.used_gpa = ring_gpa(data + 11);
    if (vq_activate(&vq, &gm, data[0] & 1, data[0] & 2) == 0) {
        for (unsigned round = 0; round < 2 * 256 + 2; round++) {
            int ret = vq_pop(&vq, &chain);

            if (ret <= 0) {
                if (ret == 0 && vq_rearm(&vq))
                    continue;
                break;
            }
            assert(chain.nr_rd + chain.nr_wr <= VQ_MAX_SIZE);
            for (unsigned i = 0; i < chain.nr_rd + chain.nr_wr; i++) {
                uint8_t *p = chain.iov[i].iov_base;

                assert(p >= ram && p + chain.iov[i].iov_len <= ram + RAM_SIZE);
                if (i < chain.nr_rd) {
                    for (size_t j = 0; j < chain.iov[i].iov_len; j += 64)
                        sink ^= p[j];
                    sink ^= p[chain.iov[i].iov_len - 1];
                } else {
                    memset(p, 0xa5, chain.iov[i].iov_len);
                }
            }
            vq_push(&vq, chain.head, chain.wr_len);
            vq_should_signal(&vq);
        }
    }
    assert(!vq.broken || vq.error[0]);
    (void)sink;
    free(ram);
    return 0;
}
