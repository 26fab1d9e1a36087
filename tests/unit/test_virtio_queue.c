/*
 * Hardened split virtqueue, driven through the virtio-mmio transport with a
 * recording test device over fake guest RAM with guard pages. Every hostile
 * case must end in NEEDS_RESET with no buffer returned and no host access
 * outside the region (a guard page hit kills the forked test).
 */
#include "test_virtio_harness.h"

#include <stdint.h>
#include <stdlib.h>

#define F_INDIRECT (1ULL << VIRTIO_F_INDIRECT_DESC)
#define F_EVENT    (1ULL << VIRTIO_F_EVENT_IDX)

static struct tv T;
static struct virtio_dev rec_dev;
static struct vq_chain rec_chain, last_chain;
static unsigned rec_count;

/* Pops every chain, checks its iovecs lie inside RAM, returns it whole. */
static void rec_notify(struct virtio_dev *dev, unsigned q)
{
    struct virtq *vq = &dev->vqs[q];
    int ret;

    do {
        while ((ret = vq_pop(vq, &rec_chain)) > 0) {
            for (unsigned i = 0; i < rec_chain.nr_rd + rec_chain.nr_wr; i++) {
                uint8_t *p = rec_chain.iov[i].iov_base;

                ck_assert(p >= T.ram && p + rec_chain.iov[i].iov_len <= T.ram + TV_MEM);
            }
            last_chain = rec_chain;
            rec_count++;
            vq_push(vq, rec_chain.head, rec_chain.wr_len);
            virtio_dev_used(dev, vq);
        }
    } while (ret == 0 && vq_rearm(vq));
}

static void rec_destroy(struct virtio_dev *dev)
{
}

static const struct virtio_dev_ops rec_ops = {
    .name = "virtio-test",
    .device_id = 42,
    .notify = rec_notify,
    .destroy = rec_destroy,
};

static void setup_features(uint64_t features, uint16_t size)
{
    tv_mem_init(&T);
    memset(&rec_dev, 0, sizeof(rec_dev));
    rec_dev.ops = &rec_ops;
    rec_dev.host_features = F_INDIRECT | F_EVENT;
    rec_dev.nr_queues = 1;
    rec_dev.queue_max = 256;
    rec_count = 0;
    tv_setup(&T, &rec_dev, features, size);
    tv_irqs(&T);
}

static void setup(void)
{
    setup_features(F_INDIRECT, 16);
}

static void teardown(void)
{
    tv_fini(&T);
}

/* The device broke: NEEDS_RESET, config interrupt, nothing returned. */
static void assert_broken(void)
{
    tv_assert_needs_reset(&T);
    ck_assert_uint_eq(tv_used_idx(&T), 0);
}

START_TEST(test_happy_chain)
{
    tv_desc(&T, 0, TV_DATA, 16, VIRTQ_DESC_F_NEXT, 1);
    tv_desc(&T, 1, TV_DATA + 0x1000, 100, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2);
    tv_desc(&T, 2, TV_DATA + 0x2000, 1, VIRTQ_DESC_F_WRITE, 0);
    tv_avail(&T, 0);
    tv_kick(&T);
    ck_assert_uint_eq(rec_count, 1);
    ck_assert_uint_eq(last_chain.nr_rd, 1);
    ck_assert_uint_eq(last_chain.nr_wr, 2);
    ck_assert_uint_eq(last_chain.rd_len, 16);
    ck_assert_uint_eq(last_chain.wr_len, 101);
    ck_assert_ptr_eq(last_chain.iov[0].iov_base, tv_host(&T, TV_DATA));
    ck_assert_ptr_eq(last_chain.iov[2].iov_base, tv_host(&T, TV_DATA + 0x2000));
    ck_assert_uint_eq(tv_used_idx(&T), 1);
    ck_assert_uint_eq(tv_used(&T, 0).id, 0);
    ck_assert_uint_eq(tv_used(&T, 0).len, 101);
    ck_assert_uint_eq(tv_status(&T) & VIRTIO_STATUS_NEEDS_RESET, 0);
    ck_assert_uint_eq(tv_irqs(&T), 1);
    ck_assert_uint_eq(tv_rd(&T, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
    tv_wr(&T, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
    ck_assert_uint_eq(tv_rd(&T, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
}
END_TEST

START_TEST(test_happy_indirect)
{
    tv_desc_at(&T, TV_INDIRECT, 0, TV_DATA, 16, VIRTQ_DESC_F_NEXT, 1);
    tv_desc_at(&T, TV_INDIRECT, 1, TV_DATA + 512, 512, VIRTQ_DESC_F_WRITE, 0);
    tv_desc(&T, 3, TV_INDIRECT, 32, VIRTQ_DESC_F_INDIRECT, 0);
    tv_avail(&T, 3);
    tv_kick(&T);
    ck_assert_uint_eq(rec_count, 1);
    ck_assert_uint_eq(last_chain.head, 3);
    ck_assert_uint_eq(last_chain.rd_len, 16);
    ck_assert_uint_eq(last_chain.wr_len, 512);
    ck_assert_uint_eq(tv_used_idx(&T), 1);
}
END_TEST

START_TEST(test_descriptor_loop)
{
    tv_desc(&T, 0, TV_DATA, 16, VIRTQ_DESC_F_NEXT, 1);
    tv_desc(&T, 1, TV_DATA, 16, VIRTQ_DESC_F_NEXT, 2);
    tv_desc(&T, 2, TV_DATA, 16, VIRTQ_DESC_F_NEXT, 0);
    tv_avail(&T, 0);
    tv_kick(&T);
    assert_broken();
}
END_TEST

START_TEST(test_self_loop)
{
    tv_desc(&T, 5, TV_DATA, 16, VIRTQ_DESC_F_NEXT, 5);
    tv_avail(&T, 5);
    tv_kick(&T);
    assert_broken();
}
END_TEST

START_TEST(test_head_out_of_range)
{
    tv_avail(&T, 16); /* size is 16: indices 0..15 */
    tv_kick(&T);
    assert_broken();
}
END_TEST

START_TEST(test_next_out_of_range)
{
    tv_desc(&T, 0, TV_DATA, 16, VIRTQ_DESC_F_NEXT, 0xffff);
    tv_avail(&T, 0);
    tv_kick(&T);
    assert_broken();
}
END_TEST

START_TEST(test_buffer_outside_ram)
{
    tv_desc(&T, 0, 0x1000, 16, 0, 0); /* below the region */
    tv_avail(&T, 0);
    tv_kick(&T);
    assert_broken();
}
END_TEST

START_TEST(test_buffer_crosses_region_end)
{
    tv_desc(&T, 0, TV_END - 8, 16, VIRTQ_DESC_F_WRITE, 0);
    tv_avail(&T, 0);
    tv_kick(&T);
    assert_broken();
}
END_TEST

START_TEST(test_buffer_wraps_u64)
{
    tv_desc(&T, 0, UINT64_MAX - 15, 32, VIRTQ_DESC_F_WRITE, 0);
    tv_avail(&T, 0);
    tv_kick(&T);
    assert_broken();
}
END_TEST

START_TEST(test_huge_avail_jump)
{
    tv_desc(&T, 0, TV_DATA, 16, 0, 0);
    T.avail_idx = 40000; /* 40001 entries "available" in a 16-entry ring */
    tv_avail(&T, 0);
    tv_kick(&T);
    assert_broken();
    ck_assert_uint_eq(rec_count, 0);
}
END_TEST

START_TEST(test_zero_length_chain)
{
    tv_desc(&T, 0, TV_DATA, 0, VIRTQ_DESC_F_NEXT, 1);
    tv_desc(&T, 1, TV_DATA, 0, VIRTQ_DESC_F_WRITE, 0);
    tv_avail(&T, 0);
    tv_kick(&T);
    assert_broken();
}
END_TEST

START_TEST(test_readable_after_writable)
{
    tv_desc(&T, 0, TV_DATA, 16, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    tv_desc(&T, 1, TV_DATA, 16, 0, 0);
    tv_avail(&T, 0);
    tv_kick(&T);
    assert_broken();
}
END_TEST

START_TEST(test_indirect_in_indirect)
{
    tv_desc_at(&T, TV_INDIRECT, 0, TV_DATA, 16, VIRTQ_DESC_F_NEXT, 1);
    tv_desc_at(&T, TV_INDIRECT, 1, TV_INDIRECT, 32, VIRTQ_DESC_F_INDIRECT, 0);
    tv_desc(&T, 0, TV_INDIRECT, 32, VIRTQ_DESC_F_INDIRECT, 0);
    tv_avail(&T, 0);
    tv_kick(&T);
    assert_broken();
}
END_TEST

START_TEST(test_indirect_with_next)
{
    tv_desc_at(&T, TV_INDIRECT, 0, TV_DATA, 16, 0, 0);
    tv_desc(&T, 0, TV_INDIRECT, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
    tv_desc(&T, 1, TV_DATA, 16, 0, 0);
    tv_avail(&T, 0);
    tv_kick(&T);
    assert_broken();
}
END_TEST

START_TEST(test_indirect_bad_len)
{
    tv_desc(&T, 0, TV_INDIRECT, 24, VIRTQ_DESC_F_INDIRECT, 0);
    tv_avail(&T, 0);
    tv_kick(&T);
    assert_broken();
}
END_TEST

START_TEST(test_indirect_outside_ram)
{
    tv_desc(&T, 0, TV_END - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
    tv_avail(&T, 0);
    tv_kick(&T);
    assert_broken();
}
END_TEST

START_TEST(test_indirect_loop)
{
    tv_desc_at(&T, TV_INDIRECT, 0, TV_DATA, 16, VIRTQ_DESC_F_NEXT, 1);
    tv_desc_at(&T, TV_INDIRECT, 1, TV_DATA, 16, VIRTQ_DESC_F_NEXT, 0);
    tv_desc(&T, 0, TV_INDIRECT, 32, VIRTQ_DESC_F_INDIRECT, 0);
    tv_avail(&T, 0);
    tv_kick(&T);
    assert_broken();
}
END_TEST

START_TEST(test_indirect_too_big)
{
    /* 17 entries behind a 16-entry queue: longer than any legal chain. */
    tv_desc(&T, 0, TV_INDIRECT, 17 * 16, VIRTQ_DESC_F_INDIRECT, 0);
    tv_avail(&T, 0);
    tv_kick(&T);
    assert_broken();
}
END_TEST

START_TEST(test_indirect_not_negotiated)
{
    tv_fini(&T);
    setup_features(0, 16);
    tv_desc_at(&T, TV_INDIRECT, 0, TV_DATA, 16, 0, 0);
    tv_desc(&T, 0, TV_INDIRECT, 16, VIRTQ_DESC_F_INDIRECT, 0);
    tv_avail(&T, 0);
    tv_kick(&T);
    assert_broken();
}
END_TEST

/* After NEEDS_RESET the driver resets; the device must work again. */
START_TEST(test_reset_recovers)
{
    tv_avail(&T, 99);
    tv_kick(&T);
    assert_broken();
    /* Further kicks do nothing while broken. */
    tv_desc(&T, 0, TV_DATA, 16, VIRTQ_DESC_F_WRITE, 0);
    tv_kick(&T);
    ck_assert_uint_eq(rec_count, 0);

    tv_negotiate(&T, F_INDIRECT);
    ck_assert_uint_eq(tv_status(&T) & VIRTIO_STATUS_NEEDS_RESET, 0);
    tv_queue_at(&T, 16, TV_DESC, TV_AVAIL, TV_USED);
    memset(tv_host(&T, TV_AVAIL), 0, 0x1000);
    memset(tv_host(&T, TV_USED), 0, 0x1000);
    tv_wr(&T, VIRTIO_MMIO_STATUS, 0xf);
    tv_avail(&T, 0);
    tv_kick(&T);
    ck_assert_uint_eq(rec_count, 1);
    ck_assert_uint_eq(tv_used_idx(&T), 1);
}
END_TEST

/* Rings that are misaligned or not in RAM are refused at QueueReady. */
static void assert_queue_refused(uint16_t size, uint64_t desc, uint64_t avail,
                                 uint64_t used)
{
    tv_fini(&T);
    tv_mem_init(&T);
    memset(&rec_dev, 0, sizeof(rec_dev));
    rec_dev.ops = &rec_ops;
    rec_dev.nr_queues = 1;
    rec_dev.queue_max = 256;
    ck_assert_int_eq(virtio_mmio_init(&T.m, &rec_dev, &T.gm, 0xd0000000ULL, 5), 0);
    tv_negotiate(&T, 0);
    tv_queue_at(&T, size, desc, avail, used);
    ck_assert_uint_eq(tv_rd(&T, VIRTIO_MMIO_QUEUE_READY), 0);
    tv_assert_needs_reset(&T);
}

START_TEST(test_misaligned_desc)
{
    assert_queue_refused(16, TV_DESC + 8, TV_AVAIL, TV_USED);
}
END_TEST

START_TEST(test_misaligned_avail)
{
    assert_queue_refused(16, TV_DESC, TV_AVAIL + 1, TV_USED);
}
END_TEST

START_TEST(test_misaligned_used)
{
    assert_queue_refused(16, TV_DESC, TV_AVAIL, TV_USED + 2);
}
END_TEST

START_TEST(test_ring_outside_ram)
{
    assert_queue_refused(16, TV_DESC, TV_AVAIL, TV_END - 64); /* 6 + 8*16 bytes */
}
END_TEST

START_TEST(test_ring_wraps_u64)
{
    assert_queue_refused(16, 0xfffffffffffffff0ULL, TV_AVAIL, TV_USED);
}
END_TEST

START_TEST(test_size_not_power_of_two)
{
    assert_queue_refused(12, TV_DESC, TV_AVAIL, TV_USED);
}
END_TEST

START_TEST(test_size_too_big)
{
    assert_queue_refused(512, TV_DESC, TV_AVAIL, TV_USED);
}
END_TEST

START_TEST(test_size_zero)
{
    assert_queue_refused(0, TV_DESC, TV_AVAIL, TV_USED);
}
END_TEST

/* EVENT_IDX: avail_event is published; used_event suppresses interrupts. */
START_TEST(test_event_idx)
{
    uint16_t *used_event, *avail_event;

    tv_fini(&T);
    setup_features(F_EVENT, 16);
    used_event = tv_host(&T, TV_AVAIL + 4 + 2 * 16);
    avail_event = tv_host(&T, TV_USED + 4 + 8 * 16);
    tv_desc(&T, 0, TV_DATA, 16, VIRTQ_DESC_F_WRITE, 0);

    *used_event = 0; /* interrupt when used idx passes 0 */
    tv_avail(&T, 0);
    tv_kick(&T);
    ck_assert_uint_eq(tv_used_idx(&T), 1);
    ck_assert_uint_eq(*avail_event, 1);
    ck_assert_uint_eq(tv_irqs(&T), 1);

    *used_event = 5; /* not interested until the 6th buffer */
    tv_avail(&T, 0);
    tv_kick(&T);
    ck_assert_uint_eq(tv_used_idx(&T), 2);
    ck_assert_uint_eq(*avail_event, 2);
    ck_assert_uint_eq(tv_irqs(&T), 0);

    *used_event = 2; /* next one crosses it */
    tv_avail(&T, 0);
    tv_kick(&T);
    ck_assert_uint_eq(tv_used_idx(&T), 3);
    ck_assert_uint_eq(tv_irqs(&T), 1);
}
END_TEST

/* Without EVENT_IDX, VIRTQ_AVAIL_F_NO_INTERRUPT suppresses interrupts. */
START_TEST(test_no_interrupt_flag)
{
    uint16_t *flags = tv_host(&T, TV_AVAIL);

    tv_desc(&T, 0, TV_DATA, 16, VIRTQ_DESC_F_WRITE, 0);
    *flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
    tv_avail(&T, 0);
    tv_kick(&T);
    ck_assert_uint_eq(tv_used_idx(&T), 1);
    ck_assert_uint_eq(tv_irqs(&T), 0);
}
END_TEST

/* The ring wraps its 16-bit indices many times without complaint. */
START_TEST(test_index_wraparound)
{
    tv_desc(&T, 0, TV_DATA, 16, VIRTQ_DESC_F_WRITE, 0);
    for (unsigned i = 0; i < 70000; i++) {
        tv_avail(&T, 0);
        if (i % 7 == 0)
            tv_kick(&T);
    }
    tv_kick(&T);
    ck_assert_uint_eq(rec_count, 70000);
    ck_assert_uint_eq(tv_used_idx(&T), (uint16_t)70000);
    ck_assert_uint_eq(tv_status(&T) & VIRTIO_STATUS_NEEDS_RESET, 0);
}
END_TEST

static Suite *queue_suite(void)
{
    Suite *s = suite_create("virtio_queue");
    TCase *tc = tcase_create("queue");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_happy_chain);
    tcase_add_test(tc, test_happy_indirect);
    tcase_add_test(tc, test_descriptor_loop);
    tcase_add_test(tc, test_self_loop);
    tcase_add_test(tc, test_head_out_of_range);
    tcase_add_test(tc, test_next_out_of_range);
    tcase_add_test(tc, test_buffer_outside_ram);
    tcase_add_test(tc, test_buffer_crosses_region_end);
    tcase_add_test(tc, test_buffer_wraps_u64);
    tcase_add_test(tc, test_huge_avail_jump);
    tcase_add_test(tc, test_zero_length_chain);
    tcase_add_test(tc, test_readable_after_writable);
    tcase_add_test(tc, test_indirect_in_indirect);
    tcase_add_test(tc, test_indirect_with_next);
    tcase_add_test(tc, test_indirect_bad_len);
    tcase_add_test(tc, test_indirect_outside_ram);
    tcase_add_test(tc, test_indirect_loop);
    tcase_add_test(tc, test_indirect_too_big);
    tcase_add_test(tc, test_indirect_not_negotiated);
    tcase_add_test(tc, test_reset_recovers);
    tcase_add_test(tc, test_misaligned_desc);
    tcase_add_test(tc, test_misaligned_avail);
    tcase_add_test(tc, test_misaligned_used);
    tcase_add_test(tc, test_ring_outside_ram);
    tcase_add_test(tc, test_ring_wraps_u64);
    tcase_add_test(tc, test_size_not_power_of_two);
    tcase_add_test(tc, test_size_too_big);
    tcase_add_test(tc, test_size_zero);
    tcase_add_test(tc, test_event_idx);
    tcase_add_test(tc, test_no_interrupt_flag);
    tcase_add_test(tc, test_index_wraparound);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run_suite(queue_suite());
}
