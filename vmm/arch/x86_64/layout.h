/*
 * The x86_64 guest-physical memory map gmvm builds. One place, so loaders,
 * ACPI and devices agree.
 *
 *   0x0000_0500  GDT (boot segments)
 *   0x0000_6000  PVH hvm_start_info + module list + memmap
 *   0x0000_7000  Linux boot_params ("zero page")
 *   0x0000_9000  identity page tables: PML4, PDPT, 4 PDs (2 MiB pages, 4 GiB)
 *   0x0002_0000  kernel command line (up to 64 KiB)
 *   0x0008_f000  initial stack top for bare guests (grows down)
 *   0x0009_fc00  end of conventional low RAM reported in e820
 *   0x000e_0000  ACPI tables (RSDP first: the legacy BIOS scan area)
 *   0x0010_0000  kernel / guest program load area
 *   ...          initrd at the top of low RAM (below initrd_addr_max)
 *   0xd000_0000  virtio-mmio devices, one 4 KiB window each
 *   0xfec0_0000  IOAPIC
 *   0xfee0_0000  local APICs
 */
#ifndef GMVM_X86_LAYOUT_H
#define GMVM_X86_LAYOUT_H

#define X86_GDT_ADDR       0x500ULL
#define X86_PVH_INFO_ADDR  0x6000ULL
#define X86_ZERO_PAGE_ADDR 0x7000ULL
#define X86_PML4_ADDR      0x9000ULL
#define X86_PDPT_ADDR      0xa000ULL
#define X86_PD_ADDR        0xb000ULL /* 4 pages: 0xb000..0xefff */
#define X86_CMDLINE_ADDR   0x20000ULL
#define X86_CMDLINE_MAX    0x10000ULL
#define X86_BARE_STACK_TOP 0x8f000ULL
#define X86_EBDA_START     0x9fc00ULL
#define X86_ACPI_ADDR      0xe0000ULL
#define X86_ACPI_MAX       0x20000ULL /* 0xe0000..0xfffff */
#define X86_HIMEM_START    0x100000ULL

#define X86_MMIO_DEV_BASE 0xd0000000ULL
#define X86_MMIO_DEV_SIZE 0x1000ULL
#define X86_MMIO_DEV_MAX  32

#define X86_IOAPIC_ADDR 0xfec00000ULL
#define X86_LAPIC_ADDR  0xfee00000ULL
#define X86_IOAPIC_PINS 24

/* ISA IRQs in use: 1 (i8042), 4 (COM1); virtio devices get GSIs from here. */
#define X86_SERIAL_IRQ       4
#define X86_FIRST_DEVICE_GSI 5

/*
 * Fixed I/O ports of gmvm's platform devices. The hardware-reduced ACPI
 * FADT points the guest at the sleep and reset registers here.
 */
#define X86_ACPI_SLEEP_CTL_PORT 0x600 /* write SLP_TYP<<2 | SLP_EN(1<<5) */
#define X86_ACPI_SLEEP_STS_PORT 0x601 /* WAK_STS (1<<7) */
#define X86_ACPI_RESET_PORT     0x602
#define X86_ACPI_RESET_VALUE    0x1
#define X86_ACPI_S5_SLP_TYP     5 /* \_S5_ package value gmvm's DSDT gives */
#define X86_PVPANIC_PORT        0x505

/* The KVM-internal areas Intel needs; placed just below the IOAPIC. */
#define X86_TSS_ADDR          0xfeffd000ULL
#define X86_IDENTITY_MAP_ADDR 0xfeffc000ULL

#endif
