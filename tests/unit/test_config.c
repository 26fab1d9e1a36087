/*
 * Size parsing and command-line validation.
 */
#include "vmm/config.h"

#include "tests/unit/check_main.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

START_TEST(test_parse_size_units)
{
    uint64_t v;

    ck_assert_int_eq(parse_size("4096", &v), 0);
    ck_assert_uint_eq(v, 4096);
    ck_assert_int_eq(parse_size("64K", &v), 0);
    ck_assert_uint_eq(v, 64 << 10);
    ck_assert_int_eq(parse_size("256M", &v), 0);
    ck_assert_uint_eq(v, 256ULL << 20);
    ck_assert_int_eq(parse_size("2g", &v), 0);
    ck_assert_uint_eq(v, 2ULL << 30);
    ck_assert_int_eq(parse_size("1T", &v), 0);
    ck_assert_uint_eq(v, 1ULL << 40);
    ck_assert_int_eq(parse_size("512MiB", &v), 0);
    ck_assert_uint_eq(v, 512ULL << 20);
    ck_assert_int_eq(parse_size("1GB", &v), 0);
    ck_assert_uint_eq(v, 1ULL << 30);
}
END_TEST

START_TEST(test_parse_size_bad)
{
    uint64_t v = 42;

    ck_assert_int_eq(parse_size("", &v), -EINVAL);
    ck_assert_int_eq(parse_size("M", &v), -EINVAL);
    ck_assert_int_eq(parse_size("-1M", &v), -EINVAL);
    ck_assert_int_eq(parse_size("12Q", &v), -EINVAL);
    ck_assert_int_eq(parse_size("1.5G", &v), -EINVAL);
    ck_assert_int_eq(parse_size("256 M", &v), -EINVAL);
    ck_assert_int_eq(parse_size("4096iB", &v), -EINVAL);
    ck_assert_int_eq(parse_size(NULL, &v), -EINVAL);
    /* Overflow, in the digits and in the shift. */
    ck_assert_int_eq(parse_size("18446744073709551616", &v), -ERANGE);
    ck_assert_int_eq(parse_size("17179869184G", &v), -ERANGE);
    ck_assert_int_eq(parse_size("16777216T", &v), -ERANGE);
    ck_assert_uint_eq(v, 42); /* untouched on failure */
    ck_assert_int_eq(parse_size("18446744073709551615", &v), 0);
    ck_assert_uint_eq(v, UINT64_MAX);
}
END_TEST

START_TEST(test_parse_uint)
{
    unsigned v;

    ck_assert_int_eq(parse_uint("1", 1, 32, &v), 0);
    ck_assert_uint_eq(v, 1);
    ck_assert_int_eq(parse_uint("32", 1, 32, &v), 0);
    ck_assert_int_eq(parse_uint("0", 1, 32, &v), -ERANGE);
    ck_assert_int_eq(parse_uint("33", 1, 32, &v), -ERANGE);
    ck_assert_int_eq(parse_uint("99999999999999999999", 1, 32, &v), -ERANGE);
    ck_assert_int_eq(parse_uint("4x", 1, 32, &v), -EINVAL);
    ck_assert_int_eq(parse_uint("", 1, 32, &v), -EINVAL);
    ck_assert_int_eq(parse_uint("-1", 1, 32, &v), -EINVAL);
}
END_TEST

/* Run the parser on a NULL-terminated argv list. */
static enum config_action parse(struct vm_config *cfg, char *err, const char **args)
{
    char *argv[32];
    int argc = 0;

    argv[argc++] = (char *)"gmvm";
    for (; *args; args++)
        argv[argc++] = (char *)*args;
    argv[argc] = NULL;
    return config_parse_args(argc, argv, cfg, err, 256);
}

START_TEST(test_cli_valid)
{
    struct vm_config cfg;
    char err[256];
    const char *args[] = {"--kernel",  "/bin/sh",
                          "--memory",  "2G",
                          "--vcpus",   "4",
                          "--cmdline", "console=ttyS0",
                          "--disk",    "/tmp/a,readonly",
                          "--disk",    "/tmp/b",
                          "--rng",     "--memory-backend",
                          "anon",      NULL};

    ck_assert_int_eq(parse(&cfg, err, args), CONFIG_RUN);
    ck_assert_str_eq(cfg.kernel, "/bin/sh");
    ck_assert_uint_eq(cfg.memory, 2ULL << 30);
    ck_assert_uint_eq(cfg.vcpus, 4);
    ck_assert_str_eq(cfg.cmdline, "console=ttyS0");
    ck_assert_uint_eq(cfg.nr_disks, 2);
    ck_assert_str_eq(cfg.disks[0].path, "/tmp/a");
    ck_assert(cfg.disks[0].readonly);
    ck_assert_str_eq(cfg.disks[1].path, "/tmp/b");
    ck_assert(!cfg.disks[1].readonly);
    ck_assert(cfg.rng);
    ck_assert_int_eq(cfg.backend, GM_BACKEND_ANON);
}
END_TEST

START_TEST(test_cli_defaults)
{
    struct vm_config cfg;
    char err[256];
    const char *args[] = {"--kernel", "/bin/sh", NULL};

    ck_assert_int_eq(parse(&cfg, err, args), CONFIG_RUN);
    ck_assert_uint_eq(cfg.memory, CONFIG_DEFAULT_MEMORY);
    ck_assert_uint_eq(cfg.vcpus, 1);
    ck_assert_int_eq(cfg.backend, GM_BACKEND_GUEST_MEMFD);
    ck_assert_ptr_null(cfg.initrd);
}
END_TEST

/* Each bad command line fails with a message naming the culprit. */
static void expect_error(const char **args, const char *needle)
{
    struct vm_config cfg;
    char err[256] = "";

    ck_assert_int_eq(parse(&cfg, err, args), CONFIG_ERROR);
    ck_assert_msg(strstr(err, needle), "error '%s' lacks '%s'", err, needle);
    ck_assert_ptr_null(strchr(err, '\n'));
}

START_TEST(test_cli_errors)
{
    expect_error((const char *[]){NULL}, "--kernel");
    expect_error((const char *[]){"--kernel", "/nonexistent", NULL}, "/nonexistent");
    expect_error((const char *[]){"--kernel", "/tmp", NULL}, "not a regular file");
    expect_error((const char *[]){"--kernel", "/bin/sh", "--memory", "lots", NULL},
                 "--memory 'lots'");
    expect_error((const char *[]){"--kernel", "/bin/sh", "--memory", "1M", NULL},
                 "4M to 1T");
    expect_error((const char *[]){"--kernel", "/bin/sh", "--memory", "2T", NULL},
                 "--memory");
    expect_error((const char *[]){"--kernel", "/bin/sh", "--memory", "5000", NULL},
                 "--memory");
    expect_error((const char *[]){"--kernel", "/bin/sh", "--vcpus", "0", NULL},
                 "1 to 32");
    expect_error((const char *[]){"--kernel", "/bin/sh", "--vcpus", "33", NULL},
                 "--vcpus");
    expect_error((const char *[]){"--kernel", "/bin/sh", "--memory-backend", "shm", NULL},
                 "guest_memfd or anon");
    expect_error((const char *[]){"--kernel", "/bin/sh", "--initrd", "/nope", NULL},
                 "--initrd /nope");
    expect_error((const char *[]){"--kernel", "/bin/sh", "--bogus", NULL}, "--bogus");
    expect_error((const char *[]){"--kernel", "/bin/sh", "stray", NULL}, "stray");
    expect_error((const char *[]){"--kernel", NULL}, "needs a value");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("config");

    tcase_add_test(tc, test_parse_size_units);
    tcase_add_test(tc, test_parse_size_bad);
    tcase_add_test(tc, test_parse_uint);
    tcase_add_test(tc, test_cli_valid);
    tcase_add_test(tc, test_cli_defaults);
    tcase_add_test(tc, test_cli_errors);
    suite_add_tcase(s, tc);
    return check_run_suite(s);
}
