/*
 * The AML writer, byte for byte against encodings worked out from the ACPI
 * 6.5 grammar: integers, names, PkgLength at each size, buffers, resource
 * descriptors, and its sticky errors.
 */
#include "boot/aml.h"

#include "tests/unit/check_main.h"

#include <check.h>
#include <errno.h>
#include <string.h>

static uint8_t buf[70000];

#define EXPECT(a, ...)                                                                   \
    do {                                                                                 \
        static const uint8_t want[] = {__VA_ARGS__};                                     \
        ck_assert_int_eq(aml_finish(a), (int)sizeof(want));                              \
        ck_assert_mem_eq(buf, want, sizeof(want));                                       \
    } while (0)

START_TEST(integers_use_the_shortest_form)
{
    struct aml a;

    aml_init(&a, buf, sizeof(buf));
    aml_integer(&a, 0);
    aml_integer(&a, 1);
    aml_integer(&a, 0x2a);
    aml_integer(&a, 0x1234);
    aml_integer(&a, 0xd0000000);
    aml_integer(&a, 0x100000000ULL);
    EXPECT(&a, 0x00, 0x01, 0x0a, 0x2a, 0x0b, 0x34, 0x12, 0x0c, 0x00, 0x00, 0x00, 0xd0,
           0x0e, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00);
}
END_TEST

START_TEST(names_and_strings)
{
    struct aml a;

    aml_init(&a, buf, sizeof(buf));
    aml_namestring(&a, "\\_SB_");
    aml_namestring(&a, "COM");         /* padded with '_' */
    aml_namestring(&a, "\\_SB_.COM1"); /* DualNamePrefix */
    aml_namestring(&a, "A.B.C");       /* MultiNamePrefix, count 3 */
    aml_namestring(&a, "\\");          /* root: NullName */
    aml_string(&a, "Hi");
    EXPECT(&a, '\\', '_', 'S', 'B', '_', 'C', 'O', 'M', '_', '\\', 0x2e, '_', 'S', 'B',
           '_', 'C', 'O', 'M', '1', 0x2f, 3, 'A', '_', '_', '_', 'B', '_', '_', '_', 'C',
           '_', '_', '_', '\\', 0x00, 0x0d, 'H', 'i', 0x00);
}
END_TEST

START_TEST(eisaid)
{
    ck_assert_uint_eq(aml_eisaid("PNP0501"), 0x0105d041);
    ck_assert_uint_eq(aml_eisaid("PNP0A03"), 0x030ad041);
    ck_assert_uint_eq(aml_eisaid("bad"), 0);
}
END_TEST

START_TEST(device_with_resource_template)
{
    struct aml a;

    aml_init(&a, buf, sizeof(buf));
    aml_device(&a, "V000");
    aml_name(&a, "_CRS");
    aml_buffer(&a);
    aml_res_mem32_fixed(&a, 0xd0000000, 0x1000, true);
    aml_res_ext_irq(&a, 5, AML_IRQ_CONSUMER | AML_IRQ_EDGE);
    aml_res_end(&a);
    aml_close(&a);
    aml_close(&a);
    /* Buffer: 12 + 9 + 2 = 23 bytes of descriptors, BufferSize 0x0a 0x17,
     * PkgLength 1 + 2 + 23 = 26. Device: 4 (name) + 5 (Name _CRS) + 1 +
     * 26 = 36, PkgLength 37 = 0x25. */
    EXPECT(&a, 0x5b, 0x82, 0x25, 'V', '0', '0', '0', 0x08, '_', 'C', 'R', 'S', 0x11, 0x1a,
           0x0a, 0x17, 0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0xd0, 0x00, 0x10, 0x00,
           0x00, 0x89, 0x06, 0x00, 0x03, 0x01, 0x05, 0x00, 0x00, 0x00, 0x79, 0x00);
}
END_TEST

START_TEST(small_resources)
{
    struct aml a;

    aml_init(&a, buf, sizeof(buf));
    aml_res_io(&a, 0x3f8, 8);
    aml_res_irq(&a, 4);
    EXPECT(&a, 0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08, 0x22, 0x10, 0x00);
}
END_TEST

/* A scope whose body is @body bytes: the PkgLength bytes that come out. */
static size_t pkglen_of(size_t body, uint8_t out[4])
{
    static uint8_t filler[0x100000];
    struct aml a;
    size_t n;

    aml_init(&a, buf, sizeof(buf));
    aml_package(&a, 0);
    aml_bytes(&a, filler, body - 1); /* NumElements is one byte of the body */
    aml_close(&a);
    ck_assert_int_ge(aml_finish(&a), 0);
    n = a.len - 1 - body;
    memcpy(out, buf + 1, n);
    return n;
}

START_TEST(pkglength_sizes)
{
    uint8_t e[4];

    ck_assert_uint_eq(pkglen_of(0x3e, e), 1); /* 0x3e + 1 = 0x3f: one byte */
    ck_assert_uint_eq(e[0], 0x3f);
    ck_assert_uint_eq(pkglen_of(0x3f, e), 2); /* 0x41 in two bytes */
    ck_assert_uint_eq(e[0], 0x41);
    ck_assert_uint_eq(e[1], 0x04);
    ck_assert_uint_eq(pkglen_of(0xffd, e), 2); /* 0xfff: the largest 2-byte */
    ck_assert_uint_eq(e[0], 0x4f);
    ck_assert_uint_eq(e[1], 0xff);
    ck_assert_uint_eq(pkglen_of(0xffe, e), 3); /* 0x1001 */
    ck_assert_uint_eq(e[0], 0x81);
    ck_assert_uint_eq(e[1], 0x00);
    ck_assert_uint_eq(e[2], 0x01);
}
END_TEST

START_TEST(errors_are_sticky)
{
    uint8_t small[8];
    struct aml a;

    aml_init(&a, small, sizeof(small));
    aml_string(&a, "much too long");
    aml_integer(&a, 1);
    ck_assert_int_eq(aml_finish(&a), -ENOSPC);

    aml_init(&a, buf, sizeof(buf));
    aml_namestring(&a, "TOOLONG");
    ck_assert_int_eq(aml_finish(&a), -EINVAL);
    aml_init(&a, buf, sizeof(buf));
    aml_namestring(&a, "1ABC");
    ck_assert_int_eq(aml_finish(&a), -EINVAL);
    aml_init(&a, buf, sizeof(buf));
    aml_namestring(&a, "AB..C");
    ck_assert_int_eq(aml_finish(&a), -EINVAL);
    aml_init(&a, buf, sizeof(buf));
    aml_scope(&a, "\\_SB_"); /* never closed */
    ck_assert_int_eq(aml_finish(&a), -EINVAL);
    aml_init(&a, buf, sizeof(buf));
    aml_close(&a); /* nothing open */
    ck_assert_int_eq(aml_finish(&a), -EINVAL);

    /* Closing needs room for the PkgLength: full buffer = -ENOSPC. */
    aml_init(&a, small, sizeof(small));
    aml_package(&a, 0);
    aml_bytes(&a, "123456", 6);
    aml_close(&a);
    ck_assert_int_eq(aml_finish(&a), -ENOSPC);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("acpi_aml");
    TCase *tc = tcase_create("aml");

    tcase_add_test(tc, integers_use_the_shortest_form);
    tcase_add_test(tc, names_and_strings);
    tcase_add_test(tc, eisaid);
    tcase_add_test(tc, device_with_resource_template);
    tcase_add_test(tc, small_resources);
    tcase_add_test(tc, pkglength_sizes);
    tcase_add_test(tc, errors_are_sticky);
    suite_add_tcase(s, tc);
    return check_run_suite(s);
}
