/*
 * boot_load(): open and map the kernel file, tell its format apart, and run
 * the matching loader. Also the steps every Linux path shares: the command
 * line (with virtio_mmio.device= entries), the initrd and the ACPI tables.
 */
#include "boot/acpi.h"
#include "boot/boot_priv.h"
#include "vmm/arch/x86_64/layout.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int boot_err(struct boot_ctx *ctx, int ret, const char *fmt, ...)
{
    va_list ap;

    if (ctx->err && ctx->errlen) {
        va_start(ap, fmt);
        vsnprintf(ctx->err, ctx->errlen, fmt, ap);
        va_end(ap);
    }
    return ret;
}

uint64_t boot_low_ram_end(const struct guest_mem *gm)
{
    for (unsigned i = 0; i < gm->nr_regions; i++) {
        const struct gm_region *r = &gm->regions[i];

        if (r->gpa <= X86_HIMEM_START && X86_HIMEM_START < r->gpa + r->size)
            return r->gpa + r->size;
    }
    return 0;
}

/* Only device windows the guest can address and the IOAPIC can signal. */
static int check_config(struct boot_ctx *ctx)
{
    const struct boot_config *cfg = ctx->cfg;

    if (!cfg->kernel_path || !*cfg->kernel_path)
        return boot_err(ctx, -EINVAL,
                        "no kernel given: a bzImage, ELF vmlinux or "
                        "ELF32 program path is required");
    if (cfg->nr_vcpus > BOOT_MAX_VCPUS)
        return boot_err(ctx, -EINVAL,
                        "%u vCPUs requested; the ACPI tables describe 1..%u",
                        cfg->nr_vcpus, BOOT_MAX_VCPUS);
    if (cfg->nr_mmio_devs > BOOT_MAX_MMIO_DEVS || (cfg->nr_mmio_devs && !cfg->mmio_devs))
        return boot_err(ctx, -EINVAL, "%u virtio-mmio devices given; accepted: 0..%u",
                        cfg->nr_mmio_devs, BOOT_MAX_MMIO_DEVS);
    for (unsigned i = 0; i < cfg->nr_mmio_devs; i++) {
        const struct boot_mmio_dev *d = &cfg->mmio_devs[i];

        if (!d->size || (d->size & 0x3ff) || d->base + d->size < d->base ||
            d->base + d->size - 1 > UINT32_MAX)
            return boot_err(ctx, -EINVAL,
                            "virtio-mmio device %u at 0x%" PRIx64 " size 0x%" PRIx64
                            ": accepted are non-empty windows, a multiple of 1 KiB, "
                            "below 4 GiB",
                            i, d->base, d->size);
        if (d->gsi >= X86_IOAPIC_PINS)
            return boot_err(ctx, -EINVAL, "virtio-mmio device %u: GSI %u; accepted 0..%u",
                            i, d->gsi, X86_IOAPIC_PINS - 1);
    }
    if (!gm_range_ok(ctx->gm, 0, X86_HIMEM_START))
        return boot_err(ctx, -ENOSPC,
                        "guest RAM must cover [0, 1 MiB) for boot structures");
    return 0;
}

/* Map @path read-only. Directories, empty and unreadable files are refused. */
static int map_kernel(struct boot_ctx *ctx, const char *path)
{
    struct stat st;
    void *p;
    int fd, ret;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        ret = -errno;
        return boot_err(ctx, ret, "kernel '%s': %s", path, strerror(-ret));
    }
    if (fstat(fd, &st) < 0) {
        ret = boot_err(ctx, -errno, "kernel '%s': %s", path, strerror(errno));
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        ret = boot_err(ctx, -EISDIR, "kernel '%s' is a directory; expected a kernel file",
                       path);
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        ret = boot_err(ctx, -EINVAL, "kernel '%s' is not a regular file", path);
        goto out;
    }
    if (st.st_size == 0) {
        ret = boot_err(ctx, -ENOEXEC, "kernel '%s' is empty", path);
        goto out;
    }
    p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
        ret = boot_err(ctx, -errno, "kernel '%s': mmap: %s", path, strerror(errno));
        goto out;
    }
    ctx->image = p;
    ctx->image_size = st.st_size;
    ret = 0;
out:
    close(fd);
    return ret;
}

static uint32_t read_le32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

int boot_load(struct guest_mem *gm, const struct boot_config *cfg, struct boot_info *bi,
              char *err, size_t errlen)
{
    struct boot_ctx ctx = {.gm = gm, .cfg = cfg, .bi = bi, .err = err, .errlen = errlen};
    const uint8_t *p;
    int ret;

    if (err && errlen)
        err[0] = '\0';
    memset(bi, 0, sizeof(*bi));
    ret = check_config(&ctx);
    if (ret < 0)
        return ret;
    ret = map_kernel(&ctx, cfg->kernel_path);
    if (ret < 0)
        return ret;

    p = ctx.image;
    if (ctx.image_size >= 4 && !memcmp(p, ELFMAG, SELFMAG)) {
        ret = elf_load(&ctx);
    } else if (ctx.image_size >= 0x206 && read_le32(p + 0x202) == SETUP_HDR_MAGIC) {
        ret = bzimage_load(&ctx);
    } else {
        ret = boot_err(&ctx, -ENOEXEC,
                       "kernel '%s' is not a bzImage (no \"HdrS\" at 0x202), an ELF64 "
                       "x86-64 vmlinux or an ELF32 i386 program",
                       cfg->kernel_path);
    }
    munmap((void *)ctx.image, ctx.image_size);
    if (ret < 0)
        memset(bi, 0, sizeof(*bi));
    return ret;
}

/* cfg->cmdline plus the virtio_mmio.device= entries, into guest RAM. */
static int write_cmdline(struct boot_ctx *ctx, uint64_t cmdline_max)
{
    const struct boot_config *cfg = ctx->cfg;
    const char *user = cfg->cmdline ? cfg->cmdline : "";
    size_t cap = X86_CMDLINE_MAX, len;
    char *buf;
    int ret = 0;

    if (cmdline_max > X86_CMDLINE_MAX - 1)
        cmdline_max = X86_CMDLINE_MAX - 1;
    buf = malloc(cap);
    if (!buf)
        return boot_err(ctx, -ENOMEM, "out of memory for the command line");
    len = strnlen(user, cap - 1);
    memcpy(buf, user, len);
    buf[len] = '\0';
    for (unsigned i = 0; i < cfg->nr_mmio_devs && len < cap - 1; i++) {
        const struct boot_mmio_dev *d = &cfg->mmio_devs[i];
        int n = snprintf(buf + len, cap - len,
                         "%svirtio_mmio.device=%" PRIu64 "K@0x%" PRIx64 ":%u",
                         len ? " " : "", d->size >> 10, d->base, d->gsi);

        len += n < 0 ? 0 : (size_t)n;
    }
    if (len > cmdline_max) {
        ret = boot_err(ctx, -E2BIG,
                       "kernel command line is %zu bytes (incl. %u virtio_mmio.device= "
                       "entries); this kernel accepts at most %" PRIu64,
                       len, cfg->nr_mmio_devs, cmdline_max);
        goto out;
    }
    if (gm_write(ctx->gm, X86_CMDLINE_ADDR, buf, len + 1) < 0) {
        ret = boot_err(ctx, -ENOSPC, "no guest RAM at the command line address 0x%llx",
                       X86_CMDLINE_ADDR);
        goto out;
    }
    ctx->cmdline_len = len;
out:
    free(buf);
    return ret;
}

int boot_linux_setup(struct boot_ctx *ctx, uint64_t cmdline_max, uint64_t initrd_limit)
{
    int ret;

    ctx->bi->linux_guest = 1;
    ret = write_cmdline(ctx, cmdline_max);
    if (ret < 0)
        return ret;
    ret = initrd_load(ctx, initrd_limit);
    if (ret < 0)
        return ret;
    return acpi_build(ctx->gm, ctx->cfg, &ctx->rsdp_addr, ctx->err, ctx->errlen);
}
