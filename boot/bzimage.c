/*
 * bzImage loader: the Linux x86 boot protocol's 64-bit entry.
 *
 * A bzImage is the real-mode setup (setup_sects + 1 sectors of 512 bytes,
 * with the setup header at 0x1f1) followed by the protected-mode kernel,
 * which decompresses itself in place. gmvm skips the real-mode part: it
 * copies the protected-mode kernel to its load address, fills boot_params
 * from the image's own setup header and enters at load address + 0x200 in
 * long mode (XLF_KERNEL_64). Protocol 2.12 (Linux 3.8) is the first that
 * announces the 64-bit entry in xloadflags, so that is the minimum.
 */
#include "boot/boot_priv.h"
#include "vmm/arch/x86_64/layout.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#define BZ_MIN_VERSION        0x020c
#define BZ_HDR_NEEDED         0x264 /* through init_size: everything gmvm reads */
#define BZ_DEFAULT_INITRD_MAX 0x37ffffffULL

/* The setup header ends where the 2-byte jump at 0x200 lands. */
static uint64_t header_end(const struct boot_ctx *ctx)
{
    uint64_t end = 0x202 + (uint64_t)ctx->image[0x201];
    uint64_t max = SETUP_HDR_OFFSET + sizeof(struct setup_header);

    if (end > max)
        end = max;
    if (end > ctx->image_size)
        end = ctx->image_size;
    return end;
}

static int check_header(struct boot_ctx *ctx, const struct setup_header *h,
                        uint64_t hdr_end)
{
    const char *path = ctx->cfg->kernel_path;

    if (hdr_end < BZ_HDR_NEEDED)
        return boot_err(ctx, -ENOEXEC,
                        "bzImage '%s': setup header ends at 0x%" PRIx64 "; a 64-bit "
                        "bootable kernel's reaches at least 0x%x (truncated or too old)",
                        path, hdr_end, BZ_HDR_NEEDED);
    if (h->boot_flag != SETUP_BOOT_FLAG)
        return boot_err(ctx, -ENOEXEC,
                        "bzImage '%s': boot_flag is 0x%04x, expected 0xaa55", path,
                        h->boot_flag);
    if (h->version < BZ_MIN_VERSION)
        return boot_err(ctx, -ENOEXEC,
                        "bzImage '%s': boot protocol %u.%02u; gmvm needs 2.12 or later "
                        "(Linux 3.8+) for the 64-bit entry",
                        path, h->version >> 8, h->version & 0xff);
    if (!(h->loadflags & SETUP_LOADED_HIGH))
        return boot_err(ctx, -ENOEXEC,
                        "bzImage '%s': a zImage (loads at 0x10000); only bzImages are "
                        "accepted",
                        path);
    if (!(h->xloadflags & SETUP_XLF_KERNEL_64))
        return boot_err(ctx, -ENOEXEC,
                        "bzImage '%s' has no 64-bit entry point (XLF_KERNEL_64 unset): "
                        "a 32-bit kernel? Only x86-64 kernels are accepted",
                        path);
    if (h->relocatable_kernel &&
        (h->kernel_alignment == 0 || (h->kernel_alignment & (h->kernel_alignment - 1))))
        return boot_err(ctx, -ENOEXEC,
                        "bzImage '%s': kernel_alignment 0x%x is not a power of two "
                        "(corrupt header)",
                        path, h->kernel_alignment);
    return 0;
}

/*
 * Where the kernel goes: its preferred address when RAM is there, else (if
 * relocatable) the lowest address >= 1 MiB with its alignment. @mem_size
 * bytes from there must lie in low RAM: they are identity mapped.
 */
static int choose_load_addr(struct boot_ctx *ctx, const struct setup_header *h,
                            uint64_t mem_size, uint64_t *out)
{
    uint64_t low_end = boot_low_ram_end(ctx->gm);
    uint64_t pref = h->pref_address ? h->pref_address : X86_HIMEM_START;
    uint64_t addr = pref;

    if (pref < X86_HIMEM_START || pref > low_end || mem_size > low_end - pref) {
        uint64_t align = h->kernel_alignment;

        if (!h->relocatable_kernel)
            return boot_err(ctx, -ENOSPC,
                            "bzImage '%s' must load at 0x%" PRIx64 " and needs 0x%" PRIx64
                            " bytes there; guest low RAM ends at 0x%" PRIx64,
                            ctx->cfg->kernel_path, pref, mem_size, low_end);
        addr = (X86_HIMEM_START + align - 1) & ~(align - 1);
        if (addr > low_end || mem_size > low_end - addr)
            return boot_err(ctx, -ENOSPC,
                            "bzImage '%s' needs 0x%" PRIx64 " bytes of RAM at 0x%" PRIx64
                            "; guest low RAM ends at 0x%" PRIx64
                            ": give the VM more memory",
                            ctx->cfg->kernel_path, mem_size, addr, low_end);
    }
    *out = addr;
    return 0;
}

int bzimage_load(struct boot_ctx *ctx)
{
    const char *path = ctx->cfg->kernel_path;
    struct boot_params bp;
    struct setup_header h;
    uint64_t hdr_end = header_end(ctx);
    uint64_t setup_size, kernel_size, mem_size, load = 0;
    uint64_t cmdline_max, initrd_max;
    int ret;

    memset(&h, 0, sizeof(h));
    if (hdr_end > SETUP_HDR_OFFSET)
        memcpy(&h, ctx->image + SETUP_HDR_OFFSET, hdr_end - SETUP_HDR_OFFSET);
    ret = check_header(ctx, &h, hdr_end);
    if (ret < 0)
        return ret;

    setup_size = ((uint64_t)(h.setup_sects ? h.setup_sects : 4) + 1) * 512;
    kernel_size = ctx->image_size > setup_size ? ctx->image_size - setup_size : 0;
    if (kernel_size == 0 || (uint64_t)h.syssize * 16 > kernel_size)
        return boot_err(ctx, -ENOEXEC,
                        "bzImage '%s' is truncated: its header promises a %" PRIu64
                        "-byte kernel at offset 0x%" PRIx64 " but the file has %" PRIu64
                        " bytes there",
                        path, (uint64_t)h.syssize * 16, setup_size, kernel_size);
    /* init_size covers in-place decompression plus the kernel's bss. */
    mem_size = h.init_size > kernel_size ? h.init_size : kernel_size;
    ret = choose_load_addr(ctx, &h, mem_size, &load);
    if (ret < 0)
        return ret;
    if (gm_write(ctx->gm, load, ctx->image + setup_size, kernel_size) < 0)
        return boot_err(ctx, -ENOSPC, "bzImage '%s': no guest RAM at 0x%" PRIx64, path,
                        load);
    ctx->kernel_end = load + mem_size;

    cmdline_max = h.cmdline_size ? h.cmdline_size : 255;
    initrd_max = h.initrd_addr_max ? h.initrd_addr_max : BZ_DEFAULT_INITRD_MAX;
    ret = boot_linux_setup(ctx, cmdline_max, initrd_max);
    if (ret < 0)
        return ret;

    /* The kernel reads its own header back from boot_params: copy it as is. */
    memset(&bp, 0, sizeof(bp));
    memcpy(&bp.hdr, ctx->image + SETUP_HDR_OFFSET, hdr_end - SETUP_HDR_OFFSET);
    bp.hdr.vid_mode = SETUP_VID_MODE_NORMAL;
    bp.hdr.code32_start = (uint32_t)load;
    ret = boot_params_fill(ctx, &bp);
    if (ret < 0)
        return ret;

    ctx->bi->mode = BOOT_MODE_LONG64;
    ctx->bi->entry = load + 0x200;
    ctx->bi->stack = X86_BARE_STACK_TOP;
    return 0;
}
