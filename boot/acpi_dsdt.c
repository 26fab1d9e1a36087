/*
 * The DSDT: the AML namespace that tells a stock kernel which devices exist,
 * since gmvm has no PCI bus to enumerate. It holds:
 *   \_S5_            soft-off sleep type (X86_ACPI_S5_SLP_TYP), so Linux's
 *                    ACPI power-off path is enabled;
 *   \_SB_.COM1       the 16550 UART (PNP0501) at 0x3f8, ISA IRQ 4;
 *   \_SB_.PEVT       pvpanic (QEMU0001) at X86_PVPANIC_PORT, if asked for;
 *   \_SB_.Vnnn       one virtio-mmio transport (LNRO0005) per device, with
 *                    its window and interrupt. Linux's virtio_mmio driver
 *                    binds to these by _HID.
 *
 * virtio-mmio interrupts are declared edge-triggered, active-high: gmvm
 * signals them through KVM irqfds, which inject an edge (assert+deassert)
 * per event. A level-triggered line would need a resample eventfd to be
 * lowered again; edge needs nothing and a device that raises an interrupt
 * while the previous one is unacknowledged just sends another edge, which
 * virtio's interrupt-status register makes harmless.
 */
#include "boot/acpi.h"
#include "boot/aml.h"
#include "vmm/arch/x86_64/layout.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define COM1_PORT 0x3f8

static void dsdt_serial(struct aml *a)
{
    aml_device(a, "COM1");
    aml_name(a, "_HID");
    aml_integer(a, aml_eisaid("PNP0501"));
    aml_name(a, "_UID");
    aml_integer(a, 0);
    aml_name(a, "_CRS");
    aml_buffer(a);
    aml_res_io(a, COM1_PORT, 8);
    aml_res_irq(a, X86_SERIAL_IRQ);
    aml_res_end(a);
    aml_close(a);
    aml_close(a);
}

static void dsdt_pvpanic(struct aml *a)
{
    /* Linux's pvpanic-mmio driver accepts an I/O resource for this _HID. */
    aml_device(a, "PEVT");
    aml_name(a, "_HID");
    aml_string(a, "QEMU0001");
    aml_name(a, "_UID");
    aml_integer(a, 0);
    aml_name(a, "_CRS");
    aml_buffer(a);
    aml_res_io(a, X86_PVPANIC_PORT, 1);
    aml_res_end(a);
    aml_close(a);
    aml_close(a);
}

static void dsdt_virtio_mmio(struct aml *a, unsigned idx, const struct boot_mmio_dev *d)
{
    char name[8];

    snprintf(name, sizeof(name), "V%03u", idx % 1000); /* idx < BOOT_MAX_MMIO_DEVS */
    aml_device(a, name);
    aml_name(a, "_HID");
    aml_string(a, "LNRO0005");
    aml_name(a, "_UID");
    aml_integer(a, idx);
    aml_name(a, "_CCA"); /* DMA is cache-coherent */
    aml_integer(a, 1);
    aml_name(a, "_CRS");
    aml_buffer(a);
    aml_res_mem32_fixed(a, (uint32_t)d->base, (uint32_t)d->size, true);
    aml_res_ext_irq(a, d->gsi, AML_IRQ_CONSUMER | AML_IRQ_EDGE);
    aml_res_end(a);
    aml_close(a);
    aml_close(a);
}

int acpi_dsdt_build(uint8_t *buf, size_t cap, const struct boot_config *cfg)
{
    struct acpi_header h;
    struct aml a;
    int len;

    if (cap < sizeof(h))
        return -ENOSPC;
    aml_init(&a, buf, cap);
    memset(&h, 0, sizeof(h));
    aml_bytes(&a, &h, sizeof(h)); /* placeholder, filled once the length is known */

    aml_name(&a, "\\_S5_");
    aml_package(&a, 4);
    aml_integer(&a, X86_ACPI_S5_SLP_TYP); /* SLP_TYPa */
    aml_integer(&a, X86_ACPI_S5_SLP_TYP); /* SLP_TYPb: unused, one register */
    aml_integer(&a, 0);
    aml_integer(&a, 0);
    aml_close(&a);

    aml_scope(&a, "\\_SB_");
    dsdt_serial(&a);
    if (cfg->pvpanic)
        dsdt_pvpanic(&a);
    for (unsigned i = 0; i < cfg->nr_mmio_devs; i++)
        dsdt_virtio_mmio(&a, i, &cfg->mmio_devs[i]);
    aml_close(&a);

    len = aml_finish(&a);
    if (len < 0)
        return len;
    /* Revision 2: integers in this AML are 64-bit. */
    acpi_header_init(&h, "DSDT", (uint32_t)len, 2);
    memcpy(buf, &h, sizeof(h));
    acpi_finish_table((struct acpi_header *)buf);
    return len;
}
