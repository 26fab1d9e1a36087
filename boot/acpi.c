/*
 * The fixed-format ACPI tables (RSDP, RSDT, XSDT, FADT, MADT) and the
 * layout of the ACPI area. See acpi.h for the contract and what the FADT
 * asks of the device model.
 *
 * The tables are assembled in a host buffer that mirrors the guest area,
 * then copied in with one gm_write: every pointer between tables is the
 * guest-physical address X86_ACPI_ADDR + offset.
 */
#include "boot/acpi.h"
#include "vmm/arch/x86_64/layout.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACPI_OEM_ID       "GMVM  "
#define ACPI_OEM_TABLE_ID "GMVM    "
#define ACPI_CREATOR_ID   "GMVM"
#define ACPI_IOAPIC_ID    0

uint8_t acpi_checksum(const void *p, size_t len)
{
    const uint8_t *b = p;
    uint8_t sum = 0;

    for (size_t i = 0; i < len; i++)
        sum += b[i];
    return (uint8_t)(0x100 - sum);
}

void acpi_header_init(struct acpi_header *h, const char sig[4], uint32_t length,
                      uint8_t revision)
{
    memset(h, 0, sizeof(*h));
    memcpy(h->signature, sig, 4);
    h->length = length;
    h->revision = revision;
    memcpy(h->oem_id, ACPI_OEM_ID, 6);
    memcpy(h->oem_table_id, ACPI_OEM_TABLE_ID, 8);
    h->oem_revision = 1;
    memcpy(h->creator_id, ACPI_CREATOR_ID, 4);
    h->creator_revision = 1;
}

void acpi_finish_table(struct acpi_header *h)
{
    h->checksum = 0;
    h->checksum = acpi_checksum(h, h->length);
}

/* A bump allocator over the host mirror of the ACPI area. */
struct acpi_area {
    uint8_t *buf;
    size_t used;
};

static void *area_alloc(struct acpi_area *ar, size_t len, uint64_t *gpa)
{
    size_t off = (ar->used + 15) & ~(size_t)15;

    if (off > X86_ACPI_MAX || len > X86_ACPI_MAX - off)
        return NULL;
    ar->used = off + len;
    *gpa = X86_ACPI_ADDR + off;
    return ar->buf + off;
}

static void gas_io8(struct acpi_gas *g, uint16_t port)
{
    *g = (struct acpi_gas){
        .space_id = ACPI_GAS_IO, .bit_width = 8, .access_size = 1, .address = port};
}

static void build_fadt(struct acpi_fadt *f, uint64_t dsdt)
{
    acpi_header_init(&f->h, "FACP", sizeof(*f), 6);
    f->minor_version = 5; /* ACPI 6.5 */
    f->dsdt = (uint32_t)dsdt;
    f->x_dsdt = dsdt;
    f->flags = ACPI_FADT_WBINVD | ACPI_FADT_PWR_BUTTON | ACPI_FADT_SLP_BUTTON |
               ACPI_FADT_RESET_REG_SUP | ACPI_FADT_HW_REDUCED;
    /*
     * 8042 clear: Linux marks the i8042 "firmware absent" and, with no
     * PNP0303 node either, its i8042 driver does not probe ports 0x60/0x64.
     * gmvm's i8042 only implements the reset line (reboot=k writes 0xfe to
     * port 0x64 without the driver); probing it only failed, "Can't read
     * CTR while initializing i8042", in the nested harness. No VGA;
     * no CMOS RTC, so no rtc_cmos probing of port 0x70 either.
     */
    f->iapc_boot_arch = ACPI_IAPC_VGA_NOT_PRESENT | ACPI_IAPC_CMOS_RTC_NOT_PRESENT;
    gas_io8(&f->reset_reg, X86_ACPI_RESET_PORT);
    f->reset_value = X86_ACPI_RESET_VALUE;
    gas_io8(&f->sleep_control_reg, X86_ACPI_SLEEP_CTL_PORT);
    gas_io8(&f->sleep_status_reg, X86_ACPI_SLEEP_STS_PORT);
    memcpy(&f->hypervisor_vendor_id, "GMVM\0\0\0\0", 8);
    acpi_finish_table(&f->h);
}

static size_t madt_size(unsigned nr_vcpus)
{
    return sizeof(struct acpi_madt) + nr_vcpus * sizeof(struct acpi_madt_lapic) +
           sizeof(struct acpi_madt_ioapic) + sizeof(struct acpi_madt_iso) +
           sizeof(struct acpi_madt_lapic_nmi);
}

static void build_madt(uint8_t *p, unsigned nr_vcpus)
{
    struct acpi_madt *m = (struct acpi_madt *)p;
    size_t off = sizeof(*m);
    struct acpi_madt_ioapic io = {
        ACPI_MADT_TYPE_IOAPIC,     sizeof(io), ACPI_IOAPIC_ID, 0,
        (uint32_t)X86_IOAPIC_ADDR, 0};
    /* PCs wire the PIT to IOAPIC pin 2; Linux assumes it unless told. */
    struct acpi_madt_iso iso = {ACPI_MADT_TYPE_ISO, sizeof(iso), 0, 0, 2, 0};
    /* LINT1 of every CPU is the NMI input, as the BIOS MP tables say. */
    struct acpi_madt_lapic_nmi nmi = {ACPI_MADT_TYPE_LAPIC_NMI, sizeof(nmi), 0xff, 0, 1};

    acpi_header_init(&m->h, "APIC", (uint32_t)madt_size(nr_vcpus), 5);
    m->lapic_address = (uint32_t)X86_LAPIC_ADDR;
    m->flags = ACPI_MADT_PCAT_COMPAT;
    for (unsigned i = 0; i < nr_vcpus; i++) {
        /* The APIC ID equals the vCPU index: what arch setup gives CPUID. */
        struct acpi_madt_lapic l = {ACPI_MADT_TYPE_LAPIC, sizeof(l), (uint8_t)i,
                                    (uint8_t)i, 1};

        memcpy(p + off, &l, sizeof(l));
        off += sizeof(l);
    }
    memcpy(p + off, &io, sizeof(io));
    off += sizeof(io);
    memcpy(p + off, &iso, sizeof(iso));
    off += sizeof(iso);
    memcpy(p + off, &nmi, sizeof(nmi));
    acpi_finish_table(&m->h);
}

static int fail(char *err, size_t errlen, int ret, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
    va_list ap;

    if (err && errlen) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return ret;
}

int acpi_build(struct guest_mem *gm, const struct boot_config *cfg, uint64_t *rsdp_addr,
               char *err, size_t errlen)
{
    unsigned nr_vcpus = cfg->nr_vcpus ? cfg->nr_vcpus : 1;
    struct acpi_area ar = {0};
    uint64_t rsdp_gpa = 0, rsdt_gpa = 0, xsdt_gpa = 0, fadt_gpa = 0, madt_gpa = 0,
             dsdt_gpa = 0;
    struct acpi_rsdp *rsdp;
    struct acpi_header *rsdt, *xsdt;
    uint8_t *dsdt, *madt;
    struct acpi_fadt *fadt;
    uint32_t fadt32, madt32;
    int len, ret = -ENOSPC;

    if (nr_vcpus > BOOT_MAX_VCPUS || cfg->nr_mmio_devs > BOOT_MAX_MMIO_DEVS)
        return fail(err, errlen, -EINVAL,
                    "ACPI: %u vCPUs and %u virtio-mmio devices; accepted 1..%u and 0..%u",
                    nr_vcpus, cfg->nr_mmio_devs, BOOT_MAX_VCPUS, BOOT_MAX_MMIO_DEVS);
    if (!gm_range_ok(gm, X86_ACPI_ADDR, X86_ACPI_MAX))
        return fail(err, errlen, -ENOSPC, "ACPI: guest RAM does not cover 0x%llx..0x%llx",
                    X86_ACPI_ADDR, X86_ACPI_ADDR + X86_ACPI_MAX - 1);
    ar.buf = calloc(1, X86_ACPI_MAX);
    if (!ar.buf)
        return fail(err, errlen, -ENOMEM, "ACPI: out of memory");

    /* RSDP first: a BIOS-area scan looks at 16-byte boundaries from here. */
    rsdp = area_alloc(&ar, sizeof(*rsdp), &rsdp_gpa);
    dsdt = area_alloc(&ar, 0, &dsdt_gpa);
    len = acpi_dsdt_build(dsdt, X86_ACPI_MAX - ar.used, cfg);
    if (len < 0)
        goto too_big;
    ar.used += (size_t)len;
    fadt = area_alloc(&ar, sizeof(*fadt), &fadt_gpa);
    madt = area_alloc(&ar, madt_size(nr_vcpus), &madt_gpa);
    xsdt = area_alloc(&ar, sizeof(*xsdt) + 2 * 8, &xsdt_gpa);
    rsdt = area_alloc(&ar, sizeof(*rsdt) + 2 * 4, &rsdt_gpa);
    if (!fadt || !madt || !xsdt || !rsdt)
        goto too_big;

    build_fadt(fadt, dsdt_gpa);
    build_madt(madt, nr_vcpus);

    acpi_header_init(xsdt, "XSDT", sizeof(*xsdt) + 2 * 8, 1);
    memcpy((uint8_t *)(xsdt + 1), &fadt_gpa, 8);
    memcpy((uint8_t *)(xsdt + 1) + 8, &madt_gpa, 8);
    acpi_finish_table(xsdt);

    acpi_header_init(rsdt, "RSDT", sizeof(*rsdt) + 2 * 4, 1);
    fadt32 = (uint32_t)fadt_gpa;
    madt32 = (uint32_t)madt_gpa;
    memcpy((uint8_t *)(rsdt + 1), &fadt32, 4);
    memcpy((uint8_t *)(rsdt + 1) + 4, &madt32, 4);
    acpi_finish_table(rsdt);

    memcpy(rsdp->signature, "RSD PTR ", 8);
    memcpy(rsdp->oem_id, ACPI_OEM_ID, 6);
    rsdp->revision = 2;
    rsdp->rsdt_address = (uint32_t)rsdt_gpa;
    rsdp->length = sizeof(*rsdp);
    rsdp->xsdt_address = xsdt_gpa;
    rsdp->checksum = acpi_checksum(rsdp, 20);
    rsdp->extended_checksum = acpi_checksum(rsdp, sizeof(*rsdp));

    if (gm_write(gm, X86_ACPI_ADDR, ar.buf, ar.used) < 0) {
        ret = fail(err, errlen, -ENOSPC, "ACPI: cannot write tables at 0x%llx",
                   X86_ACPI_ADDR);
        goto out;
    }
    *rsdp_addr = rsdp_gpa;
    ret = 0;
    goto out;
too_big:
    ret = fail(err, errlen, -ENOSPC,
               "ACPI: tables for %u vCPUs and %u devices exceed the %llu-byte ACPI area",
               nr_vcpus, cfg->nr_mmio_devs, X86_ACPI_MAX);
out:
    free(ar.buf);
    return ret;
}
