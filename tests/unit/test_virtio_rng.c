/*
 * virtio-rng over fake guest RAM: writable buffers are filled from
 * getrandom() straight in guest memory, readable ones are left alone.
 */
#include "devices/virtio/rng.h"
#include "test_virtio_harness.h"

#include <stdlib.h>

static struct tv T;
static struct virtio_dev *dev;

static void setup(void)
{
    ck_assert_int_eq(virtio_rng_create(&dev), 0);
    tv_mem_init(&T);
    tv_setup(&T, dev, 1ULL << VIRTIO_F_EVENT_IDX, 64);
}

static void teardown(void)
{
    tv_fini(&T);
    virtio_dev_destroy(dev);
}

static unsigned nonzero(const uint8_t *p, size_t n)
{
    unsigned c = 0;

    for (size_t i = 0; i < n; i++)
        c += p[i] != 0;
    return c;
}

START_TEST(test_fill)
{
    uint8_t *a = tv_host(&T, TV_DATA), *b = tv_host(&T, TV_DATA + 0x1000);

    ck_assert_uint_eq(tv_rd(&T, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_RNG);
    tv_desc(&T, 0, TV_DATA, 64, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    tv_desc(&T, 1, TV_DATA + 0x1000, 4096, VIRTQ_DESC_F_WRITE, 0);
    tv_avail(&T, 0);
    tv_kick(&T);
    ck_assert_uint_eq(tv_used_idx(&T), 1);
    ck_assert_uint_eq(tv_used(&T, 0).len, 64 + 4096);
    /* 4160 random bytes with fewer than 3900 non-zero: p < 1e-100. */
    ck_assert_uint_gt(nonzero(a, 64) + nonzero(b, 4096), 3900);
    ck_assert_uint_eq(nonzero(b + 4096, 64), 0); /* nothing past the buffer */
    ck_assert_uint_eq(tv_irqs(&T), 1);
}
END_TEST

START_TEST(test_readable_only)
{
    uint8_t *a = tv_host(&T, TV_DATA);

    tv_desc(&T, 0, TV_DATA, 64, 0, 0);
    tv_avail(&T, 0);
    tv_kick(&T);
    ck_assert_uint_eq(tv_used_idx(&T), 1);
    ck_assert_uint_eq(tv_used(&T, 0).len, 0);
    ck_assert_uint_eq(nonzero(a, 64), 0);
}
END_TEST

START_TEST(test_many_requests)
{
    for (unsigned i = 0; i < 1000; i++) {
        tv_desc(&T, i % 64, TV_DATA + 16 * (i % 64), 16, VIRTQ_DESC_F_WRITE, 0);
        tv_avail(&T, i % 64);
        if (i % 50 == 49)
            tv_kick(&T);
    }
    ck_assert_uint_eq(tv_used_idx(&T), 1000);
    ck_assert_uint_eq(tv_status(&T) & VIRTIO_STATUS_NEEDS_RESET, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("virtio_rng");
    TCase *tc = tcase_create("rng");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_fill);
    tcase_add_test(tc, test_readable_only);
    tcase_add_test(tc, test_many_requests);
    suite_add_tcase(s, tc);
    return check_run_suite(s);
}
