/*
 * bzImage loading on a fake guest memory: load address, boot_params, e820,
 * command line, initrd placement, and the header checks' error messages.
 */
#include "test_boot_util.h"

#include <errno.h>

static struct boot_config bz_cfg(const char *kernel)
{
    return (struct boot_config){
        .kernel_path = kernel, .cmdline = "console=ttyS0", .nr_vcpus = 1};
}

START_TEST(bzimage_loads_at_pref_address)
{
    static const struct boot_mmio_dev devs[] = {{0xd0000000, 0x1000, 5},
                                                {0xd0001000, 0x1000, 6}};
    struct tb_bzimage bz;
    struct tb_vm vm;
    struct boot_info bi;
    struct boot_config cfg;
    struct boot_params *bp;
    const char *cmdline;

    tb_bzimage(&bz, 64 * 1024);
    cfg = bz_cfg(tb_write_file("bz", bz.data, bz.len));
    cfg.mmio_devs = devs;
    cfg.nr_mmio_devs = 2;
    tb_vm_init(&vm, 64 * TB_MIB);
    ck_assert_int_eq(boot_load(&vm.gm, &cfg, &bi, vm.err, sizeof(vm.err)), 0);
    ck_assert_str_eq(vm.err, "");
    ck_assert_int_eq(bi.mode, BOOT_MODE_LONG64);
    ck_assert_uint_eq(bi.entry, 0x1000000 + 0x200);
    ck_assert_uint_eq(bi.arg, X86_ZERO_PAGE_ADDR);
    ck_assert_int_eq(bi.linux_guest, 1);
    ck_assert_mem_eq(vm.ram + 0x1000000, bz.data + TB_BZ_SETUP_SIZE, 64 * 1024);

    bp = (struct boot_params *)(vm.ram + X86_ZERO_PAGE_ADDR);
    ck_assert_uint_eq(bp->hdr.header, SETUP_HDR_MAGIC);
    ck_assert_uint_eq(bp->hdr.type_of_loader, 0xff);
    ck_assert_uint_eq(bp->hdr.cmd_line_ptr, X86_CMDLINE_ADDR);
    ck_assert_uint_eq(bp->hdr.code32_start, 0x1000000);
    ck_assert_uint_eq(bp->hdr.ramdisk_size, 0);
    ck_assert_uint_eq(bp->acpi_rsdp_addr, X86_ACPI_ADDR);
    ck_assert_mem_eq(vm.ram + X86_ACPI_ADDR, "RSD PTR ", 8);

    /* e820: low RAM, the reserved EBDA..1 MiB hole, RAM from 1 MiB up. */
    ck_assert_uint_eq(bp->e820_entries, 3);
    ck_assert_uint_eq(bp->e820_table[0].addr, 0);
    ck_assert_uint_eq(bp->e820_table[0].size, X86_EBDA_START);
    ck_assert_uint_eq(bp->e820_table[0].type, E820_RAM);
    ck_assert_uint_eq(bp->e820_table[1].addr, X86_EBDA_START);
    ck_assert_uint_eq(bp->e820_table[1].size, X86_HIMEM_START - X86_EBDA_START);
    ck_assert_uint_eq(bp->e820_table[1].type, E820_RESERVED);
    ck_assert_uint_eq(bp->e820_table[2].addr, X86_HIMEM_START);
    ck_assert_uint_eq(bp->e820_table[2].size, 64 * TB_MIB - X86_HIMEM_START);
    ck_assert_uint_eq(bp->e820_table[2].type, E820_RAM);

    cmdline = (const char *)vm.ram + X86_CMDLINE_ADDR;
    ck_assert_str_eq(cmdline, "console=ttyS0 virtio_mmio.device=4K@0xd0000000:5 "
                              "virtio_mmio.device=4K@0xd0001000:6");
    tb_vm_free(&vm);
    free(bz.data);
}
END_TEST

START_TEST(bzimage_relocates_when_pref_is_not_ram)
{
    struct tb_bzimage bz;
    struct tb_vm vm;
    struct boot_info bi;
    struct boot_config cfg;

    tb_bzimage(&bz, 4096);
    bz.hdr->pref_address = 0x40000000; /* 1 GiB: beyond this 16 MiB guest */
    cfg = bz_cfg(tb_write_file("bz", bz.data, bz.len));
    tb_vm_init(&vm, 16 * TB_MIB);
    ck_assert_int_eq(boot_load(&vm.gm, &cfg, &bi, vm.err, sizeof(vm.err)), 0);
    /* lowest 2 MiB-aligned address at or above 1 MiB */
    ck_assert_uint_eq(bi.entry, 0x200000 + 0x200);

    bz.hdr->relocatable_kernel = 0;
    cfg = bz_cfg(tb_write_file("bz2", bz.data, bz.len));
    ck_assert_int_eq(boot_load(&vm.gm, &cfg, &bi, vm.err, sizeof(vm.err)), -ENOSPC);
    ck_assert_ptr_nonnull(strstr(vm.err, "must load at 0x40000000"));
    ck_assert_int_eq(bi.mode, BOOT_MODE_NONE);
    tb_vm_free(&vm);
    free(bz.data);
}
END_TEST

START_TEST(bzimage_initrd_at_top_of_low_ram)
{
    struct tb_bzimage bz;
    struct tb_vm vm;
    struct boot_info bi;
    struct boot_config cfg;
    struct boot_params *bp;
    size_t rd_len = 3 * 4096 + 123;
    uint8_t *rd = malloc(rd_len);

    for (size_t i = 0; i < rd_len; i++)
        rd[i] = (uint8_t)(i ^ (i >> 8));
    tb_bzimage(&bz, 4096);
    bz.hdr->initrd_addr_max = 0x2ffffff; /* below the 64 MiB RAM end */
    cfg = bz_cfg(tb_write_file("bz", bz.data, bz.len));
    cfg.initrd_path = tb_write_file("initrd", rd, rd_len);
    tb_vm_init(&vm, 64 * TB_MIB);
    ck_assert_int_eq(boot_load(&vm.gm, &cfg, &bi, vm.err, sizeof(vm.err)), 0);
    bp = (struct boot_params *)(vm.ram + X86_ZERO_PAGE_ADDR);
    ck_assert_uint_eq(bp->hdr.ramdisk_size, rd_len);
    ck_assert_uint_eq(bp->hdr.ramdisk_image % 4096, 0);
    ck_assert_uint_le(bp->hdr.ramdisk_image + rd_len, 0x3000000);
    ck_assert_uint_gt(bp->hdr.ramdisk_image + rd_len, 0x3000000 - 4096);
    ck_assert_mem_eq(vm.ram + bp->hdr.ramdisk_image, rd, rd_len);
    tb_vm_free(&vm);
    free(bz.data);
    free(rd);
}
END_TEST

START_TEST(bzimage_initrd_too_big)
{
    struct tb_bzimage bz;
    struct tb_vm vm;
    struct boot_info bi;
    struct boot_config cfg;
    size_t rd_len = 15 * TB_MIB;
    uint8_t *rd = calloc(1, rd_len);

    tb_bzimage(&bz, 4096);
    cfg = bz_cfg(tb_write_file("bz", bz.data, bz.len));
    cfg.initrd_path = tb_write_file("initrd", rd, rd_len);
    /* kernel at 16 MiB needs 16 KiB; 24 MiB of RAM leave < 8 MiB above it */
    tb_vm_init(&vm, 24 * TB_MIB);
    ck_assert_int_eq(boot_load(&vm.gm, &cfg, &bi, vm.err, sizeof(vm.err)), -ENOSPC);
    ck_assert_ptr_nonnull(strstr(vm.err, "initrd"));
    ck_assert_ptr_nonnull(strstr(vm.err, "does not fit"));
    tb_vm_free(&vm);
    free(bz.data);
    free(rd);
}
END_TEST

START_TEST(bzimage_cmdline_too_long)
{
    struct tb_bzimage bz;
    struct tb_vm vm;
    struct boot_info bi;
    struct boot_config cfg;
    char line[200];

    memset(line, 'x', sizeof(line) - 1);
    line[sizeof(line) - 1] = '\0';
    tb_bzimage(&bz, 4096);
    bz.hdr->cmdline_size = 100;
    cfg = bz_cfg(tb_write_file("bz", bz.data, bz.len));
    cfg.cmdline = line;
    tb_vm_init(&vm, 32 * TB_MIB);
    ck_assert_int_eq(boot_load(&vm.gm, &cfg, &bi, vm.err, sizeof(vm.err)), -E2BIG);
    ck_assert_ptr_nonnull(strstr(vm.err, "at most 100"));

    line[100] = '\0'; /* exactly cmdline_size bytes fits */
    ck_assert_int_eq(boot_load(&vm.gm, &cfg, &bi, vm.err, sizeof(vm.err)), 0);
    ck_assert_uint_eq(strlen((char *)vm.ram + X86_CMDLINE_ADDR), 100);
    tb_vm_free(&vm);
    free(bz.data);
}
END_TEST

/* Each corruption of the header: errno and a word the message must hold. */
START_TEST(bzimage_bad_headers)
{
    static const struct {
        const char *what;
        int ret;
    } cases[] = {
        {"truncated", -ENOEXEC},     {"aa55", -ENOEXEC},
        {"2.12", -ENOEXEC},          {"zImage", -ENOEXEC},
        {"XLF_KERNEL_64", -ENOEXEC}, {"power of two", -ENOEXEC},
        {"setup header", -ENOEXEC},  {"truncated", -ENOEXEC},
    };
    unsigned i = (unsigned)_i;
    struct tb_bzimage bz;
    struct tb_vm vm;
    struct boot_info bi;
    struct boot_config cfg;
    size_t len;

    tb_bzimage(&bz, 64 * 1024);
    len = bz.len;
    switch (i) {
    case 0:
        len -= 1000;
        break; /* cut the protected-mode part */
    case 1:
        bz.hdr->boot_flag = 0;
        break;
    case 2:
        bz.hdr->version = 0x020b;
        break;
    case 3:
        bz.hdr->loadflags = 0;
        break;
    case 4:
        bz.hdr->xloadflags = 0;
        break;
    case 5:
        bz.hdr->kernel_alignment = 0x300000;
        break;
    case 6:
        bz.data[0x201] = 0x10;
        break; /* header jump ends too early */
    case 7:
        len = TB_BZ_SETUP_SIZE;
        break; /* setup only, no kernel at all */
    }
    cfg = bz_cfg(tb_write_file("bz", bz.data, len));
    tb_vm_init(&vm, 32 * TB_MIB);
    ck_assert_int_eq(boot_load(&vm.gm, &cfg, &bi, vm.err, sizeof(vm.err)), cases[i].ret);
    ck_assert_msg(strstr(vm.err, cases[i].what), "case %u: '%s' lacks '%s'", i, vm.err,
                  cases[i].what);
    ck_assert_msg(strstr(vm.err, cfg.kernel_path), "message names the file: %s", vm.err);
    tb_vm_free(&vm);
    free(bz.data);
}
END_TEST

static Suite *bzimage_suite(void)
{
    Suite *s = suite_create("boot_bzimage");
    TCase *tc = tcase_create("bzimage");

    tcase_add_test(tc, bzimage_loads_at_pref_address);
    tcase_add_test(tc, bzimage_relocates_when_pref_is_not_ram);
    tcase_add_test(tc, bzimage_initrd_at_top_of_low_ram);
    tcase_add_test(tc, bzimage_initrd_too_big);
    tcase_add_test(tc, bzimage_cmdline_too_long);
    tcase_add_loop_test(tc, bzimage_bad_headers, 0, 8);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tb_run(bzimage_suite());
}
