/*
 * ELF loading on a fake guest memory: ELF32 bare programs, ELF64 vmlinux
 * through PVH and through the plain 64-bit entry, and every rejected shape
 * of segment and header.
 */
#include "test_boot_util.h"

#include <errno.h>

static int load(struct tb_vm *vm, const uint8_t *file, size_t len, struct boot_info *bi,
                const char *initrd)
{
    struct boot_config cfg = {.kernel_path = tb_write_file("elf", file, len),
                              .initrd_path = initrd,
                              .cmdline = "quiet",
                              .nr_vcpus = 2};

    return boot_load(&vm->gm, &cfg, bi, vm->err, sizeof(vm->err));
}

START_TEST(elf32_bare_program)
{
    struct tb_seg segs[] = {{PT_LOAD, 0x100000, 0x200, 0x1000, NULL}};
    struct tb_vm vm;
    struct boot_info bi;
    size_t len;
    uint8_t *f = tb_elf(32, EM_386, 0x100010, segs, 1, &len);

    tb_vm_init(&vm, 4 * TB_MIB);
    memset(vm.ram + 0x100000, 0xcc, 0x1000); /* bss must be cleared */
    ck_assert_int_eq(load(&vm, f, len, &bi, NULL), 0);
    ck_assert_int_eq(bi.mode, BOOT_MODE_PROT32);
    ck_assert_uint_eq(bi.entry, 0x100010);
    ck_assert_uint_eq(bi.stack, X86_BARE_STACK_TOP);
    ck_assert_int_eq(bi.linux_guest, 0);
    ck_assert_mem_eq(vm.ram + 0x100000, f + len - 0x200, 0x200);
    for (unsigned i = 0x200; i < 0x1000; i++)
        ck_assert_uint_eq(vm.ram[0x100000 + i], 0);
    /* no Linux structures: no ACPI, no zero page, no command line */
    ck_assert_uint_eq(vm.ram[X86_ACPI_ADDR], 0);
    ck_assert_uint_eq(vm.ram[X86_CMDLINE_ADDR], 0);
    tb_vm_free(&vm);
    free(f);
}
END_TEST

START_TEST(elf64_pvh_entry)
{
    struct tb_pvh_note note = tb_pvh_note(0x1000100);
    struct tb_seg segs[] = {{PT_LOAD, 0x1000000, 0x800, 0x4000, NULL},
                            {PT_NOTE, 0, sizeof(note), sizeof(note), &note}};
    struct tb_vm vm;
    struct boot_info bi;
    struct hvm_start_info si;
    struct hvm_modlist_entry mod;
    struct hvm_memmap_table_entry mm[3];
    size_t len;
    uint8_t *f = tb_elf(64, EM_X86_64, 0x1000000, segs, 2, &len);
    const char *rd = tb_write_file("rd", "0123456789", 10);

    tb_vm_init(&vm, 64 * TB_MIB);
    ck_assert_int_eq(load(&vm, f, len, &bi, rd), 0);
    ck_assert_int_eq(bi.mode, BOOT_MODE_PROT32);
    ck_assert_uint_eq(bi.entry, 0x1000100);
    ck_assert_uint_eq(bi.arg, X86_PVH_INFO_ADDR);
    ck_assert_int_eq(bi.linux_guest, 1);

    memcpy(&si, vm.ram + X86_PVH_INFO_ADDR, sizeof(si));
    ck_assert_uint_eq(si.magic, HVM_START_MAGIC);
    ck_assert_uint_eq(si.version, 1);
    ck_assert_uint_eq(si.cmdline_paddr, X86_CMDLINE_ADDR);
    ck_assert_str_eq((char *)vm.ram + si.cmdline_paddr, "quiet");
    ck_assert_uint_eq(si.rsdp_paddr, X86_ACPI_ADDR);
    ck_assert_uint_eq(si.nr_modules, 1);
    memcpy(&mod, vm.ram + si.modlist_paddr, sizeof(mod));
    ck_assert_uint_eq(mod.size, 10);
    ck_assert_mem_eq(vm.ram + mod.paddr, "0123456789", 10);
    ck_assert_uint_eq(mod.paddr % 4096, 0);
    ck_assert_uint_ge(mod.paddr, 0x1004000);
    ck_assert_uint_eq(si.memmap_entries, 3);
    memcpy(mm, vm.ram + si.memmap_paddr, sizeof(mm));
    ck_assert_uint_eq(mm[1].addr, X86_EBDA_START);
    ck_assert_uint_eq(mm[1].type, E820_RESERVED);
    ck_assert_uint_eq(mm[2].addr + mm[2].size, 64 * TB_MIB);
    ck_assert_uint_eq(mm[2].type, E820_RAM);
    tb_vm_free(&vm);
    free(f);
}
END_TEST

START_TEST(elf64_plain_64bit_entry)
{
    /* A note that is not Xen's must not be taken for the PVH entry. */
    struct tb_pvh_note note = tb_pvh_note(0x1000100);
    struct tb_seg segs[] = {{PT_NOTE, 0, sizeof(note), sizeof(note), &note},
                            {PT_LOAD, 0x1000000, 0x800, 0x4000, NULL}};
    struct tb_vm vm;
    struct boot_info bi;
    struct boot_params *bp;
    size_t len;
    uint8_t *f;

    memcpy(note.name, "GNU", 4);
    f = tb_elf(64, EM_X86_64, 0x1000040, segs, 2, &len);
    tb_vm_init(&vm, 64 * TB_MIB);
    ck_assert_int_eq(load(&vm, f, len, &bi, NULL), 0);
    ck_assert_int_eq(bi.mode, BOOT_MODE_LONG64);
    ck_assert_uint_eq(bi.entry, 0x1000040);
    ck_assert_uint_eq(bi.arg, X86_ZERO_PAGE_ADDR);
    ck_assert_int_eq(bi.linux_guest, 1);
    bp = (struct boot_params *)(vm.ram + X86_ZERO_PAGE_ADDR);
    ck_assert_uint_eq(bp->hdr.header, SETUP_HDR_MAGIC);
    ck_assert_uint_eq(bp->hdr.boot_flag, SETUP_BOOT_FLAG);
    ck_assert_uint_eq(bp->hdr.type_of_loader, 0xff);
    ck_assert_uint_eq(bp->hdr.cmd_line_ptr, X86_CMDLINE_ADDR);
    ck_assert_uint_eq(bp->acpi_rsdp_addr, X86_ACPI_ADDR);
    ck_assert_uint_eq(bp->e820_entries, 3);
    tb_vm_free(&vm);
    free(f);
}
END_TEST

/* Header-level rejections: class, machine, type, program header table. */
START_TEST(elf_bad_headers)
{
    struct tb_seg seg = {PT_LOAD, 0x100000, 0x100, 0x100, NULL};
    static const struct {
        int cls;
        uint16_t machine;
        int ret;
        const char *what;
    } cases[] = {
        {64, EM_386, -ENOEXEC, "machine 3 in an ELF64"},
        {32, EM_X86_64, -ENOEXEC, "machine 62 in an ELF32"},
        {64, EM_AARCH64, -ENOEXEC, "machine 183"},
        {0, EM_X86_64, -ENOEXEC, "class"},
        {64, EM_X86_64, -ENOEXEC, "ET_EXEC"},
        {64, EM_X86_64, -ENOEXEC, "program headers"},
        {32, EM_386, -ENOEXEC, "program headers"},
        {64, EM_X86_64, -ENOEXEC, "truncated"},
    };
    unsigned i = (unsigned)_i;
    struct tb_vm vm;
    struct boot_info bi;
    size_t len;
    uint8_t *f = tb_elf(cases[i].cls ? cases[i].cls : 64, cases[i].machine, 0x100000,
                        &seg, 1, &len);

    if (i == 3)
        f[EI_CLASS] = ELFCLASSNONE;
    if (i == 4)
        ((Elf64_Ehdr *)f)->e_type = ET_DYN;
    if (i == 5)
        ((Elf64_Ehdr *)f)->e_phoff = len - 8; /* table runs past the end */
    if (i == 6)
        ((Elf32_Ehdr *)f)->e_phentsize = 8;
    if (i == 7)
        len = 20; /* cut inside the ELF header */
    tb_vm_init(&vm, 4 * TB_MIB);
    ck_assert_int_eq(load(&vm, f, len, &bi, NULL), cases[i].ret);
    ck_assert_msg(strstr(vm.err, cases[i].what), "case %u: '%s' lacks '%s'", i, vm.err,
                  cases[i].what);
    ck_assert_int_eq(bi.mode, BOOT_MODE_NONE);
    tb_vm_free(&vm);
    free(f);
}
END_TEST

/* Segment-level rejections, for both classes. */
START_TEST(elf_bad_segments)
{
    static const struct {
        struct tb_seg seg;
        int ret;
        const char *what;
    } cases[] = {
        {{PT_LOAD, 0x3ff000, 0x100, 0x2000, NULL}, -ENOSPC, "outside guest RAM"},
        {{PT_LOAD, 0x80000, 0x100, 0x100, NULL}, -ENOSPC, "outside guest RAM"},
        {{PT_LOAD, 0xfffffffffffff000ULL, 0x10, 0x2000, NULL}, -ENOEXEC, "overflows"},
        {{PT_LOAD, 0x100000, 0x200, 0x100, NULL}, -ENOEXEC, "filesz"},
        {{PT_LOAD, 0x100000, 0x100, 0x100, NULL}, -ENOEXEC, "past the end of the file"},
        {{PT_NOTE, 0, 0x10, 0x10, NULL}, -ENOEXEC, "no loadable"},
    };
    unsigned i = (unsigned)_i % 6;
    int cls = _i < 6 ? 64 : 32;
    struct tb_vm vm;
    struct boot_info bi;
    size_t len;
    uint8_t *f;

    if (cls == 32 && i == 2)
        return; /* 32-bit fields cannot hold the 64-bit overflow case */
    f = tb_elf(cls, cls == 64 ? EM_X86_64 : EM_386, 0x100000, &cases[i].seg, 1, &len);
    if (i == 4) /* point the segment's data beyond the file */
        len -= 0x10;
    tb_vm_init(&vm, 4 * TB_MIB);
    ck_assert_int_eq(load(&vm, f, len, &bi, NULL), cases[i].ret);
    ck_assert_msg(strstr(vm.err, cases[i].what), "case %u/%d: '%s' lacks '%s'", i, cls,
                  vm.err, cases[i].what);
    tb_vm_free(&vm);
    free(f);
}
END_TEST

START_TEST(elf_entry_outside_image)
{
    struct tb_seg seg = {PT_LOAD, 0x100000, 0x100, 0x100, NULL};
    struct tb_vm vm;
    struct boot_info bi;
    size_t len;
    uint8_t *f = tb_elf(32, EM_386, 0x300000, &seg, 1, &len);

    tb_vm_init(&vm, 4 * TB_MIB);
    ck_assert_int_eq(load(&vm, f, len, &bi, NULL), -ENOEXEC);
    ck_assert_ptr_nonnull(strstr(vm.err, "entry point 0x300000"));
    tb_vm_free(&vm);
    free(f);
}
END_TEST

static Suite *elf_suite(void)
{
    Suite *s = suite_create("boot_elf");
    TCase *tc = tcase_create("elf");

    tcase_add_test(tc, elf32_bare_program);
    tcase_add_test(tc, elf64_pvh_entry);
    tcase_add_test(tc, elf64_plain_64bit_entry);
    tcase_add_loop_test(tc, elf_bad_headers, 0, 8);
    tcase_add_loop_test(tc, elf_bad_segments, 0, 12);
    tcase_add_test(tc, elf_entry_outside_image);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tb_run(elf_suite());
}
