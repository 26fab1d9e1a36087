/*
 * ACPI tables for Linux guests, built into guest RAM at X86_ACPI_ADDR
 * (inside the e820-reserved [X86_EBDA_START, 1 MiB) hole):
 *
 *   RSDP (first, 16-byte aligned, revision 2) -> XSDT (and RSDT) ->
 *   FADT (revision 6, hardware-reduced) -> DSDT, and MADT.
 *
 * The RSDP sits where a legacy BIOS scan of 0xe0000..0xfffff finds it, and
 * its address also goes into boot_params.acpi_rsdp_addr / the PVH
 * start_info, so both old and new kernels find it.
 *
 * Hardware-reduced ACPI (FADT flag HW_REDUCED_ACPI) means no SCI, PM timer,
 * GPE or PM1 blocks: only the sleep control/status registers and the reset
 * register, all single-byte I/O ports (layout.h):
 *   X86_ACPI_SLEEP_CTL_PORT: the guest writes (SLP_TYP << 2) | SLP_EN (0x20)
 *       with SLP_TYP = X86_ACPI_S5_SLP_TYP to power off;
 *   X86_ACPI_SLEEP_STS_PORT: Linux writes WAK_STS (0x80) to clear it and may
 *       read it; reading 0 is fine;
 *   X86_ACPI_RESET_PORT: the guest writes X86_ACPI_RESET_VALUE to reboot.
 * In this mode Linux also uses no legacy PIC and skips the PIT timer
 * setup: interrupts go through the IOAPIC, time through the LAPIC timer
 * and TSC/kvmclock, as on Firecracker and QEMU microvm.
 */
#ifndef GMVM_BOOT_ACPI_H
#define GMVM_BOOT_ACPI_H

#include "boot/loader.h"

#include <stddef.h>
#include <stdint.h>

struct acpi_header {
    char signature[4];
    uint32_t length;
    uint8_t revision;
    uint8_t checksum;
    char oem_id[6];
    char oem_table_id[8];
    uint32_t oem_revision;
    char creator_id[4];
    uint32_t creator_revision;
} __attribute__((packed));

struct acpi_rsdp {
    char signature[8]; /* "RSD PTR " */
    uint8_t checksum;  /* over the first 20 bytes */
    char oem_id[6];
    uint8_t revision; /* 2: XSDT present */
    uint32_t rsdt_address;
    uint32_t length;
    uint64_t xsdt_address;
    uint8_t extended_checksum; /* over all 36 bytes */
    uint8_t reserved[3];
} __attribute__((packed));

/* Generic Address Structure. */
struct acpi_gas {
    uint8_t space_id; /* 1 = system I/O */
    uint8_t bit_width;
    uint8_t bit_offset;
    uint8_t access_size; /* 1 = byte */
    uint64_t address;
} __attribute__((packed));

#define ACPI_GAS_IO 1

struct acpi_fadt {
    struct acpi_header h;
    uint32_t firmware_ctrl;
    uint32_t dsdt;
    uint8_t reserved0;
    uint8_t preferred_pm_profile;
    uint16_t sci_int;
    uint32_t smi_cmd;
    uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
    uint32_t pm1a_evt_blk, pm1b_evt_blk, pm1a_cnt_blk, pm1b_cnt_blk;
    uint32_t pm2_cnt_blk, pm_tmr_blk, gpe0_blk, gpe1_blk;
    uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len;
    uint8_t gpe0_blk_len, gpe1_blk_len, gpe1_base, cst_cnt;
    uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
    uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
    uint16_t iapc_boot_arch;
    uint8_t reserved1;
    uint32_t flags;
    struct acpi_gas reset_reg;
    uint8_t reset_value;
    uint16_t arm_boot_arch;
    uint8_t minor_version;
    uint64_t x_firmware_ctrl;
    uint64_t x_dsdt;
    struct acpi_gas x_pm1a_evt_blk, x_pm1b_evt_blk, x_pm1a_cnt_blk, x_pm1b_cnt_blk;
    struct acpi_gas x_pm2_cnt_blk, x_pm_tmr_blk, x_gpe0_blk, x_gpe1_blk;
    struct acpi_gas sleep_control_reg;
    struct acpi_gas sleep_status_reg;
    uint64_t hypervisor_vendor_id;
} __attribute__((packed));

_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT revision 6 is 276 bytes");

/* FADT flags and IA-PC boot architecture flags gmvm uses. */
#define ACPI_FADT_WBINVD               (1u << 0)
#define ACPI_FADT_PWR_BUTTON           (1u << 4) /* no fixed-feature power button */
#define ACPI_FADT_SLP_BUTTON           (1u << 5) /* no fixed-feature sleep button */
#define ACPI_FADT_RESET_REG_SUP        (1u << 10)
#define ACPI_FADT_HW_REDUCED           (1u << 20)
#define ACPI_IAPC_8042                 (1u << 1)
#define ACPI_IAPC_VGA_NOT_PRESENT      (1u << 2)
#define ACPI_IAPC_CMOS_RTC_NOT_PRESENT (1u << 5)

struct acpi_madt {
    struct acpi_header h;
    uint32_t lapic_address;
    uint32_t flags; /* ACPI_MADT_PCAT_COMPAT */
} __attribute__((packed));

#define ACPI_MADT_PCAT_COMPAT    1
#define ACPI_MADT_TYPE_LAPIC     0
#define ACPI_MADT_TYPE_IOAPIC    1
#define ACPI_MADT_TYPE_ISO       2
#define ACPI_MADT_TYPE_LAPIC_NMI 4

struct acpi_madt_lapic {
    uint8_t type, length, processor_uid, apic_id;
    uint32_t flags; /* 1 = enabled */
} __attribute__((packed));

struct acpi_madt_ioapic {
    uint8_t type, length, ioapic_id, reserved;
    uint32_t address, gsi_base;
} __attribute__((packed));

struct acpi_madt_iso {
    uint8_t type, length, bus, source;
    uint32_t gsi;
    uint16_t flags; /* 0 = conforming to the bus (ISA: edge, active high) */
} __attribute__((packed));

struct acpi_madt_lapic_nmi {
    uint8_t type, length, processor_uid;
    uint16_t flags;
    uint8_t lint;
} __attribute__((packed));

/*
 * Build all tables for @cfg (nr_vcpus, mmio_devs, pvpanic) at X86_ACPI_ADDR
 * in @gm and return the RSDP's guest-physical address in *@rsdp_addr.
 * Returns 0, or a negative errno with a message in @err: -EINVAL for a
 * vCPU or device count out of range, -ENOSPC if RAM does not cover the
 * ACPI area or the tables outgrow it.
 */
int acpi_build(struct guest_mem *gm, const struct boot_config *cfg, uint64_t *rsdp_addr,
               char *err, size_t errlen);

/* The byte that makes @len bytes at @p sum to zero (mod 256). */
uint8_t acpi_checksum(const void *p, size_t len);

/* Fill @h with gmvm's OEM fields; the checksum is set by acpi_finish_table. */
void acpi_header_init(struct acpi_header *h, const char sig[4], uint32_t length,
                      uint8_t revision);
void acpi_finish_table(struct acpi_header *h);

/*
 * Write the DSDT (header + AML) for @cfg into @buf; returns its length or
 * -ENOSPC if @cap is too small. Checksummed.
 */
int acpi_dsdt_build(uint8_t *buf, size_t cap, const struct boot_config *cfg);

#endif
