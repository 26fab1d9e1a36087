/*
 * Guest RAM in one mmap-able guest_memfd. See guest_mem.h for the contract.
 */
#include "vmm/guest_mem.h"
#include "vmm/kvm_compat.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

void gm_layout(struct guest_mem *gm, uint64_t size)
{
    uint64_t low = size < GM_HOLE_START ? size : GM_HOLE_START;

    gm->total = size;
    gm->nr_regions = 0;
    gm->regions[gm->nr_regions++] =
        (struct gm_region){.gpa = 0, .size = low, .offset = 0};
    if (size > low)
        gm->regions[gm->nr_regions++] =
            (struct gm_region){.gpa = GM_HIGH_START, .size = size - low, .offset = low};
}

static int gm_create_guest_memfd(int vm_fd, uint64_t size)
{
    struct kvm_create_guest_memfd args = {
        .size = size,
        .flags = GUEST_MEMFD_FLAG_MMAP | GUEST_MEMFD_FLAG_INIT_SHARED,
    };
    int fd = ioctl(vm_fd, KVM_CREATE_GUEST_MEMFD, &args);

    return fd < 0 ? -errno : fd;
}

static int gm_register_slots(struct guest_mem *gm, int vm_fd)
{
    for (unsigned i = 0; i < gm->nr_regions; i++) {
        struct gm_region *r = &gm->regions[i];
        int ret;

        if (gm->backend == GM_BACKEND_GUEST_MEMFD) {
            struct kvm_userspace_memory_region2 slot = {
                .slot = i,
                .flags = KVM_MEM_GUEST_MEMFD,
                .guest_phys_addr = r->gpa,
                .memory_size = r->size,
                .userspace_addr = (uint64_t)(uintptr_t)r->host,
                .guest_memfd_offset = r->offset,
                .guest_memfd = (uint32_t)gm->fd,
            };
            ret = ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION2, &slot);
        } else {
            struct kvm_userspace_memory_region slot = {
                .slot = i,
                .guest_phys_addr = r->gpa,
                .memory_size = r->size,
                .userspace_addr = (uint64_t)(uintptr_t)r->host,
            };
            ret = ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &slot);
        }
        if (ret < 0)
            return -errno;
    }
    return 0;
}

int gm_create(struct guest_mem *gm, int vm_fd, uint64_t size, enum gm_backend backend)
{
    int ret;

    memset(gm, 0, sizeof(*gm));
    gm->fd = -1;
    gm->backend = backend;
    if (size == 0 || (size & 0xfff))
        return -EINVAL;
    gm_layout(gm, size);

    if (backend == GM_BACKEND_GUEST_MEMFD) {
        ret = gm_create_guest_memfd(vm_fd, size);
        if (ret < 0)
            goto err;
        gm->fd = ret;
        gm->base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, gm->fd, 0);
    } else if (backend == GM_BACKEND_ANON) {
        gm->base = mmap(NULL, size, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    } else {
        ret = -EINVAL;
        goto err;
    }
    if (gm->base == MAP_FAILED) {
        gm->base = NULL;
        ret = -errno;
        goto err;
    }
    for (unsigned i = 0; i < gm->nr_regions; i++)
        gm->regions[i].host = gm->base + gm->regions[i].offset;

    ret = gm_register_slots(gm, vm_fd);
    if (ret < 0)
        goto err;
    return 0;
err:
    gm_destroy(gm);
    return ret;
}

void gm_init_fake(struct guest_mem *gm, void *buf, uint64_t gpa, uint64_t size)
{
    memset(gm, 0, sizeof(*gm));
    gm->backend = GM_BACKEND_FAKE;
    gm->fd = -1;
    gm->base = buf;
    gm->total = size;
    gm->nr_regions = 1;
    gm->regions[0] =
        (struct gm_region){.gpa = gpa, .size = size, .offset = 0, .host = buf};
}

void gm_destroy(struct guest_mem *gm)
{
    if (gm->backend != GM_BACKEND_FAKE && gm->base)
        munmap(gm->base, gm->total);
    if (gm->fd > 0)
        close(gm->fd);
    gm->base = NULL;
    gm->fd = -1;
    gm->nr_regions = 0;
}

void *gm_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
    uint64_t end;

    if (__builtin_add_overflow(gpa, len, &end))
        return NULL;
    for (unsigned i = 0; i < gm->nr_regions; i++) {
        const struct gm_region *r = &gm->regions[i];

        /* r->gpa + r->size cannot overflow: regions are built by us. */
        if (gpa >= r->gpa && end <= r->gpa + r->size)
            return r->host + (gpa - r->gpa);
    }
    return NULL;
}

int gm_read(const struct guest_mem *gm, void *dst, uint64_t gpa, uint64_t len)
{
    const void *src = gm_ptr(gm, gpa, len);

    if (!src)
        return -EFAULT;
    memcpy(dst, src, len);
    return 0;
}

int gm_write(const struct guest_mem *gm, uint64_t gpa, const void *src, uint64_t len)
{
    void *dst = gm_ptr(gm, gpa, len);

    if (!dst)
        return -EFAULT;
    memcpy(dst, src, len);
    return 0;
}

const char *gm_backend_name(enum gm_backend backend)
{
    switch (backend) {
    case GM_BACKEND_GUEST_MEMFD:
        return "guest_memfd";
    case GM_BACKEND_ANON:
        return "anon";
    case GM_BACKEND_FAKE:
        return "fake";
    }
    return "?";
}
