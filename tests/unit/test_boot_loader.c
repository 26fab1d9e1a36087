/*
 * boot_load() as a whole: files that are not kernels, bad configurations,
 * error-message handling, and the e820 map of a guest split around the
 * 32-bit MMIO hole.
 */
#include "test_boot_util.h"

#include <errno.h>
#include <sys/stat.h>

static int load_path(struct tb_vm *vm, const char *path, struct boot_info *bi)
{
    struct boot_config cfg = {.kernel_path = path, .nr_vcpus = 1};

    return boot_load(&vm->gm, &cfg, bi, vm->err, sizeof(vm->err));
}

START_TEST(rejects_files_that_are_not_kernels)
{
    static const uint8_t random_bytes[4096] = {0x13, 0x37, 0xde, 0xad, [4000] = 0x42};
    struct tb_vm vm;
    struct boot_info bi;
    const char *dir = tb_path("adir");

    tb_vm_init(&vm, 4 * TB_MIB);
    ck_assert_int_eq(load_path(&vm, tb_write_file("random", random_bytes, 4096), &bi),
                     -ENOEXEC);
    ck_assert_ptr_nonnull(strstr(vm.err, "is not a bzImage"));
    ck_assert_ptr_nonnull(strstr(vm.err, "random"));

    ck_assert_int_eq(load_path(&vm, tb_write_file("empty", "", 0), &bi), -ENOEXEC);
    ck_assert_ptr_nonnull(strstr(vm.err, "is empty"));

    ck_assert_int_eq(load_path(&vm, tb_write_file("tiny", "\x7f", 1), &bi), -ENOEXEC);
    ck_assert_ptr_nonnull(strstr(vm.err, "is not a bzImage"));

    ck_assert_int_eq(mkdir(dir, 0700), 0);
    ck_assert_int_eq(load_path(&vm, dir, &bi), -EISDIR);
    ck_assert_ptr_nonnull(strstr(vm.err, "is a directory"));

    ck_assert_int_eq(load_path(&vm, tb_path("missing"), &bi), -ENOENT);
    ck_assert_ptr_nonnull(strstr(vm.err, "No such file"));
    ck_assert_int_eq(bi.mode, BOOT_MODE_NONE);
    tb_vm_free(&vm);
}
END_TEST

START_TEST(rejects_bad_config)
{
    struct tb_bzimage bz;
    struct tb_vm vm;
    struct boot_info bi;
    struct boot_mmio_dev dev = {0xd0000000, 0x1000, 5};
    struct boot_config cfg = {.nr_vcpus = 1};

    tb_bzimage(&bz, 4096);
    tb_vm_init(&vm, 32 * TB_MIB);
    ck_assert_int_eq(boot_load(&vm.gm, &cfg, &bi, vm.err, sizeof(vm.err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(vm.err, "no kernel"));

    cfg.kernel_path = tb_write_file("bz", bz.data, bz.len);
    cfg.nr_vcpus = BOOT_MAX_VCPUS + 1;
    ck_assert_int_eq(boot_load(&vm.gm, &cfg, &bi, vm.err, sizeof(vm.err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(vm.err, "vCPUs"));

    cfg.nr_vcpus = 4;
    cfg.mmio_devs = &dev;
    cfg.nr_mmio_devs = 1;
    dev.gsi = 24;
    ck_assert_int_eq(boot_load(&vm.gm, &cfg, &bi, vm.err, sizeof(vm.err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(vm.err, "GSI 24"));
    dev.gsi = 5;
    dev.size = 0x800 + 1;
    ck_assert_int_eq(boot_load(&vm.gm, &cfg, &bi, vm.err, sizeof(vm.err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(vm.err, "virtio-mmio device 0"));
    dev.size = 0x1000;
    dev.base = 0xfffff000ULL + 0x1000;
    ck_assert_int_eq(boot_load(&vm.gm, &cfg, &bi, vm.err, sizeof(vm.err)), -EINVAL);
    dev.base = 0xd0000000;
    cfg.nr_mmio_devs = BOOT_MAX_MMIO_DEVS + 1;
    ck_assert_int_eq(boot_load(&vm.gm, &cfg, &bi, vm.err, sizeof(vm.err)), -EINVAL);
    cfg.nr_mmio_devs = 1;
    ck_assert_int_eq(boot_load(&vm.gm, &cfg, &bi, vm.err, sizeof(vm.err)), 0);
    tb_vm_free(&vm);

    tb_vm_init(&vm, 512 * 1024); /* no room for boot structures */
    ck_assert_int_eq(boot_load(&vm.gm, &cfg, &bi, vm.err, sizeof(vm.err)), -ENOSPC);
    ck_assert_ptr_nonnull(strstr(vm.err, "1 MiB"));
    tb_vm_free(&vm);
    free(bz.data);
}
END_TEST

START_TEST(error_message_is_bounded)
{
    struct tb_vm vm;
    struct boot_info bi;
    struct boot_config cfg = {.kernel_path = "/nonexistent/kernel", .nr_vcpus = 1};
    char small[8];

    tb_vm_init(&vm, 4 * TB_MIB);
    memset(small, 'Z', sizeof(small));
    ck_assert_int_eq(boot_load(&vm.gm, &cfg, &bi, small, sizeof(small)), -ENOENT);
    ck_assert_str_eq(small, "kernel ");
    /* A NULL buffer is allowed: only the errno comes back. */
    ck_assert_int_eq(boot_load(&vm.gm, &cfg, &bi, NULL, 0), -ENOENT);
    tb_vm_free(&vm);
}
END_TEST

START_TEST(e820_two_regions_around_the_hole)
{
    struct guest_mem gm;
    struct boot_e820_entry tab[8];
    int n;

    /* Only the region table matters to e820_build: no RAM is touched. */
    memset(&gm, 0, sizeof(gm));
    gm_layout(&gm, GM_HOLE_START + 2 * 1024 * TB_MIB);
    ck_assert_uint_eq(gm.nr_regions, 2);
    n = e820_build(&gm, tab, 8);
    ck_assert_int_eq(n, 4);
    ck_assert_uint_eq(tab[0].addr, 0);
    ck_assert_uint_eq(tab[0].size, X86_EBDA_START);
    ck_assert_uint_eq(tab[0].type, E820_RAM);
    ck_assert_uint_eq(tab[1].addr, X86_EBDA_START);
    ck_assert_uint_eq(tab[1].type, E820_RESERVED);
    ck_assert_uint_eq(tab[2].addr, X86_HIMEM_START);
    ck_assert_uint_eq(tab[2].addr + tab[2].size, GM_HOLE_START);
    ck_assert_uint_eq(tab[2].type, E820_RAM);
    ck_assert_uint_eq(tab[3].addr, GM_HIGH_START);
    ck_assert_uint_eq(tab[3].size, 2 * 1024 * TB_MIB);
    ck_assert_uint_eq(tab[3].type, E820_RAM);

    ck_assert_int_eq(e820_build(&gm, tab, 3), -ENOSPC);
}
END_TEST

static Suite *loader_suite(void)
{
    Suite *s = suite_create("boot_loader");
    TCase *tc = tcase_create("loader");

    tcase_add_test(tc, rejects_files_that_are_not_kernels);
    tcase_add_test(tc, rejects_bad_config);
    tcase_add_test(tc, error_message_is_bounded);
    tcase_add_test(tc, e820_two_regions_around_the_hole);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tb_run(loader_suite());
}
