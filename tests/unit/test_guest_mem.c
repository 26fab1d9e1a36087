/*
 * Guest memory bounds: the checks every device relies on.
 */
#include "vmm/guest_mem.h"

#include "tests/unit/check_main.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint8_t buf[0x10000];

/* Two fake regions with a hole between them, like low RAM and high RAM. */
static void two_regions(struct guest_mem *gm, uint8_t *a, uint8_t *b)
{
    memset(gm, 0, sizeof(*gm));
    gm->backend = GM_BACKEND_FAKE;
    gm->fd = -1;
    gm->nr_regions = 2;
    gm->regions[0] = (struct gm_region){.gpa = 0, .size = 0x1000, .host = a};
    gm->regions[1] = (struct gm_region){.gpa = 0x3000, .size = 0x1000, .host = b};
}

START_TEST(test_ptr_inside)
{
    struct guest_mem gm;

    gm_init_fake(&gm, buf, 0x100000, sizeof(buf));
    ck_assert_ptr_eq(gm_ptr(&gm, 0x100000, 1), buf);
    ck_assert_ptr_eq(gm_ptr(&gm, 0x100000 + 0x10, 0x20), buf + 0x10);
    ck_assert_ptr_eq(gm_ptr(&gm, 0x100000, sizeof(buf)), buf);
    ck_assert_ptr_eq(gm_ptr(&gm, 0x10ffff, 1), buf + 0xffff);
    /* Zero length at the end is a valid empty range. */
    ck_assert_ptr_eq(gm_ptr(&gm, 0x110000, 0), buf + sizeof(buf));
}
END_TEST

START_TEST(test_ptr_outside)
{
    struct guest_mem gm;

    gm_init_fake(&gm, buf, 0x100000, sizeof(buf));
    ck_assert_ptr_null(gm_ptr(&gm, 0xfffff, 1));  /* just below */
    ck_assert_ptr_null(gm_ptr(&gm, 0xfffff, 2));  /* straddles the start */
    ck_assert_ptr_null(gm_ptr(&gm, 0x110000, 1)); /* just past the end */
    ck_assert_ptr_null(gm_ptr(&gm, 0x10ffff, 2)); /* crosses the end */
    ck_assert_ptr_null(gm_ptr(&gm, 0x100000, sizeof(buf) + 1));
    ck_assert_ptr_null(gm_ptr(&gm, 0, 0));
}
END_TEST

START_TEST(test_ptr_overflow)
{
    struct guest_mem gm;

    gm_init_fake(&gm, buf, 0x100000, sizeof(buf));
    /* gpa + len wraps past UINT64_MAX back into the region. */
    ck_assert_ptr_null(gm_ptr(&gm, 0x100010, UINT64_MAX));
    ck_assert_ptr_null(gm_ptr(&gm, UINT64_MAX, 2));
    ck_assert_ptr_null(gm_ptr(&gm, UINT64_MAX, 1));
    ck_assert_ptr_null(gm_ptr(&gm, UINT64_MAX - 0xf, 0x100020));
    ck_assert_ptr_null(gm_ptr(&gm, 0x100000, UINT64_MAX - 0xfffff + 1));
}
END_TEST

START_TEST(test_ptr_region_at_top_of_address_space)
{
    struct guest_mem gm;

    /* A region ending exactly at 2^64 - 1: the last byte is reachable,
     * one more is not. */
    gm_init_fake(&gm, buf, UINT64_MAX - sizeof(buf) + 1, sizeof(buf) - 1);
    ck_assert_ptr_eq(gm_ptr(&gm, UINT64_MAX - sizeof(buf) + 1, 1), buf);
    ck_assert_ptr_null(gm_ptr(&gm, UINT64_MAX - 1, 2));
}
END_TEST

START_TEST(test_ptr_crossing_between_regions)
{
    static uint8_t a[0x1000], b[0x1000];
    struct guest_mem gm;

    two_regions(&gm, a, b);
    ck_assert_ptr_eq(gm_ptr(&gm, 0xfff, 1), a + 0xfff);
    ck_assert_ptr_eq(gm_ptr(&gm, 0x3000, 0x1000), b);
    ck_assert_ptr_null(gm_ptr(&gm, 0xfff, 2));    /* runs into the hole */
    ck_assert_ptr_null(gm_ptr(&gm, 0x2fff, 2));   /* starts in the hole */
    ck_assert_ptr_null(gm_ptr(&gm, 0x0, 0x4000)); /* spans both */
    ck_assert_ptr_null(gm_ptr(&gm, 0x1000, 1));
}
END_TEST

START_TEST(test_read_write_copy)
{
    struct guest_mem gm;
    uint8_t out[4] = {0};

    memset(buf, 0, sizeof(buf));
    gm_init_fake(&gm, buf, 0x1000, sizeof(buf));
    ck_assert_int_eq(gm_write(&gm, 0x1004, "abcd", 4), 0);
    ck_assert_int_eq(memcmp(buf + 4, "abcd", 4), 0);
    ck_assert_int_eq(gm_read(&gm, out, 0x1004, 4), 0);
    ck_assert_int_eq(memcmp(out, "abcd", 4), 0);
    /* A failed write touches nothing. */
    ck_assert_int_eq(gm_write(&gm, 0x1000 + sizeof(buf) - 2, "wxyz", 4), -EFAULT);
    ck_assert_uint_eq(buf[sizeof(buf) - 2], 0);
    ck_assert_int_eq(gm_read(&gm, out, UINT64_MAX - 1, 4), -EFAULT);
}
END_TEST

START_TEST(test_layout_small)
{
    struct guest_mem gm;

    gm_layout(&gm, 256ULL << 20);
    ck_assert_uint_eq(gm.nr_regions, 1);
    ck_assert_uint_eq(gm.regions[0].gpa, 0);
    ck_assert_uint_eq(gm.regions[0].size, 256ULL << 20);
    ck_assert_uint_eq(gm.regions[0].offset, 0);
}
END_TEST

START_TEST(test_layout_around_hole)
{
    struct guest_mem gm;

    gm_layout(&gm, 5ULL << 30);
    ck_assert_uint_eq(gm.nr_regions, 2);
    ck_assert_uint_eq(gm.regions[0].size, GM_HOLE_START);
    ck_assert_uint_eq(gm.regions[1].gpa, GM_HIGH_START);
    ck_assert_uint_eq(gm.regions[1].size, (5ULL << 30) - GM_HOLE_START);
    /* The high slot continues in the same guest_memfd where the low ended. */
    ck_assert_uint_eq(gm.regions[1].offset, GM_HOLE_START);

    gm_layout(&gm, GM_HOLE_START);
    ck_assert_uint_eq(gm.nr_regions, 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("guest_mem");
    TCase *tc = tcase_create("bounds");

    tcase_add_test(tc, test_ptr_inside);
    tcase_add_test(tc, test_ptr_outside);
    tcase_add_test(tc, test_ptr_overflow);
    tcase_add_test(tc, test_ptr_region_at_top_of_address_space);
    tcase_add_test(tc, test_ptr_crossing_between_regions);
    tcase_add_test(tc, test_read_write_copy);
    tcase_add_test(tc, test_layout_small);
    tcase_add_test(tc, test_layout_around_hole);
    suite_add_tcase(s, tc);
    return check_run_suite(s);
}
