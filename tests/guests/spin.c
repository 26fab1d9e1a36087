/* Announces itself, then spins forever: for stop-by-signal tests. */
#include "tests/guests/guest.h"

GUEST_ENTRY
{
    serial_puts("spinning\n");
    for (;;)
        __asm__ volatile("pause");
}
