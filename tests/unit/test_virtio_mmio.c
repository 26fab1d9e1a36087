/*
 * virtio-mmio transport registers and status state machine, over fake
 * guest RAM with the rng device as the payload.
 */
#include "devices/virtio/rng.h"
#include "test_virtio_harness.h"

#include <stdlib.h>

#define S_ACK VIRTIO_STATUS_ACKNOWLEDGE
#define S_DRV VIRTIO_STATUS_DRIVER
#define S_FOK VIRTIO_STATUS_FEATURES_OK
#define S_DOK VIRTIO_STATUS_DRIVER_OK

static struct tv T;
static struct virtio_dev *dev;

static void setup(void)
{
    ck_assert_int_eq(virtio_rng_create(&dev), 0);
    tv_mem_init(&T);
    ck_assert_int_eq(virtio_mmio_init(&T.m, dev, &T.gm, 0xd0000000ULL, 5), 0);
}

static void teardown(void)
{
    tv_fini(&T);
    virtio_dev_destroy(dev);
}

START_TEST(test_identity)
{
    uint8_t b = 0xff;

    ck_assert_uint_eq(tv_rd(&T, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
    ck_assert_uint_eq(tv_rd(&T, VIRTIO_MMIO_VERSION), 2);
    ck_assert_uint_eq(tv_rd(&T, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_RNG);
    ck_assert_uint_eq(tv_rd(&T, VIRTIO_MMIO_VENDOR_ID), VIRTIO_MMIO_VENDOR);
    ck_assert_uint_eq(tv_rd(&T, VIRTIO_MMIO_QUEUE_NUM_MAX), 64);
    tv_wr(&T, VIRTIO_MMIO_QUEUE_SEL, 1);
    ck_assert_uint_eq(tv_rd(&T, VIRTIO_MMIO_QUEUE_NUM_MAX), 0); /* no such queue */
    ck_assert_uint_eq(tv_rd(&T, VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffff);
    ck_assert_uint_eq(tv_rd(&T, VIRTIO_MMIO_CONFIG), 0); /* rng has no config */
    /* Sub-word register reads are not part of the interface. */
    virtio_mmio_read(&T.m, VIRTIO_MMIO_MAGIC_VALUE, &b, 1);
    ck_assert_uint_eq(b, 0);
    tv_wr(&T, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    ck_assert_uint_eq(tv_rd(&T, VIRTIO_MMIO_DEVICE_FEATURES), 1); /* VERSION_1 */
    tv_wr(&T, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
    ck_assert_uint_eq(tv_rd(&T, VIRTIO_MMIO_DEVICE_FEATURES), 0);
}
END_TEST

START_TEST(test_legacy_driver_refused)
{
    tv_wr(&T, VIRTIO_MMIO_STATUS, S_ACK | S_DRV);
    tv_wr(&T, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    tv_wr(&T, VIRTIO_MMIO_DRIVER_FEATURES, 1U << VIRTIO_F_EVENT_IDX);
    tv_wr(&T, VIRTIO_MMIO_STATUS, S_ACK | S_DRV | S_FOK);
    ck_assert_uint_eq(tv_status(&T), S_ACK | S_DRV); /* FEATURES_OK did not stick */
    tv_wr(&T, VIRTIO_MMIO_STATUS, S_ACK | S_DRV | S_DOK);
    ck_assert_uint_eq(tv_status(&T) & S_DOK, 0);
}
END_TEST

START_TEST(test_unoffered_feature_refused)
{
    tv_wr(&T, VIRTIO_MMIO_STATUS, S_ACK | S_DRV);
    tv_wr(&T, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    tv_wr(&T, VIRTIO_MMIO_DRIVER_FEATURES, 1 | 2); /* VERSION_1 + ACCESS_PLATFORM */
    tv_wr(&T, VIRTIO_MMIO_STATUS, S_ACK | S_DRV | S_FOK);
    ck_assert_uint_eq(tv_status(&T) & S_FOK, 0);
}
END_TEST

START_TEST(test_status_bits_only_set)
{
    tv_negotiate(&T, 0);
    ck_assert_uint_eq(tv_status(&T), S_ACK | S_DRV | S_FOK);
    tv_wr(&T, VIRTIO_MMIO_STATUS, S_ACK); /* clearing bits: ignored */
    ck_assert_uint_eq(tv_status(&T), S_ACK | S_DRV | S_FOK);
    tv_wr(&T, VIRTIO_MMIO_STATUS, S_ACK | S_DRV | S_FOK | VIRTIO_STATUS_NEEDS_RESET);
    ck_assert_uint_eq(tv_status(&T) & VIRTIO_STATUS_NEEDS_RESET, 0);
    /* Features cannot change after FEATURES_OK. */
    tv_wr(&T, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    tv_wr(&T, VIRTIO_MMIO_DRIVER_FEATURES, 1U << VIRTIO_F_EVENT_IDX);
    ck_assert(!virtio_has_feature(dev, VIRTIO_F_EVENT_IDX));
    ck_assert(virtio_has_feature(dev, VIRTIO_F_VERSION_1));
}
END_TEST

START_TEST(test_queue_before_features_ok)
{
    tv_wr(&T, VIRTIO_MMIO_STATUS, S_ACK | S_DRV);
    tv_queue_at(&T, 16, TV_DESC, TV_AVAIL, TV_USED);
    ck_assert_uint_eq(tv_rd(&T, VIRTIO_MMIO_QUEUE_READY), 0);
    tv_assert_needs_reset(&T);
}
END_TEST

START_TEST(test_reset)
{
    tv_setup(&T, dev, 1ULL << VIRTIO_F_EVENT_IDX, 16);
    tv_desc(&T, 0, TV_DATA, 16, VIRTQ_DESC_F_WRITE, 0);
    tv_avail(&T, 0);
    tv_kick(&T);
    ck_assert_uint_eq(tv_rd(&T, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
    tv_wr(&T, VIRTIO_MMIO_STATUS, 0);
    ck_assert_uint_eq(tv_status(&T), 0);
    ck_assert_uint_eq(tv_rd(&T, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
    ck_assert_uint_eq(tv_rd(&T, VIRTIO_MMIO_QUEUE_READY), 0);
    ck_assert_uint_eq(dev->acked_features, 0);
    ck_assert_uint_eq(dev->vqs[0].desc_gpa, 0);
}
END_TEST

START_TEST(test_queue_regs_locked_while_ready)
{
    tv_setup(&T, dev, 0, 16);
    tv_wr(&T, VIRTIO_MMIO_QUEUE_NUM, 8);
    tv_wr(&T, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x1234);
    ck_assert_uint_eq(dev->vqs[0].size, 16);
    ck_assert_uint_eq(dev->vqs[0].desc_gpa, TV_DESC);
    /* QueueReady = 0 stops the queue; then it may be reprogrammed. */
    tv_wr(&T, VIRTIO_MMIO_QUEUE_READY, 0);
    ck_assert_uint_eq(tv_rd(&T, VIRTIO_MMIO_QUEUE_READY), 0);
    tv_wr(&T, VIRTIO_MMIO_QUEUE_NUM, 8);
    ck_assert_uint_eq(dev->vqs[0].size, 8);
}
END_TEST

/* Buffers queued before DRIVER_OK wait; DRIVER_OK makes the device look. */
START_TEST(test_no_service_before_driver_ok)
{
    eventfd_t v;

    tv_negotiate(&T, 0);
    tv_queue_at(&T, 16, TV_DESC, TV_AVAIL, TV_USED);
    tv_desc(&T, 0, TV_DATA, 16, VIRTQ_DESC_F_WRITE, 0);
    tv_avail(&T, 0);
    tv_wr(&T, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
    ck_assert_int_eq(eventfd_read(T.m.queues[0].kick_fd, &v), 0); /* kick observable */
    ck_assert_uint_eq(v, 1);
    tv_kick(&T);
    ck_assert_uint_eq(tv_used_idx(&T), 0);
    tv_wr(&T, VIRTIO_MMIO_STATUS, S_ACK | S_DRV | S_FOK | S_DOK);
    virtio_mmio_poll(&T.m);
    ck_assert_uint_eq(tv_used_idx(&T), 1);
    /* Notify for a queue that does not exist is dropped. */
    tv_wr(&T, VIRTIO_MMIO_QUEUE_NOTIFY, 3);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("virtio_mmio");
    TCase *tc = tcase_create("mmio");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_identity);
    tcase_add_test(tc, test_legacy_driver_refused);
    tcase_add_test(tc, test_unoffered_feature_refused);
    tcase_add_test(tc, test_status_bits_only_set);
    tcase_add_test(tc, test_queue_before_features_ok);
    tcase_add_test(tc, test_reset);
    tcase_add_test(tc, test_queue_regs_locked_while_ready);
    tcase_add_test(tc, test_no_service_before_driver_ok);
    suite_add_tcase(s, tc);
    return check_run_suite(s);
}
