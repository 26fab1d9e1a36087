/* Writes a known pattern for the host to check through the guest_memfd. */
#include "tests/guests/guest.h"

GUEST_ENTRY
{
    volatile uint8_t *out = (volatile uint8_t *)GUEST_OUT_BUF;

    for (uint32_t i = 0; i < GUEST_BUF_LEN; i++)
        out[i] = guest_pattern(i);
    ucall_done(guest_fnv1a(out, GUEST_BUF_LEN));
}
