/*
 * Address bus: a small sorted array, binary-searched per access.
 */
#include "vmm/bus.h"

#include <errno.h>
#include <string.h>

void bus_init(struct bus *bus, const char *name)
{
    memset(bus, 0, sizeof(*bus));
    bus->name = name;
}

void bus_read_zeros(void *opaque, uint64_t offset, uint8_t *data, uint32_t len)
{
    memset(data, 0, len);
}

int bus_register(struct bus *bus, uint64_t base, uint64_t len, const struct bus_ops *ops,
                 void *opaque, const char *name)
{
    uint64_t end;
    unsigned pos;

    if (len == 0 || __builtin_add_overflow(base, len - 1, &end) || !ops)
        return -EINVAL;
    if (bus->nr == BUS_MAX_DEVICES)
        return -ENOSPC;

    /* Find the insertion point and check both neighbours for overlap. */
    for (pos = 0; pos < bus->nr && bus->ranges[pos].base < base; pos++)
        ;
    if (pos > 0) {
        const struct bus_range *prev = &bus->ranges[pos - 1];
        if (prev->base + (prev->len - 1) >= base)
            return -EBUSY;
    }
    if (pos < bus->nr && bus->ranges[pos].base <= end)
        return -EBUSY;

    memmove(&bus->ranges[pos + 1], &bus->ranges[pos],
            (bus->nr - pos) * sizeof(bus->ranges[0]));
    bus->ranges[pos] = (struct bus_range){base, len, ops, opaque, name};
    bus->nr++;
    return 0;
}

const struct bus_range *bus_find(const struct bus *bus, uint64_t addr, uint32_t len)
{
    unsigned lo = 0, hi = bus->nr;
    uint64_t last;

    if (len == 0 || __builtin_add_overflow(addr, (uint64_t)len - 1, &last))
        return NULL;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        const struct bus_range *r = &bus->ranges[mid];

        if (addr < r->base)
            hi = mid;
        else if (addr - r->base >= r->len)
            lo = mid + 1;
        else
            return last - r->base < r->len ? r : NULL;
    }
    return NULL;
}

bool bus_read(const struct bus *bus, uint64_t addr, uint8_t *data, uint32_t len)
{
    const struct bus_range *r = bus_find(bus, addr, len);

    if (!r || !r->ops->read) {
        memset(data, 0xff, len);
        return r != NULL;
    }
    r->ops->read(r->opaque, addr - r->base, data, len);
    return true;
}

bool bus_write(const struct bus *bus, uint64_t addr, const uint8_t *data, uint32_t len)
{
    const struct bus_range *r = bus_find(bus, addr, len);

    if (!r)
        return false;
    if (r->ops->write)
        r->ops->write(r->opaque, addr - r->base, data, len);
    return true;
}
