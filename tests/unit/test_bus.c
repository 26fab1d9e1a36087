/*
 * Bus registration (overlap rules) and dispatch.
 */
#include "vmm/bus.h"

#include "tests/unit/check_main.h"

#include <check.h>
#include <errno.h>
#include <string.h>

struct probe {
    uint64_t last_offset;
    uint32_t last_len;
    int reads, writes;
};

static void probe_read(void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
    struct probe *p = opaque;

    p->reads++;
    p->last_offset = offset;
    p->last_len = len;
    memset(data, 0x5a, len);
}

static void probe_write(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len)
{
    struct probe *p = opaque;

    p->writes++;
    p->last_offset = offset;
    p->last_len = len;
}

static const struct bus_ops probe_ops = {.read = probe_read, .write = probe_write};

START_TEST(test_overlap_rejected)
{
    struct bus bus;
    struct probe p = {0};

    bus_init(&bus, "test");
    ck_assert_int_eq(bus_register(&bus, 0x100, 0x10, &probe_ops, &p, "a"), 0);
    ck_assert_int_eq(bus_register(&bus, 0x100, 0x10, &probe_ops, &p, "same"), -EBUSY);
    ck_assert_int_eq(bus_register(&bus, 0x10f, 1, &probe_ops, &p, "last byte"), -EBUSY);
    ck_assert_int_eq(bus_register(&bus, 0xf0, 0x11, &probe_ops, &p, "first byte"),
                     -EBUSY);
    ck_assert_int_eq(bus_register(&bus, 0x0, 0x1000, &probe_ops, &p, "covers"), -EBUSY);
    ck_assert_int_eq(bus_register(&bus, 0x104, 2, &probe_ops, &p, "inside"), -EBUSY);
    /* Adjacent on both sides is fine. */
    ck_assert_int_eq(bus_register(&bus, 0xf0, 0x10, &probe_ops, &p, "below"), 0);
    ck_assert_int_eq(bus_register(&bus, 0x110, 0x10, &probe_ops, &p, "above"), 0);
    ck_assert_uint_eq(bus.nr, 3);
}
END_TEST

START_TEST(test_bad_ranges)
{
    struct bus bus;
    struct probe p = {0};

    bus_init(&bus, "test");
    ck_assert_int_eq(bus_register(&bus, 0x100, 0, &probe_ops, &p, "empty"), -EINVAL);
    ck_assert_int_eq(bus_register(&bus, UINT64_MAX, 2, &probe_ops, &p, "wraps"), -EINVAL);
    ck_assert_int_eq(bus_register(&bus, UINT64_MAX, 1, &probe_ops, &p, "last"), 0);
    ck_assert_int_eq(bus_register(&bus, 0, 1, NULL, &p, "no ops"), -EINVAL);
}
END_TEST

START_TEST(test_full)
{
    struct bus bus;
    struct probe p = {0};

    bus_init(&bus, "test");
    for (unsigned i = 0; i < BUS_MAX_DEVICES; i++)
        ck_assert_int_eq(bus_register(&bus, i * 0x10, 0x10, &probe_ops, &p, "d"), 0);
    ck_assert_int_eq(bus_register(&bus, 0x100000, 1, &probe_ops, &p, "one too many"),
                     -ENOSPC);
}
END_TEST

START_TEST(test_dispatch)
{
    struct bus bus;
    struct probe a = {0}, b = {0};
    uint8_t data[8];

    bus_init(&bus, "test");
    ck_assert_int_eq(bus_register(&bus, 0x3f8, 8, &probe_ops, &a, "com1"), 0);
    ck_assert_int_eq(bus_register(&bus, 0xd0000000, 0x1000, &probe_ops, &b, "mmio"), 0);

    ck_assert(bus_read(&bus, 0x3fd, data, 1));
    ck_assert_int_eq(a.reads, 1);
    ck_assert_uint_eq(a.last_offset, 5);
    ck_assert_uint_eq(data[0], 0x5a);

    ck_assert(bus_write(&bus, 0xd0000070, data, 4));
    ck_assert_int_eq(b.writes, 1);
    ck_assert_uint_eq(b.last_offset, 0x70);
    ck_assert_uint_eq(b.last_len, 4);

    /* Unclaimed: reads float high, writes are dropped, both say so. */
    ck_assert(!bus_read(&bus, 0x2f8, data, 2));
    ck_assert_uint_eq(data[0], 0xff);
    ck_assert_uint_eq(data[1], 0xff);
    ck_assert(!bus_write(&bus, 0x2f8, data, 1));
    /* An access straddling the end of a range belongs to nobody. */
    ck_assert(!bus_read(&bus, 0x3ff, data, 2));
    ck_assert(!bus_write(&bus, 0xd0000ffc, data, 8));
    ck_assert_int_eq(a.reads, 1);
    ck_assert_int_eq(b.writes, 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("bus");
    TCase *tc = tcase_create("bus");

    tcase_add_test(tc, test_overlap_rejected);
    tcase_add_test(tc, test_bad_ranges);
    tcase_add_test(tc, test_full);
    tcase_add_test(tc, test_dispatch);
    suite_add_tcase(s, tc);
    return check_run_suite(s);
}
