/* Checksums the buffer the host wrote through the guest_memfd and reports it. */
#include "tests/guests/guest.h"

GUEST_ENTRY
{
    ucall_done(guest_fnv1a((const volatile uint8_t *)GUEST_IN_BUF, GUEST_BUF_LEN));
}
