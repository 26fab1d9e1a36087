/*
 * Guest memory: the only module that turns guest-physical addresses into host
 * pointers. Every other file goes through gm_ptr()/gm_read()/gm_write().
 *
 * All guest RAM is one guest_memfd (GUEST_MEMFD_FLAG_MMAP|INIT_SHARED) mapped
 * MAP_SHARED once into gmvm. On x86 it is split around the 32-bit MMIO hole:
 * region 0 is [0, min(size, hole)) at gmem offset 0, region 1 (if any) starts
 * at 4 GiB with the rest. Both are memslots over the same fd and mapping.
 *
 * The guest is hostile: callers pass guest-chosen (gpa, len) pairs straight
 * in; the checks here are overflow-safe and a range must lie wholly inside a
 * single region.
 */
#ifndef GMVM_GUEST_MEM_H
#define GMVM_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GM_MAX_REGIONS 4

enum gm_backend {
    GM_BACKEND_GUEST_MEMFD, /* default: one guest_memfd, REGION2 memslots */
    GM_BACKEND_ANON,        /* anonymous memory, classic memslots (comparisons) */
    GM_BACKEND_FAKE,        /* caller-provided buffer, no KVM (unit tests) */
};

struct gm_region {
    uint64_t gpa;    /* guest-physical start */
    uint64_t size;   /* bytes */
    uint64_t offset; /* offset in the backing fd / mapping */
    uint8_t *host;   /* gmvm's mapping of gpa */
};

struct guest_mem {
    enum gm_backend backend;
    int fd;         /* guest_memfd, or -1 */
    uint8_t *base;  /* the single mapping of all RAM */
    uint64_t total; /* bytes of RAM */
    unsigned nr_regions;
    struct gm_region regions[GM_MAX_REGIONS];
};

/* Top of low RAM: the 32-bit MMIO hole covers [GM_HOLE_START, 4 GiB). */
#define GM_HOLE_START 0xc0000000ULL
#define GM_HIGH_START 0x100000000ULL

/*
 * Lay out @size bytes of RAM around the MMIO hole into @gm's region table.
 * Pure computation (no allocation); used by gm_create and by tests.
 */
void gm_layout(struct guest_mem *gm, uint64_t size);

/*
 * Create guest RAM of @size bytes (a multiple of 4 KiB) for the VM @vm_fd
 * with @backend, map it, and register one memslot per region.
 * Returns 0 or a negative errno; on failure nothing is left allocated.
 */
int gm_create(struct guest_mem *gm, int vm_fd, uint64_t size, enum gm_backend backend);

/*
 * Build a KVM-less guest memory over a caller-owned buffer @buf of @size
 * bytes starting at guest-physical @gpa (one region). For unit tests/fuzzers.
 */
void gm_init_fake(struct guest_mem *gm, void *buf, uint64_t gpa, uint64_t size);

/* Unmap and close everything gm_create made. Safe on a zeroed struct. */
void gm_destroy(struct guest_mem *gm);

/*
 * Host pointer for [gpa, gpa+len), or NULL if any byte of that range is not
 * guest RAM, the range wraps past UINT64_MAX, or it crosses a region end.
 * len == 0 is valid when gpa itself lies inside a region (or at its end).
 */
void *gm_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len);

/* Copy between guest RAM and host buffers. Return 0 or -EFAULT. */
int gm_read(const struct guest_mem *gm, void *dst, uint64_t gpa, uint64_t len);
int gm_write(const struct guest_mem *gm, uint64_t gpa, const void *src, uint64_t len);

/* True if [gpa, gpa+len) is wholly RAM (same rules as gm_ptr). */
static inline bool gm_range_ok(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
    return gm_ptr(gm, gpa, len) != NULL;
}

/* Human-readable backend name, for logs. */
const char *gm_backend_name(enum gm_backend backend);

#endif
