/*
 * What the tiny test guests and the host-side tests agree on: the ucall port,
 * buffer addresses and the checksum. Included by both sides.
 */
#ifndef GMVM_TEST_GUEST_ABI_H
#define GMVM_TEST_GUEST_ABI_H

#include <stdint.h>

#define GUEST_UCALL_PORT 0x5f0

/* checksum.elf reads [IN, IN+LEN) the host filled. */
#define GUEST_IN_BUF 0x200000u
/* writer.elf fills [OUT, OUT+LEN) with guest_pattern(i). */
#define GUEST_OUT_BUF 0x300000u
#define GUEST_BUF_LEN 0x10000u

/* FNV-1a, 32 bits: cheap, order-sensitive, same code on both sides. */
static inline uint32_t guest_fnv1a(const volatile uint8_t *p, uint32_t len)
{
    uint32_t h = 2166136261u;

    for (uint32_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

static inline uint8_t guest_pattern(uint32_t i)
{
    return (uint8_t)(i * 7u + (i >> 8) + 3u);
}

#endif
