/*
 * gmvm's own footprint, for benchmarks and --verbose: resident memory of the
 * process split into guest RAM (the guest_memfd mapping) and the rest.
 */
#ifndef GMVM_MEM_STATS_H
#define GMVM_MEM_STATS_H

#include <stdint.h>

struct mem_stats {
    uint64_t rss_kib;       /* whole process (VmRSS) */
    uint64_t guest_rss_kib; /* resident pages of the guest RAM mapping */
};

/*
 * Read /proc/self: VmRSS, and the Rss of the mapping that contains
 * @guest_base (0 if NULL). Returns 0 or a negative errno.
 */
int mem_stats_read(const void *guest_base, struct mem_stats *out);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t mono_ns(void);

#endif
