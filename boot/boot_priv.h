/*
 * Internals shared by the boot/ loaders; not for use outside boot/.
 *
 * boot_load() (loader.c) maps the kernel file, fills a boot_ctx and calls
 * one format loader. A Linux format loader first copies its kernel into
 * guest RAM and sets ctx->kernel_end, then calls boot_linux_setup() for the
 * parts all Linux paths share (command line, initrd, ACPI), then writes its
 * own handover structure (boot_params or hvm_start_info).
 */
#ifndef GMVM_BOOT_PRIV_H
#define GMVM_BOOT_PRIV_H

#include "boot/boot_params.h"
#include "boot/loader.h"

#include <stdint.h>

struct boot_ctx {
    struct guest_mem *gm;
    const struct boot_config *cfg;
    struct boot_info *bi;
    char *err;
    size_t errlen;

    const uint8_t *image; /* the kernel file, mapped read-only */
    uint64_t image_size;

    uint64_t kernel_end;  /* first byte past the loaded kernel's memory */
    uint64_t cmdline_len; /* bytes at X86_CMDLINE_ADDR, without the NUL */
    uint64_t initrd_addr; /* 0 = no initrd */
    uint64_t initrd_size;
    uint64_t rsdp_addr;
};

/* Format @fmt into ctx->err and return @ret (a negative errno). */
int boot_err(struct boot_ctx *ctx, int ret, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Highest address + 1 of the RAM region holding 1 MiB: where low RAM ends. */
uint64_t boot_low_ram_end(const struct guest_mem *gm);

/*
 * Command line (at most @cmdline_max bytes), initrd (placed page aligned as
 * high as possible, ending at or below @initrd_limit + 1 and above
 * ctx->kernel_end) and ACPI tables. Fills the ctx fields above.
 */
int boot_linux_setup(struct boot_ctx *ctx, uint64_t cmdline_max, uint64_t initrd_limit);

/*
 * Fill the loader-independent parts of @bp (e820, command line, initrd,
 * RSDP, type_of_loader) from @ctx. The caller has filled bp->hdr first.
 */
int boot_params_fill(struct boot_ctx *ctx, struct boot_params *bp);

/* Place the initrd file into guest RAM; see boot_linux_setup. */
int initrd_load(struct boot_ctx *ctx, uint64_t initrd_limit);

/* Format loaders, called by boot_load() once the type is known. */
int bzimage_load(struct boot_ctx *ctx);
int elf_load(struct boot_ctx *ctx);

/* Write hvm_start_info, modlist and memmap at X86_PVH_INFO_ADDR. */
int pvh_write_start_info(struct boot_ctx *ctx);

#endif
