/*
 * Process memory accounting from /proc/self. See mem_stats.h.
 */
#include "vmm/mem_stats.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

uint64_t mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int read_vmrss(uint64_t *kib)
{
    FILE *f = fopen("/proc/self/status", "re");
    char line[256];
    int ret = -ENOENT;

    if (!f)
        return -errno;
    while (fgets(line, sizeof(line), f)) {
        if (sscanf(line, "VmRSS: %" SCNu64 " kB", kib) == 1) {
            ret = 0;
            break;
        }
    }
    fclose(f);
    return ret;
}

/* smaps: a mapping header "start-end perms ...", then "Rss: N kB" lines. */
static int read_mapping_rss(const void *addr, uint64_t *kib)
{
    FILE *f = fopen("/proc/self/smaps", "re");
    uintptr_t a = (uintptr_t)addr;
    char line[512];
    int in_range = 0, ret = -ENOENT;

    if (!f)
        return -errno;
    while (fgets(line, sizeof(line), f)) {
        uintptr_t start, end;
        uint64_t v;

        if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &start, &end) == 2 &&
            strchr(line, ' ') == line + strcspn(line, " ")) {
            in_range = a >= start && a < end;
            continue;
        }
        if (in_range && sscanf(line, "Rss: %" SCNu64 " kB", &v) == 1) {
            *kib = v;
            ret = 0;
            break;
        }
    }
    fclose(f);
    return ret;
}

int mem_stats_read(const void *guest_base, struct mem_stats *out)
{
    int ret = read_vmrss(&out->rss_kib);

    out->guest_rss_kib = 0;
    if (ret < 0 || !guest_base)
        return ret;
    return read_mapping_rss(guest_base, &out->guest_rss_kib);
}
