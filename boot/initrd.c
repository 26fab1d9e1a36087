/*
 * Initial ramdisk placement. Like other loaders gmvm puts the initrd as high
 * as it may go in low RAM (page aligned, at or below the kernel's limit), so
 * the kernel's decompression and early allocations below it stay free.
 * The file is read straight into guest RAM: any size that fits works.
 */
#include "boot/boot_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE_MASK_4K (~(uint64_t)0xfff)

static int read_all(int fd, uint8_t *dst, uint64_t size)
{
    uint64_t done = 0;

    while (done < size) {
        size_t chunk = size - done > (1u << 30) ? (1u << 30) : size - done;
        ssize_t n = pread(fd, dst + done, chunk, (off_t)done);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EIO; /* file shrank under us */
        done += (uint64_t)n;
    }
    return 0;
}

int initrd_load(struct boot_ctx *ctx, uint64_t initrd_limit)
{
    const char *path = ctx->cfg->initrd_path;
    uint64_t size, top, addr, low_end;
    struct stat st;
    uint8_t *dst;
    int fd, ret;

    if (!path)
        return 0;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        ret = -errno;
        return boot_err(ctx, ret, "initrd '%s': %s", path, strerror(-ret));
    }
    if (fstat(fd, &st) < 0) {
        ret = boot_err(ctx, -errno, "initrd '%s': %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        ret = boot_err(ctx, S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL,
                       "initrd '%s' is not a regular file", path);
        goto out;
    }
    size = (uint64_t)st.st_size;
    if (size == 0) {
        ret = boot_err(ctx, -EINVAL, "initrd '%s' is empty; give a cpio archive", path);
        goto out;
    }

    low_end = boot_low_ram_end(ctx->gm);
    top = initrd_limit < low_end ? initrd_limit + 1 : low_end;
    addr = size <= top ? (top - size) & PAGE_MASK_4K : 0;
    if (size > top || addr < ctx->kernel_end) {
        ret =
            boot_err(ctx, -ENOSPC,
                     "initrd '%s' (%" PRIu64 " bytes) does not fit in guest RAM between "
                     "the kernel end 0x%" PRIx64 " and 0x%" PRIx64
                     " (the kernel's initrd limit or the end of low RAM); give the VM "
                     "more memory or use a smaller initrd",
                     path, size, ctx->kernel_end, top);
        goto out;
    }
    dst = gm_ptr(ctx->gm, addr, size);
    if (!dst) {
        ret =
            boot_err(ctx, -ENOSPC, "initrd '%s': no guest RAM at 0x%" PRIx64, path, addr);
        goto out;
    }
    ret = read_all(fd, dst, size);
    if (ret < 0) {
        boot_err(ctx, ret, "initrd '%s': read: %s", path, strerror(-ret));
        goto out;
    }
    ctx->initrd_addr = addr;
    ctx->initrd_size = size;
out:
    close(fd);
    return ret;
}
