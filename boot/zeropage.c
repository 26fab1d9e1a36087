/*
 * The parts of Linux's boot_params ("zero page") that do not depend on the
 * image format: the e820 memory map, command line, initrd and RSDP. Also
 * used for the PVH memmap, which takes the same e820 entries.
 */
#include "boot/boot_priv.h"
#include "vmm/arch/x86_64/layout.h"

#include <errno.h>
#include <string.h>

static int e820_add(struct boot_e820_entry *tab, unsigned *n, unsigned max, uint64_t addr,
                    uint64_t end, uint32_t type)
{
    unsigned i;

    if (end <= addr)
        return 0;
    if (*n >= max)
        return -ENOSPC;
    /* Insert sorted by address: regions are few, so insertion is fine. */
    for (i = *n; i > 0 && tab[i - 1].addr > addr; i--)
        tab[i] = tab[i - 1];
    tab[i] = (struct boot_e820_entry){.addr = addr, .size = end - addr, .type = type};
    (*n)++;
    return 0;
}

int e820_build(const struct guest_mem *gm, struct boot_e820_entry *tab, unsigned max)
{
    unsigned n = 0;
    int ret;

    /*
     * [X86_EBDA_START, 1 MiB) is RAM in the guest_memfd but reported as
     * reserved, as on a PC: the kernel then leaves the ACPI tables at
     * X86_ACPI_ADDR alone and does not look for RAM in the legacy holes.
     */
    ret = e820_add(tab, &n, max, X86_EBDA_START, X86_HIMEM_START, E820_RESERVED);
    for (unsigned i = 0; i < gm->nr_regions && ret == 0; i++) {
        uint64_t start = gm->regions[i].gpa;
        uint64_t end = start + gm->regions[i].size;

        ret = e820_add(tab, &n, max, start, end < X86_EBDA_START ? end : X86_EBDA_START,
                       E820_RAM);
        if (ret == 0)
            ret =
                e820_add(tab, &n, max, start > X86_HIMEM_START ? start : X86_HIMEM_START,
                         end, E820_RAM);
    }
    return ret < 0 ? ret : (int)n;
}

int boot_params_fill(struct boot_ctx *ctx, struct boot_params *bp)
{
    int n = e820_build(ctx->gm, bp->e820_table, E820_MAX_ENTRIES);

    if (n < 0)
        return boot_err(ctx, n, "guest memory has too many regions for the e820 map");
    bp->e820_entries = (uint8_t)n;

    bp->hdr.type_of_loader = SETUP_LOADER_UNDEFINED;
    bp->hdr.cmd_line_ptr = (uint32_t)X86_CMDLINE_ADDR;
    bp->ext_cmd_line_ptr = (uint32_t)(X86_CMDLINE_ADDR >> 32);
    bp->hdr.ramdisk_image = (uint32_t)ctx->initrd_addr;
    bp->ext_ramdisk_image = (uint32_t)(ctx->initrd_addr >> 32);
    bp->hdr.ramdisk_size = (uint32_t)ctx->initrd_size;
    bp->ext_ramdisk_size = (uint32_t)(ctx->initrd_size >> 32);
    bp->acpi_rsdp_addr = ctx->rsdp_addr;

    if (gm_write(ctx->gm, X86_ZERO_PAGE_ADDR, bp, sizeof(*bp)) < 0)
        return boot_err(ctx, -ENOSPC, "no guest RAM at the zero page address 0x%llx",
                        X86_ZERO_PAGE_ADDR);
    ctx->bi->arg = X86_ZERO_PAGE_ADDR;
    return 0;
}
