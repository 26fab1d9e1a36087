/*
 * The Xen PVH boot ABI as Linux implements it for non-Xen VMMs: the kernel
 * starts at its PHYS32_ENTRY in 32-bit protected mode, paging off, with EBX
 * pointing at an hvm_start_info that carries the command line, the initrd
 * (as module 0), the RSDP and an e820-style memory map.
 *
 * Page X86_PVH_INFO_ADDR holds all of it:
 *   +0x00 hvm_start_info, +0x40 one hvm_modlist_entry, +0x80 the memmap.
 */
#include "boot/boot_priv.h"
#include "vmm/arch/x86_64/layout.h"

#include <errno.h>
#include <string.h>

#define PVH_MODLIST_OFF 0x40
#define PVH_MEMMAP_OFF  0x80
/* Linux copies the memmap into boot_params' 128-entry e820 table. */
#define PVH_MEMMAP_MAX E820_MAX_ENTRIES

_Static_assert(PVH_MEMMAP_OFF + PVH_MEMMAP_MAX * sizeof(struct hvm_memmap_table_entry) <=
                   X86_ZERO_PAGE_ADDR - X86_PVH_INFO_ADDR,
               "PVH memmap overlaps the zero page");

int pvh_write_start_info(struct boot_ctx *ctx)
{
    struct boot_e820_entry e820[PVH_MEMMAP_MAX];
    struct hvm_memmap_table_entry map[PVH_MEMMAP_MAX];
    struct hvm_modlist_entry mod;
    struct hvm_start_info si;
    int n = e820_build(ctx->gm, e820, PVH_MEMMAP_MAX);

    if (n < 0)
        return boot_err(ctx, n, "guest memory has too many regions for the PVH memmap");
    memset(map, 0, sizeof(map));
    for (int i = 0; i < n; i++)
        map[i] = (struct hvm_memmap_table_entry){
            .addr = e820[i].addr, .size = e820[i].size, .type = e820[i].type};

    memset(&si, 0, sizeof(si));
    si.magic = HVM_START_MAGIC;
    si.version = 1;
    si.cmdline_paddr = X86_CMDLINE_ADDR;
    si.rsdp_paddr = ctx->rsdp_addr;
    si.memmap_paddr = X86_PVH_INFO_ADDR + PVH_MEMMAP_OFF;
    si.memmap_entries = (uint32_t)n;
    if (ctx->initrd_size) {
        memset(&mod, 0, sizeof(mod));
        mod.paddr = ctx->initrd_addr;
        mod.size = ctx->initrd_size;
        si.nr_modules = 1;
        si.modlist_paddr = X86_PVH_INFO_ADDR + PVH_MODLIST_OFF;
        if (gm_write(ctx->gm, si.modlist_paddr, &mod, sizeof(mod)) < 0)
            goto fault;
    }
    if (gm_write(ctx->gm, si.memmap_paddr, map, (uint64_t)n * sizeof(map[0])) < 0 ||
        gm_write(ctx->gm, X86_PVH_INFO_ADDR, &si, sizeof(si)) < 0)
        goto fault;
    ctx->bi->arg = X86_PVH_INFO_ADDR;
    return 0;
fault:
    return boot_err(ctx, -ENOSPC, "no guest RAM for the PVH start info at 0x%llx",
                    X86_PVH_INFO_ADDR);
}
