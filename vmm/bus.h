/*
 * An address bus (one for port I/O, one for MMIO) that maps ranges to device
 * callbacks. Ranges are registered during machine setup, before any vCPU
 * runs, and never change afterwards, so lookups take no lock.
 */
#ifndef GMVM_BUS_H
#define GMVM_BUS_H

#include <stdbool.h>
#include <stdint.h>

#define BUS_MAX_DEVICES 64

/*
 * A device's register callbacks. @offset is relative to the range base,
 * @len is 1, 2, 4 or 8 (MMIO) / 1, 2, 4 (PIO). Called from vCPU threads;
 * a device shared by several vCPUs does its own locking.
 */
struct bus_ops {
    void (*read)(void *opaque, uint64_t offset, uint8_t *data, uint32_t len);
    void (*write)(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len);
};

struct bus_range {
    uint64_t base;
    uint64_t len;
    const struct bus_ops *ops;
    void *opaque;
    const char *name;
};

struct bus {
    const char *name; /* "pio" or "mmio", for messages */
    unsigned nr;
    struct bus_range ranges[BUS_MAX_DEVICES]; /* sorted by base */
};

void bus_init(struct bus *bus, const char *name);

/* A read callback for registers that always read as 0. */
void bus_read_zeros(void *opaque, uint64_t offset, uint8_t *data, uint32_t len);

/*
 * Add [base, base+len) for a device. Returns 0, -EINVAL for an empty or
 * wrapping range, -EBUSY if it overlaps a registered range, -ENOSPC if full.
 */
int bus_register(struct bus *bus, uint64_t base, uint64_t len, const struct bus_ops *ops,
                 void *opaque, const char *name);

/* The range that holds [addr, addr+len), or NULL. */
const struct bus_range *bus_find(const struct bus *bus, uint64_t addr, uint32_t len);

/*
 * Dispatch an access. Returns true if a device took it. Unclaimed reads
 * return all-ones (as floating ISA/PCI lines do); unclaimed writes drop.
 */
bool bus_read(const struct bus *bus, uint64_t addr, uint8_t *data, uint32_t len);
bool bus_write(const struct bus *bus, uint64_t addr, const uint8_t *data, uint32_t len);

#endif
