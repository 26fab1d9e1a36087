/*
 * ACPI tables as the guest sees them: follow the pointers from the RSDP,
 * verify every checksum, the FADT's hardware-reduced registers, the MADT's
 * entries for 1, 32 and BOOT_MAX_VCPUS vCPUs, and the DSDT's devices. When
 * `iasl` (acpica-tools) is installed, the tables are also dumped to files
 * and disassembled by it, as an independent check of the AML.
 */
#include "boot/acpi.h"
#include "test_boot_util.h"

#include <errno.h>
#include <sys/stat.h>

#define ACPI_RAM (2 * TB_MIB)

struct tables {
    struct tb_vm vm;
    struct acpi_rsdp *rsdp;
    struct acpi_header *xsdt, *rsdt, *madt, *dsdt;
    struct acpi_fadt *fadt;
};

/* Filled like the machine does: one 4 KiB window and one GSI per device. */
static struct boot_mmio_dev test_devs[BOOT_MAX_MMIO_DEVS];

static void init_test_devs(void)
{
    for (unsigned i = 0; i < BOOT_MAX_MMIO_DEVS; i++)
        test_devs[i] = (struct boot_mmio_dev){
            X86_MMIO_DEV_BASE + i * X86_MMIO_DEV_SIZE, X86_MMIO_DEV_SIZE,
            (X86_FIRST_DEVICE_GSI + i) % X86_IOAPIC_PINS};
}

static void *at(struct tables *t, uint64_t gpa, uint64_t len)
{
    void *p = gm_ptr(&t->vm.gm, gpa, len);

    ck_assert_msg(p, "table at 0x%llx+%llu is outside guest RAM", (unsigned long long)gpa,
                  (unsigned long long)len);
    return p;
}

static struct acpi_header *table(struct tables *t, uint64_t gpa, const char *sig)
{
    struct acpi_header *h = at(t, gpa, sizeof(*h));

    ck_assert_mem_eq(h->signature, sig, 4);
    at(t, gpa, h->length);
    ck_assert_msg(acpi_checksum(h, h->length) == 0, "%s checksum", sig);
    return h;
}

static void build(struct tables *t, unsigned nr_vcpus, unsigned ndevs, bool pvpanic)
{
    struct boot_config cfg = {.nr_vcpus = nr_vcpus,
                              .mmio_devs = test_devs,
                              .nr_mmio_devs = ndevs,
                              .pvpanic = pvpanic};
    uint64_t rsdp_addr = 0, xsdt_entries[2];
    uint32_t rsdt_entries[2];

    init_test_devs();
    tb_vm_init(&t->vm, ACPI_RAM);
    ck_assert_int_eq(
        acpi_build(&t->vm.gm, &cfg, &rsdp_addr, t->vm.err, sizeof(t->vm.err)), 0);
    ck_assert_uint_eq(rsdp_addr, X86_ACPI_ADDR);
    t->rsdp = at(t, rsdp_addr, sizeof(*t->rsdp));
    ck_assert_mem_eq(t->rsdp->signature, "RSD PTR ", 8);
    ck_assert_uint_eq(t->rsdp->revision, 2);
    ck_assert_uint_eq(t->rsdp->length, 36);
    ck_assert_uint_eq(acpi_checksum(t->rsdp, 20), 0);
    ck_assert_uint_eq(acpi_checksum(t->rsdp, 36), 0);

    t->xsdt = table(t, t->rsdp->xsdt_address, "XSDT");
    ck_assert_uint_eq(t->xsdt->length, sizeof(*t->xsdt) + 16);
    memcpy(xsdt_entries, t->xsdt + 1, 16);
    t->rsdt = table(t, t->rsdp->rsdt_address, "RSDT");
    memcpy(rsdt_entries, t->rsdt + 1, 8);
    ck_assert_uint_eq(rsdt_entries[0], xsdt_entries[0]);
    ck_assert_uint_eq(rsdt_entries[1], xsdt_entries[1]);

    t->fadt = (struct acpi_fadt *)table(t, xsdt_entries[0], "FACP");
    t->madt = table(t, xsdt_entries[1], "APIC");
    ck_assert_uint_eq(t->fadt->dsdt, t->fadt->x_dsdt);
    t->dsdt = table(t, t->fadt->x_dsdt, "DSDT");
    /* Everything lies in the e820-reserved ACPI window. */
    ck_assert_uint_le(t->fadt->x_dsdt + t->dsdt->length, X86_ACPI_ADDR + X86_ACPI_MAX);
}

static unsigned count_mem(const void *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    unsigned c = 0;

    for (size_t i = 0; i + k <= n; i++)
        c += !memcmp((const uint8_t *)hay + i, needle, k);
    return c;
}

START_TEST(fadt_is_hardware_reduced)
{
    struct tables t;
    struct acpi_fadt *f;

    build(&t, 1, 0, false);
    f = t.fadt;
    ck_assert_uint_eq(f->h.revision, 6);
    ck_assert_uint_eq(f->h.length, 276);
    ck_assert(f->flags & ACPI_FADT_HW_REDUCED);
    ck_assert(f->flags & ACPI_FADT_RESET_REG_SUP);
    /* no i8042 probing: see build_fadt */
    ck_assert(!(f->iapc_boot_arch & ACPI_IAPC_8042));
    ck_assert(f->iapc_boot_arch & ACPI_IAPC_CMOS_RTC_NOT_PRESENT);
    ck_assert_uint_eq(f->sleep_control_reg.space_id, ACPI_GAS_IO);
    ck_assert_uint_eq(f->sleep_control_reg.bit_width, 8);
    ck_assert_uint_eq(f->sleep_control_reg.address, X86_ACPI_SLEEP_CTL_PORT);
    ck_assert_uint_eq(f->sleep_status_reg.space_id, ACPI_GAS_IO);
    ck_assert_uint_eq(f->sleep_status_reg.address, X86_ACPI_SLEEP_STS_PORT);
    ck_assert_uint_eq(f->reset_reg.space_id, ACPI_GAS_IO);
    ck_assert_uint_eq(f->reset_reg.address, X86_ACPI_RESET_PORT);
    ck_assert_uint_eq(f->reset_value, X86_ACPI_RESET_VALUE);
    ck_assert_uint_eq(f->sci_int, 0);
    ck_assert_uint_eq(f->pm1a_cnt_blk, 0);
    tb_vm_free(&t.vm);
}
END_TEST

START_TEST(madt_one_lapic_per_vcpu)
{
    static const unsigned counts[] = {1, 32, BOOT_MAX_VCPUS};
    unsigned n = counts[_i];
    unsigned lapics = 0, ioapics = 0, isos = 0, nmis = 0;
    struct acpi_madt *m;
    struct tables t;
    uint8_t *p, *end;

    build(&t, n, 0, false);
    m = (struct acpi_madt *)t.madt;
    ck_assert_uint_eq(m->lapic_address, X86_LAPIC_ADDR);
    ck_assert_uint_eq(m->flags & ACPI_MADT_PCAT_COMPAT, ACPI_MADT_PCAT_COMPAT);
    p = (uint8_t *)(m + 1);
    end = (uint8_t *)m + m->h.length;
    while (p < end) {
        ck_assert_uint_ge(p[1], 2);
        ck_assert(p + p[1] <= end);
        if (p[0] == ACPI_MADT_TYPE_LAPIC) {
            struct acpi_madt_lapic l;

            memcpy(&l, p, sizeof(l));
            ck_assert_uint_eq(l.length, 8);
            ck_assert_uint_eq(l.apic_id, lapics);
            ck_assert_uint_eq(l.processor_uid, lapics);
            ck_assert_uint_eq(l.flags, 1);
            lapics++;
        } else if (p[0] == ACPI_MADT_TYPE_IOAPIC) {
            struct acpi_madt_ioapic io;

            memcpy(&io, p, sizeof(io));
            ck_assert_uint_eq(io.address, X86_IOAPIC_ADDR);
            ck_assert_uint_eq(io.gsi_base, 0);
            ioapics++;
        } else if (p[0] == ACPI_MADT_TYPE_ISO) {
            struct acpi_madt_iso iso;

            memcpy(&iso, p, sizeof(iso));
            ck_assert_uint_eq(iso.source, 0);
            ck_assert_uint_eq(iso.gsi, 2);
            isos++;
        } else if (p[0] == ACPI_MADT_TYPE_LAPIC_NMI) {
            nmis++;
        }
        p += p[1];
    }
    ck_assert_ptr_eq(p, end);
    ck_assert_uint_eq(lapics, n);
    ck_assert_uint_eq(ioapics, 1);
    ck_assert_uint_eq(isos, 1);
    ck_assert_uint_eq(nmis, 1);
    tb_vm_free(&t.vm);
}
END_TEST

START_TEST(dsdt_lists_devices)
{
    /* DWordPrefix + EisaId("PNP0501") = 0x0105d041, little-endian */
    static const char pnp0501[] = {0x0c, 0x41, (char)0xd0, 0x05, 0x01, 0};
    struct tables t;

    build(&t, 2, 3, true);
    ck_assert_uint_eq(count_mem(t.dsdt, t.dsdt->length, "LNRO0005"), 3);
    ck_assert_uint_eq(count_mem(t.dsdt, t.dsdt->length, "QEMU0001"), 1);
    ck_assert_uint_eq(count_mem(t.dsdt, t.dsdt->length, "_S5_"), 1);
    ck_assert_uint_eq(count_mem(t.dsdt, t.dsdt->length, "V002"), 1);
    ck_assert_uint_eq(count_mem(t.dsdt, t.dsdt->length, pnp0501), 1);
    tb_vm_free(&t.vm);

    build(&t, 1, 0, false);
    ck_assert_uint_eq(count_mem(t.dsdt, t.dsdt->length, "LNRO0005"), 0);
    ck_assert_uint_eq(count_mem(t.dsdt, t.dsdt->length, "QEMU0001"), 0);
    tb_vm_free(&t.vm);
}
END_TEST

START_TEST(largest_config_fits)
{
    struct tables t;

    build(&t, BOOT_MAX_VCPUS, BOOT_MAX_MMIO_DEVS, true);
    ck_assert_uint_eq(count_mem(t.dsdt, t.dsdt->length, "LNRO0005"), BOOT_MAX_MMIO_DEVS);
    ck_assert_uint_eq(count_mem(t.dsdt, t.dsdt->length, "V031"), 1);
    ck_assert_uint_gt(t.dsdt->length, 0x3f); /* multi-byte PkgLengths in use */
    tb_vm_free(&t.vm);
}
END_TEST

START_TEST(acpi_build_errors)
{
    struct boot_config cfg = {.nr_vcpus = BOOT_MAX_VCPUS + 1};
    struct tb_vm vm;
    uint64_t rsdp = 0;

    tb_vm_init(&vm, ACPI_RAM);
    ck_assert_int_eq(acpi_build(&vm.gm, &cfg, &rsdp, vm.err, sizeof(vm.err)), -EINVAL);
    ck_assert_ptr_nonnull(strstr(vm.err, "vCPUs"));
    tb_vm_free(&vm);

    cfg.nr_vcpus = 1;
    tb_vm_init(&vm, 0x80000); /* RAM ends below the ACPI area */
    ck_assert_int_eq(acpi_build(&vm.gm, &cfg, &rsdp, vm.err, sizeof(vm.err)), -ENOSPC);
    ck_assert_ptr_nonnull(strstr(vm.err, "does not cover"));
    ck_assert_uint_eq(rsdp, 0);
    tb_vm_free(&vm);
}
END_TEST

static bool have_iasl(void)
{
    return system("command -v iasl >/dev/null 2>&1") == 0;
}

static void dump(const char *dir, const char *name, const void *p, size_t len)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(p, 1, len, f), len);
    fclose(f);
}

static bool file_has(const char *path, const char *needle)
{
    static char buf[1 << 16];
    FILE *f = fopen(path, "r");
    size_t n;

    ck_assert_msg(f != NULL, "iasl wrote no %s", path);
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strstr(buf, needle) != NULL;
}

START_TEST(iasl_disassembles_tables)
{
    struct tables t;
    char dir[256], cmd[1024], path[512];
    bool big = _i == 1;

    /* 4 vCPUs + 3 devices, then the largest configuration. */
    build(&t, big ? BOOT_MAX_VCPUS : 4, big ? BOOT_MAX_MMIO_DEVS : 3, true);
    /* The dumps are written whether or not iasl exists, for inspection. */
    snprintf(dir, sizeof(dir), "%s", tb_path(big ? "tables-max" : "tables"));
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    dump(dir, "dsdt.dat", t.dsdt, t.dsdt->length);
    dump(dir, "facp.dat", t.fadt, t.fadt->h.length);
    dump(dir, "apic.dat", t.madt, t.madt->length);
    dump(dir, "xsdt.dat", t.xsdt, t.xsdt->length);
    if (!have_iasl()) {
        fprintf(stderr, "test_acpi: iasl not found (apt-get install acpica-tools): "
                        "skipping the disassembly check; the other checks ran\n");
        tb_vm_free(&t.vm);
        return;
    }
    for (const char *const *n =
             (const char *const[]){"dsdt", "facp", "apic", "xsdt", NULL};
         *n; n++) {
        snprintf(cmd, sizeof(cmd), "cd '%s' && iasl -d %s.dat >%s.log 2>&1", dir, *n, *n);
        ck_assert_msg(system(cmd) == 0, "iasl -d %s.dat failed; see %s/%s.log", *n, dir,
                      *n);
    }
    snprintf(path, sizeof(path), "%s/dsdt.dsl", dir);
    ck_assert(file_has(path, "LNRO0005"));
    ck_assert(file_has(path, "PNP0501"));
    ck_assert(file_has(path, "QEMU0001"));
    ck_assert(
        file_has(path, "Memory32Fixed (ReadWrite,\n                    0xD0002000"));
    ck_assert(file_has(path, "Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive"));
    ck_assert(file_has(path, "Name (\\_S5, Package (0x04)"));
    snprintf(path, sizeof(path), "%s/facp.dsl", dir);
    ck_assert(file_has(path, "Hardware Reduced (V5) : 1"));
    snprintf(path, sizeof(path), "%s/apic.dsl", dir);
    ck_assert(file_has(path, "Local Apic ID : 03"));
    tb_vm_free(&t.vm);
}
END_TEST

static Suite *acpi_suite(void)
{
    Suite *s = suite_create("acpi");
    TCase *tc = tcase_create("tables");

    tcase_add_test(tc, fadt_is_hardware_reduced);
    tcase_add_loop_test(tc, madt_one_lapic_per_vcpu, 0, 3);
    tcase_add_test(tc, dsdt_lists_devices);
    tcase_add_test(tc, largest_config_fits);
    tcase_add_test(tc, acpi_build_errors);
    tcase_add_loop_test(tc, iasl_disassembles_tables, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tb_run(acpi_suite());
}
